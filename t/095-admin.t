# O4: tools/heao-admin against the test database and the portal that
# tools/test runs (HEAO_HTTP_PORT): a window closed by the operator
# closes begin and save within seconds, a county office's password reset
# is office-set (A14), the county export, the checksum check (F15) and the
# roster load with its rejected rows; each change audited with who and
# why.  Candidates 1240-1249, batch and group O4.

use strict;
use warnings;

use FindBin;
use lib $FindBin::Bin;

use Test::More;
use IO::Socket::INET;
use Time::HiRes qw(time sleep);
use HeaoTest;
use HeaoTest qw(admin admin_err);

plan skip_all => 'needs the portal of tools/test (HEAO_HTTP_PORT)'
    unless $ENV{HEAO_HTTP_PORT};

my $PG_PORT = $ENV{TEST_NGINX_PG_PORT} || 15433;
$ENV{HEAO_PG} = "host=127.0.0.1 port=$PG_PORT dbname=heao user=heao";
$ENV{HEAO_SECRET_FILE} = $ENV{TEST_NGINX_SECRET_FILE};
$ENV{HEAO_REDIS} = '127.0.0.1:' . ($ENV{TEST_NGINX_REDIS_PORT} || 16380);

my $ADMIN = "$FindBin::Bin/../tools/heao-admin";
my @C = map { reset_candidate($_) } 1240 .. 1249;

# the portal refreshes its catalog every 5 s (heao_catalog_refresh)
my $REFRESH = 5;


sub request {
    my ($method, $path, $headers, $body) = @_;
    my $sock = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
                                     PeerPort => $ENV{HEAO_HTTP_PORT},
                                     Timeout => 10)
        or die "connect to the portal: $!\n";

    $body //= '';
    print $sock "$method $path HTTP/1.1\r\nHost: localhost\r\n"
        . "Connection: close\r\nContent-Type: application/json\r\n"
        . join('', map { "$_\r\n" } grep { /\S/ } split /\n/, $headers)
        . "Content-Length: " . length($body) . "\r\n\r\n" . $body;

    local $/;
    my $resp = <$sock> // '';
    my ($status) = $resp =~ m{^HTTP/1\.1 (\d+)};
    $resp =~ s/\A.*?\r\n\r\n//s;

    return ($status // 0, $resp);
}


# polls begin until its status is $want; returns the seconds it took
sub begin_until {
    my ($want, $headers) = @_;
    my $start = time();

    while (time() - $start < 3 * $REFRESH) {
        my ($status, $body) = request('POST', '/api/fill/O4/begin', $headers,
                                      '{"accept_notice": true}');
        return (time() - $start, $body) if $status == $want;
        sleep 0.25;
    }

    return (undef, '');
}


# a batch of its own, open from yesterday to tomorrow
psql(q{
    begin;
    set local heao.purge = on;
    delete from heao.admin_audit
     where subject in ('O4', 'roster-o4.csv', 'catalog-o4.csv')
        or subject like '2141990000124_';
    delete from heao.batch where code = 'O4';
    delete from heao.batch_group where code = 'O4';
    insert into heao.batch_group (code, name) values ('O4', '运维测试');
    insert into heao.batch (code, name, group_code, opens_at, closes_at,
                            shape, sort)
    select 'O4', '运维测试批', 'O4', now() - interval '1 day',
           now() + interval '1 day', shape, 99
      from heao.batch where code = '11';
    insert into heao.institution (batch_code, code, name, province, ownership)
    select 'O4', code, name, province, ownership
      from heao.institution where batch_code = '11' and code = '1105';
    insert into heao.major (batch_code, inst_code, code, name, class, plan,
                            tuition, years)
    select 'O4', inst_code, code, name, class, plan, tuition, years
      from heao.major where batch_code = '11' and inst_code = '1105';
    commit;
});

my $S = session(1240);

