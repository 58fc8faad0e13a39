# A8 password reset: exam number, ID number, name and a captcha ticket,
# then the proof A8 orders (dynamic password; else a code by WeChat or
# SMS; else the 密码验证信息), then the new password; the verification
# codes themselves: 6 digits, 5 minutes, one use, limited tries and
# sends, kept hashed; the notice of a reset (A12).  Codes travel through
# the outbox and tools/heao-deliver to fake SMS and WeChat peers
# (t/HeaoDeliver.pm), and are read back from what those received.
# Candidates 1600-1619.

use strict;
use warnings;

use FindBin;
use lib $FindBin::Bin;

use Test::Nginx::Socket 'no_plan';
use Digest::SHA qw(hmac_sha1);
use HeaoTest;
use HeaoDeliver;

no_shuffle();
heao_defaults();

# every request of this suite is JSON
add_block_preprocessor(sub {
    my $block = shift;
    $block->set_value('more_headers', "Content-Type: application/json\n")
        unless defined $block->more_headers;
});

our (@C, %ID, %S, $TOKEN, $CODE, $OLD);
our $KEY = '3132333435363738393031323334353637383930';
our $OPENID = 'oHeaoTestOpenid1602';
our $SMS = mock_start(18131);
our $WECHAT = mock_start(18132, '--wechat');

# every candidate back to the demo's state: the password Test@2021!, the
# 密码验证信息 中原大地, the phone 1399NNNNNNN, nothing else bound
our $PW = psql("select pw_hash from heao.candidate"
               . " where exam_no = '21419900000001'");
our $VI = psql("select verify_hash from heao.candidate"
               . " where exam_no = '21419900000001'");

for my $t (1600 .. 1619) {
    $C[$t] = reset_candidate($t);
    $ID{$t} = psql("update heao.candidate set pw_hash = '$PW',"
                   . " pw_office_set = false, verify_hash = '$VI',"
                   . " phone = '1399" . sprintf('%07d', $t) . "',"
                   . " wechat_openid = null, totp_secret = null,"
                   . " totp_bound_at = null"
                   . " where exam_no = '$C[$t]{exam_no}' returning id");
    redis('DEL', "heao:rl:e:$C[$t]{exam_no}", "heao:cs:$ID{$t}",
          "heao:tu:$ID{$t}",
          map { ("heao:vc:$_:$ID{$t}", "heao:vs:$_:$ID{$t}") }
              qw(reset abandon phone_old phone_new));
}

redis('DEL', 'heao:rl:a:127.0.0.1', 'heao:lf:a:127.0.0.1');

psql("update heao.candidate set wechat_openid = '$OPENID'"
     . " where id = $ID{1602}");
psql("update heao.candidate set totp_secret = decode('$KEY', 'hex'),"
     . " totp_bound_at = now() where id = $ID{1603}");
psql("update heao.candidate set phone = null where id in"
     . " ($ID{1604}, $ID{1605})");
psql("update heao.candidate set verify_hash = null where id = $ID{1605}");

sub phone { '1399' . sprintf('%07d', $_[0]) }

sub who {
    my ($t, %o) = @_;
    return { exam_no => $C[$t]{exam_no}, id_no => $C[$t]{id_no},
             name => $C[$t]{name}, %o };
}

sub start_req { "POST /api/recover/start\n" . json_of(who(@_)) }

# the start through the portal: the token, after the code (if any) went
# through the sender to the fake peers
sub started {
    my ($t) = @_;
    my ($b, $status) = portal('POST', '/api/recover/start', who($t));
    die "start of $t: $status\n" unless $status == 200;
    deliver(sms => 18131, wechat => 18132);
    return $b->{token};
}

sub exam_no_req {
    my ($t, %o) = @_;
    return "POST /api/recover/exam-no\n"
           . json_of({ reg_serial => '219900' . sprintf('%04d', $t),
                       reg_password => 'Test@2021!', name => $C[$t]{name},
                       %o });
}

