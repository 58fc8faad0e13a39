-- after saving: the save history (V4), the mailbox (I1), abandoning a
-- group (V3)

create or replace function heao.save_history_of(p_candidate bigint)
    returns json
    language sql
    stable
as $$
    select json_build_object('saves', coalesce(json_agg(json_build_object(
        'group', sh.group_code,
        'batch', sh.batch_code,
        'batch_name', b.name,
        'save_no', sh.save_no,
        'saved_at', heao.epoch(sh.saved_at),
        'arrived_at', heao.epoch(sh.arrived_at),
        'client', host(sh.client),
        'device', sh.device,
        'summary', sh.summary,
        'checksum', sh.checksum)
        order by sh.id desc), '[]'::json))
      from heao.save_history sh
      join heao.batch b on b.code = sh.batch_code
     where sh.candidate_id = p_candidate
$$;

comment on function heao.save_history_of(bigint) is
    'JSON of GET /api/history: every save of the candidate, newest first';


create or replace function heao.mailbox_of(p_candidate bigint)
    returns json
    language sql
    stable
as $$
    select json_build_object(
        'unread', count(*) filter (where m.read_at is null),
        'messages', coalesce(json_agg(json_build_object(
            'id', m.id,
            'kind', m.kind,
            'title', m.title,
            'body', m.body,
            'created_at', heao.epoch(m.created_at),
            'read', m.read_at is not null)
            order by m.created_at desc, m.id desc), '[]'::json))
      from heao.mailbox m
     where m.candidate_id = p_candidate
$$;

comment on function heao.mailbox_of(bigint) is
    'JSON of GET /api/mailbox: the unread count and every message, newest'
    ' first';


-- null when the message is not the candidate's (R5: the same answer as
-- for no message at all)
create or replace function heao.mailbox_read(p_candidate bigint,
    p_id bigint)
    returns json
    language sql
    volatile
as $$
    with marked as (
        update heao.mailbox
           set read_at = coalesce(read_at, now())
         where id = p_id and candidate_id = p_candidate
        returning id
    )
    select json_build_object('id', m.id,
               'unread', (select count(*) from heao.mailbox u
                           where u.candidate_id = p_candidate
                             and u.read_at is null
                             and u.id <> m.id))
      from marked m
$$;

comment on function heao.mailbox_read(bigint, bigint) is
    'I1: marks one message of the candidate read; JSON {id, unread}, null'
    ' when the candidate has no such message';


-- V3 in one transaction: the group's row locked as a save locks it, the
-- window judged by the arrival time, the application voided (the saves
-- stay in heao.save_history), a mailbox message and the notices; by the
-- candidate, or by the county office on their behalf (p_office, O4),
-- whose message and notices say so, with the office's reason p_reason
create or replace function heao.abandon_group_by(p_candidate bigint,
    p_batch text, p_arrived double precision, p_client text,
    p_office boolean, p_reason text)
    returns json
    language plpgsql
    volatile
as $$
declare
    arrived   timestamptz := coalesce(to_timestamp(p_arrived), now());
    b         heao.batch;
    g         heao.batch_group;
    st        heao.group_state;
    batches   json;
    names     text;
    title     text;
    body      text;
    notice    text;
