# F14, R3: saves racing for one candidate count once.  Twenty clients
# save at the same instant, over real connections to the portal that
# tools/test runs (HEAO_HTTP_PORT); the counter never passes three and the
# 60-minute rule holds.  Candidates 60 and 61.

use strict;
use warnings;

use FindBin;
use lib $FindBin::Bin;

use Test::More;
use IO::Socket::INET;
use HeaoTest;

my $port = $ENV{HEAO_HTTP_PORT}
    or plan skip_all => 'needs the portal of tools/test (HEAO_HTTP_PORT)';

my $CLIENTS = 20;
my $serial = (time() % 100000) * 1000;

my ($other, $major) = split /\|/, psql(q{
    select inst_code, code from heao.major
     where batch_code = '11' and inst_code <> '1105' and class = 'ordinary'
       and restrictions = '{}'
     order by 1, 2 limit 1});


sub save_body {
    my $id = sprintf('00000000-0000-4000-9000-%012d', $serial++);

    return json_of({ save_id => $id, application => { sections => [
        { slots => [ { institution => '1105', majors => ['07'],
                       adjust => 'agree' },
                     { institution => $other, majors => [$major],
                       adjust => 'disagree' } ] } ] } });
}


# the status and body of one save, sent when the barrier opens
sub save_when {
    my ($barrier, $headers, $body) = @_;
    my $sock = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
                                     PeerPort => $port, Timeout => 10)
        or die "connect: $!";

    sysread($barrier, my $go, 1);

    print $sock "POST /api/fill/11/save HTTP/1.1\r\nHost: localhost\r\n"
        . "Connection: close\r\nContent-Type: application/json\r\n"
        . join('', map { "$_\r\n" } split /\n/, $headers)
        . "Content-Length: " . length($body) . "\r\n\r\n" . $body;

    local $/;
    my $resp = <$sock> // '';
    my ($status) = $resp =~ m{^HTTP/1\.1 (\d+)};
    my ($reply) = $resp =~ /\r\n\r\n(.*)\z/s;

    return ($status // 0) . ' ' . ($reply // '');
}


# runs the clients at once; returns their answers
sub race {
    my (@headers) = @_;
    my @kids;

    pipe(my $barrier_r, my $barrier_w) or die "pipe: $!";

    for my $i (0 .. $CLIENTS - 1) {
        my $body = save_body();
        pipe(my $r, my $w) or die "pipe: $!";
        my $pid = fork() // die "fork: $!";

        if ($pid == 0) {
            close $r;
            close $barrier_w;
            print $w save_when($barrier_r, $headers[$i % @headers], $body);
            close $w;
            exit 0;
        }

        close $w;
        push @kids, [$pid, $r];
    }

    close $barrier_r;
    select(undef, undef, undef, 0.3);
    close $barrier_w;

    my @answers;

    for my $k (@kids) {
        local $/;
        my $fh = $k->[1];
        push @answers, scalar <$fh>;
        waitpid($k->[0], 0);
    }

    return @answers;
}


sub state_of {
    my ($t) = @_;
    my $c = candidate($t);

    return psql(qq{
        select saves_used || ' ' || (select count(*) from heao.save_history h
                                      where h.candidate_id = s.candidate_id)
          from heao.group_state s join heao.candidate c
            on c.id = s.candidate_id
         where c.exam_no = '$c->{exam_no}'});
}


sub age {
    my ($t) = @_;
    my $c = candidate($t);

    psql(qq{update heao.group_state
               set last_save_at = last_save_at - interval '61 minutes'
             where candidate_id = (select id from heao.candidate
                                    where exam_no = '$c->{exam_no}')});
}


sub count_status {
    my ($status, @answers) = @_;
    return scalar grep { /^$status / } @answers;
}


reset_candidate(60);
my $h = session(60, fill => ['11', time() + 900]);

for my $round (1 .. 3) {
    my @a = race($h);

    is(count_status(200, @a), 1,
       "F14 round $round: one of $CLIENTS racing saves is accepted");
    is(count_status(409, @a), $CLIENTS - 1,
       "F14 round $round: the others are refused as too soon");
    # after the third save the lasting reason is that none are left
    my $reason = $round < 3 ? 'too_soon' : 'no_saves_left';

    is(scalar(grep { /"reason":"$reason"/ } @a), $CLIENTS - 1,
       "F12 round $round: the refusals say $reason");
    is(state_of(60), "$round $round",
       "F14 round $round: $round saves counted and kept in the history");

    age(60);
}

my @a = race($h);

is(count_status(409, @a), $CLIENTS,
   'F12 a fourth round: every racing save is refused');
is(scalar(grep { /"reason":"no_saves_left"/ } @a), $CLIENTS,
   'F12 a fourth round: the refusals say no saves are left');
is(state_of(60), '3 3', 'F14 the counter never passed three');

# two sessions of one candidate (two browsers) racing
reset_candidate(61);
my @two = (session(61, fill => ['11', time() + 900]),
           session(61, fill => ['11', time() + 900]));
@a = race(@two);

is(count_status(200, @a), 1,
   'F14 saves racing from two sessions of one candidate count once');
is(state_of(61), '1 1', 'F14 one save counted for two sessions');

done_testing();
