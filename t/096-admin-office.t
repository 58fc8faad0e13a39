# O4 the county office's commands of tools/heao-admin against the portal
# of tools/test: abandon on a candidate's behalf (V3), restore a group
# after proven tampering (saves given back, reopened after an abandon),
# each audited with who and why and seen by the candidate at once (the
# cached browse answer dropped); the operator's archive status (I6) and
# entry-page bulletin (I7).  Candidates 1770-1779.

use strict;
use warnings;

use FindBin;
use lib $FindBin::Bin;

use Test::More;
use IO::Socket::INET;
use HeaoTest;
use HeaoTest qw(admin admin_err);

plan skip_all => 'needs the portal of tools/test (HEAO_HTTP_PORT)'
    unless $ENV{HEAO_HTTP_PORT};

my $PG_PORT = $ENV{TEST_NGINX_PG_PORT} || 15433;
my $REDIS_PORT = $ENV{TEST_NGINX_REDIS_PORT} || 16380;
$ENV{HEAO_PG} = "host=127.0.0.1 port=$PG_PORT dbname=heao user=heao";
$ENV{HEAO_REDIS} = "127.0.0.1:$REDIS_PORT";

my (@C, %ID);

for my $t (1770 .. 1779) {
    $C[$t] = reset_candidate($t);
    $ID{$t} = psql("select id from heao.candidate"
                   . " where exam_no = '$C[$t]{exam_no}'");
    psql("delete from heao.archive_event where candidate_id = $ID{$t}");
}

psql(q{delete from heao.admin_audit
        where subject like '2141990000177_' or subject like 'bulletin %'
          and detail ->> 'title' like '测试096%';
       delete from heao.bulletin where title like '测试096%'});


sub get {
    my ($path, $headers) = @_;
    my $sock = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
                                     PeerPort => $ENV{HEAO_HTTP_PORT},
                                     Timeout => 10)
        or die "connect to the portal: $!\n";

    print $sock "GET $path HTTP/1.1\r\nHost: localhost\r\n"
        . "Connection: close\r\n"
        . join('', map { "$_\r\n" } grep { /\S/ } split /\n/, $headers // '')
        . "\r\n";

    local $/;
    my $resp = <$sock> // '';
    $resp =~ s/\A.*?\r\n\r\n//s;

    return $resp;
}


# $n saves of 本科一批 as the save endpoint records them
sub saves {
    my ($t, $n) = @_;
    my $id;

    for my $k (1 .. $n) {
        $id = psql(qq{insert into heao.save_history (save_id,
              candidate_id, group_code, batch_code, save_no, arrived_at,
              saved_at, client, device, content, summary, checksum)
            values (gen_random_uuid(), $ID{$t}, '11', '11', $k,
              now() - interval '3 hours', now() - interval '3 hours',
              '10.0.0.$k', 'UA', '{"sections": []}', 'sum', 'chk$k')
            returning id});
    }

    psql(qq{insert into heao.group_state (candidate_id, group_code,
              batch_code, saves_used, last_save_at, current_save)
            values ($ID{$t}, '11', '11', $n, now() - interval '3 hours',
              $id)});
    return;
}

saves(1771, 1);
saves(1772, 3);

my $S1 = session(1771);
my $S2 = session(1772);


# O4 abandon on the candidate's behalf

my ($rc, $out) = admin_err('abandon', $C[1771]{exam_no}, '11');
is("$rc $out", "2 heao-admin: --by WHO is required: the audit names who"
   . " did it\n", 'O4 abandon without --by and --why is a usage error');
($rc, $out) = admin_err('abandon', $C[1771]{exam_no}, '11', '原因' x 26,
                        '--by', 'a', '--why', 'b');
is("$rc $out", "2 heao-admin: REASON is 52 characters, more than 50\n",
   'O4 a reason longer than an SMS takes is a usage error');

like(get('/api/browse', $S1), qr/"abandoned":false/,
     'V1 browse shows the group (and caches it) before the abandon');

($rc, $out) = admin('abandon', $C[1771]{exam_no}, '11', '考生本人到县招生办申请',
                    '--by', 'county-li', '--why', 'candidate came in person');
is($rc, 0, 'O4 abandon runs');
is($out, "candidate $C[1771]{exam_no}: abandoned 本科一批\n",
   'O4 ... and names the batches abandoned');
