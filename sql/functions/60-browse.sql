-- browsing saved applications (V1)

-- an application as saved, with the names of its institutions and majors
-- from the batch's catalog and the titles of its sections; empty slots and
-- places left out.  The planner guesses 100 rows for each
-- jsonb_array_elements, so the nested guesses pass jit_above_cost and
-- every call paid 50-100 ms of JIT compiling for 0.5 ms of work (make
-- bench, docs/PERFORMANCE.md): jit is off here.  PL/pgSQL keeps the plan
-- for the connection, where a SQL function is planned at every call.
create or replace function heao.application_named(p_batch text,
    p_content jsonb)
    returns json
    language plpgsql
    stable
    set jit = off
as $$
begin
    return (select json_build_object('sections', coalesce(json_agg(
        json_build_object(
            'title', b.shape -> 'sections' -> (s.ord::int - 1) ->> 'title',
            'slots', (
                select coalesce(json_agg(json_build_object(
                    'institution', json_build_object(
                        'code', sl.v ->> 'institution',
                        'name', i.name),
                    'majors', (
                        select coalesce(json_agg(json_build_object(
                                   'code', m.code, 'name', mj.name)
                                   order by m.ord), '[]'::json)
                          from jsonb_array_elements_text(
                                   case jsonb_typeof(sl.v -> 'majors')
                                   when 'array' then sl.v -> 'majors'
                                   else '[]' end)
                               with ordinality m(code, ord)
                          left join heao.major mj
                            on mj.batch_code = p_batch
                           and mj.inst_code = sl.v ->> 'institution'
                           and mj.code = m.code
                         where m.code <> ''),
                    'adjust', sl.v -> 'adjust')
                    order by sl.ord), '[]'::json)
                  from jsonb_array_elements(s.v -> 'slots')
                       with ordinality sl(v, ord)
                  left join heao.institution i
                    on i.batch_code = p_batch
                   and i.code = sl.v ->> 'institution'
                 where coalesce(sl.v ->> 'institution', '') <> ''))
        order by s.ord), '[]'::json))
      from heao.batch b
     cross join jsonb_array_elements(p_content -> 'sections')
           with ordinality s(v, ord)
     where b.code = p_batch);
end;
$$;

comment on function heao.application_named(text, jsonb) is
    'a saved application with institution and major names and section'
    ' titles, as browse shows it';


create or replace function heao.browse(p_candidate bigint)
    returns json
    language sql
    stable
as $$
    select json_build_object('groups', coalesce(json_agg(json_build_object(
        'group', g.code,
        'batch', b.code,
        'batch_name', b.name,
        'application', case when gs.abandoned_at is null
                            then heao.application_named(b.code, sh.content)
                            end,
        'checksum', case when gs.abandoned_at is null then sh.checksum end,
        'saves_used', gs.saves_used,
        'saves_left', case when gs.abandoned_at is null
                           then greatest(g.max_saves - gs.saves_used, 0)
                           else 0 end,
        'last_save_at', heao.epoch(gs.last_save_at),
        'next_change_at', heao.epoch(heao.next_change_at(g, gs, b)),
        'final', coalesce(heao.change_final(g, gs, b), false),
        'closes_at', heao.epoch(b.closes_at),
        'abandoned', gs.abandoned_at is not null,
        'abandoned_at', heao.epoch(gs.abandoned_at))
        order by b.sort, b.code), '[]'::json))
      from heao.group_state gs
      join heao.batch_group g on g.code = gs.group_code
      join heao.batch b on b.code = gs.batch_code
      left join heao.save_history sh on sh.id = gs.current_save
     where gs.candidate_id = p_candidate
       and (gs.current_save is not null or gs.abandoned_at is not null)
$$;

comment on function heao.browse(bigint) is
    'JSON of GET /api/browse: every group the candidate saved in or'
    ' abandoned, in batch order';
