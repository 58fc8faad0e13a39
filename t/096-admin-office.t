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

plan skip_all => 'needs the portal of tools/test (HEAO_HTTP_PORT)'
    unless $ENV{HEAO_HTTP_PORT};

my $PG_PORT = $ENV{TEST_NGINX_PG_PORT} || 15433;
my $REDIS_PORT = $ENV{TEST_NGINX_REDIS_PORT} || 16380;
$ENV{HEAO_PG} = "host=127.0.0.1 port=$PG_PORT dbname=heao user=heao";
$ENV{HEAO_REDIS} = "127.0.0.1:$REDIS_PORT";

my $ADMIN = "$FindBin::Bin/../tools/heao-admin";
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


sub admin {
    my @args = @_;

    open(my $fh, '-|', $ADMIN, @args) or die "$ADMIN: $!";
    local $/;
    my $out = <$fh> // '';
    close $fh;

    return ($? >> 8, $out);
}


# the same, with what it says on stderr as its output
sub admin_err {
    my @args = @_;
    my $pid = open(my $fh, '-|') // die "fork: $!";

    if ($pid == 0) {
        open(STDERR, '>&', \*STDOUT) or die "stderr: $!";
        exec($ADMIN, @args) or die "$ADMIN: $!";
    }

    local $/;
    my $out = <$fh> // '';
    close $fh;

    return ($? >> 8, $out);
}


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

my ($rc, $out) = admin('abandon', $C[1771]{exam_no}, '11');
is($rc, 1, 'O4 abandon without --by and --why is refused');

like(get('/api/browse', $S1), qr/"abandoned":false/,
     'V1 browse shows the group (and caches it) before the abandon');

($rc, $out) = admin('abandon', $C[1771]{exam_no}, '11', '--by', 'county-li',
                    '--why', 'candidate came in person');
is($rc, 0, 'O4 abandon runs');
is($out, "candidate $C[1771]{exam_no}: abandoned 本科一批\n",
   'O4 ... and names the batches abandoned');
like(get('/api/browse', $S1),
     qr/^\{"groups":\[\{"group":"11",[^}]*"application":null,[^}]*"abandoned":true\}\]\}$/,
     'V3 browse shows the group abandoned at once, not the cached answer');
like(get('/api/mailbox', $S1),
     qr/"kind":"abandon","title":"放弃本科一批志愿"/,
     'V3 the candidate gets the abandon message');
is(psql("select actor || '/' || reason || '/' || (detail ->> 'status')"
        . " from heao.admin_audit where command = 'abandon'"
        . " and subject = '$C[1771]{exam_no}'"),
   'county-li/candidate came in person/done',
   'O4 the abandon is audited with who and why');

($rc, $out) = admin('abandon', $C[1771]{exam_no}, '11', '--by', 'a',
                    '--why', 'b');
is($rc, 1, 'O4 abandoning twice is refused');
($rc) = admin('abandon', '21419999999999', '11', '--by', 'a', '--why', 'b');
is($rc, 1, 'O4 abandon of an unknown candidate is refused');
($rc) = admin('abandon', $C[1773]{exam_no}, 'ZZ', '--by', 'a', '--why', 'b');
is($rc, 1, 'O4 abandon in an unknown batch is refused');
is(psql("select count(*) from heao.admin_audit where command = 'abandon'"
        . " and subject like '2141990000177_'"), 1,
   'O4 a refused abandon leaves no audit row');


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

($rc) = admin('restore', $C[1771]{exam_no}, '11', 'reopen', '--by', 'a',
              '--why', 'b');
is($rc, 1, 'O4 reopening a group that is not abandoned is refused');

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
($rc) = admin('restore', $C[1773]{exam_no}, '11', 'saves', '1', '--by', 'a',
              '--why', 'b');
is($rc, 1, 'O4 restore of a group never saved is refused');


# I6 the operator sets the archive status

($rc, $out) = admin('archive', $C[1774]{exam_no}, '已投档', '11', '1105',
                    '--by', 'op-zhao', '--why', 'sent to the institution');
is($rc, 0, 'I6 archive runs');
like(get('/api/info/archive', session(1774)),
     qr/^\{"status":"已投档","updated_at":\d+,"events":\[\{"at":\d+,"status":"已投档","batch":"11","batch_name":"本科一批","institution":\{"code":"1105","name":"北京大学"\},"note":null\}\]\}$/,
     'I6 the candidate sees the status with the institution named');
($rc, $out) = admin_err('archive', $C[1774]{exam_no}, '乱码', '--by', 'a',
                        '--why', 'b');
is($rc, 1, 'I6 a status that is not one of the list is refused');
is($out, "heao-admin: archive status '乱码' is not one of 未投档 已投档"
         . " 院校审核中 拟录取 已录取 退档 停止运转\n",
   'I6 ... saying which statuses there are, not a PostgreSQL error');
is(psql("select count(*) from heao.archive_event"
        . " where candidate_id = $ID{1774}"), 1,
   'I6 ... and adds nothing');
is(psql("select actor from heao.admin_audit where command = 'archive'"
        . " and subject = '$C[1774]{exam_no}'"), 'op-zhao',
   'I6 the status change is audited');


# I7 the operator publishes and withdraws without a restart

unlike(get('/api/entry'), qr/测试096公告/, 'I7 the entry page before');
my $ttl = redis('TTL', 'heao:entry');
ok($ttl >= 1 && $ttl <= 10,
   "I7 the entry answer is cached for 10 s (ttl $ttl)");

($rc) = admin('publish', 'announcement', '测试096公告');
is($rc, 1, 'I7 publish without --by and --why is refused');
($rc, $out) = admin('publish', 'announcement', '测试096公告', '正文',
                    '--by', 'op-zhao', '--why', 'new rule');
my ($bid) = $out =~ /^published bulletin (\d+)$/m;
ok($rc == 0 && $bid, 'I7 publish prints the bulletin id');
like(get('/api/entry'), qr/"id":$bid,"title":"测试096公告","body":"正文"/,
     'I7 the entry page shows it at once, not the cached answer');
($rc) = admin('withdraw', $bid, '--by', 'op-zhao', '--why', 'wrong text');
is($rc, 0, 'I7 withdraw runs');
unlike(get('/api/entry'), qr/测试096公告/, 'I7 ... and it is gone');
($rc) = admin('withdraw', $bid, '--by', 'op-zhao', '--why', 'again');
is($rc, 1, 'I7 withdrawing twice is refused');
is(psql("select string_agg(command || '/' || actor, ',' order by id)"
        . " from heao.admin_audit where subject = 'bulletin $bid'"),
   'publish/op-zhao,withdraw/op-zhao', 'I7 both are audited');

done_testing();
