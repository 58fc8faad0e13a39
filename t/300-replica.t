# O5: a PostgreSQL primary with a streaming replica, both on loopback.
# A node with heao_pg_replica sends the reads that may be stale (the save
# history, the mailbox) to the replica and everything else to the
# primary; when the replica stops, those reads go to the primary and the
# portal keeps working.  The replica (tools/stack replica) listens on
# HEAO_PG_PORT + 1, the node on HEAO_HTTP_PORT + 1; candidates 150-152.

use strict;
use warnings;

use FindBin;
use lib $FindBin::Bin;

use Test::More;
use Time::HiRes qw(time sleep);
use HeaoTest;
use HeaoFault;
use HeaoNode;

$ENV{HEAO_HTTP_PORT} && $ENV{HEAO_PG_PORT}
    or plan skip_all => 'needs the portal of tools/test (HEAO_HTTP_PORT)';

my $TOP = "$FindBin::Bin/..";
my $REPLICA_PORT = $ENV{HEAO_PG_PORT} + 1;
my $PROMPT = 2.5;           # seconds; the replica's refusal is at once
my $FIRST = 150;

my $dir = portal_dir();

# whatever happens, nothing of this suite is left running
END {
    local $?;
    node_stop('replica');
    system("$TOP/tools/stack replica-stop $dir >/dev/null 2>&1");
}


sub replica_sql {
    my ($sql) = @_;
    my @cmd = ('psql', '-X', '-q', '-t', '-A', '-h', "$dir/replica-sock",
               '-p', $REPLICA_PORT, '-U', 'postgres', '-d', 'heao',
               '-c', $sql);

    open(my $fh, '-|', @cmd) or die "psql: $!";
    local $/;
    my $out = <$fh> // '';
    close $fh or die "psql on the replica failed: $sql\n";
    $out =~ s/\s+\z//;
    return $out;
}


sub saves_in {
    my ($body) = @_;
    my @n = $body =~ /"save_no":/g;
    return scalar @n;
}


# the replica has replayed all that the primary wrote until now
sub caught_up {
    my $lsn = psql('select pg_current_wal_lsn()');

    for (1 .. 100) {
        return 1 if replica_sql("select pg_last_wal_replay_lsn() >= '$lsn'")
                    eq 't';
        sleep 0.05;
    }

    return 0;
}


# a fresh copy each run: one left by an earlier run may lack the WAL since
system("$TOP/tools/stack replica-stop $dir >/dev/null") == 0
    or die "tools/stack replica-stop failed\n";
system('rm', '-rf', "$dir/replica");
system("$TOP/tools/stack replica $dir $ENV{HEAO_PG_PORT} $REPLICA_PORT"
       . " >/dev/null") == 0
    or die "tools/stack replica failed\n";

is(replica_sql('select pg_is_in_recovery()'), 't',
   'O5 the replica is a hot standby of the primary');

reset_candidate($_) for $FIRST .. $FIRST + 2;

