package HeaoFault;

# What the fault suites (R2-R4) share: raw requests to the portal that
# tools/test runs, a bounded load of client processes, and the state of
# that portal's nginx, PostgreSQL and Redis, which these suites stop,
# kill and restart.  The suites need HEAO_HTTP_PORT, HEAO_RUN and
# HEAO_PG_PORT/HEAO_REDIS_PORT as tools/test exports them.

use strict;
use warnings;
use Exporter 'import';
use IO::Socket::INET;
use Time::HiRes qw(time sleep);
use File::Basename qw(dirname);
use Cwd qw(abs_path);
use HeaoTest;

our @EXPORT = qw(request load portal_dir nginx_master nginx_workers
                 wait_old_workers pg_backends redis_clients stack
                 pg_ctl redis_kill redis_start redis_stall pg_stall
                 save_request first_save error_log_since log_size
                 saves_missing);

my $TOP = abs_path(dirname(__FILE__) . '/..');
my $TIMEOUT = 15;
my $PACE = 0.01;
my $LOAD_LIMIT = 60;
my $PG_CTL = '/usr/lib/postgresql/15/bin/pg_ctl';
my $serial = (time() * 1000) % 1e9;


sub portal_dir {
    my $run = $ENV{HEAO_RUN} // '.run/test';
    return $run =~ m{^/} ? $run : "$TOP/$run";
}


