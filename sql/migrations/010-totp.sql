-- 010: the dynamic password (A3).

alter table heao.candidate
    add column totp_secret bytea
        check (octet_length(totp_secret) between 16 and 64),
    add column totp_bound_at timestamptz,
    add constraint candidate_totp_bound_together
        check ((totp_secret is null) = (totp_bound_at is null));

comment on column heao.candidate.totp_secret is
    '动态密码: the RFC 6238 (TOTP, HMAC-SHA1) key, made by the module at'
    ' binding; null when not bound (A3).  A login asks for a code when set';
comment on column heao.candidate.totp_bound_at is
    'when the dynamic password was bound (confirmed by its first code)';
