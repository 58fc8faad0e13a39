# O2: the metrics location.  Every block starts a fresh nginx, so the
# counters start at zero and must show exactly the requests the block
# made.  Candidates 1200-1219.

use strict;
use warnings;

use FindBin;
use lib $FindBin::Bin;

use Test::Nginx::Socket 'no_plan';
use HeaoTest;

no_shuffle();
heao_defaults();

our @C = map { reset_candidate($_) } 1200 .. 1219;
redis('DEL', 'heao:lf:a:127.0.0.1');

our $API = "location /api/ { heao; }\nlocation = /metrics { heao_metrics; }\n";

our $SAVE_ID = sprintf('00000000-0000-4000-9000-%012d', time() % 1000000);

sub login {
    my ($c, $password) = @_;

    return "POST /api/login\n" . json_of({
        exam_no => $c->{exam_no}, id_no => $c->{id_no},
        password => $password // $c->{password},
    });
}

sub save {
    my $inst = psql(q{select inst_code from heao.major
                       where batch_code = '11' and class = 'ordinary'
                       order by inst_code, code limit 1});
    my $major = psql(qq{select code from heao.major
                         where batch_code = '11' and inst_code = '$inst'
                           and class = 'ordinary' order by code limit 1});

    return "POST /api/fill/11/save\n" . json_of({
        save_id => $SAVE_ID,
        application => { sections => [ { slots => [
            { institution => $inst, majors => [$major], adjust => 'agree' },
        ] } ] },
    });
}

# a pattern that each of these lines (strings exact, or patterns) is a
# whole line of the answer
sub lines {
    my $re = join '', map {
        ref $_ ? "(?=.*^$_\$)" : "(?=.*^\Q$_\E\$)"
    } @_;

    return qr/$re/ms;
}

run_tests();

__DATA__

=== TEST 1: O2 a first browse counts one request, one pg call, one redis call
--- config eval: $::API
--- pipelined_requests eval
["GET /api/batches", "GET /api/browse", "GET /metrics"]
--- more_headers eval
HeaoTest::session(1200)
--- response_body_like eval
[qr/^\{/, qr/^\{/,
 main::lines(
 '# TYPE heao_requests_total counter',
 'heao_requests_total{action="batches",method="GET",status="2xx"} 1',
 'heao_requests_total{action="browse",method="GET",status="2xx"} 1',
 'heao_requests_total{action="browse",method="GET",status="4xx"} 0',
 'heao_errors_total{action="browse",method="GET"} 0',
 '# TYPE heao_pg_duration_seconds histogram',
 'heao_pg_duration_seconds_bucket{le="5.000"} 1',
 'heao_pg_duration_seconds_bucket{le="+Inf"} 1',
 qr/heao_pg_duration_seconds_sum \d+\.\d{3}/,
 'heao_pg_duration_seconds_count 1',
 'heao_pg_failures_total{reason="failed"} 0',
 # the session and the cached browse answer (not there yet) in one script
 'heao_redis_duration_seconds_count 1',
 qr/heao_pg_connections\{worker="0",state="open"\} [1-9]/,
 'heao_pg_connections{worker="0",state="busy"} 0',
 'heao_pg_waiting{worker="0"} 0',
 'heao_redis_connected{worker="0"} 1',
 'heao_catalog_version{worker="0"} '
 . HeaoTest::psql('select heao.catalog_version()'),
 'heao_thread_tasks{worker="0"} 0')]
--- response_headers_like eval
["", "", "Content-Type: ^text/plain; version=0.0.4; charset=utf-8\$"]



=== TEST 2: O2 logins by result: one ok, one failed, one locked (A4)
--- http_config eval: HeaoTest::heao_http_config(login_limit => '1 15m 1000')
--- config eval: $::API
--- pipelined_requests eval
[main::login($::C[1]), main::login($::C[2], 'Wrong@2021!'),
 main::login($::C[2]), "GET /metrics"]
--- more_headers
Content-Type: application/json
--- error_code eval
[200, 401, 429, 200]
--- response_body_like eval
[qr/"candidate"/, qr/login_failed/, qr/locked/, main::lines(
 'heao_requests_total{action="login",method="POST",status="2xx"} 1',
 'heao_requests_total{action="login",method="POST",status="4xx"} 2',
 'heao_logins_total{result="ok"} 1',
 'heao_logins_total{result="failed"} 1',
 'heao_logins_total{result="locked"} 1',
 'heao_thread_tasks_rejected_total 0',
 'heao_thread_tasks{worker="0"} 0')]



=== TEST 3: O2 a save, its retry and an unknown path
--- config eval: $::API
--- pipelined_requests eval
[main::save(), main::save(), "GET /api/nothing", "GET /metrics"]
--- more_headers eval
"Content-Type: application/json\n"
. HeaoTest::session(1203, fill => ['11', time() + 600])
--- error_code eval
[200, 200, 404, 200]
--- response_body_like eval
[qr/"saved":true/, qr/"duplicate":true/, qr/not_found/, main::lines(
 'heao_requests_total{action="fill_save",method="POST",status="2xx"} 2',
 'heao_requests_total{action="unknown",method="-",status="4xx"} 1',
 'heao_saves_total{duplicate="false"} 1',
 'heao_saves_total{duplicate="true"} 1')]



=== TEST 4: O2 a redis that does not answer: 503s counted as errors
--- http_config eval
my $c = HeaoTest::heao_http_config(extra => "heao_redis_connect_timeout 200ms;");
$c =~ s/heao_redis 127\.0\.0\.1:\d+;/heao_redis 127.0.0.1:16899;/;
$c
--- config eval: $::API
--- pipelined_requests eval
["GET /api/browse", "GET /metrics"]
--- more_headers eval
HeaoTest::session(1204)
--- error_code eval
[503, 200]
--- response_body_like eval
[qr/unavailable/, main::lines(
 'heao_requests_total{action="browse",method="GET",status="5xx"} 1',
 'heao_errors_total{action="browse",method="GET"} 1',
 'heao_redis_failures_total{reason="failed"} 1',
 'heao_redis_connected{worker="0"} 0')]
--- no_error_log
[alert]
[crit]



=== TEST 5: O2 the metrics location answers GET only
--- config eval: $::API
--- request
POST /metrics
--- error_code: 405



=== TEST 6: O2 access to the metrics is limited as the sample conf does
--- config
location = /metrics { allow 10.9.9.9; deny all; heao_metrics; }
--- request
GET /metrics
--- error_code: 403
--- error_log
access forbidden by rule



=== TEST 7: O2 heao_metrics needs the module configured
--- http_config
--- config
location = /metrics { heao_metrics; }
--- must_die
--- error_log
"heao_metrics" directive requires "heao_pg" before it in the http block
