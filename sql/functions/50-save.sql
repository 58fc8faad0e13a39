-- saving an application (F11, F12, F12a, F14, F16, A12)

-- a client address as inet, null when nginx gave something else (a unix
-- socket peer is "unix:"): a save never fails over its address
create or replace function heao.inet_or_null(p_addr text)
    returns inet
    language plpgsql
    immutable parallel safe
as $$
begin
    return p_addr::inet;
exception
    when invalid_text_representation then
        return null;
end;
$$;

comment on function heao.inet_or_null(text) is
    'text to inet, null when it is not an address';


-- One call is one statement and so one transaction: lock the group's row,
-- answer a retried save_id with its first answer, judge the window and the
-- counters by the arrival time, then record the save, move the counters,
-- and write the mailbox message and the notices, all or nothing.
create or replace function heao.save_application(p_candidate bigint,
    p_batch text, p_save_id uuid, p_content jsonb, p_summary text,
    p_checksum text, p_arrived double precision, p_client text,
    p_device text)
    returns json
    language plpgsql
    volatile
as $$
declare
    arrived    timestamptz := coalesce(to_timestamp(p_arrived), now());
    b          heao.batch;
    g          heao.batch_group;
    st         heao.group_state;
    sh         heao.save_history;
    reason     text;
    left_n     int;
    msg_title  text;
    sms_text   text;
begin
    select * into b from heao.batch where code = p_batch;
    if not found then
        return json_build_object('status', 'not_found', 'duplicate', false);
    end if;

    select * into g from heao.batch_group where code = b.group_code;

    -- every save of the group queues on this row, so the checks below
    -- see the outcome of any save that raced this one; a row this
    -- transaction inserted is its own until the commit and needs no lock
    -- (a lock record costs WAL, make bench)
    insert into heao.group_state (candidate_id, group_code, batch_code)
    values (p_candidate, g.code, b.code)
    on conflict (candidate_id, group_code) do nothing
    returning * into st;

    if not found then
        select * into st
          from heao.group_state
         where candidate_id = p_candidate and group_code = g.code
           for update;
    end if;

    -- a retry of a save already made: its first answer, no save used
    select * into sh from heao.save_history where save_id = p_save_id;
    if found then
        if sh.candidate_id <> p_candidate then
            return json_build_object('status', 'bad_save_id',
                                     'duplicate', false);
        end if;

        return json_build_object(
            'status', 'saved',
            'save_no', sh.save_no,
            'saves_used', sh.save_no,
            'saves_left', greatest(g.max_saves - sh.save_no, 0),
            'saved_at', heao.epoch(sh.saved_at),
            'next_change_at',
                case when sh.save_no < g.max_saves
                          and sh.arrived_at + g.change_interval < b.closes_at
                     then heao.epoch(sh.arrived_at + g.change_interval) end,
            'closes_at', heao.epoch(b.closes_at),
            'checksum', sh.checksum,
            'duplicate', true);
    end if;

    reason := heao.change_reason(arrived, b, g, st);
    if reason is not null then
        return json_build_object(
            'status', reason,
            'save_no', null,
            'saves_used', st.saves_used,
            'saves_left', greatest(g.max_saves - st.saves_used, 0),
            'saved_at', null,
            'next_change_at', heao.epoch(heao.next_change_at(g, st, b)),
            'closes_at', heao.epoch(b.closes_at),
            'checksum', null,
            'duplicate', false);
    end if;

    insert into heao.save_history (save_id, candidate_id, group_code,
                                   batch_code, save_no, arrived_at, client,
                                   device, content, summary, checksum)
    values (p_save_id, p_candidate, g.code, b.code, st.saves_used + 1,
            arrived, heao.inet_or_null(p_client), left(p_device, 512),
            p_content, p_summary, p_checksum)
    on conflict (save_id) do nothing
    returning * into sh;

    -- another candidate's save with this save_id committed meanwhile (R1)
    if not found then
        return json_build_object('status', 'bad_save_id',
                                 'duplicate', false);
    end if;

    update heao.group_state
       set batch_code = b.code,
           saves_used = sh.save_no,
           last_save_at = arrived,
           current_save = sh.id
     where candidate_id = p_candidate and group_code = g.code
    returning * into st;

    left_n := greatest(g.max_saves - st.saves_used, 0);
    msg_title := heao.zhiyuan_of(b.name) || '第' || sh.save_no || '次保存';

    insert into heao.mailbox (candidate_id, kind, title, body)
    values (p_candidate, 'save', msg_title,
            '您于' || heao.beijing_text(sh.saved_at) || '（北京时间）'
            || coalesce('从IP地址' || p_client, '')
            || '保存了' || heao.zhiyuan_of(b.name) || '，这是第' || sh.save_no
            || '次保存，'
            || case when left_n > 0 then '还可修改' || left_n || '次。'
                    else '已不能再修改。' end
            || '志愿校验值：' || sh.checksum || '。'
            || coalesce('志愿内容：' || p_summary, ''));

    sms_text := '您于' || to_char(sh.saved_at at time zone 'Asia/Shanghai',
                                   'MM"月"DD"日"HH24:MI')
                || coalesce('从IP地址' || p_client, '')
                || '保存了' || heao.zhiyuan_of(b.name) || '（第' || sh.save_no
                || '次），校验值' || sh.checksum
                || '。如非本人操作，请立即联系报名地招生考试机构。';

    -- one notice per bound channel; the sender looks the address up
    insert into heao.outbox (candidate_id, channel, kind, payload)
    select c.id, ch.channel, 'save',
           jsonb_build_object('title', msg_title,
                              'text', sms_text,
                              'time', heao.epoch(sh.saved_at),
                              'client', p_client,
                              'batch', b.code,
                              'batch_name', b.name,
                              'save_no', sh.save_no,
                              'saves_left', left_n,
                              'checksum', sh.checksum,
                              'summary', p_summary)
      from heao.candidate c
     cross join lateral (
           select 'wechat' as channel where c.wechat_openid is not null
           union all
           select 'sms' where c.phone is not null) ch
     where c.id = p_candidate;

    if found then
        perform pg_notify('heao_outbox', '');
    end if;

    return json_build_object(
        'status', 'saved',
        'save_no', sh.save_no,
        'saves_used', st.saves_used,
        'saves_left', left_n,
        'saved_at', heao.epoch(sh.saved_at),
        'next_change_at', heao.epoch(heao.next_change_at(g, st, b)),
        'closes_at', heao.epoch(b.closes_at),
        'checksum', sh.checksum,
        'duplicate', false);
end;
$$;

comment on function heao.save_application(bigint, text, uuid, jsonb, text,
    text, double precision, text, text) is
    'saves an application atomically; JSON {status: saved | too_soon |'
    ' final |'
    ' no_saves_left | abandoned | closed | not_open | not_found |'
    ' bad_save_id, save_no, saves_used, saves_left, saved_at,'
    ' next_change_at, closes_at, checksum, duplicate}; p_arrived is when'
    ' the request reached nginx (epoch seconds) and judges the window';