like(get('/api/browse', $S1),
     qr/^\{"groups":\[\{"group":"11",[^}]*"application":null,[^}]*"abandoned":true,"abandoned_at":\d+\}\]\}$/,
     'V3 browse shows the group abandoned at once, not the cached answer');
like(get('/api/mailbox', $S1),
     qr/"kind":"abandon","title":"招生办代您放弃本科一批志愿","body":"报名所在地招生办于\d{4}年\d\d月\d\d日 \d\d:\d\d:\d\d（北京时间）代您放弃了本科一批志愿，原因：考生本人到县招生办申请。已保存的志愿作废，本批次不能再填报。如有疑问，请联系报名所在地招生办。"/,
     'V3 O4 the mailbox message says the office abandoned it on the'
     . ' candidate\'s behalf, and why');
like(psql("select string_agg(channel || ': ' || (payload ->> 'title') || ' / '"
          . " || (payload ->> 'text'), ';') from heao.outbox"
          . " where candidate_id = $ID{1771} and kind = 'abandon'"),
     qr/^sms: 招生办代您放弃本科一批志愿 \/ 报名所在地招生办于\d\d月\d\d日\d\d:\d\d代您放弃了本科一批志愿，原因：考生本人到县招生办申请。如有疑问，请联系报名所在地招生办。$/,
     'V3 O4 so does the SMS notice (the phone is bound), not "您…放弃"');
is(psql("select string_agg(distinct payload ->> 'remark', ';')"
        . " from heao.outbox where candidate_id = $ID{1771}"
        . " and kind = 'abandon'"),
   '如有疑问，请联系报名所在地招生办。',
   'V3 O4 the WeChat remark of the notice sends questions to the office,'
   . ' not "如非本人操作"');
is(psql("select actor || '/' || reason || '/' || (detail ->> 'status')"
        . " || '/' || (detail ->> 'told')"
        . " from heao.admin_audit where command = 'abandon'"
        . " and subject = '$C[1771]{exam_no}'"),
   'county-li/candidate came in person/done/考生本人到县招生办申请',
   'O4 the abandon is audited with who, why and the reason told');

($rc, $out) = admin_err('abandon', $C[1771]{exam_no}, '11', '--by', 'a',
                        '--why', 'b');
is("$rc $out", "1 heao-admin: candidate $C[1771]{exam_no}: the group of 11"
   . " was abandoned before: nothing changed\n",
   'O4 abandoning twice is refused');
($rc, $out) = admin_err('abandon', '21419999999999', '11', '--by', 'a',
                        '--why', 'b');
is("$rc $out", "1 heao-admin: no candidate 21419999999999\n",
   'O4 abandon of an unknown candidate is refused');
($rc, $out) = admin_err('abandon', $C[1773]{exam_no}, 'ZZ', '--by', 'a',
                        '--why', 'b');
is("$rc $out", "1 heao-admin: no batch ZZ\n",
   'O4 abandon in an unknown batch is refused');
($rc, $out) = admin_err('abandon', $C[1773]{exam_no}, '11; drop', '--by', 'a',
                        '--why', 'b');
is("$rc $out", "2 heao-admin: invalid batch code \"11; drop\" (1 to 4 digits"
   . " or capitals)\n", 'O4 abandon in a malformed batch is a usage error');
($rc, $out) = admin_err('abandon', 'x' . $C[1773]{exam_no}, '11', '--by', 'a',
                        '--why', 'b');
is("$rc $out", "2 heao-admin: invalid exam number \"x$C[1773]{exam_no}\" (14"
   . " digits, the 3rd and 4th 41)\n",
   'O4 abandon of a malformed exam number is a usage error');
($rc, $out) = admin_err('abandon', $C[1773]{exam_no}, '11', '--by', ' ',
                        '--why', 'b');
is("$rc $out", "2 heao-admin: --by WHO is required: the audit names who"
   . " did it\n", 'O4 a blank --by is a usage error, not a PostgreSQL one');
is(psql("select count(*) from heao.admin_audit where command = 'abandon'"
        . " and subject like '2141990000177_'"), 1,
   'O4 a refused abandon leaves no audit row');

# the candidate's own abandon keeps its wording (t/162 sends one)
is(psql("select heao.abandon_group($ID{1775}, '11', null, '10.0.0.9')"
        . " ->> 'status'"), 'done', 'V3 a candidate abandons online');
