# F14, V3, R3: a crowd of saves and abandons for one candidate and group
# at once, over real connections to the portal that tools/test runs
# (HEAO_HTTP_PORT).  Whatever the order the backends take them in: one
# abandon is acknowledged and the others are told the group is already
# abandoned; a save is acknowledged only if it came before the abandon
# (the 60-minute rule lets one through at most), never one sent after an
# abandon was acknowledged; every acknowledged save is in the history and
# no refused one is; the counter never passes three; afterwards the group
# is voided, its saves kept in the history, and filling it again is
# refused.  Candidates 62-69.

use strict;
use warnings;

use FindBin;
use lib $FindBin::Bin;

use Test::More;
use IO::Socket::INET;
use Time::HiRes qw(time sleep);
use HeaoTest;

my $port = $ENV{HEAO_HTTP_PORT}
    or plan skip_all => 'needs the portal of tools/test (HEAO_HTTP_PORT)';

my $SAVES = 10;
my $ABANDONS = 5;
my $serial = (int(time()) % 100000) * 1000 + 500;

my ($other, $major) = split /\|/, psql(q{
    select inst_code, code from heao.major
     where batch_code = '11' and inst_code <> '1105' and class = 'ordinary'
       and restrictions = '{}'
     order by 1, 2 limit 1});

my %ID;


sub prepare {
    my ($t) = @_;
    my $c = reset_candidate($t);

    # no phone nor WeChat nor dynamic password: A8's order makes the
    # 密码验证信息 the proof, as in t/070-after-save.t
    $ID{$t} = psql("update heao.candidate set totp_secret = null,"
                   . " totp_bound_at = null, phone = null,"
                   . " wechat_openid = null"
                   . " where exam_no = '$c->{exam_no}' returning id");
    redis('DEL', "heao:ab:$ID{$t}", "heao:bg:$ID{$t}");

    return $c;
}


sub save_request {
    my $id = sprintf('00000000-0000-4000-9000-%012d', $serial++);

    return ['save', "/api/fill/11/save", json_of({
        save_id => $id, application => { sections => [
        { slots => [ { institution => '1105', majors => ['07'],
                       adjust => 'agree' },
                     { institution => $other, majors => [$major],
                       adjust => 'disagree' } ] } ] } })];
}


sub abandon_request {
    return ['abandon', "/api/abandon/11",
            json_of({ proof => { type => 'verify_info',
                                 value => '中原大地' } })];
}


# one request, sent DELAY seconds after the barrier opens; returns
# "kind status sent received body"
sub send_when {
    my ($barrier, $headers, $delay, $req) = @_;
    my ($kind, $path, $body) = @$req;
    my $sock = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
                                     PeerPort => $port, Timeout => 60)
        or die "connect: $!";

    sysread($barrier, my $go, 1);
    sleep($delay) if $delay;

    my $sent = time();

    print $sock "POST $path HTTP/1.1\r\nHost: localhost\r\n"
        . "Connection: close\r\nContent-Type: application/json\r\n"
        . join('', map { "$_\r\n" } split /\n/, $headers)
        . "Content-Length: " . length($body) . "\r\n\r\n" . $body;

    local $/;
    my $resp = <$sock> // '';
    my $received = time();
    my ($status) = $resp =~ m{^HTTP/1\.1 (\d+)};
    my ($reply) = $resp =~ /\r\n\r\n(.*)\z/s;

    return sprintf("%s %d %.6f %.6f %s", $kind, $status // 0, $sent,
                   $received, $reply // '');
}


