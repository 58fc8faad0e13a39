-- 001: the schema and the candidate roster (rules A1, A13, A14, F10, §2).

create schema if not exists heao;

comment on schema heao is
    'heao: the Henan online application portal (candidates, catalog, saves)';

-- GB 11643 check character of the first 17 digits of a resident ID:
-- ISO 7064 MOD 11-2, weights 2^(17-i) mod 11, result mapped through
-- "10X98765432"; null when the input is not 17 digits
create function heao.id_check_char(p_id17 text)
    returns text
    language plpgsql
    immutable strict
as $$
declare
    weights  int[] := '{7,9,10,5,8,4,2,1,6,3,7,9,10,5,8,4,2}';
    total    int := 0;
begin
    if p_id17 !~ '^[0-9]{17}$' then
        return null;
    end if;

    for i in 1 .. 17 loop
        total := total + substr(p_id17, i, 1)::int * weights[i];
    end loop;

    return substr('10X98765432', total % 11 + 1, 1);
end;
$$;

comment on function heao.id_check_char(text) is
    'GB 11643 (ISO 7064 MOD 11-2) check character of 17 ID digits';


-- the birth date embedded in an 18-character ID number, or null when the
-- digits 7-14 are not a real date
create function heao.id_birth(p_id_no text)
    returns date
    language plpgsql
    immutable strict
as $$
begin
    if p_id_no !~ '^[0-9]{17}[0-9X]$' then
        return null;
    end if;

    return make_date(substr(p_id_no, 7, 4)::int,
                     substr(p_id_no, 11, 2)::int,
                     substr(p_id_no, 13, 2)::int);
exception
    when datetime_field_overflow or invalid_datetime_format then
        return null;
end;
$$;

comment on function heao.id_birth(text) is
    'birth date embedded in an ID number; null when it is not a real date';


-- a well-formed ID number as stored: 17 digits, an upper-case check
-- character that matches them, a real birth date
create function heao.id_no_ok(p_id_no text)
    returns boolean
    language sql
    immutable strict
as $$
    select p_id_no ~ '^[0-9]{17}[0-9X]$'
       and heao.id_check_char(substr(p_id_no, 1, 17)) = substr(p_id_no, 18, 1)
       and heao.id_birth(p_id_no) is not null
$$;

comment on function heao.id_no_ok(text) is
    'true for an 18-character GB 11643 ID number with a right check character'
    ' and a real birth date (the X stored upper case)';


create table heao.candidate (
    id              bigserial primary key,
    exam_no         text not null unique
                    check (exam_no ~ '^[0-9]{2}41[0-9]{10}$'),
    id_no           text not null unique
                    check (heao.id_no_ok(id_no)),
    name            text not null
                    check (name ~ ('^[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff'
                                   '\U00020000-\U0003134f]+'
                                   '(\u00b7[\u3400-\u4dbf\u4e00-\u9fff'
                                   '\uf900-\ufaff\U00020000-\U0003134f]+)*$')
                           and char_length(replace(name, '·', ''))
                               between 2 and 20),
    gender          text not null check (gender in ('M', 'F')),
    birth           date not null,
    ethnicity       text not null default '汉族'
                    check (ethnicity ~ '^[\u4e00-\u9fff]+族$'),
    track           text not null check (track in ('文', '理')),
    county_code     text not null check (county_code ~ '^[0-9]{6}$'),
    ctype           text not null default '普通',
    pw_hash         text not null check (pw_hash like '$argon2id$%'),
    pw_office_set   boolean not null default true,
    verify_hash     text check (verify_hash like '$argon2id$%'),
    phone           text check (phone ~ '^1[3-9][0-9]{9}$'),
    wechat_openid   text check (wechat_openid ~ '^[A-Za-z0-9_-]{6,64}$'),
    shixin          boolean not null default false,
    qualifications  text[] not null default '{}',
    created_at      timestamptz not null default now(),

    constraint candidate_birth_matches_id
        check (birth = heao.id_birth(id_no)),
    constraint candidate_gender_matches_id
        check ((substr(id_no, 17, 1)::int % 2 = 1) = (gender = 'M'))
);

comment on table heao.candidate is
    'the roster: one row per candidate of the year, loaded by the office';
comment on column heao.candidate.exam_no is
    '考生号: 14 digits, year (2) + province 41 + city (2) + county (2)'
    ' + serial (6)';
comment on column heao.candidate.id_no is
    '证件号码: GB 11643 resident ID, check character X upper case';
comment on column heao.candidate.name is
    '2 to 20 CJK characters, · allowed between parts of minority names';
comment on column heao.candidate.gender is
    'M or F; agrees with the parity of the 17th ID digit (odd = M)';
comment on column heao.candidate.birth is
    'birth date; agrees with ID digits 7-14';
comment on column heao.candidate.track is
    '科类: 文 (humanities) or 理 (sciences), checked by track restrictions (B5)';
comment on column heao.candidate.county_code is
    '6-digit division code of the county exam office the candidate'
    ' registered at (prints and exports go per county)';
comment on column heao.candidate.ctype is
    'candidate type (考生类别) matched against batch.candidate_types;'
    ' 普通 for ordinary candidates';
comment on column heao.candidate.pw_hash is
    'login password as a libsodium argon2id PHC string (A13); the module'
    ' rehashes at its configured cost when crypto_pwhash_str_needs_rehash'
    ' says so';
comment on column heao.candidate.pw_office_set is
    'the password was set by an office (initial or a county reset): it must'
    ' be changed at the next login before anything else (A14)';
comment on column heao.candidate.verify_hash is
    '密码验证信息 as an argon2id PHC string, null when never set (A8, A10)';
comment on column heao.candidate.phone is
    'verified mobile number for SMS codes and notices, null when none (A9)';
comment on column heao.candidate.wechat_openid is
    'WeChat official-account openid once bound (A11), null when not bound;'
    ' notices go to WeChat when set';
comment on column heao.candidate.shixin is
    '失信: broke a previous year''s commitment; at most 2 institutions in a'
    ' parallel batch (F10)';
comment on column heao.candidate.qualifications is
    'special-plan qualifications held, e.g. 国家专项, 地方专项, 高校专项 (B5)';

create index candidate_county_idx on heao.candidate (county_code);
