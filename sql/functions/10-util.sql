-- helpers shared by the functions the module calls

-- Unix seconds of a time, null for null; the module speaks epoch seconds
create or replace function heao.epoch(p_at timestamptz)
    returns bigint
    language sql
    stable strict parallel safe
as $$
    select floor(extract(epoch from p_at))::bigint
$$;

comment on function heao.epoch(timestamptz) is
    'Unix seconds (floor) of a time; the module speaks epoch seconds';


-- a time as candidates read it: Beijing time, to the second
create or replace function heao.beijing_text(p_at timestamptz)
    returns text
    language sql
    stable strict parallel safe
as $$
    select to_char(p_at at time zone 'Asia/Shanghai',
                   'YYYY"年"MM"月"DD"日" HH24:MI:SS')
$$;

comment on function heao.beijing_text(timestamptz) is
    'a time in Beijing time as 2021年06月28日 10:15:02';


-- "the applications of" a batch (or of a list of them) in a message:
-- the name and 志愿, once, as the names of the supplementary rounds
-- (本科一批征集志愿) end in 志愿 already
create or replace function heao.zhiyuan_of(p_names text)
    returns text
    language sql
    immutable strict parallel safe
as $$
    select case when p_names like '%志愿' then p_names
                else p_names || '志愿' end
$$;

comment on function heao.zhiyuan_of(text) is
    'a batch name (or names) and 志愿 once: 本科一批志愿, 本科一批征集志愿';


-- why no change of the group is possible at p_at, or null when one is;
-- the same order of reasons for the fill page (F12) and for saves (F12a)
create or replace function heao.change_reason(p_at timestamptz,
    p_batch heao.batch, p_group heao.batch_group, p_state heao.group_state)
    returns text
    language sql
    immutable parallel safe
as $$
    select case
        when p_state.abandoned_at is not null then 'abandoned'
        when p_at < p_batch.opens_at then 'not_open'
        when p_at >= p_batch.closes_at then 'closed'
        when coalesce(p_state.saves_used, 0) >= p_group.max_saves
            then 'no_saves_left'
        when p_at < p_state.last_save_at + p_group.change_interval
            then case when p_state.last_save_at + p_group.change_interval
                           >= p_batch.closes_at
                      then 'final' else 'too_soon' end
        else null
    end
$$;

comment on function heao.change_reason(timestamptz, heao.batch,
    heao.batch_group, heao.group_state) is
    'abandoned, not_open, closed, no_saves_left, too_soon, final (too soon,'
    ' and the batch closes before a change could come), or null when a'
    ' save at that time is allowed';


-- when the next change becomes possible as far as the 60-minute rule goes:
-- null before the first save, after an abandon, with no save left, or
-- when the batch closes before it (the save stands: F12, "final")
drop function if exists heao.next_change_at(heao.batch_group,
    heao.group_state);

create or replace function heao.next_change_at(p_group heao.batch_group,
    p_state heao.group_state, p_batch heao.batch)
    returns timestamptz
    language sql
    immutable parallel safe
as $$
    select case
        when p_state.abandoned_at is not null
             or p_state.last_save_at is null
             or p_state.saves_used >= p_group.max_saves
             or p_state.last_save_at + p_group.change_interval
                >= p_batch.closes_at
            then null
        else p_state.last_save_at + p_group.change_interval
    end
$$;

comment on function heao.next_change_at(heao.batch_group,
    heao.group_state, heao.batch) is
    'last save + change interval, or null when no further change can come'
    ' before the batch closes';


-- F12: the saves of the group stand until the batch closes though some
-- are left, for the next change would come after the close
create or replace function heao.change_final(p_group heao.batch_group,
    p_state heao.group_state, p_batch heao.batch)
    returns boolean
    language sql
    immutable parallel safe
as $$
    select p_state.abandoned_at is null
           and p_state.last_save_at is not null
           and coalesce(p_state.saves_used, 0) < p_group.max_saves
           and p_state.last_save_at + p_group.change_interval
               >= p_batch.closes_at
$$;

comment on function heao.change_final(heao.batch_group, heao.group_state,
    heao.batch) is
    'true when saves are left but the next change would come at or after'
    ' the batch''s close';
