# R2, R3: Redis killed and restarted under load, PostgreSQL restarted
# under load and stopped for 30 seconds, then each of them frozen (SIGSTOP:
# connections accepted, nothing answered) and thawed again.  While a
# backend is away the requests that need it get a prompt 503 with
# Retry-After, while it is silent a 503 at the configured timeout; the module
# reconnects by itself within seconds of its return; every save
# acknowledged meanwhile is in the history.  Drives the portal of
# tools/test, killing and starting its backends; candidates 920 to 1099.

use strict;
use warnings;

use FindBin;
use lib $FindBin::Bin;

use Test::More;
use Time::HiRes qw(time sleep);
use HeaoTest;
use HeaoFault;

$ENV{HEAO_HTTP_PORT}
    or plan skip_all => 'needs the portal of tools/test (HEAO_HTTP_PORT)';

my $CLIENTS = 4;
my $PER_CLIENT = 15;        # candidates a client saves for, one save each
my $FIRST = 920;
my $PROMPT = 2.5;           # seconds: connect and command timeouts are 1 s
my $PG_PROMPT = 6;          # a silent PostgreSQL: heao_pg_query_timeout 5 s
my $RECOVERY = 3;           # seconds after the backend is back
my $WORKERS = 2;
my $POOL = 4;

my $from = log_size();
my (@h, @cand);


sub sessions {
    my ($first) = @_;

    @h = ();

    for my $k (0 .. $CLIENTS - 1) {
        for my $j (0 .. $PER_CLIENT - 1) {
            my $t = $first + $k * $PER_CLIENT + $j;

            reset_candidate($t);
            $h[$k][$j] = session($t, fill => ['11', int(time()) + 900]);
        }
    }

    # the append-only file is synced each second: sessions outlive a kill
    sleep 1.2;
}


# a client saves for its next candidate every third request and reads
# its saves and its session in between
sub mixed {
    my ($k, $i) = @_;
    my $j = int($i / 3);

    return first_save($h[$k][$j], '1105', '07')
        if $i % 3 == 0 && $j < $PER_CLIENT;
    return ('GET', '/api/session', $h[$k][0]) if $i % 3 == 1;
    return ('GET', '/api/browse', $h[$k][0]);
}


# browse answers cached in Redis (V1) would still be served: drop them,
# so that the browses need PostgreSQL while it is away
sub drop_browses {
    HeaoTest::redis('EVAL', "for _, k in ipairs(redis.call('KEYS', "
                    . "'heao:b:*')) do redis.call('DEL', k) end", '0');
}


sub check_run {
    my ($what, $back, $answers, $prompt) = @_;
    my @a = @$answers;

    $prompt //= $PROMPT;

    my @odd = grep { $_->[2] != 200 && $_->[2] != 503 } @a;
    my @busy = grep { $_->[2] == 503 } @a;
    my @slow = grep { $_->[3] > $prompt } @a;
    my @late = grep { $_->[1] > $back + $RECOVERY } @a;

    cmp_ok(scalar @a, '>', 100, "R2 $what: the load ran (" . @a
                                . ' requests, ' . @busy . ' 503)');
    is(scalar @odd, 0, "R2 $what: every answer is 200 or 503")
        or diag(join "\n", map { "$_->[2] $_->[5]" } @odd[0 .. 2]);
    cmp_ok(scalar @busy, '>', 0, "R2 $what: requests got 503 meanwhile");
    is(scalar(grep { $_->[4] ne '5'
                     || $_->[5] !~ /^\{"error":"unavailable"/ } @busy), 0,
       "R2 $what: each 503 is the JSON unavailable with Retry-After: 5");
    is(scalar @slow, 0, "R2 $what: every answer within $prompt s")
        or diag(join "\n", map { "$_->[2] $_->[3] s" } @slow[0 .. 2]);
    cmp_ok(scalar @late, ">", 10, "R2 $what: requests ran after the return")
        or diag("back at $back, last request at "
                . (sort { $b <=> $a } map { $_->[1] } @a)[0]);
    is(scalar(grep { $_->[2] != 200 } @late), 0,
       "R2 $what: all 200 from $RECOVERY s after the backend's return");

    my ($saved, @missing) = saves_missing(@a);

    cmp_ok($saved, '>', 0, "R3 $what: $saved saves acknowledged");
    is(scalar @missing, 0,
       "R3 $what: every acknowledged save is in the history")
        or diag("@missing");
}


# the backends are connected before anything starts
sessions($FIRST);
request('GET', '/api/browse', $h[0][0]) for 1 .. 4;

# Redis: killed at 1.5 s, started again 3 s later, load 4.5 s more
my $back;
my @a = load($CLIENTS, $RECOVERY + 1.5, \&mixed, sub {
    sleep 1.5;
    redis_kill();
    sleep 3;
    redis_start();
    $back = time();
});

check_run('Redis killed', $back, \@a);
cmp_ok(redis_clients(), '<=', $WORKERS,
       'R2 one Redis connection a worker after the restart');

# PostgreSQL: restarted at 1 s, stopped 5 s later for 30 s, load 4.5 s more
sessions($FIRST + $CLIENTS * $PER_CLIENT);
my $restarted;

@a = load($CLIENTS, $RECOVERY + 1.5, \&mixed, sub {
    sleep 1;
    pg_ctl('restart');
    $restarted = time();
    sleep $RECOVERY + 2;
    pg_ctl('stop');

    drop_browses();
    sleep 30;
    pg_ctl('start');
    $back = time();
});

# the 2 s between the recovery and the stop
my @after_restart = grep { $_->[1] > $restarted + $RECOVERY
                           && $_->[1] < $restarted + $RECOVERY + 2 } @a;

cmp_ok(scalar @after_restart, '>', 10,
       'R2 PostgreSQL restarted: requests ran between the recovery and'
       . ' the stop (' . @after_restart . ')');
is(scalar(grep { $_->[2] != 200 } @after_restart), 0,
   "R2 PostgreSQL restarted: all 200 again within $RECOVERY s");
check_run('PostgreSQL stopped 30 s', $back, \@a);
cmp_ok(pg_backends(), '<=', $WORKERS * $POOL,
       'R2 no more PostgreSQL connections than a pool a worker');

# Redis, then PostgreSQL, silent: frozen at 1.5 s for 5 s (PostgreSQL 8 s,
# past its query timeout), load 4.5 s more
for my $frozen (['Redis', \&redis_stall, \&redis_clients, $WORKERS, 5,
                 $PROMPT],
                ['PostgreSQL', \&pg_stall, \&pg_backends, $WORKERS * $POOL,
                 8, $PG_PROMPT])
{
    my ($name, $stall, $count, $most, $seconds, $prompt) = @$frozen;

    sessions($FIRST + 2 * $CLIENTS * $PER_CLIENT);

    @a = load($CLIENTS, $RECOVERY + 1.5, \&mixed, sub {
        sleep 1.5;
        $stall->(1);
        drop_browses() if $name eq 'PostgreSQL';
        sleep $seconds;
        $stall->(0);
        $back = time();
    });

    check_run("$name frozen $seconds s", $back, \@a, $prompt);

    # connections the module gave up while it was frozen end as the
    # backend reads their close
    my $n;

    for (1 .. 50) {
        $n = $count->();
        last if $n <= $most;
        sleep 0.1;
    }

    cmp_ok($n, '<=', $most, "R2 $name frozen: no connection leaked");
}

my $log = error_log_since($from);
unlike($log, qr/\[(alert|crit|emerg)\]/, 'R2 no alert in the error log');
unlike($log, qr/exited on signal/, 'R2 no worker crashed');

done_testing();