my ($t) = begin_until(200, $S);
ok(defined $t, 'O4 the portal opens the new batch O4 for begin');


# window close and extend, through the running nginx

my ($rc, $out) = admin_err('window', 'O4', 'close');
is("$rc $out", "2 heao-admin: --by WHO is required: the audit names who"
   . " did it\n", 'O4 window close without --by and --why is a usage error');
($rc, $out) = admin_err('window', 'O4', 'close', '--why', 'closing test',
                        '--by');
is("$rc $out", "2 heao-admin: --by needs a value\n",
   'O4 ... and so is a --by without its value');

($rc, $out) = admin('window', 'O4', 'close', '--by', 'op-li',
                    '--why', 'closing test');
is($rc, 0, 'O4 window close runs');

($rc, $out) = admin_err('window', 'O4', 'close', '--by', 'op-li',
                        '--why', 'closing again');
my $re = '^1 heao-admin: batch O4 is closed already, since \S+ \S+:'
         . ' nothing changed\n\z';
like("$rc $out", qr/$re/,
     'O4 closing a closed batch again is refused: it says it is closed');

my $body;
($t, $body) = begin_until(409, $S);
ok(defined $t && $t <= $REFRESH + 2,
   'O4 a closed window answers begin 409 within the catalog refresh'
   . (defined $t ? sprintf(' (%.1f s)', $t) : ''));
like($body, qr/"reason":"closed"/, 'O4 the 409 says the window is closed');

# the other worker may not have read the new batch O4 yet: until its
# catalog refresh it answers 404 for it
my ($status);
my $start = time();

do {
    sleep 0.25 if defined $status;
    ($status, $body) = request('POST', '/api/fill/O4/save',
                               session(1240, fill => ['O4', int(time()) + 600]),
                               json_of({ save_id =>
                                   '00000000-0000-4000-a000-000000001240',
                                   application => { sections => [ { slots => [
                                       { institution => '1105',
                                         majors => ['07'],
                                         adjust => 'agree' },
                                   ] } ] } }));
} while ($status == 404 && time() - $start < 3 * $REFRESH);

is($status, 409, 'O4 a save in the closed window is refused 409');
like($body, qr/"reason":"closed"/, 'O4 ... as closed');

my $until = psql(q{select to_char(now() + interval '2 hours',
                                  'YYYY-MM-DD HH24:MI:SS')});
($rc, $out) = admin('window', 'O4', 'extend', $until, '--by', 'op-li',
                    '--why', 'extended by the office');
is($rc, 0, 'O4 window extend runs');
like($out, qr/window .* \.\. \Q$until\E/, 'O4 ... and prints the new close');

($rc, $out) = admin_err('window', 'O4', 'extend', $until, '--by', 'op-li',
                        '--why', 'extended twice');
is("$rc $out", "1 heao-admin: batch O4 closes at $until+08 already:"
   . " nothing changed\n", 'O4 extending to the close it has is refused');
($rc, $out) = admin_err('window', 'O4', 'open', '--by', 'op-li',
                        '--why', 'opened while open');
is("$rc $out", "1 heao-admin: batch O4 is open already, until $until+08:"
   . " nothing changed\n",
   'O4 opening a batch open for more than an hour is refused');

($t) = begin_until(200, $S);
ok(defined $t, 'O4 the extended window opens begin again');

is(psql(q{select string_agg(actor || '/' || command || '/' || reason, ';'
                            order by id)
            from heao.admin_audit where subject = 'O4'}),
   'op-li/window close/closing test;op-li/window extend/extended by the'
   . ' office',
   'O4 both window changes are audited with who and why');

# only a date and time, and a later one: PostgreSQL would read 'now' or
# 'tomorrow' too, and 'now' would close the batch under an extend
my $closes = psql("select closes_at from heao.batch where code = 'O4'");
my $past = psql(q{select to_char(now() - interval '1 hour',
                                 'YYYY-MM-DD HH24:MI')});

