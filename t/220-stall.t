# R2: a backend that accepts connections and never answers.  A listener
# on loopback holds every connection open in silence; nginx points Redis
# or PostgreSQL at it and answers 503 with Retry-After at the configured
# timeout, and its worker goes on serving: no hung worker.

use strict;
use warnings;

use FindBin;
use lib $FindBin::Bin;

use Test::Nginx::Socket 'no_plan';
use IO::Socket::INET;
use HeaoTest;

no_shuffle();
heao_defaults();

our $STALL = $ENV{HEAO_STALL_PORT} || ($ENV{HEAO_HTTP_PORT} || 18080) + 1;
our $C = reset_candidate(1010);
our $SID = 'S' x 43;

my $parent = $$;
my $listen = IO::Socket::INET->new(LocalAddr => '127.0.0.1',
                                   LocalPort => $STALL, Listen => 64,
                                   ReuseAddr => 1, Timeout => 0.5)
    or die "stall listener on $STALL: $!";
my $stall = fork() // die "fork: $!";

if ($stall == 0) {
    my @held;

    while (getppid() == $parent) {
        my $s = $listen->accept or next;
        push @held, $s;
    }

    exit 0;
}

close $listen;

END {
    if ($stall && $$ == $parent) {
        local $?;
        kill 'TERM', $stall;
        waitpid($stall, 0);
    }
}


# the test configuration with one backend pointed at the silent listener
sub stalled {
    my ($which) = @_;
    my $conf = heao_http_config(extra => <<'EOT');
    heao_redis_connect_timeout 500ms;
    heao_redis_command_timeout 500ms;
    heao_pg_connect_timeout 500ms;
    heao_pg_query_timeout 500ms;
    heao_pg_queue_timeout 500ms;
EOT

    $conf =~ s/heao_redis \S+;/heao_redis 127.0.0.1:$STALL;/
        if $which eq 'redis';
    $conf =~ s/host=127\.0\.0\.1 port=\d+/host=127.0.0.1 port=$STALL/
        if $which eq 'pg';

    return $conf;
}


sub login {
    return "POST /api/login\n" . json_of({ exam_no => $C->{exam_no},
                                           id_no => $C->{id_no},
                                           password => $C->{password} });
}

run_tests();

__DATA__

=== TEST 1: R2 Redis accepts and never answers: 503 at the command timeout
--- http_config eval: main::stalled('redis')
--- request eval
["GET /api/session", "GET /api/session", "GET /api/nope"]
--- more_headers eval
"Cookie: heao_sid=$::SID"
--- timeout: 2
--- error_code eval
[503, 503, 404]
--- response_headers eval
["Retry-After: 5", "Retry-After: 5"]
--- response_body eval
['{"error":"unavailable","message":"系统繁忙，请稍后重试"}',
 '{"error":"unavailable","message":"系统繁忙，请稍后重试"}',
 '{"error":"not_found","message":"请求的接口不存在"}']
--- no_error_log
[alert]
[crit]



=== TEST 2: R2 PostgreSQL accepts and never answers: 503 at the connect timeout
--- http_config eval: main::stalled('pg')
--- request eval
[main::login(), main::login(), "GET /api/nope"]
--- more_headers
Content-Type: application/json
--- timeout: 2
--- error_code eval
[503, 503, 404]
--- response_headers eval
["Retry-After: 5", "Retry-After: 5"]
--- response_body eval
['{"error":"unavailable","message":"系统繁忙，请稍后重试"}',
 '{"error":"unavailable","message":"系统繁忙，请稍后重试"}',
 '{"error":"not_found","message":"请求的接口不存在"}']
--- no_error_log
[alert]
[crit]
