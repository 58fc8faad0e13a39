# A2: the slider captcha: a challenge, its answer within tolerance, a
# one-use ticket, and the login that requires and consumes it.
# Candidates 21-25.  The answer is read from Redis, where the server
# keeps it.

use strict;
use warnings;

use FindBin;
use lib $FindBin::Bin;

use Test::Nginx::Socket 'no_plan';
use HeaoTest;

no_shuffle();
heao_defaults();

our @C = map { reset_candidate($_) } 0 .. 25;
redis('DEL', 'heao:lf:a:127.0.0.1');

our $CAPTCHA_ON = HeaoTest::heao_http_config(captcha => 'on');

# a challenge made through nginx's own port, outside the block's requests
sub challenge {
    my $body = HeaoTest::http_post('/api/captcha', '{}');
    my ($id) = $body =~ /"id":"([\w-]{22})"/ or die "no challenge: $body";
    my $x = redis('GET', "heao:cap:$id");

    return ($id, $x);
}

sub verify {
    my ($id, $x) = @_;
    return "POST /api/captcha/verify\n" . json_of({ id => $id, x => 0 + $x });
}

sub login {
    my ($c, $ticket) = @_;
    my %body = (exam_no => $c->{exam_no}, id_no => $c->{id_no},
                password => $c->{password});
    $body{captcha_ticket} = $ticket if defined $ticket;

    return "POST /api/login\n" . json_of(\%body);
}

# a ticket earned now, through the port of the running block
sub ticket {
    my ($id, $x) = challenge();
    my $body = HeaoTest::http_post('/api/captcha/verify',
                                   json_of({ id => $id, x => 0 + $x }));
    my ($t) = $body =~ /"ticket":"([\w-]{22})"/ or die "no ticket: $body";

    return $t;
}

run_tests();

__DATA__

=== TEST 1: A2 a challenge: a background with a gap and the piece, as PNG
--- http_config eval: $::CAPTCHA_ON
--- request
POST /api/captcha
{}
--- more_headers
Content-Type: application/json
--- response_body_like chomp
^\{"id":"[\w-]{22}","width":320,"height":160,"piece_width":50,"piece_height":50,"y":\d+,"background":"data:image/png;base64,iVBORw0KGgo[A-Za-z0-9+/=]+","piece":"data:image/png;base64,iVBORw0KGgo[A-Za-z0-9+/=]+"\}$



=== TEST 2: A2 the right offset earns a ticket valid for two minutes
--- http_config eval: $::CAPTCHA_ON
--- request eval
my ($id, $x) = main::challenge();
main::verify($id, $x)
--- more_headers
Content-Type: application/json
--- response_body_like chomp
^\{"ticket":"[\w-]{22}","expires_in":120\}$



=== TEST 3: A2 an offset four pixels off is within tolerance
--- http_config eval: $::CAPTCHA_ON
--- request eval
my ($id, $x) = main::challenge();
main::verify($id, $x - 4)
--- more_headers
Content-Type: application/json
--- response_body_like chomp
^\{"ticket":"[\w-]{22}","expires_in":120\}$



=== TEST 4: A2 an offset five pixels off fails, and burns the challenge
--- http_config eval: $::CAPTCHA_ON
--- request eval
my ($id, $x) = main::challenge();
[ main::verify($id, $x + 5), main::verify($id, $x) ]
--- more_headers
Content-Type: application/json
--- error_code eval
[400, 400]
--- response_body eval
[ qq({"error":"captcha_failed","message":"验证未通过，请重新验证","field":"x"}),
  qq({"error":"captcha_expired","message":"验证已过期，请重新验证","field":"id"}) ]



=== TEST 5: A2 a challenge answers once: the second right answer is refused
--- http_config eval: $::CAPTCHA_ON
--- request eval
my ($id, $x) = main::challenge();
[ main::verify($id, $x), main::verify($id, $x) ]
--- more_headers
Content-Type: application/json
--- error_code eval
[200, 400]
--- response_body_like eval
[ qr/"ticket"/, qr/"captcha_expired"/ ]



=== TEST 6: R1 a challenge id of the wrong shape
--- http_config eval: $::CAPTCHA_ON
--- request
POST /api/captcha/verify
{"id": "../../x", "x": 10}
--- more_headers
Content-Type: application/json
--- error_code: 400
--- response_body chomp
{"error":"bad_field","message":"验证信息无效，请重新验证","field":"id"}



=== TEST 7: R1 an offset that is not a whole number
--- http_config eval: $::CAPTCHA_ON
--- request
POST /api/captcha/verify
{"id": "AAAAAAAAAAAAAAAAAAAAAA", "x": "10"}
--- more_headers
Content-Type: application/json
--- error_code: 400
--- response_body chomp
{"error":"bad_field","message":"滑块位置无效，请重新验证","field":"x"}



=== TEST 8: A1 A2 a login without a ticket is refused
--- http_config eval: $::CAPTCHA_ON
--- request eval
main::login($::C[21])
--- more_headers
Content-Type: application/json
--- error_code: 400
--- response_body chomp
{"error":"bad_field","message":"请先完成图形验证","field":"captcha_ticket"}



=== TEST 9: A1 A2 a login with a made-up ticket is refused
--- http_config eval: $::CAPTCHA_ON
--- request eval
main::login($::C[21], 'B' x 22)
--- more_headers
Content-Type: application/json
--- error_code: 400
--- response_body chomp
{"error":"bad_field","message":"图形验证已失效，请重新验证","field":"captcha_ticket"}



=== TEST 10: A1 A2 a ticket lets one login in, and only one
--- http_config eval: $::CAPTCHA_ON
--- request eval
my $t = main::ticket();
[ main::login($::C[22], $t), main::login($::C[22], $t) ]
--- more_headers
Content-Type: application/json
--- error_code eval
[200, 400]
--- response_body_like eval
[ qr/"exam_no":"21419900000022"/, qr/"field":"captcha_ticket"/ ]



=== TEST 11: A2 a failed login consumes its ticket too
--- http_config eval: $::CAPTCHA_ON
--- request eval
my $t = main::ticket();
my $bad = { %{ $::C[23] }, password => 'Wrong@2021!' };
[ main::login($bad, $t), main::login($::C[23], $t) ]
--- more_headers
Content-Type: application/json
--- error_code eval
[401, 400]



=== TEST 12: A2 an address gets so many challenges a window, then a wait
--- http_config eval
HeaoTest::heao_http_config(captcha => 'on', captcha_limit => '2 1m')
--- request eval
HeaoTest::redis('DEL', 'heao:capr:127.0.0.1');
[ ("POST /api/captcha\n{}") x 3 ]
--- more_headers
Content-Type: application/json
--- error_code eval
[200, 200, 429]
--- response_body_like eval
[ qr/"id"/, qr/"id"/,
  qr/^\{"error":"too_many","retry_after":(60|59),"message":"验证请求过于频繁，请稍后再试"\}$/ ]
