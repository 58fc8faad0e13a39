# A3 (and A1 with it): the dynamic password.  Binding with an otpauth://
# URI and its QR code, confirmed by a first code; a code accepted once;
# one step of drift; unbinding with a code; the login that asks for the
# code; the notice of a binding and of an unbinding (A12).  Codes are
# computed here from the key the server keeps (RFC 6238, HMAC-SHA1,
# 30 s); the RFC's own vectors are checked by t/unit.
# Candidates 300-319.

use strict;
use warnings;

use FindBin;
use lib $FindBin::Bin;

use Test::Nginx::Socket 'no_plan';
use Digest::SHA qw(hmac_sha1);
use IO::Socket::INET;
use HeaoTest;

no_shuffle();
heao_defaults();

our @C = map { reset_candidate($_) } 0 .. 319;
our %ID;
our $ISSUER = '%E6%B2%B3%E5%8D%97%E6%8B%9B%E7%94%9F';
our $KEY = '3132333435363738393031323334353637383930';

for my $t (300 .. 319) {
    my $e = $C[$t]{exam_no};
    $ID{$t} = psql("update heao.candidate set totp_secret = null,"
                   . " totp_bound_at = null where exam_no = '$e'"
                   . " returning id");
    redis('DEL', "heao:tu:$ID{$t}", "heao:tb:$ID{$t}", "heao:cs:$ID{$t}");
}

redis('DEL', 'heao:lf:a:127.0.0.1');

# A12: the notices of binding and unbinding go to the phone of 303, 313
# and 314, the only channel they have
psql("update heao.candidate set wechat_openid = null, phone = null"
     . " where id between $ID{300} and $ID{319}");
psql("update heao.candidate set phone = '13990000' || $_"
     . " where id = $ID{$_}") for 303, 313, 314;

our $H301 = session(301);