# runs the jobs ([delay, request]) at once; returns their answers as
# hashes
sub crowd {
    my ($headers, @jobs) = @_;
    my @kids;

    pipe(my $barrier_r, my $barrier_w) or die "pipe: $!";

    for my $job (@jobs) {
        pipe(my $r, my $w) or die "pipe: $!";
        my $pid = fork() // die "fork: $!";

        if ($pid == 0) {
            close $r;
            close $barrier_w;
            print $w send_when($barrier_r, $headers, @$job);
            close $w;
            exit 0;
        }

        close $w;
        push @kids, [$pid, $r];
    }

    close $barrier_r;
    sleep(0.3);
    close $barrier_w;

    my @answers;

    for my $k (@kids) {
        local $/;
        my $fh = $k->[1];
        my $a = scalar <$fh> // '';
        my ($kind, $status, $sent, $received, $body)
            = $a =~ /^(\w+) (\d+) ([\d.]+) ([\d.]+) (.*)\z/s;

        push @answers, { kind => $kind // '?', status => $status // 0,
                         sent => $sent // 0, received => $received // 0,
                         body => $body // $a };
        waitpid($k->[0], 0);
    }

    return @answers;
}


# the jobs: half the saves and the abandons at the same instant, the
# other saves spread over the next 0.5 s, when the abandon may have been
# answered
sub jobs {
    my @jobs;

    for my $i (0 .. $SAVES - 1) {
        push @jobs, [$i < $SAVES / 2 ? 0 : 0.1 * ($i - $SAVES / 2 + 1),
                     save_request()];
    }

    for my $i (0 .. $ABANDONS - 1) {
        push @jobs, [0.005 * $i, abandon_request()];
    }

    return @jobs;
}


sub state_of {
    my ($t) = @_;

    return psql(qq{
        select s.saves_used
               || ' ' || (select count(*) from heao.save_history h
                           where h.candidate_id = s.candidate_id
                             and h.group_code = s.group_code)
               || ' ' || (s.abandoned_at is not null)
               || ' ' || (select count(*) from heao.mailbox m
                           where m.candidate_id = s.candidate_id
                             and m.kind = 'abandon')
          from heao.group_state s
         where s.candidate_id = $ID{$t} and s.group_code = '11'});
}


sub age {
    my ($t) = @_;

    psql(qq{update heao.group_state
               set last_save_at = last_save_at - interval '61 minutes'
             where candidate_id = $ID{$t} and group_code = '11'});
}


# one save, alone, acknowledged (to bring a candidate to N saves)
sub save_alone {
    my ($t, $h) = @_;
    my @a = crowd($h, [0, save_request()]);

    return $a[0]{status};
}


# the checks of one crowd for candidate T that had USED saves before it,
# of which the rules (F12) let ALLOWED more through before an abandon
sub check_crowd {
    my ($t, $used, $allowed, $h) = @_;
    my $name = "candidate $t, $used saves before";
    my @a = crowd($h, jobs());

    my @ab = grep { $_->{kind} eq 'abandon' } @a;
    my @sv = grep { $_->{kind} eq 'save' } @a;
    my @ab_ok = grep { $_->{status} == 200 } @ab;
    my @sv_ok = grep { $_->{status} == 200 } @sv;

    is(scalar(grep { $_->{status} >= 500 || $_->{status} == 0 } @a), 0,
       "R3 $name: no request of the crowd failed or went unanswered")
        or diag(join "\n", map { "$_->{kind} $_->{status} $_->{body}" } @a);

    is(scalar @ab_ok, 1, "V3 $name: one of $ABANDONS abandons is acknowledged")
        or diag(join "\n", map { "$_->{status} $_->{body}" } @ab);
    like($ab_ok[0]{body} // '',
         qr/^\{"abandoned_at":\d+,"group":"11","batches":\[\{"batch":"11","name":"本科一批"\}\],"abandoned":true\}$/,
         "V3 $name: the acknowledged abandon names the group");
    is(scalar(grep { $_->{status} == 409
                     && $_->{body} =~ /"error":"already_abandoned"/ } @ab),
       $ABANDONS - 1,
       "V3 $name: the other abandons are told the group is abandoned");

    # before the abandon, the 60-minute rule (F12) admits one save at
    # most, none when the three are used or the last is too recent
    cmp_ok(scalar @sv_ok, '<=', $allowed,
           "F14 $name: at most the saves the rules allow are acknowledged");

    my @bad = grep {
        !($_->{status} == 200
          || ($_->{status} == 409
              && $_->{body} =~ /"reason":"(?:too_soon|no_saves_left|abandoned)"/))
    } @sv;

    is(scalar @bad, 0,
       "F12 $name: every refused save says why (too soon, none left,"
       . " abandoned)")
        or diag(join "\n", map { "$_->{status} $_->{body}" } @bad);

    # a save sent once an abandon had been acknowledged is refused as
    # abandoned (the abandon is final), whatever the backends' order
    my $acked = $ab_ok[0] ? $ab_ok[0]{received} : 9e9;
    my @late = grep { $_->{sent} > $acked } @sv;

    is(scalar(grep { $_->{status} == 200 } @late), 0,
       "V3 $name: no save sent after the acknowledged abandon is"
       . " acknowledged (" . scalar(@late) . " sent after it)");
    is(scalar(grep { $_->{body} !~ /"reason":"abandoned"/ } @late), 0,
       "V3 $name: the saves sent after it are refused as abandoned");

    my $n = $used + @sv_ok;

    is(state_of($t), "$n $n true 1",
       "F14 $name: the counter ($n, never past 3) and the history hold"
       . " exactly the acknowledged saves; one abandon recorded");
    cmp_ok($n, '<=', 3, "F14 $name: the counter never passed three");

    # V3 afterwards: the application voided, the saves kept, refilling
    # and saving refused
    my $browse = http_get_json($h, '/api/browse');
    like($browse,
         qr/"group":"11".*"application":null,"checksum":null,"saves_used":$n,.*"abandoned":true/,
         "V3 $name: browse shows the group voided and abandoned");

    my $history = http_get_json($h, '/api/history');
    my $kept = () = $history =~ /"save_no":/g;

    is($kept, $n, "V4 $name: the history keeps the $n saves");

    my @after = crowd($h, [0, ['begin', '/api/fill/11/begin',
                                json_of({ accept_notice => \1 })]],
                          [0.2, save_request()]);

    is(join(' ', map { $_->{status} } @after), '409 409',
       "V3 $name: entering the fill page and saving afterwards are refused");
    is(scalar(grep { $_->{body} =~ /"reason":"abandoned"/ } @after), 2,
       "V3 $name: both refusals say the group is abandoned")
        or diag(join "\n", map { $_->{body} } @after);
    is(state_of($t), "$n $n true 1", "V3 $name: nothing changed after");
}


sub http_get_json {
    my ($headers, $path) = @_;
    my $sock = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
                                     PeerPort => $port, Timeout => 60)
        or die "connect: $!";

    print $sock "GET $path HTTP/1.1\r\nHost: localhost\r\n"
        . "Connection: close\r\n"
        . join('', map { "$_\r\n" } split /\n/, $headers) . "\r\n";

    local $/;
    my $resp = <$sock> // '';
    my ($reply) = $resp =~ /\r\n\r\n(.*)\z/s;

    return $reply // '';
}


# a fresh candidate: the first save races the abandons
{
    prepare(62);
    my $h = session(62, fill => ['11', int(time()) + 900]);

    check_crowd(62, 0, 1, $h);
}

# two saves used, the last an hour ago: the third races the abandons
{
    prepare(63);
    my $h = session(63, fill => ['11', int(time()) + 900]);

    for my $n (1, 2) {
        is(save_alone(63, $h), 200, "F12 candidate 63: save $n alone");
        age(63);
    }

    check_crowd(63, 2, 1, $h);
}

# the three saves used: no save can win, the abandon still does
{
    prepare(64);
    my $h = session(64, fill => ['11', int(time()) + 900]);

    for my $n (1 .. 3) {
        is(save_alone(64, $h), 200, "F12 candidate 64: save $n alone");
        age(64);
    }

    check_crowd(64, 3, 0, $h);
}

# a save just made (less than an hour ago): only the abandon can win
{
    prepare(65);
    my $h = session(65, fill => ['11', int(time()) + 900]);

    is(save_alone(65, $h), 200, 'F12 candidate 65: a save alone');

    check_crowd(65, 1, 0, $h);
}

done_testing();
