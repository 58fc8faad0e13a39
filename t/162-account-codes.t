# The codes of a logged-in candidate: V3 abandon proven by a code sent by
# WeChat or SMS, A9 adding and changing the phone with codes, A10 the
# 密码验证信息, A12 the login notice on the bound channels and the
# notices of a phone and a 密码验证信息 changed.  What the
# fake SMS gateway and WeChat API received is read back
# (t/HeaoDeliver.pm).  Candidates 1620-1639.

use strict;
use warnings;

use FindBin;
use lib $FindBin::Bin;

use Test::Nginx::Socket 'no_plan';
use HeaoTest;
use HeaoDeliver;

no_shuffle();
heao_defaults();

our (@C, %ID, %H, %K, $CODE, $OLD, $NEW);
our $KEY = '3132333435363738393031323334353637383930';
our $OPENID = 'oHeaoTestOpenid1628';
our $SMS = mock_start(18133);
our $WECHAT = mock_start(18134, '--wechat');

our $PW = psql("select pw_hash from heao.candidate"
               . " where exam_no = '21419900000001'");
our $VI = psql("select verify_hash from heao.candidate"
               . " where exam_no = '21419900000001'");

for my $t (1620 .. 1639) {
    $C[$t] = reset_candidate($t);
    $ID{$t} = psql("update heao.candidate set pw_hash = '$PW',"
                   . " pw_office_set = false, verify_hash = '$VI',"
                   . " phone = '1399" . sprintf('%07d', $t) . "',"
                   . " wechat_openid = null, totp_secret = null,"
                   . " totp_bound_at = null"
                   . " where exam_no = '$C[$t]{exam_no}' returning id");
    redis('DEL', "heao:cs:$ID{$t}", "heao:tu:$ID{$t}", "heao:tb:$ID{$t}",
          (map { "heao:ar:$_:$ID{$t}" } qw(vi pw tb tu)),
          "heao:ab:$ID{$t}", "heao:lf:e:$C[$t]{exam_no}",
          map { ("heao:vc:$_:$ID{$t}", "heao:vs:$_:$ID{$t}") }
              qw(reset abandon phone_old phone_new));
}

redis('DEL', 'heao:lf:a:127.0.0.1');

psql("update heao.candidate set totp_secret = decode('$KEY', 'hex'),"
     . " totp_bound_at = now() where id = $ID{1621}");
psql("update heao.candidate set phone = null where id in"
     . " ($ID{1622}, $ID{1623}, $ID{1624})");
psql("update heao.candidate set wechat_openid = '$OPENID'"
     . " where id = $ID{1628}");

sub phone { '1399' . sprintf('%07d', $_[0]) }

sub headers {
    my ($t) = @_;
    $H{$t} //= session($t);
    return "Content-Type: application/json\n" . $H{$t};
}