for my $bad ('now', 'tomorrow', 'epoch', '2021-07-08', '2021-02-29 10:00',
             '2021-07-08 24:00', '2021-07-08 10:00:60') {
    ($rc, $out) = admin_err('window', 'O4', 'extend', $bad, '--by', 'a',
                            '--why', 'b');
    is("$rc $out", "2 heao-admin: invalid time \"$bad\" (YYYY-MM-DD"
       . " HH:MM[:SS], Beijing time)\n",
       "O4 window extend '$bad' is a usage error");
}

($rc, $out) = admin_err('window', 'O4', 'extend', $past, '--by', 'a',
                        '--why', 'b');
is("$rc $out", "1 heao-admin: $past (Beijing time) is not later than now:"
   . " to close the batch now, use window O4 close\n",
   'O4 window extend to a time past is refused');

is(psql("select closes_at from heao.batch where code = 'O4'"), $closes,
   'O4 ... and the window is as it was');
is(psql("select count(*) from heao.admin_audit where subject = 'O4'"), 2,
   'O4 ... and nothing refused is audited');

($rc, $out) = admin_err('window', 'NOPE', 'close', '--by', 'a', '--why', 'b');
is("$rc $out", "1 heao-admin: no batch NOPE\n",
   'O4 an unknown batch is refused');
($rc, $out) = admin_err('window', 'o4', 'close', '--by', 'a', '--why', 'b');
is("$rc $out", "2 heao-admin: invalid batch code \"o4\" (1 to 4 digits or"
   . " capitals)\n", 'O4 a malformed batch code is a usage error');
($rc, $out) = admin_err('window', 'O4', 'open', 'now', '--by', 'a',
                        '--why', 'b');
like("$rc $out", qr/^2 tools\/heao-admin: .*^  heao-admin window BATCH/ms,
     'O4 window open with a time is a usage error, with the usage');

# a batch that has not opened yet: a close would wipe its planned
# opening, an extend before the opening breaks the window
psql(q{update heao.batch set opens_at = date_trunc('second', now())
                                        + interval '2 days',
                             closes_at = date_trunc('second', now())
                                         + interval '3 days'
        where code = 'O4'});
my $window = psql("select opens_at || ' .. ' || closes_at from heao.batch"
                  . " where code = 'O4'");
my ($opens) = split / \.\. /, $window;

($rc, $out) = admin_err('window', 'O4', 'close', '--by', 'op-li',
                        '--why', 'closing early');
is("$rc $out", "1 heao-admin: batch O4 has not opened yet (opens $opens):"
   . " nothing changed\n",
   'O4 closing a batch that has not opened yet is refused');

my $before = psql(q{select to_char(now() + interval '1 day',
                                   'YYYY-MM-DD HH24:MI')});
($rc, $out) = admin_err('window', 'O4', 'extend', $before, '--by', 'op-li',
                        '--why', 'extended before the opening');
is("$rc $out", "1 heao-admin: batch O4 opens at $opens: a close at $before"
   . " (Beijing time) would come before the opening, nothing changed\n",
   'O4 extending to a time before the opening is refused in words');
is(psql("select opens_at || ' .. ' || closes_at from heao.batch"
        . " where code = 'O4'"), $window,
   'O4 ... and the planned window is as it was');
is(psql("select count(*) from heao.admin_audit where subject = 'O4'"), 2,
   'O4 ... and neither is audited');

psql(qq{update heao.batch set opens_at = now() - interval '1 day',
                              closes_at = '$closes' where code = 'O4'});


# A14: a county office resets a password

($rc, $out) = admin('reset-password', $C[1]{exam_no}, '--by', 'county-410102',
                    '--why', 'candidate came in person');
my ($password) = $out =~ /new office-set password (\S+)/;
ok($rc == 0 && defined $password, 'O4 reset-password prints a new password');
is(psql("select pw_office_set from heao.candidate"
        . " where exam_no = '$C[1]{exam_no}'"), 't',
   'A14 the new password is office-set');

