-- the info center (I2-I7): qualification and score, evaluation and
-- integrity record, pledge letters of directed plans, past admission
-- figures, archive status, and the entry page's bulletin

-- the directed choices of an application: every major of it whose
-- catalog restrictions name a directed plan (B5), in the order filled.
-- A save runs it (the pledge reminder's trigger): PL/pgSQL keeps its
-- plan for the connection where a SQL function is planned at each call,
-- and jit is off as for heao.application_named
create or replace function heao.directed_choices(p_batch text,
    p_content jsonb)
    returns table (section int, slot int, place int, inst_code text,
                   inst_name text, major_code text, major_name text,
                   directed text)
    language plpgsql
    stable
    set jit = off
as $$
begin
    return query
    select s.ord::int, sl.ord::int, mc.ord::int, i.code, i.name, m.code,
           m.name, m.restrictions ->> 'directed'
      from jsonb_array_elements(p_content -> 'sections')
               with ordinality s(v, ord)
     cross join jsonb_array_elements(
               case jsonb_typeof(s.v -> 'slots')
               when 'array' then s.v -> 'slots' else '[]' end)
               with ordinality sl(v, ord)
     cross join jsonb_array_elements_text(
               case jsonb_typeof(sl.v -> 'majors')
               when 'array' then sl.v -> 'majors' else '[]' end)
               with ordinality mc(code, ord)
      join heao.major m
        on m.batch_code = p_batch
       and m.inst_code = sl.v ->> 'institution'
       and m.code = mc.code
      join heao.institution i
        on i.batch_code = p_batch and i.code = m.inst_code
     where m.restrictions ? 'directed'
     order by 1, 2, 3;
end;
$$;

comment on function heao.directed_choices(text, jsonb) is
    'I4: the majors of a saved application that belong to a directed plan';


create or replace function heao.score_of(p_candidate bigint)
    returns json
    language sql
    stable
as $$
    select json_build_object(
        'exam_no', c.exam_no,
        'name', c.name,
        'track', c.track,
        'ctype', c.ctype,
        'language', c.language,
        'qualifications', to_json(c.qualifications),
        'shixin', c.shixin,
        'score', case when s.candidate_id is not null then
                      json_build_object('subjects', s.subjects,
                                        'total', s.total,
                                        'bonus', s.bonus,
                                        'rank', s.rank,
                                        'physical', s.physical,
                                        'published_at',
                                        heao.epoch(s.published_at))
                 end)
      from heao.candidate c
      left join heao.exam_score s on s.candidate_id = c.id
     where c.id = p_candidate
$$;

comment on function heao.score_of(bigint) is
    'JSON of GET /api/info/score (I2): qualification and score, score null'
    ' before they are published';


create or replace function heao.evaluation_of(p_candidate bigint)
    returns json
    language sql
    stable
as $$
    select json_build_object(
        'evaluation', (select json_build_object(
                                  'school', e.school,
                                  'comment', e.comment,
                                  'written_at', to_char(e.written_at,
                                                        'YYYY-MM-DD'))
                         from heao.evaluation e
                        where e.candidate_id = c.id),
        'shixin', c.shixin,
        'integrity', (select coalesce(json_agg(json_build_object(
                                  'recorded_at', to_char(ir.recorded_at,
                                                         'YYYY-MM-DD'),
                                  'kind', ir.kind,
                                  'text', ir.text)
                                  order by ir.recorded_at, ir.id),
                                  '[]'::json)
                        from heao.integrity_record ir
                       where ir.candidate_id = c.id))
      from heao.candidate c
     where c.id = p_candidate
$$;

comment on function heao.evaluation_of(bigint) is
    'JSON of GET /api/info/evaluation (I3): the school''s evaluation (null'
    ' when none) and the integrity record, oldest first';


create or replace function heao.archive_of(p_candidate bigint)
    returns json
    language sql
    stable
as $$
    select json_build_object(
        'status', coalesce((array_agg(a.status
                                      order by a.at desc, a.id desc))[1],
                           '未投档'),
        'updated_at', heao.epoch(max(a.at)),
        'events', coalesce(json_agg(json_build_object(
                      'at', heao.epoch(a.at),
                      'status', a.status,
                      'batch', a.batch_code,
                      'batch_name', b.name,
                      'institution', case when a.inst_code is not null then
                                         json_build_object(
                                             'code', a.inst_code,
                                             'name', a.inst_name)
                                     end,
                      'note', a.note)
                      order by a.at desc, a.id desc)
                      filter (where a.id is not null), '[]'::json))
      from (select p_candidate as id) c
      left join heao.archive_event a on a.candidate_id = c.id
      left join heao.batch b on b.code = a.batch_code
$$;

comment on function heao.archive_of(bigint) is
    'JSON of GET /api/info/archive (I6): the status now (未投档 before'
    ' the first event) and every change, newest first';


-- null when the code is no institution known to the catalog or the
-- figures (the answer is then 404)
create or replace function heao.admissions_of(p_candidate bigint,
    p_inst text)
    returns json
    language sql
    stable
as $$
    with inst as (
        select coalesce(
                   (select i.name from heao.institution i
                     where i.code = p_inst
                     order by i.batch_code limit 1),
                   (select s.inst_name from heao.admission_stat s
                     where s.inst_code = p_inst
                     order by s.year desc limit 1)) as name
    )
    select case
           when c.totp_secret is null then
               json_build_object('error', 'totp_required')
           else json_build_object(
               'institution', json_build_object('code', p_inst,
                                                'name', inst.name),
               'figures', (select coalesce(json_agg(json_build_object(
                                   'year', s.year,
                                   'batch', s.batch,
                                   'track', s.track,
                                   'min_score', s.min_score,
                                   'avg_score', s.avg_score,
                                   'min_rank', s.min_rank)
                                   order by s.batch, s.track, s.year desc),
                                   '[]'::json)
                             from heao.admission_stat s
                            where s.inst_code = p_inst
                              and s.year >= (select max(x.year) - 2
                                               from heao.admission_stat x)),
               'source', (select string_agg(distinct s.source, '；')
                            from heao.admission_stat s
                           where s.inst_code = p_inst))
           end
      from heao.candidate c, inst
     where c.id = p_candidate and inst.name is not null
$$;

comment on function heao.admissions_of(bigint, text) is
    'JSON of GET /api/admissions/{inst} (I5): the last three years of'
    ' figures per batch and track; {error: totp_required} without a bound'
    ' dynamic password; null for an unknown institution';


create or replace function heao.pledges_of(p_candidate bigint)
    returns json
    language sql
    stable
as $$
    select json_build_object('pledges', coalesce(json_agg(json_build_object(
               'group', gs.group_code,
               'batch', gs.batch_code,
               'batch_name', b.name,
               'directed', d.kinds,
               'deadline', heao.epoch(b.closes_at + heao.pledge_grace()))
               order by b.sort, b.code), '[]'::json))
      from heao.group_state gs
      join heao.batch b on b.code = gs.batch_code
      join heao.save_history sh on sh.id = gs.current_save
     cross join lateral (
           select string_agg(distinct x.directed, '、') as kinds
             from heao.directed_choices(gs.batch_code, sh.content) x) d
     where gs.candidate_id = p_candidate
       and gs.abandoned_at is null
       and d.kinds is not null
$$;

comment on function heao.pledges_of(bigint) is
    'JSON of GET /api/pledge (I4): the groups whose application holds a'
    ' directed plan, each with its deadline';


-- null when the candidate has no application with a directed plan in
-- that batch, whether nobody has or another candidate has (R5)
create or replace function heao.pledge_of(p_candidate bigint,
    p_batch text)
    returns json
    language sql
    stable
as $$
    select json_build_object(
        'candidate', json_build_object('exam_no', c.exam_no,
                                       'name', c.name,
                                       'gender', c.gender,
                                       'id_no', c.id_no,
                                       'county_code', c.county_code),
        'group', gs.group_code,
        'batch', b.code,
        'batch_name', b.name,
        'checksum', sh.checksum,
        'saved_at', heao.epoch(sh.saved_at),
        'closes_at', heao.epoch(b.closes_at),
        'deadline', heao.epoch(b.closes_at + heao.pledge_grace()),
        'choices', d.choices)
      from heao.group_state gs
      join heao.candidate c on c.id = gs.candidate_id
      join heao.batch b on b.code = gs.batch_code
      join heao.save_history sh on sh.id = gs.current_save
     cross join lateral (
           select json_agg(json_build_object(
                      'institution', json_build_object('code', x.inst_code,
                                                       'name', x.inst_name),
                      'major', json_build_object('code', x.major_code,
                                                 'name', x.major_name),
                      'directed', x.directed)
                      order by x.section, x.slot, x.place) as choices
             from heao.directed_choices(gs.batch_code, sh.content) x) d
     where gs.candidate_id = p_candidate
       and gs.batch_code = p_batch
       and gs.abandoned_at is null
       and d.choices is not null
$$;

comment on function heao.pledge_of(bigint, text) is
    'JSON of GET /api/pledge/{batch} (I4): the pledge letter: identity,'
    ' the directed choices, the deadline; null when there is none';


create or replace function heao.entry_page()
    returns json
    language sql
    stable
as $$
    select json_build_object(
        'now', heao.epoch(now()),
        'announcements', (select coalesce(json_agg(json_build_object(
                                  'id', x.id, 'title', x.title,
                                  'body', x.body,
                                  'published_at', heao.epoch(x.published_at))
                                  order by x.sort, x.published_at desc,
                                           x.id desc), '[]'::json)
                            from heao.bulletin x
                           where x.kind = 'announcement'
                             and x.withdrawn_at is null
                             and x.published_at <= now()),
        'notes', (select coalesce(json_agg(json_build_object(
                          'id', x.id, 'title', x.title, 'body', x.body,
                          'published_at', heao.epoch(x.published_at))
                          order by x.sort, x.published_at, x.id),
                          '[]'::json)
                    from heao.bulletin x
                   where x.kind = 'note'
                     and x.withdrawn_at is null
                     and x.published_at <= now()),
        'open_batches', (select coalesce(json_agg(json_build_object(
                                 'code', b.code, 'name', b.name,
                                 'opens_at', heao.epoch(b.opens_at),
                                 'closes_at', heao.epoch(b.closes_at))
                                 order by b.sort, b.code), '[]'::json)
                           from heao.batch b
                          where now() >= b.opens_at
                            and now() < b.closes_at))
$$;

comment on function heao.entry_page() is
    'JSON of GET /api/entry (I7): the announcements and notes shown now'
    ' and the batches open now with their windows';
