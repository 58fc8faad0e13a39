-- what tools/heao-admin load-roster checks before a roster row goes in
-- (O4): the county codes and the fields of one candidate as
-- heao.candidate takes them; repeats within the file and against the
-- roster are the command's own checks


-- the Henan county codes the demo's roster uses: the 41xxxx codes of
-- ../shared/data/divisions_and_names/areas.csv (统计用区划代码 2023)
-- without the statistical-only development zones 41xx7x, as tools/gen-demo
create or replace function heao.henan_county_ok(p_code text)
    returns boolean
    language sql
    immutable strict parallel safe
as $$
    select p_code = any ('{
        410102,410103,410104,410105,410106,410108,410122,410181,410182,
        410183,410184,410185,410202,410203,410204,410205,410212,410221,
        410222,410223,410225,410302,410303,410304,410305,410307,410308,
        410311,410323,410324,410325,410326,410327,410328,410329,410402,
        410403,410404,410411,410421,410422,410423,410425,410481,410482,
        410502,410503,410505,410506,410522,410523,410526,410527,410581,
        410602,410603,410611,410621,410622,410702,410703,410704,410711,
        410721,410724,410725,410726,410727,410781,410782,410783,410802,
        410803,410804,410811,410821,410822,410823,410825,410882,410883,
        410902,410922,410923,410926,410927,410928,411002,411003,411024,
        411025,411081,411082,411102,411103,411104,411121,411122,411202,
        411203,411221,411224,411281,411282,411302,411303,411321,411322,
        411323,411324,411325,411326,411327,411328,411329,411330,411381,
        411402,411403,411421,411422,411423,411424,411425,411426,411481,
        411502,411503,411521,411522,411523,411524,411525,411526,411527,
        411528,411602,411603,411621,411622,411623,411624,411625,411627,
        411628,411681,411702,411721,411722,411723,411724,411725,411726,
        411727,411728,411729,419001
    }'::text[])
$$;

comment on function heao.henan_county_ok(text) is
    'true for a Henan county division code (areas.csv 2023, no 41xx7x),'
    ' the county_code a roster row may name';


-- why a roster row cannot go in as a candidate, or null when it can; the
-- fields trimmed, id_no upper case, ctype 普通 when empty
create or replace function heao.roster_problem(p_exam_no text, p_id_no text,
                                               p_name text, p_track text,
                                               p_county text, p_ctype text)
    returns text
    language sql
    stable
as $$
    select case
        when coalesce(p_exam_no, '') !~ '^[0-9]{2}41[0-9]{10}$' then
            'exam number must be 14 digits, the 3rd and 4th 41'
        when coalesce(p_id_no, '') !~ '^[0-9]{17}[0-9X]$' then
            'ID number must be 17 digits and a check character'
        when heao.id_check_char(substr(p_id_no, 1, 17))
             <> substr(p_id_no, 18, 1) then
            'bad ID number: wrong check character'
        when heao.id_birth(p_id_no) is null then
            'bad ID number: no such birth date'
        when coalesce(p_name, '')
             !~ ('^[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff'
                 '\U00020000-\U0003134f]+'
                 '(\u00b7[\u3400-\u4dbf\u4e00-\u9fff'
                 '\uf900-\ufaff\U00020000-\U0003134f]+)*$')
             or char_length(replace(p_name, '·', '')) not between 2 and 20
            then
            'name must be 2 to 20 Chinese characters, parts joined by ·'
        when coalesce(p_track, '') not in ('文', '理') then
            'track must be 文 or 理'
        when not coalesce(heao.henan_county_ok(p_county), false) then
            'county code ' || coalesce(p_county, '""')
            || ' is not a Henan county'
        when p_ctype <> '普通'
             and not exists (select 1 from heao.batch
                              where p_ctype = any (candidate_types)) then
            'candidate type ' || p_ctype || ' is not one a batch admits'
    end
$$;

comment on function heao.roster_problem(text, text, text, text, text, text) is
    'null when a roster row can be a candidate (O4), else what is wrong,'
    ' for load-roster''s report';
