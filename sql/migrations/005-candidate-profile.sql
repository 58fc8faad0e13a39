-- 005: what eligibility needs of a candidate that 001 did not hold (F9).

alter table heao.candidate
    add column language text not null default '英语'
        check (language ~ '^[\u4e00-\u9fff]{2,4}$');

comment on column heao.candidate.language is
    '外语语种 taken at the exam (英语, 日语, ...), matched against'
    ' a major''s language restriction (B5, F9)';
