-- 004: the mailbox and the outbox of notices (rules I1, A12, F16).

create table heao.mailbox (
    id            bigserial primary key,
    candidate_id  bigint not null references heao.candidate (id),
    created_at    timestamptz not null default now(),
    kind          text not null check (kind ~ '^[a-z_]{1,32}$'),
    title         text not null,
    body          text not null,
    read_at       timestamptz
);

comment on table heao.mailbox is
    '只读邮件: read-only messages from the system to a candidate (I1)';
comment on column heao.mailbox.kind is
    'what caused it: save, abandon, pledge, score, admission, health, ...';
comment on column heao.mailbox.read_at is
    'when the candidate first opened it; null counts as unread';

create index mailbox_candidate_idx
    on heao.mailbox (candidate_id, created_at desc);


create table heao.outbox (
    id            bigserial primary key,
    candidate_id  bigint not null references heao.candidate (id),
    channel       text not null check (channel in ('wechat', 'sms')),
    kind          text not null check (kind ~ '^[a-z_]{1,32}$'),
    payload       jsonb not null,
    created_at    timestamptz not null default now(),
    sent_at       timestamptz
);

comment on table heao.outbox is
    'notices waiting for delivery to a bound channel (A12); written in the'
    ' transaction of the event, sent later by a sender that sets sent_at;'
    ' channel heao_outbox is notified at commit';
comment on column heao.outbox.payload is
    'what the sender needs besides the address, which it reads from the'
    ' candidate row when sending: {"title", "text" (short, for SMS),'
    ' "time" (epoch), "client", "batch", "save_no", "checksum", ...}';

create index outbox_unsent_idx
    on heao.outbox (created_at) where sent_at is null;
