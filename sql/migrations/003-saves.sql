-- 003: saved applications and the per-group counters (rules F11-F16, V3).

create table heao.save_history (
    id            bigserial primary key,
    save_id       uuid not null unique,
    candidate_id  bigint not null references heao.candidate (id),
    group_code    text not null references heao.batch_group (code),
    batch_code    text not null references heao.batch (code),
    save_no       int not null check (save_no >= 1),
    arrived_at    timestamptz not null,
    saved_at      timestamptz not null default now(),
    client        inet,
    device        text,
    content       jsonb not null
                  check (jsonb_typeof(content -> 'sections') = 'array'),
    summary       text,
    checksum      text not null
);

comment on table heao.save_history is
    'every save ever made (F14, V4); rows are never updated, and deleted'
    ' only by an explicit purge';
comment on column heao.save_history.save_id is
    'chosen by the client per save attempt: a retry after a lost answer'
    ' finds its first answer here and uses no save';
comment on column heao.save_history.save_no is
    'the group''s save counter after this save: 1 for the first save';
comment on column heao.save_history.arrived_at is
    'when the request reached nginx; the window is judged by it (F12a)';
comment on column heao.save_history.saved_at is
    'when the saving transaction ran';
comment on column heao.save_history.client is
    'client address as nginx saw it';
comment on column heao.save_history.device is
    'the client''s User-Agent, cut to a sane length by the module';
comment on column heao.save_history.content is
    'the application as the save endpoint took it (docs/API.md)';
comment on column heao.save_history.summary is
    'one-line plain-text rendering of the application for the mailbox';
comment on column heao.save_history.checksum is
    '志愿校验值 computed by the module with a server secret (F15)';

create index save_history_candidate_idx
    on heao.save_history (candidate_id, group_code, id);


-- history is append-only: updates are refused; deletes only inside a
-- transaction that set heao.purge to on (an operator purging a year or a
-- test cleaning up after itself)
create function heao.save_history_guard()
    returns trigger
    language plpgsql
as $$
begin
    if tg_op = 'DELETE'
       and current_setting('heao.purge', true) = 'on'
    then
        return old;
    end if;

    raise exception 'heao.save_history is append-only (% refused)', tg_op
        using errcode = 'insufficient_privilege';
end;
$$;

create trigger save_history_append_only
    before update or delete on heao.save_history
    for each row execute function heao.save_history_guard();


create table heao.group_state (
    candidate_id  bigint not null references heao.candidate (id),
    group_code    text not null references heao.batch_group (code),
    batch_code    text not null references heao.batch (code),
    saves_used    int not null default 0 check (saves_used >= 0),
    last_save_at  timestamptz,
    abandoned_at  timestamptz,
    current_save  bigint references heao.save_history (id),

    primary key (candidate_id, group_code)
);

comment on table heao.group_state is
    'a candidate''s standing in one group: the row saves lock (F14)';
comment on column heao.group_state.batch_code is
    'the batch the group was last saved under; a save under another batch'
    ' of the group replaces it (F11)';
comment on column heao.group_state.saves_used is
    'saves made, never above batch_group.max_saves (trigger)';
comment on column heao.group_state.last_save_at is
    'arrival time of the last accepted save; the next change needs'
    ' change_interval more (F12)';
comment on column heao.group_state.abandoned_at is
    'when the group was abandoned (V3); no save after it';
comment on column heao.group_state.current_save is
    'the save that holds the group''s application now';


-- saves_used may not pass the group's max_saves (a CHECK cannot look at
-- another table)
create function heao.group_state_guard()
    returns trigger
    language plpgsql
as $$
declare
    max_saves  int;
begin
    select g.max_saves into max_saves
      from heao.batch_group g
     where g.code = new.group_code;

    if new.saves_used > max_saves then
        raise exception 'saves_used % above max_saves % of group %',
            new.saves_used, max_saves, new.group_code
            using errcode = 'check_violation';
    end if;

    return new;
end;
$$;

create trigger group_state_saves_limit
    before insert or update of saves_used on heao.group_state
    for each row execute function heao.group_state_guard();