my $login = http_post('/api/login', json_of({
    exam_no => $C[1]{exam_no}, id_no => $C[1]{id_no},
    password => $password }));
like($login, qr/"must_change_password":true/,
     'A14 the login with it must change the password first');
is(psql("select actor || '/' || reason from heao.admin_audit"
        . " where subject = '$C[1]{exam_no}'"),
   'county-410102/candidate came in person', 'O4 the reset is audited');
unlike(psql("select detail::text from heao.admin_audit"
            . " where subject = '$C[1]{exam_no}'"), qr/\Q$password\E/,
       'O3 the audit does not hold the password');

($rc, $out) = admin_err('reset-password', '21419999999999', '--by', 'a',
                        '--why', 'b');
is("$rc $out", "1 heao-admin: no candidate 21419999999999\n",
   'O4 reset-password of an unknown candidate is refused');
($rc, $out) = admin_err('reset-password', '2141999999999', '--by', 'a',
                        '--why', 'b');
is("$rc $out", "2 heao-admin: invalid exam number \"2141999999999\" (14"
   . " digits, the 3rd and 4th 41)\n",
   'O4 reset-password of a malformed exam number is a usage error');

# the password the other suites expect comes back
psql("update heao.candidate c set pw_hash = d.pw_hash, pw_office_set = false"
     . " from heao.candidate d where c.exam_no = '$C[1]{exam_no}'"
     . " and d.exam_no = '$C[2]{exam_no}'");


# the county export and the checksum of a printed table (F15)

psql(qq{update heao.batch set closes_at = now() + interval '1 day'
         where code = 'O4'});
my $canonical = "$C[3]{exam_no}|O4|1.1:1105:07,11:A";
my $sum = checksum($canonical);
my $saved = psql(qq{select heao.save_application(
    (select id from heao.candidate where exam_no = '$C[3]{exam_no}'), 'O4',
    '00000000-0000-4000-a000-000000001243',
    '{"sections": [{"slots": [{"institution": "1105",
      "majors": ["07", "11"], "adjust": "agree"}]}]}', 'summary',
    '$sum', extract(epoch from now()), '127.0.0.1', 'test')});
like($saved, qr/"status"\s*:\s*"saved"/, 'F15 a save to export');

($rc, $out) = admin('export', '410102');
is($rc, 0, 'O4 export runs');
like($out, qr/^exam_no,name,batch,save_no,saved_at,checksum,slots$/m,
     'O4 the export has a header line');
like($out, qr/^\Q$C[3]{exam_no}\E,\Q$C[3]{name}\E,O4,1,[\d: -]+,$sum,"1\.1:1105:07,11:A"$/m,
     'O4 the candidate\'s save is a row with its checksum and slots');

for my $bad ('abc', '4101020', '') {
    ($rc, $out) = admin_err('export', $bad);
    is("$rc $out", "2 heao-admin: invalid county code \"$bad\" (the 6-digit"
       . " division code, e.g. 410102)\n",
       "O4 export of the malformed county code '$bad' is a usage error");
}

($rc, $out) = admin_err('export', '110101');
is("$rc $out", "1 heao-admin: no such county 110101: not a Henan county"
   . " code\n", 'O4 export of a county not in Henan is refused');
($rc, $out) = admin('export', '419001');
like("$rc $out", qr/^0 exam_no,name,batch,save_no,saved_at,checksum,slots\n/,
     'O4 export of a Henan county gives the header, whatever it saved');

($rc, $out) = admin('verify-checksum', $canonical, $sum);
is($rc, 0, 'F15 the printed table\'s checksum verifies');
my $altered = "$C[3]{exam_no}|O4|1.1:1105:07,12:A";
($rc, $out) = admin('verify-checksum', $altered, $sum);
is("$rc $out", "1 checksum $sum does not match the table: check the text"
   . " against the printed table; if it still does not match, the table is"
   . " not the one saved: compare it with the county's export\n",
   'F15 a table with one major changed does not, and it says what to do');
