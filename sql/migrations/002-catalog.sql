-- 002: batches, groups and the catalog (rules B1-B6).

create table heao.batch_group (
    code             text primary key check (code ~ '^[0-9A-Z]{1,4}$'),
    name             text not null,
    max_saves        int not null default 3 check (max_saves between 1 and 9),
    change_interval  interval not null default '60 minutes'
                     check (change_interval >= interval '0')
);

comment on table heao.batch_group is
    '志愿组: batches that exclude each other and share one save counter and'
    ' one abandon (B2); a batch that excludes nothing is a group of one';
comment on column heao.batch_group.max_saves is
    'saves allowed per candidate in the group: the first save and the'
    ' changes (F12: 3)';
comment on column heao.batch_group.change_interval is
    'least time between two saves of the group (F12: 60 minutes)';


-- a batch shape is {"sections": [...]} with at least one section, each
-- with a title, a kind, slots >= 1, majors >= 0 and an adjust flag (B1)
create function heao.shape_ok(p_shape jsonb)
    returns boolean
    language sql
    immutable strict
as $$
    select jsonb_typeof(p_shape -> 'sections') = 'array'
       and jsonb_array_length(p_shape -> 'sections') >= 1
       and not exists (
           select 1
             from jsonb_array_elements(p_shape -> 'sections') s
            where jsonb_typeof(s -> 'title') is distinct from 'string'
               or (s ->> 'kind') is null
               or (s ->> 'kind') not in ('parallel', 'sequential')
               or jsonb_typeof(s -> 'slots') is distinct from 'number'
               or jsonb_typeof(s -> 'majors') is distinct from 'number'
               or (s ->> 'slots') !~ '^[1-9][0-9]?$'
               or (s ->> 'majors') !~ '^[0-9]$'
               or jsonb_typeof(s -> 'adjust') is distinct from 'boolean')
$$;

comment on function heao.shape_ok(jsonb) is
    'true for a well-formed batch shape (sections with title, kind, slots,'
    ' majors, adjust)';


create table heao.batch (
    code             text primary key check (code ~ '^[0-9A-Z]{1,4}$'),
    name             text not null,
    group_code       text not null references heao.batch_group (code),
    opens_at         timestamptz not null,
    closes_at        timestamptz not null,
    candidate_types  text[] not null default '{普通}',
    shape            jsonb not null check (heao.shape_ok(shape)),
    sort             int not null default 0,

    constraint batch_window check (closes_at > opens_at)
);

comment on table heao.batch is
    '批次: one filling window with its sections (B1)';
comment on column heao.batch.code is
    'batch code as the office numbers it, e.g. 11 for 本科一批';
comment on column heao.batch.opens_at is
    'first instant a save is accepted (judged by arrival, F12a)';
comment on column heao.batch.closes_at is
    'a save must arrive before this instant (F12a)';
comment on column heao.batch.candidate_types is
    'candidate types (candidate.ctype) allowed to fill this batch (B1, F9)';
comment on column heao.batch.shape is
    'sections in order: {"sections":[{"title":"平行志愿","kind":"parallel",'
    '"slots":6,"majors":5,"adjust":true}]}; kind parallel or sequential,'
    ' majors 0 for institution-only slots (B1)';
comment on column heao.batch.sort is
    'display order on the entry and home pages';

create index batch_group_idx on heao.batch (group_code);


create table heao.institution (
    batch_code  text not null references heao.batch (code)
                on delete cascade,
    code        text not null check (code ~ '^[0-9]{4}$'),
    name        text not null,
    province    text,
    ownership   text check (ownership in ('公办', '民办', '中外合作办学')),

    primary key (batch_code, code)
);

comment on table heao.institution is
    'institutions of a batch''s catalog (专业目录, B3)';
comment on column heao.institution.code is
    '院校代号: Henan''s 4-digit institution code, leading zeros kept';
comment on column heao.institution.ownership is
    '公办, 民办 or 中外合作办学 when known';


create table heao.major (
    batch_code    text not null,
    inst_code     text not null,
    code          text not null check (code ~ '^[0-9]{2}$'),
    name          text not null,
    class         text not null default 'ordinary'
                  check (class in ('ordinary', 'higher_tuition', 'medical',
                                   'agri_mining', 'ethnic')),
    plan          int not null check (plan >= 0),
    tuition       int not null check (tuition >= 0),
    years         int not null default 4 check (years between 1 and 8),
    restrictions  jsonb not null default '{}'
                  check (jsonb_typeof(restrictions) = 'object'),
    note          text,

    primary key (batch_code, inst_code, code),
    foreign key (batch_code, inst_code)
        references heao.institution (batch_code, code) on delete cascade
);

comment on table heao.major is
    'majors of an institution in a batch''s catalog (B3)';
comment on column heao.major.code is
    '专业代号: 2 digits as printed in the batch''s catalog, leading zero kept';
comment on column heao.major.class is
    'B4 class: ordinary, higher_tuition (较高收费), medical (医护),'
    ' agri_mining (农林矿), ethnic (民族限定); one slot holds one class (F8)';
comment on column heao.major.plan is
    'planned admissions (计划数)';
comment on column heao.major.tuition is
    'yuan per year';
comment on column heao.major.restrictions is
    'B5 restrictions, all optional: {"gender":"M"|"F",'
    ' "max_age":{"age":N,"on":"YYYY-MM-DD"}, "ethnicities":[allowed...],'
    ' "ethnicities_except":[refused...], "qualification":"国家专项",'
    ' "track":"文"|"理", "language":"英语", "directed":"定向西藏"}';
comment on column heao.major.note is
    '备注 as printed in the catalog';


create table heao.catalog_meta (
    singleton   boolean primary key default true check (singleton),
    version     bigint not null default 1,
    changed_at  timestamptz not null default now()
);

comment on table heao.catalog_meta is
    'one row: the catalog version, bumped by any change to batch_group,'
    ' batch, institution or major, so caches know when to reload (B6)';

insert into heao.catalog_meta default values;


-- statement-level trigger: one bump per statement however many rows it
-- touched; the notification reaches listeners at commit
create function heao.catalog_bump()
    returns trigger
    language plpgsql
as $$
declare
    v  bigint;
begin
    update heao.catalog_meta
       set version = version + 1, changed_at = now()
     returning version into v;

    perform pg_notify('heao_catalog', v::text);
    return null;
end;
$$;

comment on function heao.catalog_bump() is
    'bumps catalog_meta.version and notifies channel heao_catalog';

create trigger batch_group_catalog_bump
    after insert or update or delete or truncate on heao.batch_group
    for each statement execute function heao.catalog_bump();

create trigger batch_catalog_bump
    after insert or update or delete or truncate on heao.batch
    for each statement execute function heao.catalog_bump();

create trigger institution_catalog_bump
    after insert or update or delete or truncate on heao.institution
    for each statement execute function heao.catalog_bump();

create trigger major_catalog_bump
    after insert or update or delete or truncate on heao.major
    for each statement execute function heao.catalog_bump();
