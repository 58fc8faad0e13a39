-- accounts: verification codes, password reset, phone, 密码验证信息,
-- login notices (A8, A9, A10, A12, V3)

-- 138****0001: what a page may show of a phone number
create or replace function heao.mask_phone(p_phone text)
    returns text
    language sql
    immutable strict parallel safe
as $$
    select substr(p_phone, 1, 3) || '****' || substr(p_phone, 8)
$$;

comment on function heao.mask_phone(text) is
    'a phone number with digits 4-7 hidden, as pages show it';


-- the proof a candidate gives for a reset (A8) or an abandon (V3), in the
-- order of A8: the dynamic password, else a code by WeChat or SMS, else
-- the 密码验证信息, else none (only a county office can help)
create or replace function heao.proof_of(p_candidate bigint)
    returns table (proof text, totp_secret text, verify_hash text,
                   sent_to text)
    language sql
    stable
as $$
    select case
               when c.totp_secret is not null then 'totp'
               when c.wechat_openid is not null then 'wechat'
               when c.phone is not null then 'sms'
               when c.verify_hash is not null then 'verify_info'
               else 'none'
           end,
           encode(c.totp_secret, 'hex'),
           c.verify_hash,
           case
               when c.totp_secret is not null then null
               when c.wechat_openid is not null then '微信'
               else heao.mask_phone(c.phone)
           end
      from heao.candidate c
     where c.id = p_candidate
$$;

comment on function heao.proof_of(bigint) is
    'A8, V3: the proof asked of the candidate (totp, wechat, sms,'
    ' verify_info or none), the TOTP key in hex, the 密码验证信息 hash,'
    ' and where a code goes as a page may show it';


-- V3: what an abandon that arrived at p_arrived meets before its proof is
-- checked, so that a one-use proof is spent only when the abandon can
-- happen: the state (not_found, abandoned, not_open, closed in the order
-- abandon_group judges them; null when it can) and the proof of
-- heao.proof_of.  Reads only: abandon_group judges again under its lock.
create or replace function heao.abandon_check(p_candidate bigint,
    p_batch text, p_arrived double precision)
    returns table (status text, proof text, totp_secret text,
                   verify_hash text, sent_to text)
    language sql
    stable
as $$
    select case
               when b.code is null then 'not_found'
               when st.abandoned_at is not null then 'abandoned'
               when a.at < b.opens_at then 'not_open'
               when a.at >= b.closes_at then 'closed'
           end,
           p.proof, p.totp_secret, p.verify_hash, p.sent_to
      from heao.proof_of(p_candidate) p
     cross join (select coalesce(to_timestamp(p_arrived), now()) as at) a
      left join heao.batch b on b.code = p_batch
      left join heao.group_state st
             on st.candidate_id = p_candidate
            and st.group_code = b.group_code
$$;

comment on function heao.abandon_check(bigint, text, double precision) is
    'V3: the state an abandon arriving at p_arrived meets (not_found,'
    ' abandoned, not_open, closed, null when it can happen) and the proof'
    ' it asks for, as heao.proof_of; no row for an unknown candidate';


-- A8: the candidate of a reset, when exam number, ID number and name
-- agree; no row otherwise (the answer does not say which field differs)
create or replace function heao.recover_lookup(p_exam_no text,
    p_id_no text, p_name text)
    returns table (candidate_id bigint, proof text, sent_to text)
    language sql
    stable
as $$
    select c.id, p.proof, p.sent_to
      from heao.candidate c
     cross join lateral heao.proof_of(c.id) p
     where c.exam_no = p_exam_no
       and c.id_no = p_id_no
       and c.name = p_name
$$;

comment on function heao.recover_lookup(text, text, text) is
    'A8: candidate id, proof and masked address when exam number, ID'
    ' number and name belong to one candidate';


-- a verification code to deliver: one outbox row on the channel of A8's
-- order (WeChat when bound, else the phone on file), or to p_phone, a
-- number being added (A9); the code has to be in the row to be sent, and
-- the sender removes it once sent or expired (README, "Codes")
create or replace function heao.code_notice(p_candidate bigint,
    p_purpose text, p_code text, p_phone text)
    returns text
    language plpgsql
    volatile
