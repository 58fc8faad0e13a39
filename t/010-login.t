# A1, A4, A5, A6, R1: logging in and out, the session cookie, the CSRF
# token and the failure limits, against the test candidates 1-20.

use strict;
use warnings;

use FindBin;
use lib $FindBin::Bin;

use Test::Nginx::Socket 'no_plan';
use HeaoTest;

no_shuffle();
heao_defaults();

our @C = map { reset_candidate($_) } 0 .. 20;
our ($X) = grep { candidate($_)->{id_no} =~ /X$/ } 21 .. 400;
reset_candidate($X);
redis('DEL', 'heao:lf:a:127.0.0.1');

sub login {
    my ($c, %o) = @_;

    return "POST /api/login\n" . json_of({
        exam_no => $o{exam_no} // $c->{exam_no},
        id_no => $o{id_no} // $c->{id_no},
        password => $o{password} // $c->{password},
    });
}

run_tests();

__DATA__

=== TEST 1: A1 login with the exam number, ID number and password
--- request eval
main::login($::C[1])
--- more_headers
Content-Type: application/json
--- response_body_like chomp
^\{"candidate":\{"exam_no":"21419900000001","name":"测试一","ctype":"普通"\},"csrf":"[\w-]{32}","expires_at":\d+,"must_change_password":false\}$
--- response_headers_like
Set-Cookie: ^heao_sid=[\w-]{43}; Path=/; HttpOnly; SameSite=Strict$



=== TEST 2: A1 a wrong password is refused without naming the field
--- request eval
main::login($::C[2], password => 'Wrong@2021!')
--- more_headers
Content-Type: application/json
--- error_code: 401
--- response_body chomp
{"error":"login_failed","message":"考生号、证件号码或密码不正确"}



=== TEST 3: A1 another candidate's ID number gets the same answer
--- request eval
main::login($::C[3], id_no => $::C[4]->{id_no})
--- more_headers
Content-Type: application/json
--- error_code: 401
--- response_body chomp
{"error":"login_failed","message":"考生号、证件号码或密码不正确"}



=== TEST 4: A1 an unknown exam number gets the same answer
--- request eval
main::login($::C[3], exam_no => '21419900009999')
--- more_headers
Content-Type: application/json
--- error_code: 401
--- response_body chomp
{"error":"login_failed","message":"考生号、证件号码或密码不正确"}



