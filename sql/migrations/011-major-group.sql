-- 011: art major groups (专业组, F7) and the batches that offer the plan
-- query (计划查询, F18).

alter table heao.major
    add column major_group text
        check (major_group ~ '^[0-9A-Z]{1,4}$');

comment on column heao.major.major_group is
    '专业组 of an art batch''s major (F7): in a section whose shape says'
    ' "adjust_group", adjustment is offered only for majors of a group and'
    ' reaches only the majors of that group; null: no group';

-- heao.catalog_entries() gains the columns of the plan query (F18):
-- sql/functions creates it again after the migrations
drop function if exists heao.catalog_entries();