as $$
declare
    c         heao.candidate;
    channel   text;
    what      text;
begin
    select * into c from heao.candidate where id = p_candidate;
    if not found then
        return null;
    end if;

    what := case p_purpose
                when 'reset' then '重置密码'
                when 'abandon' then '放弃志愿'
                when 'phone_old' then '更改手机号码'
                when 'phone_new' then '绑定手机号码'
                else '身份验证'
            end;

    if p_phone is not null then
        channel := 'sms';
    elsif p_purpose <> 'phone_old' and c.wechat_openid is not null then
        channel := 'wechat';
    elsif c.phone is not null then
        channel := 'sms';
    else
        return null;
    end if;

    insert into heao.outbox (candidate_id, channel, kind, payload)
    values (p_candidate, channel, 'code',
            jsonb_build_object('title', '验证码',
                               'purpose', p_purpose,
                               'code', p_code,
                               'phone', p_phone,
                               'text', '您正在' || what || '，验证码'
                                   || p_code || '，5分钟内有效。'
                                   || '请勿告诉他人。',
                               'time', heao.epoch(now())));

    perform pg_notify('heao_outbox', '');

    return channel;
end;
$$;

comment on function heao.code_notice(bigint, text, text, text) is
    'A8, A9, V3: queues a verification code (outbox kind code) to WeChat,'
    ' the phone on file, or p_phone when given; returns the channel, null'
    ' when the candidate has none';


-- A8: the new password of a reset is the candidate's own (not office-set)
create or replace function heao.reset_password(p_candidate bigint,
    p_hash text, p_arrived double precision, p_client text)
    returns boolean
    language plpgsql
    volatile
as $$
begin
    update heao.candidate
       set pw_hash = p_hash,
           pw_office_set = false
     where id = p_candidate;

    if not found then
        return false;
    end if;

    insert into heao.mailbox (candidate_id, kind, title, body)
    values (p_candidate, 'password', '密码已重置',
            '您于' || heao.beijing_text(now()) || '（北京时间）'
            || coalesce('从IP地址' || p_client, '')
            || '重置了登录密码。如非本人操作，'
            || '请立即联系报名地招生考试机构。');

    perform heao.account_notice(p_candidate, 'password_reset',
                                '通过“忘记密码”重置了登录密码',
                                p_arrived, p_client, null, null);

    return true;
end;
$$;

comment on function heao.reset_password(bigint, text, double precision,
    text) is
    'A8: stores the new password hash of a reset, not office-set, with a'
    ' mailbox message and the notice (A12); false when the candidate does'
    ' not exist';


-- A9: the phone on file, and the one it replaces, for the codes
create or replace function heao.phone_of(p_candidate bigint)
    returns text
    language sql
    stable
as $$
    select c.phone from heao.candidate c where c.id = p_candidate
$$;

comment on function heao.phone_of(bigint) is
    'A9: the candidate''s phone number, null when none';


-- the notice goes to the number replaced too: a classmate who changed
-- it would otherwise be the only one to hear of it
create or replace function heao.set_phone(p_candidate bigint,
    p_phone text, p_arrived double precision, p_client text)
    returns boolean
    language plpgsql
    volatile
as $$
declare
    old  text;
begin
    select c.phone into old
      from heao.candidate c
     where c.id = p_candidate
       for update;

    if not found then
        return false;
    end if;

    update heao.candidate
       set phone = p_phone
     where id = p_candidate;

    perform heao.account_notice(p_candidate, 'phone',
                                case when old is null
                                     then '登记了手机号码'
                                          || heao.mask_phone(p_phone)
                                     else '将手机号码由'
                                          || heao.mask_phone(old) || '更改为'
                                          || heao.mask_phone(p_phone)
                                end,
                                p_arrived, p_client, old, null);

    return true;
end;
$$;

comment on function heao.set_phone(bigint, text, double precision, text) is
    'A9: stores a phone number proven by its codes, with the notice'
    ' (A12) to the new number and to the one it replaces';


-- A10: the 密码验证信息 with what its check needs
create or replace function heao.verify_info_check(p_candidate bigint)
    returns table (pw_hash text, name text)
    language sql
    stable