like(psql("select title || ' / ' || body from heao.mailbox"
          . " where candidate_id = $ID{1775} and kind = 'abandon'"),
     qr/^放弃本科一批志愿 \/ 您于.+?（北京时间）从IP地址10\.0\.0\.9放弃了本科一批志愿，/,
     'V3 ... and reads that they did it');

# a supplementary round's name ends in 志愿 already: the messages say it
# once (1Z 本科一批征集志愿, its window open for the abandon)
is(psql(qq{begin;
    create temp table w on commit drop as
        select opens_at, closes_at from heao.batch where code = '1Z';
    update heao.batch set opens_at = now() - interval '1 hour',
                          closes_at = now() + interval '1 hour'
     where code = '1Z';
    select heao.abandon_group($ID{1776}, '1Z', null, '10.0.0.9') ->> 'status';
    update heao.batch b set opens_at = w.opens_at, closes_at = w.closes_at
      from w where b.code = '1Z';
    commit;}), 'done', 'V3 a candidate abandons 本科一批征集志愿');
like(psql("select title || ' / ' || body from heao.mailbox"
          . " where candidate_id = $ID{1776} and kind = 'abandon'"),
     qr/^放弃本科一批征集志愿 \/ 您于.+?放弃了本科一批征集志愿，已保存的志愿作废，/,
     'V3 I1 ... and the mailbox says 征集志愿 once, not 征集志愿志愿');
is(psql(q{select heao.zhiyuan_of('本科一批') || ' '
                 || heao.zhiyuan_of('本科一批征集志愿') || ' '
                 || heao.zhiyuan_of('本科一批、本科一批征集志愿')}),
   '本科一批志愿 本科一批征集志愿 本科一批、本科一批征集志愿',
   'I1 F16 a batch name takes 志愿 once, as the save messages use it');


# O4 restore after proven tampering

($rc, $out) = admin('restore', $C[1771]{exam_no}, '11', 'reopen',
                    '--by', 'county-li', '--why', 'abandoned by a third party');
is($rc, 0, 'O4 restore reopen runs');
like($out, qr/group of 11 restored: 1 save\(s\) used, open/,
     'O4 ... and says the group is open again');
like(get('/api/browse', $S1), qr/"saves_used":1,"saves_left":2,.*"abandoned":false/,
     'O4 browse shows the group reopened with its application');
like(get('/api/mailbox', $S1), qr/"kind":"restore","title":"【本科一批】志愿已恢复"/,
     'O4 the candidate is told in the mailbox');
