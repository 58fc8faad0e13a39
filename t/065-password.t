# A14: an office-set password is changed at the first login before
# anything else; the change itself (policy of SPEC 2, old password
# checked); A5: a change ends every other session of the candidate; A12:
# a change is noticed on the bound channels, a refused one is not.
# Candidates 320-339 (339 lends its hash of the test password back).

use strict;
use warnings;

use FindBin;
use lib $FindBin::Bin;

use Test::Nginx::Socket 'no_plan';
use HeaoTest;

no_shuffle();
heao_defaults();

our @C = map { reset_candidate($_) } 0 .. 339;
our %ID;

for my $t (320 .. 338) {
    my $e = $C[$t]{exam_no};
    $ID{$t} = psql("update heao.candidate set pw_hash = (select pw_hash"
                   . " from heao.candidate where exam_no = '$C[339]{exam_no}'),"
                   . " pw_office_set = false where exam_no = '$e'"
                   . " returning id");
    redis('DEL', "heao:cs:$ID{$t}");
}

redis('DEL', 'heao:lf:a:127.0.0.1');

psql("update heao.candidate set pw_office_set = true"
     . " where id in ($ID{321}, $ID{330})");

# A12: 322 and 325 have both channels bound, 327 a phone only
psql("update heao.candidate set phone = null, wechat_openid = null"
     . " where id between $ID{320} and $ID{338}");
psql("update heao.candidate set phone = '13990000' || $_,"
     . " wechat_openid = " . ($_ == 327 ? 'null' : "'oHeaoTestOpenid$_'")
     . " where id = $ID{$_}") for 322, 325, 327;

our $A322 = session(322, must_change => 1);
our $B322 = session(322);
our $NEW = 'Neu#Pass2021';