as $$
    select c.pw_hash, c.name from heao.candidate c where c.id = p_candidate
$$;

comment on function heao.verify_info_check(bigint) is
    'A10: the password hash to check before a change, and the name the'
    ' 密码验证信息 must differ from';


create or replace function heao.set_verify_info(p_candidate bigint,
    p_hash text, p_arrived double precision, p_client text)
    returns boolean
    language plpgsql
    volatile
as $$
begin
    update heao.candidate
       set verify_hash = p_hash
     where id = p_candidate;

    if not found then
        return false;
    end if;

    perform heao.account_notice(p_candidate, 'verify_info',
                                '修改了密码验证信息', p_arrived, p_client,
                                null, null);

    return true;
end;
$$;

comment on function heao.set_verify_info(bigint, text, double precision,
    text) is
    'A10: stores the hash of a new 密码验证信息, with its notice (A12)';


-- A12: a login notice on each bound channel
create or replace function heao.login_notice(p_candidate bigint,
    p_arrived double precision, p_client text)
    returns int
    language sql
    volatile
as $$
    select heao.account_notice(p_candidate, 'login', '登录了考生服务平台',
                               p_arrived, p_client, null, null)
$$;

comment on function heao.login_notice(bigint, double precision, text) is
    'A12: queues the login notice to WeChat and SMS as bound; returns the'
    ' number of rows';


-- A7: the exam number of a registration serial and a name, with the hash
-- of the registration password to check; no row when they do not agree
create or replace function heao.exam_no_lookup(p_serial text, p_name text)
    returns table (exam_no text, reg_pw_hash text)
    language sql
    stable
as $$
    select c.exam_no, c.reg_pw_hash
      from heao.candidate c
     where c.reg_serial = p_serial
       and c.name = p_name
       and c.reg_pw_hash is not null
$$;

comment on function heao.exam_no_lookup(text, text) is
    'A7: exam number and registration password hash of the candidate with'
    ' this 报名序号 and name';


-- A11: whether notices go to WeChat
create or replace function heao.wechat_bound(p_candidate bigint)
    returns boolean
    language sql
    stable
as $$
    select c.wechat_openid is not null
      from heao.candidate c
     where c.id = p_candidate
$$;

comment on function heao.wechat_bound(bigint) is
    'A11: true when the candidate bound WeChat';


-- A11: the openid the official account's server vouched for, or null to
-- unbind; a binding is told in the mailbox, and on the channels (A12):
-- to the WeChat account bound, or the one unbound or replaced, too
create or replace function heao.wechat_bind(p_candidate bigint,
    p_openid text, p_arrived double precision, p_client text)
    returns boolean
    language plpgsql
    volatile
as $$
declare
    old  text;
begin
    select c.wechat_openid into old
      from heao.candidate c
     where c.id = p_candidate
       for update;

    if not found then
        return false;
    end if;

    update heao.candidate
       set wechat_openid = p_openid
     where id = p_candidate;

    insert into heao.mailbox (candidate_id, kind, title, body)
    values (p_candidate, 'wechat',
            case when p_openid is null then '已解除微信绑定'
                 else '已绑定微信' end,
            '您于' || heao.beijing_text(now()) || '（北京时间）'
            || case when p_openid is null
                    then '解除了微信绑定，'
                         || '通知将不再发送到微信。'
                    else '绑定了微信，登录、保存和'
                         || '放弃志愿的通知将同时发送到微信。'
               end);

    if p_openid is not null then
        perform heao.account_notice(p_candidate, 'wechat_bind',
                                    case when old is null
                                         then '绑定了微信'
                                         else '更换了绑定的微信'
                                    end,
                                    p_arrived, p_client, null, old);

    elsif old is not null then
        perform heao.account_notice(p_candidate, 'wechat_unbind',
                                    '解除了微信绑定', p_arrived, p_client,
                                    null, old);
    end if;

    return true;
end;
$$;

comment on function heao.wechat_bind(bigint, text, double precision,
    text) is
    'A11: binds (or, with null, unbinds) the WeChat openid, with a mailbox'
    ' message and the notice (A12) to the channels and to the openid'
    ' unbound or replaced; false when the candidate does not exist';
