# V3, A8: GET /api/proof, the proof an abandon asks of the candidate, as
# the abandon page asks for it.  Candidates 1850-1855.

use strict;
use warnings;

use FindBin;
use lib $FindBin::Bin;

use Test::Nginx::Socket 'no_plan';
use HeaoTest;

no_shuffle();
heao_defaults();

our (@C, %ID);
our $KEY = '3132333435363738393031323334353637383930';

# 1850 TOTP and a phone, 1851 WeChat and a phone, 1852 a phone only,
# 1853 nothing but the 密码验证信息, 1854 no proof at all
for my $t (1850 .. 1854) {
    $C[$t] = reset_candidate($t);
    $ID{$t} = psql("update heao.candidate set totp_secret = null,"
                   . " totp_bound_at = null, wechat_openid = null,"
                   . " phone = '1399" . sprintf('%07d', $t) . "'"
                   . " where exam_no = '$C[$t]{exam_no}' returning id");
}

psql("update heao.candidate set totp_secret = decode('$KEY', 'hex'),"
     . " totp_bound_at = now() where id = $ID{1850}");
psql("update heao.candidate set wechat_openid = 'oHeaoTestOpenid1851'"
     . " where id = $ID{1851}");
psql("update heao.candidate set phone = null where id in"
     . " ($ID{1853}, $ID{1854})");
psql("update heao.candidate set verify_hash = null where id = $ID{1854}");

run_tests();

__DATA__

=== TEST 1: V3 A8 the proof needs a session
--- request
GET /api/proof
--- error_code: 401
--- response_body chomp
{"error":"unauthenticated","message":"请先登录"}



=== TEST 2: V3 A8 a bound dynamic password comes first, before the phone
--- more_headers eval: main::session(1850)
--- request
GET /api/proof
--- error_code: 200
--- response_body chomp
{"proof":"totp","channel":null,"sent_to":null}



=== TEST 3: V3 A8 WeChat comes before the phone
--- more_headers eval: main::session(1851)
--- request
GET /api/proof
--- error_code: 200
--- response_body chomp
{"proof":"code","channel":"wechat","sent_to":"微信"}



=== TEST 4: V3 A8 a phone on file: a code by SMS, the number masked
--- more_headers eval: main::session(1852)
--- request
GET /api/proof
--- error_code: 200
--- response_body chomp
{"proof":"code","channel":"sms","sent_to":"139****1852"}



=== TEST 5: V3 A8 without TOTP, WeChat or phone: the 密码验证信息
--- more_headers eval: main::session(1853)
--- request
GET /api/proof
--- error_code: 200
--- response_body chomp
{"proof":"verify_info","channel":null,"sent_to":null}



=== TEST 6: V3 A8 with no proof at all the abandon still asks the 密码验证信息
--- more_headers eval: main::session(1854)
--- request
GET /api/proof
--- error_code: 200
--- response_body chomp
{"proof":"verify_info","channel":null,"sent_to":null}



=== TEST 7: V3 the proof is read-only: POST is no route
--- more_headers eval: main::session(1852)
--- request
POST /api/proof
--- error_code: 405