sub login {
    my ($t, $password) = @_;
    my $c = $C[$t];

    return "POST /api/login\n" . json_of({
        exam_no => $c->{exam_no}, id_no => $c->{id_no},
        password => $password // $c->{password} });
}

# the notices of a password change queued for T: "channel change" each
sub notices {
    my ($t) = @_;
    return psql("select coalesce(string_agg(channel || ' '"
                . " || (payload ->> 'change'), ',' order by channel), '')"
                . " from heao.outbox where candidate_id = $ID{$t}"
                . " and kind = 'account'");
}

sub change {
    my ($old, $new) = @_;
    return "POST /api/password\n"
           . json_of({ old_password => $old, new_password => $new });
}

run_tests();

__DATA__

=== TEST 1: A14 an office-set password: the login answer says it must be changed
--- more_headers
Content-Type: application/json
--- request eval
main::login(321)
--- response_body_like chomp
^\{"candidate":\{"exam_no":"21419900000321","name":"测试三二一","ctype":"普通"\},"csrf":"[\w-]{32}","expires_at":\d+,"must_change_password":true\}$



=== TEST 2: A14 A5 that session is marked, and it is in the candidate's set of sessions
--- request
GET /api/session
--- error_code: 401
--- response_body eval
my @k = split /\n/, main::redis('SMEMBERS', "heao:cs:$::ID{321}");
my $m = @k == 1 ? main::redis('HGET', $k[0], 'm') : '';
@k == 1 && $m eq '1'
    ? qq({"error":"unauthenticated","message":"请先登录"})
    : "sessions: @k, mark: $m"



=== TEST 3: A14 before the change, the API refuses everything else with 403
--- more_headers eval
main::session(323, must_change => 1) . "Content-Type: application/json\n"
--- request eval
[ "GET /api/browse\n",
  "POST /api/fill/11/begin\n" . main::json_of({ accept_notice => \1 }),
  "GET /api/totp\n" ]
--- error_code eval
[403, 403, 403]
--- response_body eval
[ (qq({"error":"password_change_required","message":"您的密码由招生办设置，请先修改密码，再进行其他操作"})) x 3 ]



=== TEST 4: A14 the session endpoint says the change is due
--- more_headers eval: main::session(323, must_change => 1)
--- request
GET /api/session
--- response_body_like chomp
^\{"candidate":\{"exam_no":"21419900000323","name":"测试三二三","ctype":"普通"\},"csrf":"[\w-]{32}","expires_at":\d+,"must_change_password":true\}$



=== TEST 5: A14 the new password must meet the policy: 8-32 characters, letters, digits, a symbol
--- more_headers eval
main::session(324) . "Content-Type: application/json\n"
--- request eval
[ map { main::change('Test@2021!', $_) }
  'Ab1#567', 'abcdefgh1', 'abcdefgh#', '1234567#9', 'Abc#1' x 6 . 'xyz',
  'Abc 1#defg', "Abc\x{e4}\x{b8}\x{ad}1#defg", 'Test@2021!' ]
--- error_code eval
[ (400) x 8 ]
--- response_body eval
[ (qq({"error":"bad_field","message":"新密码应为8至32个字符，须同时包含字母、数字和符号","field":"new_password"})) x 7,
  qq({"error":"bad_field","message":"新密码不能与原密码相同","field":"new_password"}) ]



=== TEST 6: A14 a wrong old password changes nothing
--- more_headers eval
main::session(325) . "Content-Type: application/json\n"
--- request eval
main::change('Wrong@2021!', $::NEW)
--- error_code: 400
--- response_body chomp
{"error":"wrong_password","message":"原密码不正确","field":"old_password"}



=== TEST 7: A6 the change needs the CSRF token
--- more_headers eval
my $h = main::session(326);
$h =~ s/^X-CSRF-Token: .*\n//m;
$h . "Content-Type: application/json\n"
--- request eval
main::change('Test@2021!', $::NEW)
--- error_code: 403
--- response_body chomp
{"error":"csrf","message":"页面已过期，请刷新后重试"}



=== TEST 8: A14 the change needs a session
--- more_headers
Content-Type: application/json
--- request eval
main::change('Test@2021!', $::NEW)
--- error_code: 401
--- response_body chomp
{"error":"unauthenticated","message":"请先登录"}



=== TEST 9: A14 the change is accepted from the marked session
--- more_headers eval
$::A322 . "Content-Type: application/json\n"
--- request eval
main::change('Test@2021!', $::NEW)
--- response_body chomp
{"ok":true}



=== TEST 10: A14 the password is no longer office-set, and the marked session may go on
--- more_headers eval: $::A322
--- request
GET /api/browse
--- response_body eval
my $f = main::psql("select pw_office_set from heao.candidate"
                   . " where id = $::ID{322}");
$f eq 'f' ? qq({"groups":[]}) : "pw_office_set: $f"



=== TEST 11: A5 the other session of the candidate ended with the change
--- more_headers eval: $::B322
--- request
GET /api/browse
--- error_code: 401
--- response_body chomp
{"error":"unauthenticated","message":"请先登录"}



=== TEST 12: A14 the new password logs in, the old one no longer does
--- more_headers
Content-Type: application/json
--- request eval
[ main::login(322, $::NEW), main::login(322) ]
--- error_code eval
[200, 401]
--- response_body_like eval
[ qr/^\{"candidate":\{"exam_no":"21419900000322",.*"must_change_password":false\}$/,
  qr/^\{"error":"login_failed",/ ]



=== TEST 13: A14 A12 a change by the candidate, not forced, is accepted too
--- more_headers eval
main::session(327) . "Content-Type: application/json\n"
--- request eval
main::change('Test@2021!', $::NEW)
--- response_body chomp
{"ok":true}



=== TEST 14: A14 A12 each change queued a notice per bound channel with time and address; the refused one nothing
--- request eval
Test::More::is(main::notices(322), 'sms password,wechat password',
               'A14 A12 the forced change told to SMS and WeChat');
Test::More::is(main::notices(327), 'sms password',
               'A12 the change told to the phone, the only channel');
Test::More::is(main::notices(325), '',
               'A14 A12 a wrong old password queues nothing');
my @t = split /\n/, main::psql("select payload ->> 'title', payload ->> 'text'"
                               . " from heao.outbox"
                               . " where candidate_id = $::ID{327}"
                               . " and kind = 'account'");
Test::More::is($t[0] =~ s/\|.*//r, '登录密码修改通知', 'A12 the title');
Test::More::like($t[0],
                 qr/\|您于\d\d月\d\d日\d\d:\d\d从IP地址127\.0\.0\.1修改了登录密码。如非本人操作，请立即/,
                 'A12 the text: when, from where, what changed, what to do');
Test::More::unlike($t[0], qr/\Q$::NEW\E|Test\@2021/,
                   'A12 no password in the notice');
"GET /api/batches"
--- error_code: 200
--- response_body_like: "batches"