my $forged = checksum($altered);
unlike($out, qr/\Q$forged\E/i,
       'F15 ... never the checksum the altered table would need');
($rc, $out) = admin_err('verify-checksum', $canonical, 'not-a-checksum');
is("$rc $out", "2 heao-admin: invalid checksum \"not-a-checksum\" (20"
   . " hexadecimal digits)\n", 'F15 a malformed checksum is a usage error');


# V1 B6: the browse answer is cached until the candidate's next save, and
# an operator's window or catalog change shows in it at once: candidate
# 1243's save of O4 above

my $cid = psql("select id from heao.candidate"
               . " where exam_no = '$C[3]{exam_no}'");
my $B = session(1243);

# the portal has met the catalog version of the window change above
$start = time();
sleep 0.25 while redis('GET', 'heao:be')
                 ne psql('select heao.catalog_version()')
                 and time() - $start < 2 * $REFRESH + 2;

sub browse {
    my ($status, $body) = request('GET', '/api/browse', $B);
    return $status == 200 ? $body : "status $status";
}

my $closes_at = psql(q{select floor(extract(epoch from closes_at))
                         from heao.batch where code = 'O4'});
like(browse(), qr/"batch":"O4".*"saves_used":1,.*"closes_at":$closes_at,/,
     'V1 browse shows the save of O4 and the window\'s close');

# a counter moved behind the portal's back (no save, no operator's
# command) stays unseen while the answer is cached; the store is not
# waited for, so it may land a moment after the first answer
psql("update heao.group_state set saves_used = 2"
     . " where candidate_id = $cid and group_code = 'O4'");
sleep 0.3;
like(browse(), qr/"batch":"O4".*"saves_used":1,/,
     'V1 a second browse with no change is served from the cache');

my $later = psql(q{select to_char(now() + interval '3 hours',
                                  'YYYY-MM-DD HH24:MI:SS')});
($rc, $out) = admin('window', 'O4', 'extend', $later, '--by', 'op-li',
                    '--why', 'extended again');
is($rc, 0, 'O4 window extend runs');
my $later_at = psql("select floor(extract(epoch from"
                    . " '$later'::timestamptz))");
like(browse(), qr/"batch":"O4".*"saves_used":2,.*"closes_at":$later_at,/,
     'V1 B6 the next browse shows the extended close at once (and is read'
     . ' again: the counter moved meanwhile shows too)');

# the catalog of O4 again, with major 07 renamed
my $old = psql(q{select name from heao.major
                  where batch_code = 'O4' and inst_code = '1105'
                    and code = '07'});
my $catalog = '/tmp/catalog-o4.csv';
open(my $cf, '>', $catalog) or die $!;
print $cf 'batch,inst_code,inst_name,province,ownership,major_code,'
          . "major_name,class,plan,tuition,years,restrictions,note,"
          . "major_group\n",
          map { "$_\n" } split /\n/, psql(q{
    select format('O4,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,,,', i.code, i.name,
                  i.province, i.ownership, m.code,
                  m.name || case when m.code = '07' then '（新）' else ''
                            end,
                  m.class, m.plan, m.tuition, m.years)
      from heao.institution i
      join heao.major m on m.batch_code = i.batch_code
                       and m.inst_code = i.code
     where i.batch_code = 'O4'
     order by m.code});
close $cf;

($rc, $out) = admin('load-catalog', $catalog, '--by', 'op-li',
                    '--why', 'major renamed');
unlink $catalog;
is($rc, 0, 'O4 load-catalog of O4 with a major renamed runs');
like(browse(), qr/"code":"07","name":"\Q$old\E（新）"/,
     'V1 B6 the next browse shows the new name of the major at once');

