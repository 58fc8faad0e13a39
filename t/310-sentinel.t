# O5: Redis with Sentinel failover.  A Redis master, its replica and a
# Sentinel run on loopback (HEAO_REDIS_PORT + 1, + 2, + 3; + 4 is a
# Sentinel that is down); a node (HEAO_HTTP_PORT + 2) configured with
# heao_redis_sentinel asks the Sentinels for the master.  The master is
# killed: the Sentinel promotes the replica, the node asks again and
# logins, sessions and saves work within seconds.  Candidates 160-162.

use strict;
use warnings;

use FindBin;
use lib $FindBin::Bin;

use Test::More;
use File::Path qw(make_path remove_tree);
use Time::HiRes qw(time sleep);
use HeaoTest;
use HeaoFault;
use HeaoNode;

$ENV{HEAO_HTTP_PORT} && $ENV{HEAO_REDIS_PORT}
    or plan skip_all => 'needs the portal of tools/test (HEAO_HTTP_PORT)';

my $MASTER = $ENV{HEAO_REDIS_PORT} + 1;
my $REPLICA = $ENV{HEAO_REDIS_PORT} + 2;
my $SENTINEL = $ENV{HEAO_REDIS_PORT} + 3;
my $DEAD = $ENV{HEAO_REDIS_PORT} + 4;
my $DOWN_AFTER = 1000;      # ms without an answer before the master is down
my $RECOVERY = 10;          # seconds from the kill to a working portal
my $FIRST = 160;

my $dir = portal_dir() . '/sentinel';


sub rcli {
    my ($port, @args) = @_;
    my @cmd = ('redis-cli', '-h', '127.0.0.1', '-p', $port, @args);

    # "Could not connect" while a server starts is no news: stderr goes
    open(my $err, '>&', \*STDERR) or die "dup: $!";
    open(STDERR, '>', '/dev/null') or die "/dev/null: $!";
    open(my $fh, '-|', @cmd) or die "redis-cli: $!";
    open(STDERR, '>&', $err) or die "dup: $!";

    local $/;
    my $out = <$fh> // '';
    close $fh;
    $out =~ s/\s+\z//;

    return $out;
}


sub pid_of {
    my ($name) = @_;

    open(my $fh, '<', "$dir/$name.pid") or return undef;
    my $pid = <$fh>;
    close $fh;
    chomp $pid if defined $pid;

    return $pid;
}


# by pid, and by port for what an earlier run left without pid files
sub stop_all {
    for my $name (qw(master replica sentinel)) {
        my $pid = pid_of($name);
        next unless $pid && kill 0, $pid;
        kill 'KILL', $pid;
        sleep 0.05 while kill 0, $pid;
    }

    rcli($_, 'SHUTDOWN', 'NOSAVE') for $MASTER, $REPLICA, $SENTINEL;
}


sub start_redis {
    my ($name, $port, $extra) = @_;

    open(my $fh, '>', "$dir/$name.conf") or die "$dir/$name.conf: $!";
    print $fh "bind 127.0.0.1\nport $port\ndaemonize yes\n"
        . "dir $dir\ndbfilename $name.rdb\nlogfile $dir/$name.log\n"
        . "pidfile $dir/$name.pid\nappendonly no\n$extra";
    close $fh;

    system('redis-server', "$dir/$name.conf",
           $name eq 'sentinel' ? '--sentinel' : ()) == 0
        or die "redis-server $name failed\n";

    for (1 .. 100) {
        return if rcli($port, 'PING') eq 'PONG';
        sleep 0.05;
    }

    die "$name does not answer on $port\n";
}


sub wait_for {
    my ($limit, $cond) = @_;
    my $start = time();

    while (time() - $start < $limit) {
        return time() - $start if $cond->();
        sleep 0.1;
    }

    return undef;
}


sub login {
    my ($t, $port) = @_;
    my $c = candidate($t);
    my ($st, $head, $body) = request('POST', '/api/login', '',
        json_of({ exam_no => $c->{exam_no}, id_no => $c->{id_no},
                  password => $c->{password} }), port => $port);

    return ($st, undef) unless $st == 200;

    my ($sid) = $head =~ /^Set-Cookie: heao_sid=([^;\s]+)/mi;
    my ($csrf) = $body =~ /"csrf":"([^"]+)"/;

    return ($st, "Cookie: heao_sid=$sid\nX-CSRF-Token: $csrf\n");
}


sub begin_and_save {
    my ($h, $port) = @_;
    my ($st, undef, $body) = request('POST', '/api/fill/11/begin', $h,
        json_of({ accept_notice => JSON::PP::true() }), port => $port);

    return "begin: $st $body" unless $st == 200;

    ($st, undef, $body) = request(save_request($h, '1105', '07'),
                                  port => $port);

    return $st == 200 ? 'saved' : "save: $st $body";
}


