-- accounts: the dynamic password (A3), the password change (A14), and
-- the notice of a change of either (A12)

-- A12: a change of what guards the account, told at once to each channel
-- bound after it, and to p_old_phone or p_old_openid, a phone or WeChat
-- account the change took away, whose owner would not hear of it
-- otherwise (heao-deliver sends to the "phone" or "openid" of the
-- payload when there is one).  p_change names the event, p_what says
-- what changed; a login (change "login") is told the same way, as kind
-- login; returns the number of rows
create or replace function heao.account_notice(p_candidate bigint,
    p_change text, p_what text, p_arrived double precision,
    p_client text, p_old_phone text, p_old_openid text)
    returns int
    language plpgsql
    volatile
as $$
declare
    arrived  timestamptz := coalesce(to_timestamp(p_arrived), now());
    title    text;
    advice   text;
    n        int;
begin
    title := case p_change
                 when 'login' then '帐号登录成功通知'
                 when 'password' then '登录密码修改通知'
                 when 'password_reset' then '登录密码重置通知'
                 when 'phone' then '手机号码变更通知'
                 when 'totp_bind' then '动态密码绑定通知'
                 when 'totp_unbind' then '动态密码解绑通知'
                 when 'wechat_bind' then '微信绑定通知'
                 when 'wechat_unbind' then '微信解绑通知'
                 when 'verify_info' then '密码验证信息修改通知'
             end;

    if title is null then
        raise exception 'heao.account_notice: unknown change %', p_change;
    end if;

    -- who took the password can change the rest: the advice begins with
    -- what still works without it
    advice := case p_change
                  when 'password'
                      then '如非本人操作，请立即通过“忘记密码”重置密码，'
                           || '并联系报名地招生考试机构。'
                  when 'login'
                      then '如非本人操作，请立即修改密码。'
                  when 'password_reset'
                      then '如非本人操作，请立即联系报名地招生考试机构。'
                  when 'totp_bind'
                      then '如非本人操作，请立即联系报名地招生考试机构'
                           || '解除动态密码。'
                  when 'wechat_bind'
                      then '如非本人操作，请立即修改密码并解除微信绑定。'
                  else '如非本人操作，请立即修改密码，'
                       || '并联系报名地招生考试机构。'
              end;

    insert into heao.outbox (candidate_id, channel, kind, payload)
    select c.id, ch.channel,
           case when p_change = 'login' then 'login' else 'account' end,
           jsonb_build_object('title', title,
                              'text', '您于'
                                  || to_char(arrived at time zone
                                             'Asia/Shanghai',
                                             'MM"月"DD"日"HH24:MI')
                                  || coalesce('从IP地址' || p_client, '')
                                  || p_what || '。' || advice,
                              'remark', advice,
                              'change', p_change,
                              'name', c.name,
                              'time', heao.epoch(arrived),
                              'client', p_client)
           || ch.dest
      from heao.candidate c
     cross join lateral (
           select 'wechat' as channel, '{}'::jsonb as dest
            where c.wechat_openid is not null
           union all
           select 'sms', '{}' where c.phone is not null
           union all
           select 'sms', jsonb_build_object('phone', p_old_phone)
            where p_old_phone is distinct from c.phone
              and p_old_phone is not null
           union all
           select 'wechat', jsonb_build_object('openid', p_old_openid)
            where p_old_openid is distinct from c.wechat_openid
              and p_old_openid is not null) ch
     where c.id = p_candidate;

    get diagnostics n = row_count;

    if n > 0 then
        perform pg_notify('heao_outbox', '');
    end if;

    return n;
end;
$$;

comment on function heao.account_notice(bigint, text, text,
    double precision, text, text, text) is
    'A12: queues the notice (outbox kind account, or login) of a change'
    ' p_change (login, password, password_reset, phone, totp_bind,'
    ' totp_unbind, wechat_bind, wechat_unbind, verify_info) to the'
    ' channels bound and'
    ' to a phone or WeChat openid the change took away; returns the'
    ' number of rows';


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
    p_secret text, p_arrived double precision, p_client text)
    returns boolean
    language plpgsql
    volatile
as $$
begin
    update heao.candidate
       set totp_secret = decode(p_secret, 'hex'),
           totp_bound_at = now()
     where id = p_candidate
       and totp_secret is null;

    if not found then
        return false;
    end if;

    perform heao.account_notice(p_candidate, 'totp_bind', '绑定了动态密码',
                                p_arrived, p_client, null, null);

    return true;
end;
$$;

comment on function heao.totp_bind(bigint, text, double precision, text) is
    'A3: binds the dynamic password key (hex), with its notice (A12);'
    ' false when one is bound already';


create or replace function heao.totp_unbind(p_candidate bigint,
    p_arrived double precision, p_client text)
    returns boolean
    language plpgsql
    volatile
as $$
begin
    update heao.candidate
       set totp_secret = null,
           totp_bound_at = null
     where id = p_candidate
       and totp_secret is not null;

    if not found then
        return false;
    end if;

    perform heao.account_notice(p_candidate, 'totp_unbind',
                                '解除了动态密码绑定', p_arrived, p_client,
                                null, null);

    return true;
end;
$$;

comment on function heao.totp_unbind(bigint, double precision, text) is
    'A3: removes the dynamic password, with its notice (A12); false when'
    ' none was bound';


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

    perform heao.account_notice(p_candidate, 'password', '修改了登录密码',
                                p_arrived, p_client, null, null);

    return true;
end;
$$;

comment on function heao.change_password(bigint, text, double precision,
    text) is
    'A14: stores the hash of a password the candidate chose and clears'
    ' pw_office_set, with its notice (A12); true when the candidate'
    ' exists';