# a change made in PostgreSQL, not by heao-admin, reaches browse within
# the catalog refresh: the portal moves the epoch itself
psql(q{update heao.batch set name = '运维测试批（改）' where code = 'O4'});
my $seen;
$start = time();

while (time() - $start < 2 * $REFRESH + 2) {
    if (browse() =~ /"batch_name":"运维测试批（改）"/) {
        $seen = time() - $start;
        last;
    }

    sleep 0.25;
}

ok(defined $seen, 'V1 B6 a batch renamed in PostgreSQL shows in browse'
   . ' within the catalog refresh'
   . (defined $seen ? sprintf(' (%.1f s)', $seen) : ''));

# an answer stored under an older epoch is not served
my $epoch = redis('GET', 'heao:be');
my $gen = redis('GET', "heao:bg:$cid") || '0';
redis('SET', "heao:b:$cid", "$gen:" . ($epoch - 1) . ' {"groups":[]}',
      'EX', '60');
like(browse(), qr/"batch":"O4"/,
     'B6 an answer cached under an older epoch is read again');

my $later2 = psql(q{select to_char(now() + interval '4 hours',
                                   'YYYY-MM-DD HH24:MI:SS')});
my $cmd = "HEAO_REDIS=127.0.0.1:1 '$ADMIN' window O4 extend '$later2'"
          . " --by op-li --why 'no redis' 2>&1";
$out = qx{$cmd};
is($? >> 8, 0, 'O4 window extend without Redis: the change stands');
like($out, qr/^\Qheao-admin: warning: cached browse answers were not\E
               \Q dropped: redis 127.0.0.1:1: \E.*
               \Q the portal drops them within heao_catalog_refresh\E$/mx,
     'B6 ... and it says the cached browse answers go a little later');


# the roster from CSV: the refused rows reported, then nothing loaded

my $id = sub {
    my ($d) = @_;
    my $id17 = "4101021999010199$d";
    return $id17 . HeaoTest::check_char($id17);
};
my $csv = "/tmp/roster-o4.csv";
psql(q{delete from heao.candidate where exam_no like '2141970000124%'});
open(my $fh, '>', $csv) or die $!;
print $fh "exam_no,id_no,name,track,county_code\n",
          "21419700001241,", $id->(1), ",王小明,理,410102\n",
          "21419700001242,", $id->(2), ",李·小红,文,410102\n",
          "21419700001243,", substr($id->(3), 0, 17) . 'Y', ",赵三,文,410102\n",
          "21419700001244,", $id->(4), ",赵四,数,410102\n",
          "$C[4]{exam_no},$C[4]{id_no},$C[4]{name},理,410102\n";
close $fh;

($rc, $out) = admin_err('load-roster', $csv, '--by', 'op-wang',
                        '--why', 'roster 2021');
is($rc, 1, 'O4 load-roster refuses a roster with bad rows');
like($out, qr/\nheao-admin: 3 rows refused, nothing loaded\n\z/,
     'O4 ... and ends saying so in one line of its own');
ok((grep { $_ eq 'line 4: 21419700001243 rejected: ID number must be 17'
             . ' digits and a check character' } split /\n/, $out),
   'O4 a check character that cannot be one is reported by line');
like($out, qr/^line 5: 21419700001244 rejected: track must be 文 or 理$/m,
     'O4 an unknown track is reported');
like($out, qr/^line 6: \Q$C[4]{exam_no}\E rejected: already on the roster$/m,
     'O4 a candidate already there is reported');
unlike($out, qr/^line [23]:/m, 'O4 the good rows are not');
is(psql(q{select count(*) from heao.candidate
           where exam_no like '2141970000124%'}),
   0, 'O4 not even the good rows');

open($fh, '>', $csv) or die $!;
print $fh "exam_no,id_no,name,track,county_code\n",
          "21419700001241,", $id->(1), ",王小明,理,410102\n",
          "21419700001242,", $id->(2), ",李·小红,文,410102\n";
