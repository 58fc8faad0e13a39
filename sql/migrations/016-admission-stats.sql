-- 016: past admission figures (I5) and the pledge reminder of directed
-- plans (I4).

create table heao.admission_stat (
    year        int not null check (year between 2000 and 2100),
    batch       text not null,
    track       text not null check (track in ('文', '理')),
    inst_code   text not null check (inst_code ~ '^[0-9]{4}$'),
    inst_name   text not null,
    min_score   int not null check (min_score between 0 and 750),
    avg_score   numeric(4, 1) check (avg_score between 0 and 750),
    min_rank    int check (min_rank >= 1),
    source      text not null,

    primary key (inst_code, batch, track, year)
);

comment on table heao.admission_stat is
    '往年录取统计 (I5): per institution, batch, track and year the lowest'
    ' and average score and the lowest rank of those admitted';
comment on column heao.admission_stat.batch is
    'batch name of that year (本科一批, ...): codes changed over the years';
comment on column heao.admission_stat.source is
    'where the figures come from; demo figures say how they were derived';


-- I4: a pledge letter is due this long after its batch closes
create function heao.pledge_grace()
    returns interval
    language sql
    immutable parallel safe
as $$
    select interval '3 days'
$$;

comment on function heao.pledge_grace() is
    'I4: the pledge letter is handed in within three days of the close';


-- I4: a save that holds a directed major (restrictions.directed) gets a
-- mailbox reminder to print, sign and hand in the pledge letter
create function heao.pledge_remind()
    returns trigger
    language plpgsql
    set jit = off
as $$
declare
    kinds     text;
    deadline  timestamptz;
    bname     text;
begin
    select string_agg(distinct d.directed, '、')
      into kinds
      from heao.directed_choices(new.batch_code, new.content) d;

    if kinds is null then
        return null;
    end if;

    select b.closes_at + heao.pledge_grace(), b.name
      into deadline, bname
      from heao.batch b
     where b.code = new.batch_code;

    insert into heao.mailbox (candidate_id, kind, title, body)
    values (new.candidate_id, 'pledge', '请打印' || kinds || '承诺书',
            '您在【' || bname || '】填报了' || kinds || '志愿，请在'
            || '浏览志愿页面点击“打印承诺书”，'
            || '打印并签字后于' || heao.beijing_text(deadline)
            || '（北京时间）前交报名所在地'
            || '县（市、区）招生考试机构。');

    return null;
end;
$$;

comment on function heao.pledge_remind() is
    'I4: the mailbox reminder after a save holding a directed major';

create trigger save_history_pledge_remind
    after insert on heao.save_history
    for each row execute function heao.pledge_remind();