# whatever happens, nothing of this suite is left running
END { local $?; node_stop('sentinel'); stop_all() }

stop_all();
remove_tree($dir);
make_path($dir);

start_redis('master', $MASTER, '');
start_redis('replica', $REPLICA, "replicaof 127.0.0.1 $MASTER\n");
start_redis('sentinel', $SENTINEL,
            "sentinel monitor heao 127.0.0.1 $MASTER 1\n"
            . "sentinel down-after-milliseconds heao $DOWN_AFTER\n"
            . "sentinel failover-timeout heao 5000\n");

ok(defined wait_for(20, sub {
       rcli($REPLICA, 'INFO', 'replication') =~ /master_link_status:up/
       && rcli($SENTINEL, 'SENTINEL', 'REPLICAS', 'heao') =~ /$REPLICA/
   }), 'O5 the replica is in sync and the Sentinel knows it');

reset_candidate($_) for $FIRST .. $FIRST + 2;

my $port = node_start('sentinel', 2, redis =>
    "heao_redis_sentinel heao 127.0.0.1:$DEAD 127.0.0.1:$SENTINEL;");

my ($st, $h) = login($FIRST, $port);
is($st, 200, 'O5 A1 a login through the node that asks the Sentinels');
is(begin_and_save($h, $port), 'saved', 'O5 F1 a save with that session');

like(rcli($MASTER, 'KEYS', 'heao:s:*'), qr/^heao:s:/m,
     'O5 the session is on the master the Sentinel named');

# the session reached the replica before the master dies
my $synced = `printf 'SET heao:t:sync 1\nWAIT 1 2000\n' \\
              | redis-cli -h 127.0.0.1 -p $MASTER`;
like($synced, qr/^1$/m, 'O5 the replica acknowledged the writes');

kill 'KILL', pid_of('master');
my $killed = time();

# until the portal works again: the old session, a login, a save
my $h2;
my $back = wait_for(30, sub {
    my ($s) = request('GET', '/api/session', $h, undef, port => $port,
                      timeout => 3);
    return 0 unless $s == 200;
    ($s, $h2) = login($FIRST + 1, $port);
    return $s == 200;
});

ok(defined $back, 'O5 R2 the portal works again after the master was killed');
cmp_ok($back // 99, '<', $RECOVERY,
       "O5 R2 within $RECOVERY s (took " . sprintf('%.1f', $back // -1)
       . " s; the Sentinel waits $DOWN_AFTER ms)");

is(rcli($SENTINEL, 'SENTINEL', 'get-master-addr-by-name', 'heao'),
   "127.0.0.1\n$REPLICA", 'O5 the Sentinel promoted the replica');

($st) = request('GET', '/api/session', $h, undef, port => $port);
is($st, 200, 'O5 A8 the session made before the failover still works');
is(begin_and_save($h2, $port), 'saved',
   'O5 F1 a save after the failover, on a new login');
like(rcli($REPLICA, 'KEYS', 'heao:s:*'), qr/^heao:s:/m,
     'O5 sessions are on the promoted replica');

# A8: heao-admin finds the new master through the Sentinel too
my $c = candidate($FIRST);
my $pg = "host=127.0.0.1 port=$ENV{HEAO_PG_PORT} dbname=heao user=heao";
my $out = `HEAO_PG='$pg' \\
           HEAO_REDIS_SENTINEL='heao 127.0.0.1:$SENTINEL' \\
           $FindBin::Bin/../tools/heao-admin reset-password $c->{exam_no} \\
           --by test --why 'the Sentinel names the master' 2>&1`;
like($out, qr/^sessions ended: 1$/m,
     'O4 A8 reset-password ends the session on the promoted master');
($st) = request('GET', '/api/session', $h, undef, port => $port);
is($st, 401, 'A8 that session no longer works');

psql("update heao.candidate c set pw_hash = d.pw_hash, pw_office_set = false"
     . " from heao.candidate d where c.exam_no = '$c->{exam_no}'"
     . " and d.exam_no = '" . candidate($FIRST + 2)->{exam_no} . "'");

my $log = node_log('sentinel');

like($log, qr/connect to "127\.0\.0\.1:$DEAD" failed/,
     'O5 the Sentinel that is down was tried');
like($log, qr/Sentinel "127\.0\.0\.1:$SENTINEL" names "127\.0\.0\.1:$MASTER"/,
     'O5 the first master came from the Sentinel');
like($log,
     qr/Sentinel "127\.0\.0\.1:$SENTINEL" names "127\.0\.0\.1:$REPLICA"/,
     'O5 after the kill the Sentinel named the promoted replica');
unlike($log, qr/\[(alert|crit|emerg)\]/, 'O5 no alert or crash');

node_stop('sentinel');
stop_all();

done_testing();
