-- the catalog as each worker caches it (B6)

create or replace function heao.catalog_version()
    returns bigint
    language sql
    stable
as $$
    select version from heao.catalog_meta
$$;

comment on function heao.catalog_version() is
    'bumped by every change to the catalog: reload when it moves';


create or replace function heao.catalog_batches()
    returns table (code text, name text, group_code text, opens_at bigint,
                   closes_at bigint, shape text, sort int,
                   candidate_types text)
    language sql
    stable
as $$
    select b.code, b.name, b.group_code, heao.epoch(b.opens_at),
           heao.epoch(b.closes_at), b.shape::text, b.sort,
           to_json(b.candidate_types)::text
      from heao.batch b
     order by b.sort, b.code
$$;

comment on function heao.catalog_batches() is
    'every batch: window in epoch seconds, shape and candidate types as'
    ' JSON text, in display order';


create or replace function heao.catalog_entries()
    returns table (batch_code text, inst_code text, inst_name text,
                   major_code text, major_name text, major_class text,
                   restrictions text, province text, plan int, tuition int,
                   years int, major_group text, note text)
    language sql
    stable
as $$
    select i.batch_code, i.code, i.name, m.code, m.name, m.class,
           m.restrictions::text, coalesce(i.province, ''), m.plan,
           m.tuition, m.years, m.major_group, m.note
      from heao.institution i
      left join heao.major m
        on m.batch_code = i.batch_code and m.inst_code = i.code
     order by i.batch_code, i.code, m.code
$$;

comment on function heao.catalog_entries() is
    'one row per major (major columns null for an institution without'
    ' majors), ordered by batch, institution, major; restrictions as JSON'
    ' text; plan, tuition, years, 专业组 and note for the plan query (F18)';