sub finish_req {
    my ($token, $proof, $pw) = @_;
    return "POST /api/recover/finish\n"
           . json_of({ token => $token, proof => $proof,
                       new_password => $pw // 'Reset#2021a' });
}

sub code { { type => 'code', code => $_[0] } }

sub hotp {
    my ($hex, $counter) = @_;
    my $mac = hmac_sha1(pack('NN', int($counter / 2**32), $counter % 2**32),
                        pack('H*', $hex));
    my $off = ord(substr($mac, -1)) & 0x0f;
    my $bin = unpack('N', substr($mac, $off, 4)) & 0x7fffffff;

    return sprintf('%08d', $bin % 10**8);
}

sub totp {
    sleep(31 - time % 30) if time % 30 > 26;
    return hotp($KEY, int(time / 30));
}

# another code than the one sent
sub wrong { sprintf('%06d', ($_[0] + 1) % 1000000) }

# the code's age in Redis set past the 60 s between two sends
sub age_code {
    my ($t, $purpose) = @_;
    redis('EXPIRE', "heao:vc:" . ($purpose // 'reset') . ":$ID{$t}", 200);
}

run_tests();

__DATA__

=== TEST 1: A8 A2 with the captcha on, a reset without a ticket is refused
--- http_config eval: HeaoTest::heao_http_config(captcha => 'on')
--- request eval
main::start_req(1600)
--- error_code: 400
--- response_body chomp
{"error":"bad_field","message":"请先完成图形验证","field":"captcha_ticket"}



=== TEST 2: A8 A2 a ticket works once: the second start with it is refused
--- http_config eval: HeaoTest::heao_http_config(captcha => 'on')
--- request eval
HeaoTest::redis('SET', 'heao:ct:TicketForTheResetA8xyz', 1, 'EX', 120);
[ main::start_req(1600, captcha_ticket => 'TicketForTheResetA8xyz'),
  main::start_req(1600, captcha_ticket => 'TicketForTheResetA8xyz') ]
--- error_code eval
[200, 400]
--- response_body_like eval
[ qr/^\{"proof":"sms","token":"[A-Za-z0-9_-]{22}","expires_in":600,"sent_to":"139\*\*\*\*1600","code_expires_in":300\}$/,
  qr/^\{"error":"bad_field","message":"图形验证已失效，请重新验证","field":"captcha_ticket"\}$/ ]



=== TEST 3: A8 a name that is not the candidate's matches nobody, and says not which field
--- request eval
"POST /api/recover/start\n"
. HeaoTest::json_of(main::who(1601, name => '张三'))
--- error_code: 400
--- response_body chomp
{"error":"not_matched","message":"考生号、证件号码或姓名不正确"}



=== TEST 4: A8 an ID number of another candidate matches nobody
--- request eval
"POST /api/recover/start\n"
. HeaoTest::json_of(main::who(1601, id_no => $main::C[1602]{id_no}))
--- error_code: 400
--- response_body chomp
{"error":"not_matched","message":"考生号、证件号码或姓名不正确"}



=== TEST 5: A8 a malformed exam number names the field
--- request eval
"POST /api/recover/start\n"
. HeaoTest::json_of(main::who(1601, exam_no => '2141990000160'))
--- error_code: 400
--- response_body chomp
{"error":"bad_field","message":"考生号应为14位数字","field":"exam_no"}



=== TEST 6: A8 a malformed ID number and a missing name name their fields
--- request eval
[ "POST /api/recover/start\n"
  . HeaoTest::json_of(main::who(1601, id_no => '41010220030121992')),
  "POST /api/recover/start\n"
  . HeaoTest::json_of({ exam_no => $main::C[1601]{exam_no},
                        id_no => $main::C[1601]{id_no} }) ]
--- error_code eval
[400, 400]
--- response_body eval
[ '{"error":"bad_field","message":"证件号码应为18位有效的居民身份证号码","field":"id_no"}',
  '{"error":"bad_field","message":"请输入姓名","field":"name"}' ]



=== TEST 7: A8 SMS: the code reaches the bound phone; a wrong code is refused
--- request eval
$main::S{1601} = HeaoTest::session(1601);
$main::TOKEN = main::started(1601);
$main::CODE = HeaoDeliver::last_code($main::SMS, main::phone(1601));
Test::More::like($main::CODE, qr/^\d{6}$/, 'A8 a 6-digit code by SMS');
main::finish_req($main::TOKEN, main::code(main::wrong($main::CODE)))
--- error_code: 403
--- response_body chomp
{"error":"wrong_proof","message":"验证信息不正确","field":"proof"}



=== TEST 8: A8 the code is kept in Redis only as a hash, for 5 minutes at most
--- request eval
my $k = "heao:vc:reset:$main::ID{1601}";
my $h = HeaoTest::redis('HGET', $k, 'h');
Test::More::like($h, qr/^[0-9a-f]{64}$/, 'A8 an HMAC is kept');
Test::More::unlike($h, qr/$main::CODE/, 'A8 not the code');
my $ttl = HeaoTest::redis('TTL', $k);
Test::More::ok($ttl > 0 && $ttl <= 300, "A8 the code lives 5 minutes ($ttl)");
Test::More::is(HeaoTest::redis('HGET', $k, 'n'), 4,
               'A8 one try used of 5');
"GET /api/batches"
--- error_code: 200
--- response_body_like: "batches"



=== TEST 9: A8 the right code sets the new password and ends every session (A5); no line of the debug log holds the code
--- request eval
main::finish_req($main::TOKEN, main::code($main::CODE))
--- error_code: 200
--- response_body chomp
{"ok":true}
--- no_error_log eval
[ '[error]', qr/\b$main::CODE\b/ ]



=== TEST 10: A8 A5 a session from before the reset is over
--- more_headers eval: $main::S{1601}
--- request
GET /api/session
--- error_code: 401
--- response_body chomp
{"error":"unauthenticated","message":"请先登录"}



=== TEST 11: A8 A1 the new password logs in, the old one no more, and it is not office-set
--- request eval
[ "POST /api/login\n" . HeaoTest::json_of({ exam_no => $main::C[1601]{exam_no},
    id_no => $main::C[1601]{id_no}, password => 'Test@2021!' }),
  "POST /api/login\n" . HeaoTest::json_of({ exam_no => $main::C[1601]{exam_no},
    id_no => $main::C[1601]{id_no}, password => 'Reset#2021a' }) ]
--- error_code eval
[401, 200]
--- response_body_like eval
[ qr/"error":"login_failed"/, qr/"must_change_password":false/ ]



=== TEST 12: A8 a code works once: used, it does not reset again with a new token
--- request eval
my ($b) = HeaoDeliver::portal('POST', '/api/recover/start', main::who(1601));
Test::More::ok(!exists $b->{retry_after}, 'A8 a new code is sent');
main::finish_req($b->{token}, main::code($main::CODE), 'Again#2021b')
--- error_code: 403
--- response_body chomp
{"error":"wrong_proof","message":"验证信息不正确","field":"proof"}



=== TEST 13: A8 the mailbox tells of the reset, and no log line holds the code
--- request eval
HeaoDeliver::deliver(sms => 18131);
Test::More::is(HeaoTest::psql("select count(*) from heao.mailbox"
    . " where candidate_id = $main::ID{1601} and kind = 'password'"), 1,
    'A8 one mailbox message');
open(my $fh, '<', "$FindBin::Bin/../.run/test/nginx/error.log");
my $log = do { local $/; <$fh> // '' };
Test::More::unlike($log, qr/$main::CODE/, 'A8 the code is in no log line');
Test::More::is(HeaoTest::psql("select count(*) from heao.outbox"
    . " where candidate_id = $main::ID{1601} and kind = 'code'"
    . " and payload ? 'code'"), 0, 'A8 a sent code leaves the outbox');
"GET /api/batches"
--- error_code: 200
--- response_body_like: "batches"



=== TEST 14: A8 WeChat first: the code goes by WeChat's template message
--- request eval
my ($b) = HeaoDeliver::portal('POST', '/api/recover/start', main::who(1602));
Test::More::is($b->{proof}, 'wechat', 'A8 WeChat before SMS');
Test::More::is($b->{sent_to}, '微信', 'A8 the page says WeChat');
HeaoDeliver::deliver(sms => 18131, wechat => 18132);
my @m = HeaoDeliver::wechat_sends($main::WECHAT, $main::OPENID);
Test::More::is(scalar @m, 1, 'A8 one template message');
my ($code) = $m[-1]{data}{keyword2}{value} =~ /(\d{6})/;
Test::More::is(scalar HeaoDeliver::sms_texts($main::SMS, main::phone(1602)),
               0, 'A8 no SMS when WeChat is bound');
main::finish_req($b->{token}, main::code($code))
--- error_code: 200
--- response_body chomp
{"ok":true}



=== TEST 15: A8 A3 a bound dynamic password is the proof: a code is refused, the TOTP resets
--- request eval
my ($b) = HeaoDeliver::portal('POST', '/api/recover/start', main::who(1603));
Test::More::is($b->{proof}, 'totp', 'A8 the dynamic password first');
Test::More::is(HeaoTest::psql("select count(*) from heao.outbox"
    . " where candidate_id = $main::ID{1603} and kind = 'code'"), 0,
    'A8 no code is sent');
[ main::finish_req($b->{token}, main::code('123456')),
  main::finish_req($b->{token}, { type => 'totp', code => main::totp() }) ]
--- error_code eval
[400, 200]
--- response_body eval
[ '{"error":"proof_required","message":"身份验证方式不正确，请按页面提示验证","field":"proof"}',
  '{"ok":true}' ]



=== TEST 16: A8 密码验证信息 without a phone: a wrong one is refused, the right one resets
--- request eval
my ($b) = HeaoDeliver::portal('POST', '/api/recover/start', main::who(1604));
Test::More::is($b->{proof}, 'verify_info', 'A8 the 密码验证信息 last');
[ main::finish_req($b->{token}, { type => 'verify_info', value => '黄河' }),
  main::finish_req($b->{token}, { type => 'verify_info',
                                  value => '中原大地' }) ]
--- error_code eval
[403, 200]
--- response_body eval
[ '{"error":"wrong_proof","message":"验证信息不正确","field":"proof"}',
  '{"ok":true}' ]



=== TEST 17: A8 without any proof the candidate is sent to the county office
--- request eval
main::start_req(1605)
--- error_code: 409
--- response_body chomp
{"error":"no_proof","message":"无法在线重置密码，请本人持准考证和身份证到招生考试机构重置"}



=== TEST 18: A8 five wrong codes use the code up: the right one then fails
--- request eval
HeaoTest::redis('DEL', 'heao:rl:a:127.0.0.1');
my $t = main::started(1606);
my $c = HeaoDeliver::last_code($main::SMS, main::phone(1606));
my @r = map { main::finish_req($t, main::code(main::wrong($c + $_))) }
            0 .. 4;
[ @r, main::finish_req($t, main::code($c)) ]
--- error_code eval
[403, 403, 403, 403, 403, 409]
--- response_body_like eval
[ (qr/"wrong_proof"/) x 5, qr/"code_expired"/ ]



=== TEST 19: A8 a code again within a minute is refused with the wait; after it a new code replaces the old
--- request eval
$main::TOKEN = main::started(1607);
$main::OLD = HeaoDeliver::last_code($main::SMS, main::phone(1607));
my $req = "POST /api/recover/code\n"
          . HeaoTest::json_of({ token => $main::TOKEN });
[ $req ]
--- error_code: 429
--- response_body_like: ^\{"error":"too_many","retry_after":(60|5\d),"message":"验证码发送过于频繁，请(60|5\d)秒后再试"\}$



=== TEST 20: A8 the new code works and the old does not
--- request eval
main::age_code(1607);
my ($b, $st) = HeaoDeliver::portal('POST', '/api/recover/code',
                                   { token => $main::TOKEN });
Test::More::is($st, 200, 'A8 a new code');
Test::More::is($b->{sent_to}, '139****1607', 'A8 to the same phone');
HeaoDeliver::deliver(sms => 18131);
my $new = HeaoDeliver::last_code($main::SMS, main::phone(1607));
Test::More::isnt($new, $main::OLD, 'A8 another code');
[ main::finish_req($main::TOKEN, main::code($main::OLD)),
  main::finish_req($main::TOKEN, main::code($new)) ]
--- error_code eval
[403, 200]



=== TEST 21: A8 heao_code_limit: past the sends of the window the wait is the window's rest
--- http_config eval: HeaoTest::heao_http_config(extra => 'heao_code_limit 5 2 1h;')
--- request eval
my $t = main::started(1608);
main::age_code(1608);
my $r = "POST /api/recover/code\n" . HeaoTest::json_of({ token => $t });
[ $r, $r ]
--- error_code eval
[200, 429]
--- response_body_like eval
[ qr/^\{"proof":"sms","sent_to":"139\*\*\*\*1608","code_expires_in":300\}$/,
  qr/^\{"error":"too_many","retry_after":3[56]\d\d,/ ]



=== TEST 22: A8 heao_recover_limit: failed starts lock the exam number, then even right data waits
--- http_config eval: HeaoTest::heao_http_config(extra => 'heao_recover_limit 3 1h 100;')
--- request eval
HeaoTest::redis('DEL', 'heao:rl:a:127.0.0.1');
my $bad = "POST /api/recover/start\n"
          . HeaoTest::json_of(main::who(1609, name => '李四'));
[ $bad, $bad, $bad, main::start_req(1609) ]
--- error_code eval
[400, 400, 400, 429]
--- response_body_like eval
[ (qr/"not_matched"/) x 3,
  qr/^\{"error":"too_many","retry_after":3[56]\d\d,"message":"操作过于频繁，请60分钟后再试"\}$/ ]



=== TEST 23: A8 wrong proofs count against the exam number as well
--- http_config eval: HeaoTest::heao_http_config(extra => 'heao_recover_limit 2 1h 100;')
--- request eval
HeaoTest::redis('DEL', 'heao:rl:a:127.0.0.1',
                "heao:rl:e:$main::C[1604]{exam_no}");
my ($b) = HeaoDeliver::portal('POST', '/api/recover/start', main::who(1604));
my $w = main::finish_req($b->{token}, { type => 'verify_info',
                                        value => '长江' });
[ $w, $w, main::finish_req($b->{token}, { type => 'verify_info',
                                          value => '中原大地' }) ]
--- error_code eval
[403, 403, 429]



=== TEST 24: A8 the new password must meet the policy
--- request eval
main::finish_req('AAAAAAAAAAAAAAAAAAAAAA', main::code('123456'), 'password1')
--- error_code: 400
--- response_body chomp
{"error":"bad_field","message":"新密码应为8至32个字符，须同时包含字母、数字和符号","field":"new_password"}



=== TEST 25: A8 a malformed token, an unknown one, a malformed proof
--- request eval
[ main::finish_req('short', main::code('123456')),
  main::finish_req('AAAAAAAAAAAAAAAAAAAAAA', main::code('123456')),
  main::finish_req('AAAAAAAAAAAAAAAAAAAAAA', main::code('12345')),
  main::finish_req('AAAAAAAAAAAAAAAAAAAAAA', { type => 'sms' }),
  "POST /api/recover/code\n{\"token\":\"AAAAAAAAAAAAAAAAAAAAAA\"}" ]
--- error_code eval
[400, 409, 400, 400, 409]
--- response_body eval
[ '{"error":"bad_field","message":"请重新开始","field":"token"}',
  '{"error":"recover_expired","message":"操作已超时，请重新开始","field":"token"}',
  '{"error":"bad_field","message":"请输入6位验证码","field":"proof"}',
  '{"error":"bad_field","message":"请选择身份验证方式","field":"proof"}',
  '{"error":"recover_expired","message":"操作已超时，请重新开始","field":"token"}' ]



=== TEST 26: A8 a token that asks no code sends none again
--- request eval
my ($b) = HeaoDeliver::portal('POST', '/api/recover/start', main::who(1610));
HeaoTest::psql("update heao.candidate set phone = null"
               . " where id = $main::ID{1610}");
my ($v) = HeaoDeliver::portal('POST', '/api/recover/start', main::who(1610));
"POST /api/recover/code\n" . HeaoTest::json_of({ token => $v->{token} })
--- error_code: 409
--- response_body chomp
{"error":"no_channel","message":"本次验证无需验证码"}



=== TEST 27: O1 heao_code_limit and heao_recover_limit refuse a zero
--- http_config eval: HeaoTest::heao_http_config(extra => 'heao_code_limit 0 5 1h;')
--- must_die
--- error_log
invalid value "0" in "heao_code_limit" directive



=== TEST 28: O1 heao_recover_limit refuses a window under a second
--- http_config eval: HeaoTest::heao_http_config(extra => 'heao_recover_limit 5 0s 100;')
--- must_die
--- error_log
invalid value "0s" in "heao_recover_limit" directive



=== TEST 29: A7 报名序号, 注册密码 and name give the exam number
--- request eval
HeaoTest::psql("update heao.candidate set reg_pw_hash = '$main::PW',"
               . " reg_serial = '219900' || right(exam_no, 4)"
               . " where id between $main::ID{1612} and $main::ID{1614}");
HeaoTest::redis('DEL', 'heao:rl:a:127.0.0.1', 'heao:rl:s:2199001612',
                'heao:rl:s:2199001613');
main::exam_no_req(1612)
--- error_code: 200
--- response_body chomp
{"exam_no":"21419900001612"}



=== TEST 30: A7 a wrong 注册密码, a wrong name, an unknown serial match nobody alike
--- request eval
[ main::exam_no_req(1613, reg_password => 'Wrong@2021!'),
  main::exam_no_req(1613, name => '张三'),
  main::exam_no_req(1613, reg_serial => '2199009999') ]
--- error_code eval
[400, 400, 400]
--- response_body eval
[ ('{"error":"not_matched","message":"报名序号、注册密码或姓名不正确"}') x 3 ]



=== TEST 31: A7 malformed fields are named
--- request eval
[ main::exam_no_req(1613, reg_serial => '21990'),
  main::exam_no_req(1613, reg_serial => '2199-01613'),
  main::exam_no_req(1613, reg_password => ''),
  main::exam_no_req(1613, name => '测') ]
--- error_code eval
[400, 400, 400, 400]
--- response_body eval
[ '{"error":"bad_field","message":"请输入报名序号","field":"reg_serial"}',
  '{"error":"bad_field","message":"请输入报名序号","field":"reg_serial"}',
  '{"error":"bad_field","message":"请输入注册密码","field":"reg_password"}',
  '{"error":"bad_field","message":"请输入姓名","field":"name"}' ]



=== TEST 32: A7 failures lock the serial: then even the right answer waits
--- http_config eval: HeaoTest::heao_http_config(extra => 'heao_recover_limit 2 1h 100;')
--- request eval
HeaoTest::redis('DEL', 'heao:rl:a:127.0.0.1', 'heao:rl:s:2199001614');
my $bad = main::exam_no_req(1614, reg_password => 'Wrong@2021!');
[ $bad, $bad, main::exam_no_req(1614) ]
--- error_code eval
[400, 400, 429]
--- response_body_like eval
[ (qr/"not_matched"/) x 2, qr/^\{"error":"too_many","retry_after":\d+,/ ]



=== TEST 33: A7 A2 with the captcha on, the ticket is needed and works once
--- http_config eval: HeaoTest::heao_http_config(captcha => 'on')
--- request eval
HeaoTest::redis('SET', 'heao:ct:TicketForTheExamNoA7xy', 1, 'EX', 120);
[ main::exam_no_req(1612),
  main::exam_no_req(1612, captcha_ticket => 'TicketForTheExamNoA7xy'),
  main::exam_no_req(1612, captcha_ticket => 'TicketForTheExamNoA7xy') ]
--- error_code eval
[400, 200, 400]
--- response_body eval
[ '{"error":"bad_field","message":"请先完成图形验证","field":"captcha_ticket"}',
  '{"exam_no":"21419900001612"}',
  '{"error":"bad_field","message":"图形验证已失效，请重新验证","field":"captcha_ticket"}' ]



=== TEST 34: A8 R2 without Redis the reset is refused with 503, never left unlimited
--- http_config eval
my $c = HeaoTest::heao_http_config();
$c =~ s/heao_redis 127\.0\.0\.1:\d+;/heao_redis 127.0.0.1:18139;/;
$c
--- request eval
main::start_req(1615)
--- error_code: 503
--- response_headers
Retry-After: 5
--- response_body_like: ^\{"error":"unavailable"
--- no_error_log
[alert]
[crit]



=== TEST 35: A8 A12 a reset queued a notice per bound channel with time and address; a refused one nothing
--- request eval
my $changes = sub {
    HeaoTest::psql("select coalesce(string_agg(channel || ' '"
                   . " || (payload ->> 'change'), ',' order by channel),"
                   . " '') from heao.outbox where kind = 'account'"
                   . " and candidate_id = $main::ID{$_[0]}");
};
Test::More::is($changes->(1601), 'sms password_reset',
               'A8 A12 reset by SMS: one notice, none of the wrong codes');
Test::More::is($changes->(1602), 'sms password_reset,wechat password_reset',
               'A8 A12 reset by WeChat: told to WeChat and the phone');
Test::More::is($changes->(1606), '',
               'A8 A12 a reset refused (the code used up) queues nothing');
Test::More::is($changes->(1604), '',
               'A8 A12 nothing bound, nothing queued');
Test::More::like(HeaoTest::psql("select payload ->> 'title' || '|'"
                                . " || (payload ->> 'text') from heao.outbox"
                                . " where kind = 'account'"
                                . " and candidate_id = $main::ID{1601}"),
                 qr/^登录密码重置通知\|您于\d\d月\d\d日\d\d:\d\d从IP地址127\.0\.0\.1通过“忘记密码”重置了登录密码。如非本人操作，请立即联系报名地招生考试机构。$/,
                 'A8 A12 the text: when, from where, what, what to do');
Test::More::unlike(HeaoTest::psql("select string_agg(payload::text, ' ')"
                                  . " from heao.outbox"
                                  . " where kind = 'account'"),
                   qr/Reset#2021a|Again#2021b|"code"/,
                   'A8 A12 no password and no code in a notice');
"GET /api/batches"
--- error_code: 200
--- response_body_like: "batches"
