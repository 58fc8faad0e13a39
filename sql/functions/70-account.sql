-- accounts: the dynamic password (A3) and the password change (A14)

create or replace function heao.account_lookup(p_exam_no text)
    returns table (candidate_id bigint, id_no text, name text,
                   pw_hash text, must_change boolean, totp_secret text)
    language sql
    stable
as $$
    select c.id, c.id_no, c.name, c.pw_hash, c.pw_office_set,
           encode(c.totp_secret, 'hex')
      from heao.candidate c
     where c.exam_no = p_exam_no
$$;

comment on function heao.account_lookup(text) is
    'what a login needs of the candidate with this exam number: id, ID'
    ' number, name, password hash, whether the password must be changed'
    ' first (A14), the dynamic password key in hex or null (A3); no row'
    ' when unknown';


create or replace function heao.totp_secret(p_candidate bigint)
    returns text
    language sql
    stable
as $$
    select encode(c.totp_secret, 'hex')
      from heao.candidate c
     where c.id = p_candidate
$$;

comment on function heao.totp_secret(bigint) is
    'the dynamic password key of the candidate in hex, null when not bound';


-- binds only when nothing is bound: a second binding first unbinds
create or replace function heao.totp_bind(p_candidate bigint,
    p_secret text)
    returns boolean
    language sql
    volatile
as $$
    with bound as (
        update heao.candidate
           set totp_secret = decode(p_secret, 'hex'),
               totp_bound_at = now()
         where id = p_candidate
           and totp_secret is null
        returning 1
    )
    select count(*) = 1 from bound
$$;

comment on function heao.totp_bind(bigint, text) is
    'A3: binds the dynamic password key (hex); false when one is bound'
    ' already';


create or replace function heao.totp_unbind(p_candidate bigint)
    returns boolean
    language sql
    volatile
as $$
    with unbound as (
        update heao.candidate
           set totp_secret = null,
               totp_bound_at = null
         where id = p_candidate
           and totp_secret is not null
        returning 1
    )
    select count(*) = 1 from unbound
$$;

comment on function heao.totp_unbind(bigint) is
    'A3: removes the dynamic password; false when none was bound';


create or replace function heao.password_hash(p_candidate bigint)
    returns text
    language sql
    stable
as $$
    select c.pw_hash from heao.candidate c where c.id = p_candidate
$$;

comment on function heao.password_hash(bigint) is
    'the login password hash of the candidate, to check the current'
    ' password before a change';


-- a password the candidate chose: it is no longer office-set (A14)
create or replace function heao.change_password(p_candidate bigint,
    p_hash text)
    returns boolean
    language sql
    volatile
as $$
    with changed as (
        update heao.candidate
           set pw_hash = p_hash,
               pw_office_set = false
         where id = p_candidate
        returning 1
    )
    select count(*) = 1 from changed
$$;

comment on function heao.change_password(bigint, text) is
    'A14: stores the hash of a password the candidate chose and clears'
    ' pw_office_set; true when the candidate exists';
