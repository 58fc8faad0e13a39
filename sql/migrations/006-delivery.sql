-- 006: delivery of the outbox (A12) and verification codes (A8, A9, V3).

alter table heao.outbox
    add column attempts        int not null default 0
        check (attempts >= 0),
    add column next_attempt_at timestamptz not null default now(),
    add column claimed_until   timestamptz,
    add column failed_at       timestamptz,
    add column last_error      text;

comment on column heao.outbox.attempts is
    'deliveries tried so far by tools/heao-deliver';
comment on column heao.outbox.next_attempt_at is
    'not tried again before this time: the back-off after a failure';
comment on column heao.outbox.claimed_until is
    'a sender claimed the row (select ... for update skip locked) and'
    ' sends it until then; a row of a sender that died is taken again'
    ' after it';
comment on column heao.outbox.failed_at is
    'given up: too many attempts, or a code that expired before it was'
    ' sent; never tried again';
comment on column heao.outbox.last_error is
    'what the gateway answered at the last failed attempt';

drop index heao.outbox_unsent_idx;

create index outbox_due_idx
    on heao.outbox (next_attempt_at)
    where sent_at is null and failed_at is null;
