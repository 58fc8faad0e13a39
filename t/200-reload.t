# R4: "nginx -s reload" and a binary upgrade (USR2, WINCH, QUIT) under
# load lose no request and leak no backend connection.  Drives the portal
# of tools/test (HEAO_HTTP_PORT); candidates 900 to 919.

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

my $CLIENTS = 6;
my $WORKERS = 2;            # worker_processes of conf/nginx.conf
my $POOL = 4;               # heao_pg_pool_size of conf/nginx.conf
my $FIRST = 900;

my $from = log_size();
my @h;

for my $k (0 .. $CLIENTS + 1) {
    reset_candidate($FIRST + $k);
    push @h, session($FIRST + $k, fill => ["11", int(time()) + 900]);
}


# each client saves once, then reads its session and its saves in turn
sub mixed {
    my ($k, $i) = @_;

    return first_save($h[$k], '1105', '07') if $i == 0;
    return ('GET', '/api/session', $h[$k]) if $i % 2;
    return ('GET', '/api/browse', $h[$k]);
}


sub bad {
    return grep { $_->[2] != 200 } @_;
}


sub show {
    return join('', map { "  $_->[2] $_->[5]\n" } @_[0 .. ($#_ < 4 ? $#_ : 4)]);
}


# the backends are connected before anything starts
request('GET', '/api/browse', $h[0]) for 1 .. 4;

# a request the old worker accepted, whose body comes after the reload:
# its backend connections were closed as idle, it gets new ones
my $master = nginx_master();
my $c = candidate($FIRST + $CLIENTS);
my $login = json_of({ exam_no => $c->{exam_no}, id_no => $c->{id_no},
                      password => $c->{password} });
my ($st, undef, $body) = request('POST', '/api/login', '', $login,
    pause => sub { kill 'HUP', $master; sleep 1 });

is($st, 200, 'R4 a login accepted before a reload is answered after it')
    or diag($body);

my @save = first_save($h[$CLIENTS + 1], '1105', '07');
($st, undef, $body) = request(@save,
    pause => sub { kill 'HUP', $master; sleep 1 });

is($st, 200, 'R4 a save accepted before a reload is committed after it')
    or diag($body);
my (undef, @lost) = saves_missing([0, 0, $st, 0, '', $body, $save[3]]);
is(scalar @lost, 0, 'R3 that save is in the history');

ok(defined wait_old_workers($WORKERS, 10),
   'R4 the old workers of those reloads exit');

# reloads under load
my @a = load($CLIENTS, 1, \&mixed, sub {
    for (1 .. 4) {
        sleep 1;
        kill 'HUP', $master;
    }
});

cmp_ok(scalar @a, '>', 50, 'R4 the load ran: ' . scalar(@a) . ' requests');
is(scalar(bad(@a)), 0, 'R4 four reloads under load: every request got 200')
    or diag(show(bad(@a)));
my ($saved, @missing) = saves_missing(@a);
is($saved, $CLIENTS, "R3 $CLIENTS saves acknowledged during the reloads");
is(scalar @missing, 0, 'R3 every acknowledged save is in the history');

my $waited = wait_old_workers($WORKERS, 10);
ok(defined $waited, 'R4 the old workers exit after the reloads');

cmp_ok(pg_backends(), '<=', $WORKERS * $POOL,
       'R4 no PostgreSQL connection leaked: at most a pool per worker');
cmp_ok(redis_clients(), '<=', $WORKERS,
       'R4 no Redis connection leaked: at most one per worker');

# a binary upgrade under load: USR2, then WINCH and QUIT to the old master
for my $k (0 .. $CLIENTS - 1) {
    reset_candidate($FIRST + $k);
}

my $new;

@a = load($CLIENTS, 1, \&mixed, sub {
    sleep 1;
    kill 'USR2', $master;

    for (1 .. 50) {
        $new = nginx_master();
        last if defined $new && $new ne $master
                && nginx_workers($new) == $WORKERS;
        sleep 0.1;
    }

    sleep 0.5;
    kill 'WINCH', $master;
    sleep 1;
    kill 'QUIT', $master;
});

isnt($new, $master, 'R4 USR2 started a new master');
is(scalar(bad(@a)), 0,
   'R4 a binary upgrade under load: every request got 200')
    or diag(show(bad(@a)));
($saved, @missing) = saves_missing(@a);
is($saved, $CLIENTS, "R3 $CLIENTS saves acknowledged during the upgrade");
is(scalar @missing, 0, 'R3 every save acknowledged then is in the history');

my $gone = 0;

for (1 .. 100) {
    $gone = !kill(0, $master);
    last if $gone;
    sleep 0.1;
}

ok($gone, 'R4 the old master exits after QUIT');
ok(defined wait_old_workers($WORKERS, 10),
   'R4 the new master runs its workers alone');
cmp_ok(pg_backends(), '<=', $WORKERS * $POOL,
       'R4 no PostgreSQL connection leaked by the upgrade');
cmp_ok(redis_clients(), '<=', $WORKERS,
       'R4 no Redis connection leaked by the upgrade');

my $log = error_log_since($from);
unlike($log, qr/\[(alert|crit|emerg)\]/, 'R4 no alert in the error log');
unlike($log, qr/\[error\]/, 'R4 no error in the error log')
    or diag(join "\n", grep { /\[error\]/ } split /\n/, $log);
unlike($log, qr/exited on signal/, 'R4 no worker crashed');

done_testing();