=== TEST 5: A1 the ID check character may be typed as a lower case x
--- request eval
my $c = HeaoTest::candidate($::X);
main::login($c, id_no => lc $c->{id_no})
--- more_headers
Content-Type: application/json
--- response_body_like chomp
^\{"candidate":\{"exam_no":"2141990000\d{4}",



=== TEST 6: R1 an exam number of 13 digits is named as the bad field
--- request eval
main::login($::C[5], exam_no => '2141990000001')
--- more_headers
Content-Type: application/json
--- error_code: 400
--- response_body chomp
{"error":"bad_field","message":"考生号应为14位数字","field":"exam_no"}



=== TEST 7: R1 an exam number outside province 41 is malformed
--- request eval
main::login($::C[5], exam_no => '21420000000001')
--- more_headers
Content-Type: application/json
--- error_code: 400
--- response_body chomp
{"error":"bad_field","message":"考生号应为14位数字","field":"exam_no"}



=== TEST 8: R1 an ID number whose check character is wrong
--- request eval
my $id = $::C[5]->{id_no};
my $last = substr($id, 17, 1) eq '0' ? '1' : '0';
main::login($::C[5], id_no => substr($id, 0, 17) . $last)
--- more_headers
Content-Type: application/json
--- error_code: 400
--- response_body chomp
{"error":"bad_field","message":"证件号码应为18位有效的居民身份证号码","field":"id_no"}



=== TEST 9: R1 an ID number with the 30th of February as birth date
--- request eval
my $id17 = '41010220030230991';
main::login($::C[5], id_no => $id17 . HeaoTest::check_char($id17))
--- more_headers
Content-Type: application/json
--- error_code: 400
--- response_body chomp
{"error":"bad_field","message":"证件号码应为18位有效的居民身份证号码","field":"id_no"}



=== TEST 10: R1 a password of 7 characters is malformed
--- request eval
main::login($::C[5], password => 'Ab@1234')
--- more_headers
Content-Type: application/json
--- error_code: 400
--- response_body chomp
{"error":"bad_field","message":"登录密码应为8至32个字符","field":"password"}



=== TEST 11: R1 a body that is not JSON
--- request
POST /api/login
{"exam_no": "21419900000001",
--- more_headers
Content-Type: application/json
--- error_code: 400
--- response_body chomp
{"error":"bad_json","message":"请求内容不是有效的JSON对象"}



=== TEST 12: R1 a body that is not sent as JSON
--- request
POST /api/login
exam_no=21419900000001
--- more_headers
Content-Type: application/x-www-form-urlencoded
--- error_code: 415
--- response_body chomp
{"error":"content_type","message":"请求内容应为JSON"}



=== TEST 13: R1 a body over the limit is refused before it is read
--- request eval
"POST /api/login\n" . ('x' x 20000)
--- more_headers
Content-Type: application/json
--- error_code: 413
--- response_body chomp
{"error":"too_large","message":"请求内容过大"}



=== TEST 14: A4 five failures lock the exam number, even for the right password
--- request eval
[ (map { main::login($::C[6], password => "Wrong\@2021!$_") } 1 .. 5),
  main::login($::C[6]) ]
--- more_headers
Content-Type: application/json
--- error_code eval
[401, 401, 401, 401, 401, 429]
--- response_body_like eval
[ (qr/"login_failed"/) x 5,
  qr/^\{"error":"locked","retry_after":(900|899),"message":"登录失败次数过多，请15分钟后再试"\}$/ ]



=== TEST 15: A4 failures from one address lock that address
--- http_config eval
HeaoTest::heao_http_config(login_limit => '50 15m 3')
--- request eval
HeaoTest::redis('DEL', 'heao:lf:a:127.0.0.1');
[ main::login($::C[7], password => 'Wrong@2021!1'),
  main::login($::C[8], password => 'Wrong@2021!2'),
  main::login($::C[9], password => 'Wrong@2021!3'),
  main::login($::C[10]) ]
--- more_headers
Content-Type: application/json
--- error_code eval
[401, 401, 401, 429]
--- response_body_like eval
[ (qr/"login_failed"/) x 3, qr/"error":"locked"/ ]



=== TEST 16: A4 a success clears the exam number's failures
--- request eval
HeaoTest::redis('DEL', 'heao:lf:a:127.0.0.1');
[ (map { main::login($::C[11], password => "Wrong\@2021!$_") } 1 .. 4),
  main::login($::C[11]),
  (map { main::login($::C[11], password => "Wrong\@2021!$_") } 1 .. 4),
  main::login($::C[11]) ]
--- more_headers
Content-Type: application/json
--- error_code eval
[401, 401, 401, 401, 200, 401, 401, 401, 401, 200]



=== TEST 17: A5 who am I without a session
--- request
GET /api/session
--- error_code: 401
--- response_body chomp
{"error":"unauthenticated","message":"请先登录"}



=== TEST 18: A5 who am I with a session
--- request
GET /api/session
--- more_headers eval
HeaoTest::session(12, csrf => 'c' x 32)
--- response_body_like chomp
^\{"candidate":\{"exam_no":"21419900000012","name":"测试一二","ctype":"普通"\},"csrf":"c{32}","expires_at":\d+\}$



=== TEST 19: A5 a session cookie of the wrong shape is no session
--- request
GET /api/session
--- more_headers
Cookie: heao_sid=../../etc/passwd
--- error_code: 401
--- response_body chomp
{"error":"unauthenticated","message":"请先登录"}



=== TEST 20: A6 logout without the CSRF token is refused
--- request
POST /api/logout
--- more_headers eval
my $h = HeaoTest::session(13);
$h =~ s/X-CSRF-Token: [^\n]*\n//;
$h
--- error_code: 403
--- response_body chomp
{"error":"csrf","message":"页面已过期，请刷新后重试"}



=== TEST 21: A6 a CSRF token of another session is refused
--- request
POST /api/logout
--- more_headers eval
my $h = HeaoTest::session(13);
$h =~ s/X-CSRF-Token: [^\n]*\n/X-CSRF-Token: ${\('d' x 32)}\n/;
$h
--- error_code: 403
--- response_body chomp
{"error":"csrf","message":"页面已过期，请刷新后重试"}



=== TEST 22: A5 logout clears the cookie
--- request
POST /api/logout
--- more_headers eval
HeaoTest::session(14)
--- response_body chomp
{"ok":true}
--- response_headers_like
Set-Cookie: ^heao_sid=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0$



=== TEST 23: A5 logout ends the session in Redis
--- request eval
[ "POST /api/logout", "GET /api/session" ]
--- more_headers eval
HeaoTest::session(18)
--- error_code eval
[200, 401]
--- response_body eval
[ qq({"ok":true}), qq({"error":"unauthenticated","message":"请先登录"}) ]



=== TEST 24: A5 logging in as another candidate ends this browser's session
--- request eval
[ main::login($::C[16]), "GET /api/session" ]
--- more_headers eval
"Content-Type: application/json\n" . HeaoTest::session(15)
--- error_code eval
[200, 401]



=== TEST 25: A5 a session past its absolute lifetime is gone
--- request
GET /api/session
--- more_headers eval
HeaoTest::session(17, lifetime => -1)
--- error_code: 401



=== TEST 26: R1 the wrong method names the fault
--- request
GET /api/login
--- error_code: 405
--- response_body chomp
{"error":"method","message":"请求方法不被允许"}



=== TEST 27: R1 an unknown endpoint is a JSON 404
--- request
GET /api/nothing/here
--- error_code: 404
--- response_body chomp
{"error":"not_found","message":"请求的接口不存在"}



=== TEST 28: O3 a body that is not JSON is not quoted in the log
--- request eval
"POST /api/login\n"
. qq({"exam_no":"21419900000019","password":"MySecret\@2021\xff"})
--- more_headers
Content-Type: application/json
--- error_code: 400
--- response_body chomp
{"error":"bad_json","message":"请求内容不是有效的JSON对象"}
--- no_error_log
MySecret
[error]



=== TEST 29: R1 HEAD of a GET endpoint answers its headers
--- request
HEAD /api/batches
--- response_headers
Content-Type: application/json; charset=utf-8
--- response_body chomp



=== TEST 30: A5 V3.4.1 behind TLS (heao_secure_cookie on) the session cookie is marked Secure
--- http_config eval
HeaoTest::heao_http_config(extra => 'heao_secure_cookie on;')
--- request eval
main::redis('DEL', 'heao:lf:a:127.0.0.1');
main::login($::C[17])
--- more_headers
Content-Type: application/json
--- response_body_like chomp
^\{"candidate":\{"exam_no":"21419900000017","name":"测试一七","ctype":"普通"\},"csrf":"[\w-]{32}","expires_at":\d+,"must_change_password":false\}$
--- response_headers_like
Set-Cookie: ^heao_sid=[\w-]{43}; Path=/; HttpOnly; SameSite=Strict; Secure$
