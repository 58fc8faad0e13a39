-- the fill page's view of one group (F11, F12, F13)

-- where the candidate stands in the group of p_batch at now(): counters,
-- the application the page starts from, and why no change is possible
-- (reason null when one is); null when the batch does not exist
create or replace function heao.fill_state(p_candidate bigint,
    p_batch text)
    returns json
    language plpgsql
    stable
as $$
declare
    b         heao.batch;
    g         heao.batch_group;
    st        heao.group_state;
    sh        heao.save_history;
    last_b    heao.batch;
begin
    select * into b from heao.batch where code = p_batch;
    if not found then
        return null;
    end if;

    select * into g from heao.batch_group where code = b.group_code;

    select * into st
      from heao.group_state
     where candidate_id = p_candidate and group_code = g.code;

    if st.current_save is not null then
        select * into sh from heao.save_history where id = st.current_save;
        select * into last_b from heao.batch where code = st.batch_code;
    end if;

    return json_build_object(
        'batch', b.code,
        'group', g.code,
        'saves_used', coalesce(st.saves_used, 0),
        'saves_left', greatest(g.max_saves - coalesce(st.saves_used, 0), 0),
        'last_save_at', heao.epoch(st.last_save_at),
        'next_change_at', heao.epoch(heao.next_change_at(g, st, b)),
        'abandoned', st.abandoned_at is not null,
        'last_batch', last_b.code,
        'last_batch_name', last_b.name,
        'application', case when st.abandoned_at is null
                            then sh.content::json end,
        'opens_at', heao.epoch(b.opens_at),
        'closes_at', heao.epoch(b.closes_at),
        'reason', heao.change_reason(now(), b, g, st));
end;
$$;

comment on function heao.fill_state(bigint, text) is
    'JSON for the fill page: batch, group, saves_used, saves_left,'
    ' last_save_at, next_change_at, abandoned, last_batch(_name),'
    ' application, opens_at, closes_at, reason (null or too_soon, final,'
    ' no_saves_left, abandoned, closed, not_open); null for an unknown batch';
