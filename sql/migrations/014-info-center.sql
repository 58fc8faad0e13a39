-- 014: what the info center shows a candidate: the score (I2), the
-- evaluation and the integrity record (I3), the archive status during
-- admission (I6).  The office loads the first three; the operator sets
-- the last with tools/heao-admin.

create table heao.exam_score (
    candidate_id  bigint primary key references heao.candidate (id)
                  on delete cascade,
    subjects      jsonb not null default '[]'
                  check (jsonb_typeof(subjects) = 'array'),
    total         int not null check (total between 0 and 750),
    bonus         int not null default 0 check (bonus between 0 and 20),
    rank          int check (rank >= 1),
    physical      text not null default '合格',
    published_at  timestamptz not null default now()
);

comment on table heao.exam_score is
    '成绩信息: the candidate''s score sheet of the year (I2), one row once'
    ' the scores are published';
comment on column heao.exam_score.subjects is
    'in print order: [{"name":"语文","score":112}, ...]';
comment on column heao.exam_score.total is
    'total of the subjects, without the bonus (文化课总分)';
comment on column heao.exam_score.bonus is
    'policy bonus points (加分) counted at admission';
comment on column heao.exam_score.rank is
    'place of total + bonus in the province''s 一分一段 table of the'
    ' candidate''s track (位次)';
comment on column heao.exam_score.physical is
    '体检结论 as the health check reported it';


create table heao.evaluation (
    candidate_id  bigint primary key references heao.candidate (id)
                  on delete cascade,
    school        text not null,
    comment       text not null check (comment ~ '\S'),
    written_at    date not null
);

comment on table heao.evaluation is
    '考生评语: the school''s evaluation of the candidate (I3)';


create table heao.integrity_record (
    id            bigserial primary key,
    candidate_id  bigint not null references heao.candidate (id)
                  on delete cascade,
    recorded_at   date not null,
    kind          text not null check (kind in ('honour', 'breach')),
    text          text not null check (text ~ '\S')
);

comment on table heao.integrity_record is
    '诚信档案: entries of the candidate''s integrity record (I3); a'
    ' breach of a previous year''s commitment is also candidate.shixin';
comment on column heao.integrity_record.kind is
    'honour (守信记录) or breach (失信记录)';

create index integrity_record_candidate_idx
    on heao.integrity_record (candidate_id, recorded_at);


create table heao.archive_event (
    id            bigserial primary key,
    candidate_id  bigint not null references heao.candidate (id)
                  on delete cascade,
    at            timestamptz not null default now(),
    status        text not null
                  check (status in ('未投档', '已投档', '院校审核中',
                                    '拟录取', '已录取', '退档',
                                    '停止运转')),
    batch_code    text references heao.batch (code) on delete set null,
    inst_code     text check (inst_code ~ '^[0-9]{4}$'),
    inst_name     text,
    note          text,
    actor         text not null check (actor ~ '\S')
);

comment on table heao.archive_event is
    '档案运转状态: each change of the candidate''s electronic archive'
    ' during admission (I6), set by the operator; the newest is the'
    ' status now';
comment on column heao.archive_event.status is
    'what the archive is doing: 未投档, 已投档 (sent to an'
    ' institution), 院校审核中, 拟录取, 已录取, 退档 (returned),'
    ' 停止运转 (stopped after a broken commitment)';
comment on column heao.archive_event.actor is
    'who set it (heao-admin --by)';

create index archive_event_candidate_idx
    on heao.archive_event (candidate_id, at desc, id desc);