begin
    select * into b from heao.batch where code = p_batch;
    if not found then
        return json_build_object('status', 'not_found');
    end if;

    select * into g from heao.batch_group where code = b.group_code;

    insert into heao.group_state (candidate_id, group_code, batch_code)
    values (p_candidate, g.code, b.code)
    on conflict (candidate_id, group_code) do nothing;

    select * into st
      from heao.group_state
     where candidate_id = p_candidate and group_code = g.code
       for update;

    select json_agg(json_build_object('batch', x.code, 'name', x.name)
                    order by x.sort, x.code),
           string_agg(x.name, '、' order by x.sort, x.code)
      into batches, names
      from heao.batch x
     where x.group_code = g.code;

    if st.abandoned_at is not null then
        return json_build_object('status', 'abandoned',
                                 'abandoned_at', heao.epoch(st.abandoned_at),
                                 'group', g.code, 'batches', batches);
    end if;

    if arrived < b.opens_at then
        return json_build_object('status', 'not_open', 'group', g.code);
    end if;

    if arrived >= b.closes_at then
        return json_build_object('status', 'closed', 'group', g.code);
    end if;

    update heao.group_state
       set abandoned_at = arrived
     where candidate_id = p_candidate and group_code = g.code
    returning * into st;

    if p_office then
        title := '招生办代您放弃' || heao.zhiyuan_of(names);
        body := '报名所在地招生办于' || heao.beijing_text(arrived)
                || '（北京时间）代您放弃了' || heao.zhiyuan_of(names)
                || coalesce('，原因：' || nullif(p_reason, ''), '')
                || '。已保存的志愿作废，本批次不能再填报。'
                || '如有疑问，请联系报名所在地招生办。';
        notice := '报名所在地招生办于'
                  || to_char(arrived at time zone 'Asia/Shanghai',
                             'MM"月"DD"日"HH24:MI')
                  || '代您放弃了' || heao.zhiyuan_of(names)
                  || coalesce('，原因：' || nullif(p_reason, ''), '')
                  || '。如有疑问，请联系报名所在地招生办。';
    else
        title := '放弃' || heao.zhiyuan_of(names);
        body := '您于' || heao.beijing_text(arrived) || '（北京时间）'
                || coalesce('从IP地址' || p_client, '')
                || '放弃了' || heao.zhiyuan_of(names) || '，已保存的志愿作废，'
                || '本批次不能再填报。';
        notice := '您于'
                  || to_char(arrived at time zone 'Asia/Shanghai',
                             'MM"月"DD"日"HH24:MI')
                  || coalesce('从IP地址' || p_client, '')
                  || '放弃了' || heao.zhiyuan_of(names) || '。'
                  || '如非本人操作，请立即联系报名地招生考试机构。';
    end if;

    insert into heao.mailbox (candidate_id, kind, title, body)
    values (p_candidate, 'abandon', title, body);

    insert into heao.outbox (candidate_id, channel, kind, payload)
    select c.id, ch.channel, 'abandon',
           jsonb_build_object('title', title,
                              'text', notice,
                              'time', heao.epoch(arrived),
                              'client', p_client,
                              'batch', b.code,
                              'group', g.code,
                              'remark',
                              case when p_office
                                   then '如有疑问，请联系报名所在地招生办。'
                              end)
      from heao.candidate c
     cross join lateral (
           select 'wechat' as channel where c.wechat_openid is not null
           union all
           select 'sms' where c.phone is not null) ch
     where c.id = p_candidate;

    if found then
        perform pg_notify('heao_outbox', '');
    end if;

    return json_build_object('status', 'done',
                             'abandoned_at', heao.epoch(arrived),
                             'group', g.code, 'batches', batches);
end;
$$;

comment on function heao.abandon_group_by(bigint, text,
    double precision, text, boolean, text) is
    'V3: abandons the group of p_batch, by the candidate or (p_office) by'
    ' the county office with its reason p_reason; JSON {status: done |'
    ' abandoned (before) | not_open | closed | not_found, abandoned_at,'
    ' group, batches [{batch, name}]}';


create or replace function heao.abandon_group(p_candidate bigint,
    p_batch text, p_arrived double precision, p_client text)
    returns json
    language sql
    volatile
as $$
    select heao.abandon_group_by(p_candidate, p_batch, p_arrived, p_client,
                                 false, null)
$$;

comment on function heao.abandon_group(bigint, text, double precision,
    text) is
    'V3: the candidate abandons the group of p_batch (abandon_group_by)';


create or replace function heao.office_abandon_group(p_candidate bigint,
    p_batch text, p_reason text)
    returns json
    language sql
    volatile
as $$
    select heao.abandon_group_by(p_candidate, p_batch, null, null, true,
                                 p_reason)
$$;

comment on function heao.office_abandon_group(bigint, text, text) is
    'O4: the county office abandons the group of p_batch on the'
    ' candidate''s behalf, now, giving p_reason (null: none) in the'
    ' message and the notices (abandon_group_by)';
