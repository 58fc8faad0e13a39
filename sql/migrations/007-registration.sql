-- 007: what the registration left that A7 needs: the 报名序号 and the
-- 注册密码 (hashed as A13 asks).

alter table heao.candidate
    add column reg_serial text unique
        check (reg_serial ~ '^[0-9A-Za-z]{6,20}$'),
    add column reg_pw_hash text
        check (reg_pw_hash like '$argon2id$%');

comment on column heao.candidate.reg_serial is
    '报名序号: the serial the candidate got at exam registration; with the'
    ' 注册密码 and the name it recovers a lost exam number (A7)';
comment on column heao.candidate.reg_pw_hash is
    '注册密码 chosen at registration, as an argon2id PHC string (A13);'
    ' null when the roster did not bring it';
