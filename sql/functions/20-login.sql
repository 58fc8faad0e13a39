-- accounts: what login needs (A1, A13, A14)

create or replace function heao.login_lookup(p_exam_no text)
    returns table (candidate_id bigint, id_no text, name text,
                   pw_hash text, must_change boolean)
    language sql
    stable
as $$
    select c.id, c.id_no, c.name, c.pw_hash, c.pw_office_set
      from heao.candidate c
     where c.exam_no = p_exam_no
$$;

comment on function heao.login_lookup(text) is
    'the candidate with this exam number: id, ID number, name, password'
    ' hash and whether the password must be changed first (A14); no row'
    ' when unknown';


-- a stronger hash of the same password after a login (rehash): the
-- password does not change, so neither does pw_office_set
create or replace function heao.set_password_hash(p_candidate bigint,
    p_hash text)
    returns boolean
    language sql
    volatile
as $$
    with changed as (
        update heao.candidate
           set pw_hash = p_hash
         where id = p_candidate
        returning 1
    )
    select count(*) = 1 from changed
$$;

comment on function heao.set_password_hash(bigint, text) is
    'stores a rehash of the current password; true when the candidate'
    ' exists';


-- what the rules need to know of a candidate (F9, F10), as one JSON text
-- that login keeps in the session, so that a check costs no round trip
create or replace function heao.candidate_profile(p_candidate bigint)
    returns text
    language sql
    stable
as $$
    select json_build_object('gender', c.gender,
                             'birth', to_char(c.birth, 'YYYY-MM-DD'),
                             'ethnicity', c.ethnicity,
                             'track', c.track,
                             'ctype', c.ctype,
                             'language', c.language,
                             'shixin', c.shixin,
                             'qualifications', c.qualifications)::text
      from heao.candidate c
     where c.id = p_candidate
$$;

comment on function heao.candidate_profile(bigint) is
    'JSON text {gender, birth, ethnicity, track, ctype, language, shixin,'
    ' qualifications} of a candidate, kept in the session at login;'
    ' null when unknown';
