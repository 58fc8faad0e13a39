-- 017: what operators and county offices did through tools/heao-admin,
-- with who and why (O4).

create table heao.admin_audit (
    id          bigserial primary key,
    at          timestamptz not null default now(),
    actor       text not null check (actor ~ '\S'),
    reason      text not null check (reason ~ '\S'),
    command     text not null,
    subject     text,
    detail      jsonb not null default '{}'
);

comment on table heao.admin_audit is
    'one row per operator command that changed something (O4): window'
    ' changes, loads, password resets; never a password or a full ID number';
comment on column heao.admin_audit.actor is
    'who ran the command, as given with --by (a name or staff number)';
comment on column heao.admin_audit.reason is
    'why, as given with --why';
comment on column heao.admin_audit.command is
    'the heao-admin subcommand';
comment on column heao.admin_audit.subject is
    'what it acted on: a batch code, an exam number, a file name';
comment on column heao.admin_audit.detail is
    'what changed: old and new window, rows loaded and rejected';

create index admin_audit_subject_idx on heao.admin_audit (subject, at);