close $fh;

($rc, $out) = admin('load-roster', $csv, '--by', 'op-wang',
                    '--why', 'roster 2021');
is($rc, 0, 'O4 load-roster loads the corrected roster');
like($out, qr/^loaded 2, rejected 0$/m, 'O4 both rows loaded');
like($out, qr/^21419700001242 Heao[0-9]+!$/m,
     'A14 with the office-set password of each');
is(psql(q{select string_agg(exam_no || pw_office_set, ',' order by exam_no)
            from heao.candidate where exam_no like '2141970000124%'}),
   '21419700001241true,21419700001242true',
   'A14 the loaded candidates have office-set passwords');
is(psql(q{select detail::text from heao.admin_audit
           where subject = 'roster-o4.csv'}),
   '{"loaded": 2, "rejected": 0}',
   'O4 only the load is audited, with its count');

psql(q{
    begin;
    set local heao.purge = on;
    delete from heao.candidate where exam_no like '2141970000124%';
    delete from heao.outbox where candidate_id in
        (select candidate_id from heao.save_history where batch_code = 'O4');
    delete from heao.mailbox where candidate_id in
        (select candidate_id from heao.save_history where batch_code = 'O4');
    delete from heao.group_state where batch_code = 'O4';
    delete from heao.save_history where batch_code = 'O4';
    delete from heao.batch where code = 'O4';
    delete from heao.batch_group where code = 'O4';
    commit;
});
unlink $csv;


# A8: a password reset ends the candidate's sessions (candidate 180)

my $r = reset_candidate(180);
my $rid = psql("select id from heao.candidate where exam_no = '$r->{exam_no}'");
my @live = (session(180), session(180));

is((request('GET', '/api/session', $live[0], undef))[0], 200,
   'A8 a session of the candidate before the reset');

($rc, $out) = admin('reset-password', $r->{exam_no}, '--by', 'county-410102',
                    '--why', 'lost the password');
is($rc, 0, 'O4 reset-password with sessions to end');
like($out, qr/^sessions ended: 2$/m, 'A8 it reports the two sessions ended');
is(redis('EXISTS', "heao:cs:$rid"), 0, 'A8 the set of its sessions is gone');
is((request('GET', '/api/session', $live[0], undef))[0], 401,
   'A8 the first session no longer works');
is((request('GET', '/api/session', $live[1], undef))[0], 401,
   'A8 nor the second');

$ENV{HEAO_REDIS} = '127.0.0.1:1';
($rc, $out) = admin_err('reset-password', $r->{exam_no}, '--by', 'a',
                        '--why', 'b');
is($rc, 3, 'O4 reset-password says so when Redis is out of reach, exit 3');
$re = "^heao-admin: the sessions of \Q$r->{exam_no}\E were not ended:"
      . ' redis 127\.0\.0\.1:1: Could not connect [^\n]*\n\z';
like($out, qr/$re/m,
     'O4 ... naming the Redis it tried, after the new password');
$ENV{HEAO_REDIS} = '127.0.0.1:' . ($ENV{TEST_NGINX_REDIS_PORT} || 16380);

{
    local $ENV{HEAO_PG} = 'host=127.0.0.1 port=1 dbname=heao user=heao';
    ($rc, $out) = admin_err('audit');
    $re = '^3 heao-admin: PostgreSQL \(host=127\.0\.0\.1 port=1'
          . ' dbname=heao user=heao\): connection to server'
          . '[^\n]* failed: Connection refused\n\z';
    like("$rc $out", qr/$re/,
         'O4 a PostgreSQL out of reach is exit 3, in one line');
}

psql("update heao.candidate c set pw_hash = d.pw_hash, pw_office_set = false"
     . " from heao.candidate d where c.exam_no = '$r->{exam_no}'"
     . " and d.exam_no = '$C[2]{exam_no}'");

done_testing();