like(psql("select actor || '/' || reason || '/' || detail::text"
          . " from heao.admin_audit where command = 'restore reopen'"
          . " and subject = '$C[1771]{exam_no}'"),
     qr{^county-li/abandoned by a third party/.*"new": \{"saves_used": 1, "abandoned_at": null\}.*"old": \{"saves_used": 1, "abandoned_at": "[^"]+"\}},
     'O4 the restore is audited with who, why, before and after');

($rc, $out) = admin_err('restore', $C[1771]{exam_no}, '11', 'reopen',
                        '--by', 'a', '--why', 'b');
is("$rc $out", "1 heao-admin: candidate $C[1771]{exam_no}: the group of 11"
   . " is not abandoned: nothing changed\n",
   'O4 reopening a group that is not abandoned is refused');

($rc, $out) = admin('restore', $C[1772]{exam_no}, '11', 'saves', '2',
                    '--by', 'county-wang', '--why', 'saves used by a third'
                    . ' party');
is($rc, 0, 'O4 restore saves runs');
like(get('/api/browse', $S2), qr/"saves_used":1,"saves_left":2,/,
     'O4 two saves given back: browse shows 1 used and 2 left');
is(psql("select (detail -> 'old' ->> 'saves_used') || '>'"
        . " || (detail -> 'new' ->> 'saves_used') || '/' || actor"
        . " from heao.admin_audit where command = 'restore saves'"
        . " and subject = '$C[1772]{exam_no}'"),
   '3>1/county-wang', 'O4 the saves given back are audited');

($rc, $out) = admin_err('restore', $C[1772]{exam_no}, '11', 'saves', '--by',
                        'a', '--why', 'b');
is($rc, 2, 'O4 restore saves without a count is a usage error');
like($out, qr/^tools\/heao-admin: .*^  heao-admin restore EXAM_NO BATCH saves N\|reopen/ms,
     'O4 ... which prints the usage');
($rc, $out) = admin_err('restore', $C[1772]{exam_no}, '11', 'saves', '1',
                        '--by', 'a', '--why', 'b');
is("$rc $out", "1 heao-admin: candidate $C[1772]{exam_no}: the group of 11"
   . " has no save to give back (1 used): nothing changed\n",
   'O4 giving back saves again when only the saved one is used is refused');
is(psql("select count(*) from heao.admin_audit where command like 'restore%'"
        . " and subject like '2141990000177_'"), 2,
   'O4 ... and the refused restores are not audited');
($rc, $out) = admin_err('restore', $C[1773]{exam_no}, '11', 'saves', '1',
                        '--by', 'a', '--why', 'b');
is("$rc $out", "1 heao-admin: candidate $C[1773]{exam_no} has never saved in"
   . " the group of 11: nothing to restore\n",
   'O4 restore of a group never saved is refused');
($rc, $out) = admin_err('restore', $C[1773]{exam_no}, 'ZZ', 'saves', '1',
                        '--by', 'a', '--why', 'b');
is("$rc $out", "1 heao-admin: no batch ZZ\n",
   'O4 restore in an unknown batch is refused');
($rc, $out) = admin_err('restore', $C[1773]{exam_no}, '11', 'saves', '12',
                        '--by', 'a', '--why', 'b');
is("$rc $out", "2 heao-admin: invalid count of saves \"12\" (1 to 9)\n",
   'O4 restore of too many saves is a usage error');


# I6 the operator sets the archive status

($rc, $out) = admin('archive', $C[1774]{exam_no}, '已投档', '11', '1105',
                    '--by', 'op-zhao', '--why', 'sent to the institution');
is($rc, 0, 'I6 archive runs');
like(get('/api/info/archive', session(1774)),
     qr/^\{"status":"已投档","updated_at":\d+,"events":\[\{"at":\d+,"status":"已投档","batch":"11","batch_name":"本科一批","institution":\{"code":"1105","name":"北京大学"\},"note":null\}\]\}$/,
     'I6 the candidate sees the status with the institution named');
($rc, $out) = admin_err('archive', $C[1774]{exam_no}, '已投档', '11', '1105',
                        '--by', 'op-zhao', '--why', 'sent again');
is("$rc $out", "1 heao-admin: candidate $C[1774]{exam_no}: the archive"
   . " status is 已投档 in batch 11 at 1105 already: nothing changed\n",
   'I6 O4 setting the status the candidate has already is refused');
like(get('/api/info/archive', session(1774)),
     qr/^\{"status":"已投档","updated_at":\d+,"events":\[\{[^{}]*\{[^{}]*\}[^{}]*\}\]\}$/,
     'I6 ... and the candidate still sees one event, not a duplicate');
($rc, $out) = admin('archive', $C[1774]{exam_no}, '已投档', '11', '1105',
                    '请留意院校通知', '--by', 'op-zhao', '--why', 'a note');
is("$rc $out", "0 candidate $C[1774]{exam_no}: archive status 已投档\n",
   'I6 the same status with a note the candidate has not read is a change');
($rc, $out) = admin_err('archive', $C[1774]{exam_no}, '已投档', '11', '1105',
                        '请留意院校通知', '--by', 'op-zhao', '--why', 'again');
is("$rc $out", "1 heao-admin: candidate $C[1774]{exam_no}: the archive"
   . " status is 已投档 in batch 11 at 1105 already, with the same note:"
   . " nothing changed\n", 'I6 ... and saying it twice is refused');
($rc, $out) = admin_err('archive', $C[1774]{exam_no}, '乱码', '--by', 'a',
                        '--why', 'b');
is($rc, 2, 'I6 a status that is not one of the list is a usage error');
is($out, "heao-admin: archive status '乱码' is not one of 未投档 已投档"
         . " 院校审核中 拟录取 已录取 退档 停止运转\n",
   'I6 ... saying which statuses there are, not a PostgreSQL error');
($rc, $out) = admin_err('archive', $C[1774]{exam_no}, '退档', 'ZZ', '--by',
                        'a', '--why', 'b');
is("$rc $out", "1 heao-admin: no batch ZZ\n",
   'I6 a batch that is not there is refused, not a foreign key error');
($rc, $out) = admin_err('archive', $C[1774]{exam_no}, '退档', '11', '9999',
                        '--by', 'a', '--why', 'b');
is("$rc $out", "1 heao-admin: no institution 9999 in batch 11\n",
   'I6 so is an institution the batch does not have');
($rc, $out) = admin_err('archive', $C[1774]{exam_no}, '退档', '11', '11051',
                        '--by', 'a', '--why', 'b');
is("$rc $out", "2 heao-admin: invalid institution code \"11051\" (4"
   . " digits)\n", 'I6 a malformed institution code is a usage error');
is(psql("select count(*) from heao.archive_event"
        . " where candidate_id = $ID{1774}"), 2,
   'I6 ... and adds nothing');
is(psql("select string_agg(actor || '/' || reason, ',' order by id)"
        . " from heao.admin_audit where command = 'archive'"
        . " and subject = '$C[1774]{exam_no}'"),
   'op-zhao/sent to the institution,op-zhao/a note',
   'I6 both status changes are audited, nothing refused is');


# I7 the operator publishes and withdraws without a restart

unlike(get('/api/entry'), qr/测试096公告/, 'I7 the entry page before');
my $ttl = redis('TTL', 'heao:entry');
ok($ttl >= 1 && $ttl <= 10,
   "I7 the entry answer is cached for 10 s (ttl $ttl)");

($rc, $out) = admin_err('publish', 'announcement', '测试096公告');
is("$rc $out", "2 heao-admin: --by WHO is required: the audit names who"
   . " did it\n", 'I7 publish without --by and --why is a usage error');
for my $t (['', 'TITLE is empty'], [' 　', 'TITLE is empty'],
           ["测试096\n公告", 'TITLE is one line, without control characters'],
           ['测试096' . '长' x 96, 'TITLE is 101 characters, more than 100'])
{
    ($rc, $out) = admin_err('publish', 'note', $t->[0], '--by', 'op-zhao',
                            '--why', 'bad title');
    is("$rc $out", "2 heao-admin: $t->[1]\n",
       "I7 publish with a bad title: $t->[1], not a check constraint");
}
($rc, $out) = admin_err('publish', 'note', '测试096长文', '长' x 4001,
                        '--by', 'op-zhao', '--why', 'long body');
is("$rc $out", "2 heao-admin: BODY is 4001 characters, more than 4000\n",
   'I7 publish with a body too long is a usage error');
is(psql("select count(*) from heao.bulletin where title like '测试096%'"), 0,
   'I7 ... and none of them is published');
($rc, $out) = admin('publish', 'announcement', '测试096公告', '正文',
                    '--by', 'op-zhao', '--why', 'new rule');
my ($bid) = $out =~ /^published bulletin (\d+)$/m;
ok($rc == 0 && $bid, 'I7 publish prints the bulletin id');
like(get('/api/entry'), qr/"id":$bid,"title":"测试096公告","body":"正文"/,
     'I7 the entry page shows it at once, not the cached answer');
($rc) = admin('withdraw', $bid, '--by', 'op-zhao', '--why', 'wrong text');
is($rc, 0, 'I7 withdraw runs');
unlike(get('/api/entry'), qr/测试096公告/, 'I7 ... and it is gone');
($rc, $out) = admin_err('withdraw', $bid, '--by', 'op-zhao', '--why',
                        'again');
my $re = "^1 heao-admin: bulletin $bid was withdrawn already"
         . ' \(\d{4}-\d\d-\d\d \d\d:\d\d\): nothing changed\n\z';
like("$rc $out", qr/$re/,
     'I7 withdrawing twice is refused: it says so');
($rc, $out) = admin_err('withdraw', '99999999999999999999', '--by', 'op-zhao',
                        '--why', 'huge');
is("$rc $out", "1 heao-admin: no bulletin 99999999999999999999\n",
   'I7 withdrawing a bulletin id past bigint is refused as none, no range'
   . ' error');
($rc, $out) = admin_err('withdraw', '12abc', '--by', 'op-zhao', '--why',
                        'typo');
is("$rc $out", "2 heao-admin: invalid bulletin id \"12abc\" (the number"
   . " heao-admin bulletin lists first)\n",
   'I7 withdrawing a malformed id is a usage error');
is(psql("select string_agg(command || '/' || actor, ',' order by id)"
        . " from heao.admin_audit where subject = 'bulletin $bid'"),
   'publish/op-zhao,withdraw/op-zhao', 'I7 both are audited');

done_testing();
