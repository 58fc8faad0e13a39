-- what tools/heao-admin load-catalog checks before a catalog row goes in
-- (O4): the restrictions of a major as the module reads them (B5)

create or replace function heao.restrictions_problem(p jsonb)
    returns text
    language sql
    immutable
as $$
    select case
        when jsonb_typeof(p) is distinct from 'object' then
            'restrictions must be a JSON object'
        when exists (select 1 from jsonb_object_keys(p) k
                      where k not in ('gender', 'max_age', 'ethnicities',
                                      'ethnicities_except', 'qualification',
                                      'track', 'language', 'directed')) then
            'unknown restriction '
            || (select min(k) from jsonb_object_keys(p) k
                 where k not in ('gender', 'max_age', 'ethnicities',
                                 'ethnicities_except', 'qualification',
                                 'track', 'language', 'directed'))
        when p ? 'gender' and (p ->> 'gender') is distinct from 'M'
             and (p ->> 'gender') is distinct from 'F' then
            'gender must be "M" or "F"'
        when p ? 'track' and coalesce(p ->> 'track', '') not in ('文', '理')
            then 'track must be "文" or "理"'
        when exists (select 1 from unnest(array['qualification', 'language',
                                                'directed']) k
                      where p ? k
                        and (jsonb_typeof(p -> k) <> 'string'
                             or p ->> k = '')) then
            'qualification, language and directed must be text'
        when exists (select 1 from unnest(array['ethnicities',
                                                'ethnicities_except']) k
                      where p ? k
                        and (jsonb_typeof(p -> k) <> 'array'
                             or exists (select 1
                                          from jsonb_array_elements(p -> k) e
                                         where jsonb_typeof(e) <> 'string')))
            then 'ethnicities must be a list of names'
        when p ? 'max_age'
             and (jsonb_typeof(p -> 'max_age') <> 'object'
                  or coalesce(p -> 'max_age' ->> 'age', '') !~ '^[1-9][0-9]?$'
                  or coalesce(p -> 'max_age' ->> 'on', '')
                     !~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}$') then
            'max_age must be {"age": 1-99, "on": "YYYY-MM-DD"}'
    end
$$;

comment on function heao.restrictions_problem(jsonb) is
    'null when a major''s restrictions are as the module reads them (B5),'
    ' else what is wrong, for load-catalog''s report';