my $h = session($FIRST, fill => ['11', int(time()) + 900]);
my $port = node_start('replica', 1, extra =>
    qq{    heao_pg_replica "host=127.0.0.1 port=$REPLICA_PORT dbname=heao}
    . qq{ user=heao application_name=heao_replica";\n}
    . "    heao_pg_replica_pool_size 2;\n");

ok(caught_up(), 'O5 the replica replayed the reset of the candidates');

my ($st, undef, $body) = request('GET', '/api/history', $h, undef,
                                 port => $port);
is($st, 200, 'O5 V4 the history through the node with a replica');
is(saves_in($body), 0, 'O5 V4 no save yet');

like(replica_sql("select string_agg(query, ' ') from pg_stat_activity"
                 . " where application_name = 'heao_replica'"),
     qr/heao\.save_history_of/,
     'O5 the history was read on the replica, by the replica pool');

($st, undef, $body) = request('GET', '/metrics', '', undef, port => $port);
like($body, qr/^heao_pg_replica_connections\{worker="0",state="open"\} 1$/m,
     'O2 O5 the metrics show the worker\'s replica connection');

# replay paused: what the replica answers lags what the primary holds
replica_sql('select pg_wal_replay_pause()');

($st, undef, $body) = request(save_request($h, '1105', '07'), port => $port);
is($st, 200, 'O5 F1 a save through the node goes to the primary')
    or diag($body);

my $id = psql("select id from heao.candidate where exam_no = '"
              . candidate($FIRST)->{exam_no} . "'");
is(psql("select count(*) from heao.save_history where candidate_id = $id"),
   1, 'O5 the primary holds the save');

($st, undef, $body) = request('GET', '/api/browse', $h, undef, port => $port);
is($st, 200, 'O5 V1 browse after the save');
like($body, qr/"1105"/, 'O5 V1 browse shows the save: it reads the primary');

($st, undef, $body) = request('GET', '/api/history', $h, undef,
                              port => $port);
is($st, 200, 'O5 V4 the history while the replica lags');
is(saves_in($body), 0,
   'O5 V4 the history lacks the save: it came from the paused replica');

replica_sql('select pg_wal_replay_resume()');
ok(caught_up(), 'O5 the replica replayed the save once resumed');

($st, undef, $body) = request('GET', '/api/history', $h, undef,
                              port => $port);
is(saves_in($body), 1, 'O5 V4 the history shows the save once replayed');

($st, undef, $body) = request('GET', '/api/mailbox', $h, undef,
                              port => $port);
is($st, 200, 'O5 I1 the mailbox through the node with a replica');
like(replica_sql("select string_agg(query, ' ') from pg_stat_activity"
                 . " where application_name = 'heao_replica'"),
     qr/heao\.mailbox_of/, 'O5 I1 the mailbox was read on the replica');

# R4: a reload leaves no replica connection behind
sub replica_backends {
    return replica_sql("select count(*) from pg_stat_activity"
                       . " where application_name = 'heao_replica'");
}

cmp_ok(replica_backends(), '>=', 1, 'O5 the node holds replica connections');

my $master = node_pid('replica');
my @old = grep { /\d/ } split /\s+/, `pgrep -P $master`;
kill 'HUP', $master;

my $gone = 0;
for (1 .. 100) {
    $gone = !grep { kill 0, $_ } @old;
    last if $gone;
    sleep 0.1;
}

ok($gone, 'R4 the old worker of a reload exits');
request('GET', '/api/history', $h, undef, port => $port) for 1 .. 3;
cmp_ok(replica_backends(), '<=', 2,
       'R4 O5 after the reload at most heao_pg_replica_pool_size (2)'
       . ' replica connections');

# the replica stops: its reads go to the primary
my $logged = length node_log('replica');

system("$TOP/tools/stack replica-stop $dir >/dev/null") == 0
    or die "tools/stack replica-stop failed\n";

my @slow;
my @bad;
my $slowest = 0;

for my $i (1 .. 6) {
    my @r = request('GET', $i % 2 ? '/api/history' : '/api/mailbox', $h,
                    undef, port => $port);
    push @bad, "$r[0] $r[2]" if $r[0] != 200;
    push @slow, $r[3] if $r[3] > $PROMPT;
    $slowest = $r[3] if $r[3] > $slowest;
    push @bad, "no save: $r[2]" if $i % 2 && saves_in($r[2]) != 1;
}

is(scalar @bad, 0, 'O5 R2 with the replica stopped the history and the'
                   . ' mailbox answer 200 from the primary')
    or diag(join "\n", @bad);
is(scalar @slow, 0, "O5 R2 each within $PROMPT s");
note(sprintf('slowest answer with the replica stopped: %.3f s', $slowest));

my $c = candidate($FIRST + 1);
($st, undef, $body) = request('POST', '/api/login', '',
    json_of({ exam_no => $c->{exam_no}, id_no => $c->{id_no},
              password => $c->{password} }), port => $port);
is($st, 200, 'O5 A1 a login through the node with the replica stopped')
    or diag($body);

my $h2 = session($FIRST + 2, fill => ['11', int(time()) + 900]);
($st, undef, $body) = request(save_request($h2, '1105', '07'), port => $port);
is($st, 200, 'O5 F1 a save with the replica stopped') or diag($body);

my $log = substr(node_log('replica'), $logged);

like($log,
     qr/heao pg: replica failed statement "heao_save_history", running it/,
     'O5 the node logged that the replica failed and the primary served');
unlike($log, qr/\[(alert|crit|emerg)\]/, 'O5 no alert or crash');
unlike(node_log('replica'), qr/heao pg: statement "heao_save\b.* failed/,
       'O5 no save was sent to the replica');

node_stop('replica');

done_testing();