# one request on a connection of its own: (status, headers, body, seconds);
# status 0 when the connection failed or no answer came within $TIMEOUT
sub request {
    my ($method, $path, $headers, $body, %opt) = @_;
    my $port = $opt{port} // $ENV{HEAO_HTTP_PORT};
    my $start = time();
    my $resp = '';

    eval {
        local $SIG{ALRM} = sub { die "timeout\n" };
        alarm($opt{timeout} // $TIMEOUT);

        my $sock = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
                                         PeerPort => $port)
            or die "connect: $!\n";
        my $req = "$method $path HTTP/1.1\r\nHost: localhost\r\n"
                  . "Connection: close\r\n"
                  . join('', map { "$_\r\n" } split /\n/, $headers // '');

        if (defined $body) {
            $req .= "Content-Type: application/json\r\n"
                    . "Content-Length: " . length($body) . "\r\n";
        }

        # a raw body goes as it is, with a length unless the caller set one
        if (defined $opt{raw}
            && ($headers // '') !~ /^(Content-Length|Transfer-Encoding):/mi)
        {
            $req .= "Content-Length: " . length($opt{raw}) . "\r\n";
        }

        $req .= "\r\n" . ($opt{raw} // '');

        # a slow client: the body's second half comes after a pause
        if (defined $body && $opt{pause}) {
            my $half = int(length($body) / 2);
            print $sock $req . substr($body, 0, $half);
            $opt{pause}->();
            print $sock substr($body, $half);

        } else {
            print $sock $req . ($body // '');
        }

        local $/;
        $resp = <$sock> // '';
        alarm 0;
    };

    alarm 0;

    my ($status) = $resp =~ m{^HTTP/1\.[01] (\d{3})};
    my ($head, $reply) = split /\r\n\r\n/, $resp, 2;

    return ($status // 0, $head // '', $reply // '', time() - $start);
}


# runs $clients processes, each calling $make->($client, $i) for a
# request (method, path, headers, body) and sending it, while $during runs
# in the parent and $seconds after (never past $LOAD_LIMIT).  Returns the
# answers as [client, start time, status, seconds, retry-after, body,
# request]
sub load {
    my ($clients, $seconds, $make, $during) = @_;
    my $end = time() + $LOAD_LIMIT;
    my $stop = portal_dir() . "/load-stop.$$";
    my @kids;

    unlink $stop;

    # each client writes its answers to a file: a pipe would fill up and
    # stop the client while the parent runs $during
    for my $k (0 .. $clients - 1) {
        my $out = portal_dir() . "/load-$$-$k";
        my $pid = fork() // die "fork: $!";

        if ($pid == 0) {
            open(my $w, '>', $out) or die "$out: $!";
            srand($$ ^ time());

            # a server that answered before it read the body closes early
            local $SIG{PIPE} = 'IGNORE';
            my $i = 0;

            while (time() < $end && !-e $stop) {
                my @req = $make->($k, $i++);
                my $t = time();
                my ($st, $head, $body, $secs) = request(@req);
                my ($ra) = $head =~ /^Retry-After: *(\S+)/mi;

                $body =~ s/[\r\n]//g;
                printf $w "%d\t%.3f\t%d\t%.3f\t%s\t%s\t%s\n", $k, $t, $st,
                       $secs, $ra // '', $body, $req[3] // '';

                # the machine is shared: a client is a user, not a flood
                sleep $PACE;
            }

            close $w;
            exit 0;
        }

        push @kids, [$pid, $out];
    }

    $during->() if $during;
    sleep $seconds;

    open(my $fh, '>', $stop) or die "$stop: $!";
    close $fh;

    my @answers;

    for my $kid (@kids) {
        waitpid($kid->[0], 0);
        open(my $fh, '<', $kid->[1]) or die "$kid->[1]: $!";

        while (my $line = <$fh>) {
            chomp $line;
            push @answers, [split /\t/, $line, 7];
        }

        close $fh;
        unlink $kid->[1];
    }

    unlink $stop;

    return @answers;
}


sub nginx_master {
    my ($suffix) = @_;
    my $file = portal_dir() . '/nginx/nginx.pid' . ($suffix // '');

    open(my $fh, '<', $file) or return undef;
    my $pid = <$fh>;
    close $fh;
    chomp $pid if defined $pid;

    return $pid;
}


sub nginx_workers {
    my ($master) = @_;
    $master //= nginx_master();

    my @pids = grep { /\d/ } split /\s+/, `pgrep -P $master 2>/dev/null`;

    return @pids;
}


# waits until the master has only its $n new workers; returns the seconds
sub wait_old_workers {
    my ($n, $limit) = @_;
    my $start = time();

    while (time() - $start < $limit) {
        my @w = grep {
            (`ps -o args= -p $_ 2>/dev/null` // '') !~ /shutting down/
        } nginx_workers();
        my @all = nginx_workers();

        return time() - $start if @all == $n && @w == $n;
        sleep 0.1;
    }

    return undef;
}


# connections of the module to PostgreSQL and Redis, counted by the servers
sub pg_backends {
    return psql(q{select count(*) from pg_stat_activity
                   where datname = 'heao' and usename = 'heao'
                     and backend_type = 'client backend'
                     and pid <> pg_backend_pid()});
}


sub redis_clients {
    my @lines = grep { /cmd=/ && !/cmd=client/ }
                split /\n/, redis('CLIENT', 'LIST');

    return scalar @lines;
}


# tools/stack on the portal's state folder: start (what is missing) or stop
sub stack {
    my ($cmd) = @_;
    my @args = ($cmd, portal_dir());

    push @args, $ENV{HEAO_PG_PORT}, $ENV{HEAO_REDIS_PORT} if $cmd eq 'start';

    system("$TOP/tools/stack @args >/dev/null 2>&1") == 0
        or die "tools/stack $cmd failed\n";
}


# PostgreSQL alone: "start", "stop" or "restart" (fast), as tools/stack runs it
sub pg_ctl {
    my ($cmd) = @_;
    my $dir = portal_dir();

    system("runuser -u heao -- $PG_CTL -D $dir/pg -l $dir/pg.log -m fast"
           . " -w $cmd >/dev/null 2>&1") == 0
        or die "pg_ctl $cmd failed\n";
}


# Redis alone, started again with the configuration tools/stack wrote
sub redis_start {
    my $dir = portal_dir();

    system("redis-server $dir/redis/redis.conf >/dev/null 2>&1") == 0
        or die "redis-server failed\n";

    for (1 .. 100) {
        return if eval { redis('PING') eq 'PONG' };
        sleep 0.05;
    }

    die "redis did not start\n";
}


sub first_line {
    my ($file) = @_;

    open(my $fh, '<', $file) or die "$file: $!\n";
    my $line = <$fh>;
    close $fh;
    chomp $line;

    return $line;
}


# Redis frozen (1) or thawed (0) with SIGSTOP and SIGCONT: the kernel
# still accepts its connections, and nothing answers on them
sub redis_stall {
    my ($on) = @_;
    my $pid = first_line(portal_dir() . '/redis/redis.pid');

    kill $on ? 'STOP' : 'CONT', $pid or die "signal redis $pid: $!\n";
}


# PostgreSQL frozen or thawed the same way: the postmaster, which would
# fork for new connections, and every process it started
sub pg_stall {
    my ($on) = @_;
    my $postmaster = first_line(portal_dir() . '/pg/postmaster.pid');
    my @children = split ' ', `pgrep -P $postmaster`;

    if ($on) {
        kill 'STOP', $postmaster or die "signal postgres $postmaster: $!\n";
        kill 'STOP', @children;

    } else {
        kill 'CONT', @children;
        kill 'CONT', $postmaster or die "signal postgres $postmaster: $!\n";
    }
}


# Redis alone, as a crash: SIGKILL
sub redis_kill {
    my $pid = first_line(portal_dir() . '/redis/redis.pid');

    kill 'KILL', $pid or die "kill redis $pid: $!\n";

    for (1 .. 50) {
        last unless kill 0, $pid;
        sleep 0.1;
    }

    unlink portal_dir() . '/redis/redis.pid';
}


# a first save of candidate T's session headers $h in batch 11
sub save_request {
    my ($h, $inst, $major) = @_;
    my $id = sprintf('%08d-0000-4000-a000-%012d', $$ % 1e8, $serial++);
    my $body = json_of({ save_id => $id, application => { sections => [
        { slots => [ { institution => $inst, majors => [$major],
                       adjust => 'agree' } ] } ] } });

    return ('POST', '/api/fill/11/save', $h, $body);
}


sub first_save {
    return save_request(@_);
}


# R3: the save_ids of the 200 answers to saves that PostgreSQL lacks
sub saves_missing {
    my (@answers) = @_;
    my @ids = map { $_->[6] =~ /"save_id":"([0-9a-f-]{36})"/ ? $1 : () }
              grep { $_->[2] == 200 && $_->[6] =~ /save_id/ } @answers;

    return (0, ()) unless @ids;

    my $list = join(',', map { "'$_'" } @ids);
    my @have = split /\n/, psql("select save_id from heao.save_history"
                                . " where save_id in ($list)");
    my %have = map { $_ => 1 } @have;

    return (scalar(@ids), grep { !$have{$_} } @ids);
}


sub log_size {
    return -s (portal_dir() . '/nginx/error.log') // 0;
}


# what the portal's error log gained since offset $from
sub error_log_since {
    my ($from) = @_;

    open(my $fh, '<', portal_dir() . '/nginx/error.log') or return '';
    seek($fh, $from, 0);
    local $/;
    my $text = <$fh> // '';
    close $fh;

    return $text;
}


1;