# RFC 4226 over a hex key, as a phone authenticator computes it
sub hotp {
    my ($hex, $counter, $digits) = @_;
    my $mac = hmac_sha1(pack('NN', int($counter / 2**32), $counter % 2**32),
                        pack('H*', $hex));
    my $off = ord(substr($mac, -1)) & 0x0f;
    my $bin = unpack('N', substr($mac, $off, 4)) & 0x7fffffff;

    return sprintf('%0*d', $digits // 8, $bin % 10**($digits // 8));
}

# the code of the current step plus d, away from a step's edge so that
# the server reads the same step as this test
sub code {
    my ($hex, $d, $digits) = @_;
    sleep(31 - time % 30) if time % 30 > 26;
    return hotp($hex, int(time / 30) + ($d // 0), $digits);
}

sub bind_key {
    my ($t, $hex) = @_;
    psql("update heao.candidate set totp_secret = decode('$hex', 'hex'),"
         . " totp_bound_at = now() where id = $ID{$t}");
}

# the notices of the dynamic password queued for T: "channel change" each
sub notices {
    my ($t) = @_;
    return psql("select coalesce(string_agg(channel || ' '"
                . " || (payload ->> 'change'), ',' order by id), '')"
                . " from heao.outbox where candidate_id = $ID{$t}"
                . " and kind = 'account'");
}

sub unbase32 {
    my ($b32) = @_;
    my %v;
    @v{'A' .. 'Z', '2' .. '7'} = 0 .. 31;
    my $bits = join '', map { sprintf('%05b', $v{$_}) } split //, $b32;

    return unpack('H*', pack('B*', substr($bits, 0, 160)));
}

# a request to the portal that tools/test runs (same module, same
# backends), with a session's headers; returns the body
sub portal {
    my ($method, $path, $headers, $body) = @_;
    my $port = $ENV{HEAO_HTTP_PORT} or die "HEAO_HTTP_PORT is not set\n";
    my $sock = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
                                     PeerPort => $port, Timeout => 10)
        or die "connect to the portal: $!\n";
    $headers =~ s/\n/\r\n/g;

    print $sock "$method $path HTTP/1.1\r\nHost: localhost\r\n"
        . "Connection: close\r\nContent-Type: application/json\r\n"
        . $headers . "Content-Length: " . length($body) . "\r\n\r\n"
        . $body;

    local $/;
    my $resp = <$sock> // '';
    $resp =~ s/\A.*?\r\n\r\n//s;

    return $resp;
}

sub login {
    my ($t, %o) = @_;
    my $c = $C[$t];
    my %body = (exam_no => $c->{exam_no}, id_no => $c->{id_no},
                password => $o{password} // $c->{password});
    $body{totp} = "$o{totp}" if exists $o{totp};

    return "POST /api/login\n" . json_of(\%body);
}

# codes go as JSON strings however perl last used them, unless raw
sub post {
    my ($path, $body, $raw) = @_;
    my %b = %{ $body // {} };
    $b{code} = "$b{code}" if defined $b{code} && !$raw;
    return "POST $path\n" . json_of(\%b);
}

run_tests();

__DATA__

=== TEST 1: A3 a candidate without a dynamic password sees it unbound, 8 digits by default
--- more_headers eval: main::session(300)
--- request
GET /api/totp
--- response_body chomp
{"bound":false,"digits":8,"period":30}



=== TEST 2: A3 binding starts with a server-made key and its otpauth:// URI
--- more_headers eval
main::session(300) . "Content-Type: application/json\n"
--- request eval
main::post('/api/totp/begin')
--- response_body_like eval
qr{^\{"secret":"([A-Z2-7]{32})","uri":"otpauth://totp/\Q$::ISSUER\E:21419900000300\?secret=\1&issuer=\Q$::ISSUER\E&algorithm=SHA1&digits=8&period=30","qr":"/api/totp/qr","digits":8,"period":30,"expires_in":600\}$}



=== TEST 3: A3 the secret shown is the key kept: a code made from it binds
--- more_headers eval
$::H301 . "Content-Type: application/json\n"
--- request eval
my $body = main::portal('POST', '/api/totp/begin', $::H301, '{}');
my ($b32) = $body =~ /"secret":"([A-Z2-7]{32})"/ or die "begin: $body";
my $hex = main::redis('GET', "heao:tb:$::ID{301}");
my $ttl = main::redis('TTL', "heao:tb:$::ID{301}");
die "kept: $hex for $ttl s" unless $hex =~ /^[0-9a-f]{40}$/
                                   && $ttl > 590 && $ttl <= 600;
main::post('/api/totp/confirm', { code => main::code(main::unbase32($b32)) })
--- response_body chomp
{"bound":true}



=== TEST 4: A3 the QR code of the binding is served as a PNG image
--- more_headers eval
my $h = main::session(302);
main::portal('POST', '/api/totp/begin', $h, '{}');
$h
--- request
GET /api/totp/qr
--- response_headers
Content-Type: image/png
--- response_body_like eval
qr/\A\x89PNG\r\n\x1a\n/



=== TEST 5: A3 no QR code without a binding under way
--- more_headers eval: main::session(304)
--- request
GET /api/totp/qr
--- error_code: 404
--- response_body chomp
{"error":"not_found","message":"绑定已过期，请重新开始绑定"}



=== TEST 6: A3 no QR code without a session
--- request
GET /api/totp/qr
--- error_code: 401
--- response_body chomp
{"error":"unauthenticated","message":"请先登录"}



=== TEST 7: A3 a wrong first code does not bind; the right one does, once
--- more_headers eval
main::session(303) . "Content-Type: application/json\n"
--- request eval
my $hex = 'a1' x 20;
main::redis('SET', "heao:tb:$::ID{303}", $hex, 'EX', 600);
my $code = main::code($hex);
my $wrong = sprintf('%08d', ($code + 1) % 100000000);
[ main::post('/api/totp/confirm', { code => $wrong }),
  main::post('/api/totp/confirm', { code => $code }),
  main::post('/api/totp/confirm', { code => $code }) ]
--- error_code eval
[400, 200, 409]
--- response_body eval
[ qq({"error":"totp_failed","message":"动态密码不正确或已使用，请等待下一个动态密码","field":"code"}),
  qq({"bound":true}),
  qq({"error":"totp_expired","message":"绑定已过期，请重新开始绑定"}) ]



=== TEST 8: A3 the bound key is the one shown, and the binding is over
--- request eval
"GET /api/totp\n"
--- more_headers eval: main::session(303)
--- response_body eval
my $k = main::psql("select encode(totp_secret, 'hex') || ' '"
                   . " || (totp_bound_at is not null) from heao.candidate"
                   . " where id = $::ID{303}");
my $p = main::redis('EXISTS', "heao:tb:$::ID{303}");
$k eq ('a1' x 20) . ' true' && $p eq '0'
    ? qq({"bound":true,"digits":8,"period":30})
    : "key \"$k\", pending $p"



=== TEST 9: A3 a second binding is refused while one is bound
--- more_headers eval
main::session(303) . "Content-Type: application/json\n"
--- request eval
main::post('/api/totp/begin')
--- error_code: 409
--- response_body chomp
{"error":"totp_bound","message":"已绑定动态密码，如需更换请先解除绑定"}



=== TEST 10: A3 confirming needs a code of eight digits
--- more_headers eval
main::session(304) . "Content-Type: application/json\n"
--- request eval
[ main::post('/api/totp/confirm', {}),
  main::post('/api/totp/confirm', { code => '1234567' }),
  main::post('/api/totp/confirm', { code => '1234567a' }),
  main::post('/api/totp/confirm', { code => 12345678 }, 1) ]
--- error_code eval
[400, 400, 400, 400]
--- response_body eval
[ (qq({"error":"bad_field","message":"请输入动态密码器上显示的数字","field":"code"})) x 4 ]



=== TEST 11: A3 binding needs the CSRF token
--- more_headers eval
my $h = main::session(304);
$h =~ s/^X-CSRF-Token: .*\n//m;
$h . "Content-Type: application/json\n"
--- request eval
main::post('/api/totp/begin')
--- error_code: 403
--- response_body chomp
{"error":"csrf","message":"页面已过期，请刷新后重试"}



=== TEST 12: A1 A3 a bound candidate's login without the code asks for it
--- more_headers
Content-Type: application/json
--- request eval
main::bind_key(305, $::KEY);
main::login(305)
--- error_code: 401
--- response_body chomp
{"error":"totp_required","message":"请输入动态密码","field":"totp"}



=== TEST 13: A1 A3 the right code logs in; the same code again is refused
--- more_headers
Content-Type: application/json
--- request eval
main::bind_key(306, $::KEY);
my $code = main::code($::KEY);
[ main::login(306, totp => $code), main::login(306, totp => $code) ]
--- error_code eval
[200, 401]
--- response_body_like eval
[ qr/^\{"candidate":\{"exam_no":"21419900000306",/,
  qr/^\{"error":"totp_failed","message":"动态密码不正确或已使用，请等待下一个动态密码","field":"totp"\}$/ ]



=== TEST 14: A3 a code one step old or one step ahead is accepted, two steps are not
--- more_headers
Content-Type: application/json
--- request eval
main::bind_key($_, $::KEY) for 307 .. 309;
[ main::login(307, totp => main::code($::KEY, -1)),
  main::login(308, totp => main::code($::KEY, 1)),
  main::login(309, totp => main::code($::KEY, -2)),
  main::login(309, totp => main::code($::KEY, 2)) ]
--- error_code eval
[200, 200, 401, 401]



=== TEST 15: A3 after a code of a later step, an earlier step's code is refused
--- more_headers
Content-Type: application/json
--- request eval
main::bind_key(310, $::KEY);
[ main::login(310, totp => main::code($::KEY, 1)),
  main::login(310, totp => main::code($::KEY, 0)) ]
--- error_code eval
[200, 401]



=== TEST 16: A4 A3 wrong codes count as failed logins: the fifth locks the exam number
--- more_headers
Content-Type: application/json
--- request eval
main::bind_key(311, $::KEY);
my $code = main::code($::KEY);
my $wrong = sprintf('%08d', ($code + 7) % 100000000);
[ (main::login(311, totp => $wrong)) x 5, main::login(311, totp => $code) ]
--- error_code eval
[401, 401, 401, 401, 401, 429]
--- response_body_like eval
[ (qr/^\{"error":"totp_failed","message":"动态密码不正确或已使用，请等待下一个动态密码","field":"totp"\}$/) x 5,
  qr/^\{"error":"locked","retry_after":\d+,"message":"登录失败次数过多，请15分钟后再试"\}$/ ]



=== TEST 17: A3 a wrong password with the right code is a plain failed login
--- more_headers
Content-Type: application/json
--- request eval
main::bind_key(312, $::KEY);
main::login(312, password => 'Wrong@2021!', totp => main::code($::KEY))
--- error_code: 401
--- response_body chomp
{"error":"login_failed","message":"考生号、证件号码或密码不正确"}



=== TEST 18: A1 a malformed code at login names the field
--- more_headers
Content-Type: application/json
--- request eval
main::login(312, totp => '12ab5678')
--- error_code: 400
--- response_body chomp
{"error":"bad_field","message":"动态密码格式不正确","field":"totp"}



=== TEST 19: A3 unbinding needs a valid code: none, a wrong one, then a right one
--- more_headers eval
main::bind_key(313, $::KEY);
main::session(313) . "Content-Type: application/json\n"
--- request eval
my $code = main::code($::KEY);
[ main::post('/api/totp/unbind', {}),
  main::post('/api/totp/unbind',
             { code => sprintf('%08d', ($code + 3) % 100000000) }),
  main::post('/api/totp/unbind', { code => $code }),
  main::post('/api/totp/unbind', { code => main::code($::KEY, 1) }) ]
--- error_code eval
[400, 400, 200, 409]
--- response_body eval
[ qq({"error":"bad_field","message":"请输入动态密码器上显示的数字","field":"code"}),
  qq({"error":"totp_failed","message":"动态密码不正确或已使用，请等待下一个动态密码","field":"code"}),
  qq({"bound":false}),
  qq({"error":"totp_not_bound","message":"尚未绑定动态密码"}) ]



=== TEST 20: A3 a code used at login cannot unbind
--- more_headers eval
main::session(314) . "Content-Type: application/json\n"
--- request eval
main::bind_key(314, $::KEY);
my $code = main::code($::KEY);
my $in = main::portal('POST', '/api/login', '',
                      substr(main::login(314, totp => $code), 16));
die "login: $in" unless $in =~ /^\{"candidate"/;
main::post('/api/totp/unbind', { code => $code })
--- error_code: 400
--- response_body chomp
{"error":"totp_failed","message":"动态密码不正确或已使用，请等待下一个动态密码","field":"code"}



=== TEST 21: A3 after unbinding, the login needs no code
--- more_headers
Content-Type: application/json
--- request eval
main::login(313)
--- response_body_like chomp
^\{"candidate":\{"exam_no":"21419900000313",



=== TEST 22: A3 A12 a binding and an unbinding each queued one notice with time and address; the refused ones nothing
--- request eval
Test::More::is(main::notices(303), 'sms totp_bind',
               'A3 A12 one notice of the binding, none of the wrong code');
Test::More::is(main::notices(313), 'sms totp_unbind',
               'A3 A12 one notice of the unbinding, none of the refused');
Test::More::is(main::notices(314), '',
               'A3 A12 an unbinding refused queues nothing');
Test::More::like(main::psql("select payload ->> 'title' || '|'"
                            . " || (payload ->> 'text') from heao.outbox"
                            . " where candidate_id = $::ID{303}"
                            . " and kind = 'account'"),
                 qr/^动态密码绑定通知\|您于\d\d月\d\d日\d\d:\d\d从IP地址127\.0\.0\.1绑定了动态密码。如非本人操作，请立即联系报名地招生考试机构/,
                 'A3 A12 the text: when, from where, what, what to do');
Test::More::like(main::psql("select payload ->> 'text' from heao.outbox"
                            . " where candidate_id = $::ID{313}"
                            . " and kind = 'account'"),
                 qr/^您于\d\d月\d\d日\d\d:\d\d从IP地址127\.0\.0\.1解除了动态密码绑定。如非本人操作，/,
                 'A3 A12 the unbinding told the same way');
Test::More::unlike(main::psql("select string_agg(payload::text, ' ')"
                              . " from heao.outbox"
                              . " where candidate_id in ($::ID{303},"
                              . " $::ID{313})"),
                   qr/a1a1a1|$::KEY|(?<!\d)\d{8}(?!\d)/,
                   'A3 A12 neither the key nor a code in a notice');
"GET /api/batches"
--- error_code: 200
--- response_body_like: "batches"



=== TEST 23: A3 heao_totp_digits 6: six-digit codes at login
--- http_config eval: HeaoTest::heao_http_config(extra => 'heao_totp_digits 6;')
--- more_headers
Content-Type: application/json
--- request eval
main::bind_key(315, $::KEY);
[ "GET /api/totp\n", main::login(315, totp => main::code($::KEY, 0, 8)),
  main::login(315, totp => main::code($::KEY, 0, 6)) ]
--- error_code eval
[401, 400, 200]
--- response_body_like eval
[ qr/^\{"error":"unauthenticated"/, qr/"field":"totp"/,
  qr/^\{"candidate":\{"exam_no":"21419900000315",/ ]



=== TEST 24: O1 heao_totp_digits out of 6 to 8 fails nginx -t
--- http_config eval: HeaoTest::heao_http_config(extra => 'heao_totp_digits 9;')
--- must_die
--- error_log
invalid value "9" in "heao_totp_digits" directive, it must be between 6 and 8