sub post { "POST $_[0]\n" . json_of($_[1] // {}) }

# a code through the portal and the sender: the code the phone got
sub sent {
    my ($t, $body, $to) = @_;
    my ($b, $st) = portal('POST', '/api/code', $body, $H{$t} // headers($t));
    die "code for $t: $st\n" unless $st == 200;
    deliver(sms => 18133, wechat => 18134);
    return last_code($SMS, $to // phone($t));
}

sub wrong { sprintf('%06d', ($_[0] + 1) % 1000000) }

sub login {
    my ($t) = @_;
    return post('/api/login', { exam_no => $C[$t]{exam_no},
                                id_no => $C[$t]{id_no},
                                password => 'Test@2021!' });
}

sub notices {
    my ($t, $kind) = @_;
    return psql("select coalesce(string_agg(channel, ',' order by channel),"
                . " '') from heao.outbox where candidate_id = $ID{$t}"
                . " and kind = '$kind'");
}

# A12: the notices of a change of the account queued for T, oldest first:
# "channel change phone" each, the phone only when the row names one
sub changes {
    my ($t) = @_;
    return psql("select coalesce(string_agg(channel || ' '"
                . " || (payload ->> 'change')"
                . " || coalesce(' ' || (payload ->> 'phone'), ''),"
                . " ',' order by id), '') from heao.outbox"
                . " where candidate_id = $ID{$t} and kind = 'account'");
}

sub change_text {
    my ($t) = @_;
    return psql("select payload ->> 'text' from heao.outbox"
                . " where candidate_id = $ID{$t} and kind = 'account'"
                . " order by id limit 1");
}

add_block_preprocessor(sub {
    my $block = shift;
    $block->set_value('more_headers', "Content-Type: application/json\n")
        unless defined $block->more_headers;
});

run_tests();

__DATA__

=== TEST 1: V3 A9 a code needs a session
--- request eval
main::post('/api/code', { purpose => 'abandon' })
--- error_code: 401
--- response_body chomp
{"error":"unauthenticated","message":"请先登录"}



=== TEST 2: A6 a code needs the CSRF token
--- more_headers eval
my $h = main::headers(1620);
$h =~ s/X-CSRF-Token: \S+/X-CSRF-Token: wrong/;
$h
--- request eval
main::post('/api/code', { purpose => 'abandon' })
--- error_code: 403
--- response_body_like: ^\{"error":"csrf"



=== TEST 3: V3 A9 an unknown purpose names the field
--- more_headers eval: main::headers(1620)
--- request eval
[ main::post('/api/code', { purpose => 'login' }),
  main::post('/api/code', {}) ]
--- error_code eval
[400, 400]
--- response_body eval
[ ('{"error":"bad_field","message":"验证码用途不正确","field":"purpose"}') x 2 ]



=== TEST 4: V3 with a phone on file the abandon code goes by SMS
--- more_headers eval: main::headers(1620)
--- request eval
main::post('/api/code', { purpose => 'abandon' })
--- error_code: 200
--- response_body chomp
{"channel":"sms","expires_in":300}



=== TEST 5: V3 A8 with a phone on file the 密码验证信息 is not the proof
--- more_headers eval: main::headers(1620)
--- request eval
HeaoDeliver::deliver(sms => 18133);
$main::CODE = HeaoDeliver::last_code($main::SMS, main::phone(1620));
Test::More::like($main::CODE, qr/^\d{6}$/, 'V3 the phone got a code');
main::post('/api/abandon/11', { proof => { type => 'verify_info',
                                           value => '中原大地' } })
--- error_code: 400
--- response_body chomp
{"error":"proof_required","message":"请输入微信或短信收到的验证码","field":"proof"}



=== TEST 6: V3 a wrong code is refused and abandons nothing
--- more_headers eval: main::headers(1620)
--- request eval
main::post('/api/abandon/11', { proof => { type => 'code',
                                           code => main::wrong($main::CODE) } })
--- error_code: 403
--- response_body chomp
{"error":"wrong_proof","message":"验证码不正确","field":"proof"}



=== TEST 7: V3 the code abandons, and the notice goes to the phone (A12)
--- more_headers eval: main::headers(1620)
--- request eval
main::post('/api/abandon/11', { proof => { type => 'code',
                                           code => $main::CODE } })
--- error_code: 200
--- response_body_like: ^\{"abandoned_at":\d+,"group":"11","batches":\[\{"batch":"11","name":"本科一批"\}\],"abandoned":true\}$



=== TEST 8: V3 the code works once: spent, it proves nothing for another group
--- more_headers eval: main::headers(1620)
--- request eval
Test::More::is(main::notices(1620, 'abandon'), 'sms',
               'V3 A12 the abandon notice to the phone');
Test::More::like(main::psql("select payload->>'text' from heao.outbox"
                            . " where candidate_id = $main::ID{1620}"
                            . " and kind = 'abandon'"),
                 qr/^您于\d\d月\d\d日\d\d:\d\d从IP地址127\.0\.0\.1放弃了本科一批志愿。/,
                 'A12 the abandon notice has the time and the address');
main::post('/api/abandon/12', { proof => { type => 'code',
                                           code => $main::CODE } })
--- error_code: 403
--- response_body chomp
{"error":"wrong_proof","message":"验证码已失效，请重新获取","field":"proof"}



=== TEST 9: V3 a malformed code names the proof
--- more_headers eval: main::headers(1620)
--- request eval
main::post('/api/abandon/11', { proof => { type => 'code', code => '12a456' } })
--- error_code: 400
--- response_body chomp
{"error":"bad_field","message":"请输入6位验证码","field":"proof"}



=== TEST 10: V3 A3 with a dynamic password bound no code is sent
--- more_headers eval: main::headers(1621)
--- request eval
main::post('/api/code', { purpose => 'abandon' })
--- error_code: 409
--- response_body chomp
{"error":"no_channel","message":"未绑定微信或手机，请按页面提示验证身份"}



=== TEST 11: V3 without phone or WeChat no code is sent
--- more_headers eval: main::headers(1622)
--- request eval
main::post('/api/code', { purpose => 'abandon' })
--- error_code: 409
--- response_body chomp
{"error":"no_channel","message":"未绑定微信或手机，请按页面提示验证身份"}



=== TEST 12: A9 without a phone there is no old phone to send to
--- more_headers eval: main::headers(1623)
--- request eval
main::post('/api/code', { purpose => 'phone_old' })
--- error_code: 409
--- response_body chomp
{"error":"no_phone","message":"尚未登记手机号码"}



=== TEST 13: A9 adding a phone: the code goes to the new number, a wrong one is refused
--- more_headers eval: main::headers(1623)
--- request eval
$main::NEW = main::sent(1623, { purpose => 'phone_new',
                                phone => '13700001623' }, '13700001623');
Test::More::like($main::NEW, qr/^\d{6}$/, 'A9 the new phone got a code');
main::post('/api/phone', { phone => '13700001623',
                           code => main::wrong($main::NEW) })
--- error_code: 403
--- response_body chomp
{"error":"wrong_code","message":"验证码不正确","field":"code"}



=== TEST 14: A9 the right code adds the phone
--- more_headers eval: main::headers(1623)
--- request eval
main::post('/api/phone', { phone => '13700001623', code => $main::NEW })
--- error_code: 200
--- response_body chomp
{"phone":"137****1623"}



=== TEST 15: A9 a code sent to one number does not add another
--- more_headers eval: main::headers(1624)
--- request eval
Test::More::is(main::psql("select phone from heao.candidate"
                          . " where id = $main::ID{1623}"), '13700001623',
               'A9 the phone added');
my $c = main::sent(1624, { purpose => 'phone_new', phone => '13700011624' },
                   '13700011624');
main::post('/api/phone', { phone => '13700021624', code => $c })
--- error_code: 403
--- response_body chomp
{"error":"wrong_code","message":"验证码不正确","field":"code"}



=== TEST 16: A9 changing a phone needs the old phone's code too
--- more_headers eval: main::headers(1625)
--- request eval
$main::OLD = main::sent(1625, { purpose => 'phone_old' });
$main::NEW = main::sent(1625, { purpose => 'phone_new',
                                phone => '13800001625' }, '13800001625');
Test::More::isnt($main::OLD, undef, 'A9 the old phone got a code');
[ main::post('/api/phone', { phone => '13800001625', code => $main::NEW }),
  main::post('/api/phone', { phone => '13800001625', code => $main::NEW,
                             old_code => main::wrong($main::OLD) }) ]
--- error_code eval
[400, 403]
--- response_body eval
[ '{"error":"bad_field","message":"请输入原手机号码收到的验证码","field":"old_code"}',
  '{"error":"wrong_code","message":"验证码不正确","field":"old_code"}' ]



=== TEST 17: A9 both codes change the phone
--- more_headers eval: main::headers(1625)
--- request eval
main::post('/api/phone', { phone => '13800001625', code => $main::NEW,
                           old_code => $main::OLD })
--- error_code: 200
--- response_body chomp
{"phone":"138****1625"}



=== TEST 18: A9 the same number again, a malformed number, a malformed code
--- more_headers eval: main::headers(1625)
--- request eval
Test::More::is(main::psql("select phone from heao.candidate"
                          . " where id = $main::ID{1625}"), '13800001625',
               'A9 the phone changed');
[ main::post('/api/phone', { phone => '13800001625', code => '123456',
                             old_code => '123456' }),
  main::post('/api/phone', { phone => '12800001625', code => '123456' }),
  main::post('/api/code', { purpose => 'phone_new', phone => '1380000162' }),
  main::post('/api/phone', { phone => '13800001626', code => '1234567' }) ]
--- error_code eval
[400, 400, 400, 400]
--- response_body eval
[ '{"error":"bad_field","message":"新手机号码与原号码相同","field":"phone"}',
  '{"error":"bad_field","message":"手机号码应为11位数字","field":"phone"}',
  '{"error":"bad_field","message":"手机号码应为11位数字","field":"phone"}',
  '{"error":"bad_field","message":"请输入6位验证码","field":"code"}' ]



=== TEST 19: A9 a second code within a minute waits
--- more_headers eval: main::headers(1625)
--- request eval
[ main::post('/api/code', { purpose => 'phone_old' }),
  main::post('/api/code', { purpose => 'phone_old' }) ]
--- error_code eval
[200, 429]
--- response_body_like eval
[ qr/^\{"channel":"sms","expires_in":300\}$/,
  qr/^\{"error":"too_many","retry_after":(60|5\d),/ ]



=== TEST 20: A10 a wrong password, a bad 密码验证信息, the own name are refused
--- more_headers eval: main::headers(1626)
--- request eval
[ main::post('/api/verify-info', { password => 'Wrong@2021!',
                                   value => '黄河之水' }),
  main::post('/api/verify-info', { password => 'Test@2021!',
                                   value => '黄河，之水' }),
  main::post('/api/verify-info', { password => 'Test@2021!',
                                   value => '好好好' }),
  main::post('/api/verify-info', { password => 'Test@2021!',
                                   value => '一二三四五六七八九十一二三四五六' }),
  main::post('/api/verify-info', { password => 'Test@2021!',
                                   value => $main::C[1626]{name} }),
  main::post('/api/verify-info', { value => '黄河之水' }) ]
--- error_code eval
[400, 400, 400, 400, 400, 400]
--- response_body eval
[ '{"error":"wrong_password","message":"登录密码不正确","field":"password"}',
  ('{"error":"bad_field","message":"密码验证信息应为1至15个汉字，不含标点，不能全部相同","field":"value"}') x 3,
  '{"error":"bad_field","message":"密码验证信息不能是本人姓名","field":"value"}',
  '{"error":"bad_field","message":"请输入登录密码","field":"password"}' ]



=== TEST 21: A10 the current password sets a new 密码验证信息, stored hashed
--- more_headers eval: main::headers(1626)
--- request eval
main::post('/api/verify-info', { password => 'Test@2021!',
                                 value => '黄河之水' })
--- error_code: 200
--- response_body chomp
{"ok":true}



=== TEST 22: A10 V3 the new 密码验证信息 is the proof from then on
--- more_headers eval: main::headers(1626)
--- request eval
my $h = main::psql("select verify_hash from heao.candidate"
                   . " where id = $main::ID{1626}");
Test::More::ok($h ne $main::VI && $h =~ /^\$argon2id\$/,
               'A10 A13 a new argon2id hash is stored');
main::psql("update heao.candidate set phone = null"
           . " where id = $main::ID{1626}");
[ main::post('/api/abandon/11', { proof => { type => 'verify_info',
                                             value => '中原大地' } }),
  main::post('/api/abandon/11', { proof => { type => 'verify_info',
                                             value => '黄河之水' } }) ]
--- error_code eval
[403, 200]



=== TEST 23: A10 password checks are limited: the sixth in 15 minutes waits
--- more_headers eval: main::headers(1627)
--- request eval
[ map { main::post('/api/verify-info', { password => 'Wrong@2021!',
                                         value => '黄河之水' }) } 1 .. 6 ]
--- error_code eval
[400, 400, 400, 400, 400, 429]
--- response_body_like eval
[ (qr/"wrong_password"/) x 5,
  qr/^\{"error":"too_many","retry_after":\d+,"message":"操作过于频繁，请15分钟后再试"\}$/ ]



=== TEST 24: A12 a login queues a notice to the phone, with time and address
--- request eval
main::login(1629)
--- error_code: 200
--- response_body_like: "must_change_password":false



=== TEST 25: A12 the sender delivers it: the phone reads the login notice
--- request eval
Test::More::is(main::psql("select channel || ' ' || (payload->>'client')"
    . " || ' ' || (payload->>'text' like '%登录了考生服务平台%')"
    . " from heao.outbox where candidate_id = $main::ID{1629}"
    . " and kind = 'login'"), 'sms 127.0.0.1 true', 'A12 one SMS notice queued');
HeaoDeliver::deliver(sms => 18133);
my @t = HeaoDeliver::sms_texts($main::SMS, main::phone(1629));
Test::More::is(scalar @t, 1, 'A12 one SMS');
Test::More::like($t[0], qr/从IP地址127\.0\.0\.1登录了考生服务平台/,
                 'A12 with the address');
"GET /api/batches"
--- error_code: 200
--- response_body_like: "batches"



=== TEST 26: A12 A11 with WeChat bound the notice goes to WeChat and SMS
--- request eval
main::login(1628)
--- error_code: 200
--- response_body_like: "must_change_password":false



=== TEST 27: A12 WeChat gets the template message with the name and the title
--- request eval
Test::More::is(main::notices(1628, 'login'), 'sms,wechat',
               'A12 a notice per bound channel');
HeaoDeliver::deliver(sms => 18133, wechat => 18134);
my @m = HeaoDeliver::wechat_sends($main::WECHAT, $main::OPENID);
Test::More::is(scalar @m, 1, 'A12 one template message');
Test::More::is($m[0]{template_id}, 'login', 'A12 the login template');
Test::More::is($m[0]{data}{first}{value}, '帐号登录成功通知',
               'A12 the title');
Test::More::is($m[0]{data}{keyword1}{value}, $main::C[1628]{name},
               'A12 the name');
"GET /api/batches"
--- error_code: 200
--- response_body_like: "batches"



=== TEST 28: A12 nothing bound, nothing queued
--- request eval
main::login(1622)
--- error_code: 200
--- response_body_like: "must_change_password":false



=== TEST 29: A12 a failed login queues nothing
--- request eval
main::post('/api/login', { exam_no => $main::C[1630]{exam_no},
                           id_no => $main::C[1630]{id_no},
                           password => 'Wrong@2021!' })
--- error_code: 401
--- response_body_like: "login_failed"



=== TEST 30: A12 of the last two logins, neither queued a notice
--- request eval
Test::More::is(main::notices(1622, 'login'), '', 'A12 none without a channel');
Test::More::is(main::notices(1630, 'login'), '', 'A12 none for a failure');
"GET /api/batches"
--- error_code: 200
--- response_body_like: "batches"



=== TEST 31: A3 A4 tries of a first dynamic password are limited: the sixth in 15 minutes waits
--- more_headers eval: main::headers(1631)
--- request eval
main::headers(1631);
my ($b, $st) = HeaoDeliver::portal('POST', '/api/totp/begin', {},
                                   $main::H{1631});
Test::More::is($st, 200, 'A3 a binding under way');
[ map { main::post('/api/totp/confirm', { code => '00000000' }) } 1 .. 6 ]
--- error_code eval
[400, 400, 400, 400, 400, 429]
--- response_body_like eval
[ (qr/"totp_failed"/) x 5,
  qr/^\{"error":"too_many","retry_after":\d+,"message":"操作过于频繁，请15分钟后再试"\}$/ ]



=== TEST 32: A3 A4 tries of unbinding are limited as well
--- more_headers eval: main::headers(1621)
--- request eval
[ map { main::post('/api/totp/unbind', { code => '00000000' }) } 1 .. 6 ]
--- error_code eval
[400, 400, 400, 400, 400, 429]
--- response_body_like eval
[ (qr/"totp_failed"/) x 5, qr/^\{"error":"too_many",/ ]



=== TEST 33: A14 A4 the old password of a change is not to be guessed: the sixth try waits
--- more_headers eval: main::headers(1632)
--- request eval
[ map { main::post('/api/password', { old_password => "Guess\@2021$_",
                                      new_password => 'Other#2021x' }) }
      1 .. 6 ]
--- error_code eval
[400, 400, 400, 400, 400, 429]
--- response_body_like eval
[ (qr/"wrong_password"/) x 5, qr/^\{"error":"too_many",/ ]



=== TEST 34: A9 a code never sent (or expired) is told so
--- more_headers eval: main::headers(1634)
--- request eval
main::psql("update heao.candidate set phone = null"
           . " where id = $main::ID{1634}");
main::post('/api/phone', { phone => '13700001634', code => '123456' })
--- error_code: 403
--- response_body chomp
{"error":"wrong_code","message":"验证码已失效，请重新获取","field":"code"}



=== TEST 35: A9 A10 A12 each change queued its notice with time and address; the refused ones nothing
--- more_headers eval: main::headers(1625)
--- request eval
Test::More::is(main::changes(1623), 'sms phone',
               'A9 A12 a phone added: told to it, after the wrong code nothing');
Test::More::like(main::change_text(1623),
                 qr/^您于\d\d月\d\d日\d\d:\d\d从IP地址127\.0\.0\.1登记了手机号码137\*\*\*\*1623。如非本人操作，请立即/,
                 'A9 A12 the number added, masked');
Test::More::is(main::changes(1625), 'sms phone,sms phone 13990001625',
               'A9 A12 a phone changed: told to the new number and the old one');
Test::More::like(main::change_text(1625),
                 qr/从IP地址127\.0\.0\.1将手机号码由139\*\*\*\*1625更改为138\*\*\*\*1625。/,
                 'A9 A12 from which number to which');
Test::More::is(main::changes(1624), '',
               'A9 A12 a phone refused queues nothing');
Test::More::is(main::changes(1626), 'sms verify_info',
               'A10 A12 a new 密码验证信息: one notice, none for the refused');
Test::More::like(main::change_text(1626),
                 qr/^您于\d\d月\d\d日\d\d:\d\d从IP地址127\.0\.0\.1修改了密码验证信息。如非本人操作，/,
                 'A10 A12 the text of the 密码验证信息');
Test::More::unlike(main::psql("select string_agg(payload::text, ' ')"
                              . " from heao.outbox where kind = 'account'"
                              . " and candidate_id in ($main::ID{1623},"
                              . " $main::ID{1625}, $main::ID{1626})"),
                   qr/黄河之水|argon2|"code"/,
                   'A10 A12 no 密码验证信息 and no code in a notice');
HeaoDeliver::deliver(sms => 18133);
Test::More::is(scalar(grep { /将手机号码由139\*\*\*\*1625更改为/ }
                      HeaoDeliver::sms_texts($main::SMS, '13990001625')), 1,
               'A9 A12 the old phone got the SMS');
Test::More::is(scalar(grep { /将手机号码由139\*\*\*\*1625更改为/ }
                      HeaoDeliver::sms_texts($main::SMS, '13800001625')), 1,
               'A9 A12 and the new one');
"GET /api/batches"
--- error_code: 200
--- response_body_like: "batches"
