-- 015: the office's announcements and notes on the entry page (I7),
-- published and withdrawn by the operator without a restart.

create table heao.bulletin (
    id            bigserial primary key,
    kind          text not null check (kind in ('announcement', 'note')),
    title         text not null check (title ~ '\S'
                                       and char_length(title) <= 100),
    body          text not null default ''
                  check (char_length(body) <= 4000),
    sort          int not null default 0,
    published_at  timestamptz not null default now(),
    withdrawn_at  timestamptz,
    published_by  text not null check (published_by ~ '\S')
);

comment on table heao.bulletin is
    'entry-page items (I7): 信息公告 (announcement) and 注意事项'
    ' (note);'
    ' shown from published_at until withdrawn_at';
comment on column heao.bulletin.sort is
    'display order among the items of a kind, smaller first';
comment on column heao.bulletin.withdrawn_at is
    'when the operator withdrew it; null while it is shown';

create index bulletin_shown_idx
    on heao.bulletin (kind, sort, published_at) where withdrawn_at is null;
