# A11 WeChat binding: a QR code of the official account's binding page
# with a signed, short-lived state; the callback the account's server
# makes, signed with the secret both share, refused when the signature is
# wrong, the timestamp stale, the nonce seen before, or the state used,
# replaced, forged or expired.  Then notices go to WeChat (A12); binding
# and unbinding are noticed, to the account unbound too.
# Candidates 1650-1659.

use strict;
use warnings;

use FindBin;
use lib $FindBin::Bin;

use Test::Nginx::Socket 'no_plan';
use Digest::SHA qw(hmac_sha256_hex);
use HeaoTest;

no_shuffle();

our $CONF;

# before heao_defaults(): the WeChat directives are this suite's default
add_block_preprocessor(sub {
    my $block = shift;
    $block->set_value('http_config', $CONF)
        unless defined $block->http_config;
    $block->set_value('more_headers', "Content-Type: application/json\n")
        unless defined $block->more_headers;
});

heao_defaults();

our (@C, %ID, %H, $STATE, $CALL);
our $SECRET = 'wechat-shared-secret-of-the-heao-tests-0123456789';
our $DIR = "$FindBin::Bin/servroot-accounts";
our $SECRET_FILE = "$DIR/wechat-secret";
our $BIND_URL = 'https://mp.example.cn/heao/bind';

mkdir $DIR unless -d $DIR;
open(my $fh, '>', $SECRET_FILE) or die "$SECRET_FILE: $!";
print $fh "$SECRET\n";
close $fh;

for my $t (1650 .. 1659) {
    $C[$t] = reset_candidate($t);
    $ID{$t} = psql("update heao.candidate set wechat_openid = null"
                   . " where exam_no = '$C[$t]{exam_no}' returning id");
    redis('DEL', "heao:wb:$ID{$t}");
}

# A12: the notices of binding and unbinding go to the phone as well
psql("update heao.candidate set phone = '13990001650' where id = $ID{1650}");
psql("update heao.candidate set phone = '13990001653' where id = $ID{1653}");

$CONF = HeaoTest::heao_http_config(extra =>
    "heao_wechat_bind_url $BIND_URL;\n"
    . "    heao_wechat_secret_file $SECRET_FILE;");

sub headers {
    my ($t) = @_;
    $H{$t} //= session($t);
    return "Content-Type: application/json\n" . $H{$t};
}

# the call the official account's server makes
sub callback {
    my (%o) = @_;
    my %b = (state => $STATE, openid => 'oWxTestOpenid1650',
             timestamp => time, nonce => 'n' . int(rand(1e9)), %o);
    $b{signature} //= hmac_sha256_hex(
        "$b{timestamp}\n$b{nonce}\n$b{state}\n$b{openid}",
        $o{secret} // $SECRET);
    delete $b{secret};
    $b{timestamp} += 0;

    return "POST /api/wechat/callback\n" . json_of(\%b);
}

# the state of a binding under way, as the page's link holds it
sub begun {
    my ($t) = @_;
    my $s = redis('GET', "heao:wb:$ID{$t}");
    return $s;
}

run_tests();

__DATA__

=== TEST 1: A11 a candidate sees WeChat unbound
--- more_headers eval: main::headers(1650)
--- request
GET /api/wechat
--- error_code: 200
--- response_body chomp
{"bound":false}



=== TEST 2: A11 binding starts with a link to the account's page carrying a signed state
--- more_headers eval: main::headers(1650)
--- request
POST /api/wechat/begin
{}
--- error_code: 200
--- response_body_like eval
my $id = $main::ID{1650};
qr{^\{"link":"https://mp\.example\.cn/heao/bind\?state=$id\.\d+\.[0-9a-f]{32}","qr":"/api/wechat/qr","expires_in":600\}$}



=== TEST 3: A11 the QR code of the link is a PNG image
--- more_headers eval: main::headers(1650)
--- request
GET /api/wechat/qr
--- error_code: 200
--- response_headers
Content-Type: image/png
--- response_body_like: ^\x89PNG



=== TEST 4: A11 no QR code without a binding under way
--- more_headers eval: main::headers(1656)
--- request
GET /api/wechat/qr
--- error_code: 404
--- response_body chomp
{"error":"not_found","message":"二维码已过期，请重新开始绑定"}



=== TEST 5: A11 a callback with a wrong signature is refused, and binds nothing
--- request eval
$main::STATE = main::begun(1650);
main::callback(secret => 'not the shared secret')
--- error_code: 401
--- response_body chomp
{"error":"bad_signature","message":"签名不正确","field":"signature"}
--- no_error_log
[error]
--- error_log
heao wechat: callback with a bad signature



=== TEST 6: A11 a stale callback (10 minutes old) is refused
--- request eval
main::callback(timestamp => time - 600)
--- error_code: 401
--- response_body chomp
{"error":"stale","message":"请求已过期","field":"timestamp"}
--- no_error_log
[error]
--- error_log
heao wechat: stale callback



=== TEST 7: A11 a callback from the future is refused as well
--- request eval
main::callback(timestamp => time + 600)
--- error_code: 401
--- response_body_like: "error":"stale"
--- no_error_log
[error]



=== TEST 8: A11 a forged state (another candidate's number under a state's MAC) is refused
--- request eval
(my $forged = $main::STATE) =~ s/^\d+/$main::ID{1651}/;
main::callback(state => $forged)
--- error_code: 400
--- response_body chomp
{"error":"bad_field","message":"state","field":"state"}



=== TEST 9: A11 the right callback binds, once; the same call again is a replay
--- request eval
my $call = main::callback();
[ $call, $call ]
--- error_code eval
[200, 409]
--- response_body eval
[ '{"bound":true}',
  '{"error":"replayed","message":"请求已处理","field":"nonce"}' ]



=== TEST 10: A11 the state works once: a new nonce with it is refused
--- request eval
main::callback(openid => 'oWxSomebodyElse99')
--- error_code: 409
--- response_body chomp
{"error":"state_expired","message":"二维码已失效","field":"state"}



=== TEST 11: A11 the binding is stored, told in the mailbox, and shown
--- more_headers eval: main::headers(1650)
--- request
GET /api/wechat
--- error_code: 200
--- response_body eval
my $r = HeaoTest::psql("select wechat_openid || ' ' || (select count(*)"
    . " from heao.mailbox where candidate_id = $main::ID{1650}"
    . " and kind = 'wechat') from heao.candidate"
    . " where id = $main::ID{1650}");
$r eq 'oWxTestOpenid1650 1' ? '{"bound":true}' : "stored: $r"



=== TEST 12: A11 A12 from then on a login notice goes to WeChat too
--- request eval
"POST /api/login\n" . HeaoTest::json_of({
    exam_no => $main::C[1650]{exam_no}, id_no => $main::C[1650]{id_no},
    password => 'Test@2021!' })
--- error_code: 200
--- response_body_like: "must_change_password"



=== TEST 13: A11 A12 the login queued a WeChat notice
--- request
GET /api/batches
--- error_code: 200
--- response_body_like eval
my $n = HeaoTest::psql("select count(*) from heao.outbox"
    . " where candidate_id = $main::ID{1650} and kind = 'login'"
    . " and channel = 'wechat'");
$n == 1 ? qr/"batches"/ : qr/wechat notices: $n/



=== TEST 14: A11 a state that expired is refused
--- request eval
HeaoTest::redis('SET', "heao:wb:$main::ID{1652}", 'x');
my $exp = time - 5;
my $mac = substr(Digest::SHA::hmac_sha256_hex("wxbind:$main::ID{1652}.$exp",
    do { open(my $f, '<', $ENV{TEST_NGINX_SECRET_FILE}); local $/;
         my $s = <$f>; $s =~ s/[\r\n ]+\z//; $s }), 0, 32);
main::callback(state => "$main::ID{1652}.$exp.$mac")
--- error_code: 409
--- response_body chomp
{"error":"state_expired","message":"二维码已过期","field":"state"}



=== TEST 15: A11 a binding under way for a second candidate
--- more_headers eval: main::headers(1653)
--- request eval
"POST /api/wechat/begin\n{}"
--- error_code: 200
--- response_body_like: "link"



=== TEST 16: A11 a state replaced by a newer binding is refused
--- request eval
my $old = main::begun(1653);
HeaoTest::redis('SET', "heao:wb:$main::ID{1653}", 'replaced-by-a-new-one');
[ main::callback(state => $old, openid => 'oWxOpenid1653a') ]
--- error_code: 409
--- response_body_like: "state_expired"



=== TEST 17: A11 malformed callbacks name their field
--- request eval
[ main::callback(openid => 'oWx!bad'),
  main::callback(signature => 'abc'),
  "POST /api/wechat/callback\n"
  . HeaoTest::json_of({ state => 'x', openid => 'oWxOpenid1654',
                        nonce => 'n', signature => 'a' x 64,
                        timestamp => '1700000000' }),
  main::callback(state => '') ]
--- error_code eval
[400, 400, 400, 400]
--- response_body eval
[ '{"error":"bad_field","message":"openid","field":"openid"}',
  '{"error":"bad_field","message":"signature","field":"signature"}',
  '{"error":"bad_field","message":"timestamp","field":"timestamp"}',
  '{"error":"bad_field","message":"state","field":"state"}' ]



=== TEST 18: A11 A6 unbinding needs the CSRF token
--- more_headers eval
(my $h = main::headers(1650)) =~ s/X-CSRF-Token: \S+\n//;
$h
--- request
POST /api/wechat/unbind
{}
--- error_code: 403
--- response_body_like: ^\{"error":"csrf"



=== TEST 19: A11 unbinding with it: notices stop going to WeChat
--- more_headers eval: main::headers(1650)
--- request
POST /api/wechat/unbind
{}
--- error_code: 200
--- response_body chomp
{"bound":false}



=== TEST 20: A11 the openid is gone
--- more_headers eval: main::headers(1650)
--- request
GET /api/wechat
--- error_code: 200
--- response_body eval
HeaoTest::psql("select wechat_openid is null from heao.candidate"
               . " where id = $main::ID{1650}") eq 't'
    ? '{"bound":false}' : 'still bound'



=== TEST 21: A11 A12 the binding and the unbinding were each told to the phone and to the WeChat account concerned; the refused ones nothing
--- request eval
my $c = sub {
    HeaoTest::psql("select coalesce(string_agg(channel || ' '"
                   . " || (payload ->> 'change')"
                   . " || coalesce(' ' || (payload ->> 'openid'), ''), ','"
                   . " order by payload ->> 'change', channel), '')"
                   . " from heao.outbox where kind = 'account'"
                   . " and candidate_id = $main::ID{$_[0]}");
};
Test::More::is($c->(1650),
               'sms wechat_bind,wechat wechat_bind,sms wechat_unbind,'
               . 'wechat wechat_unbind oWxTestOpenid1650',
               'A11 A12 the unbound account is told too, by its openid');
Test::More::is($c->(1653), '', 'A11 A12 a binding refused queues nothing');
my %t = map { split /\|/, $_, 2 } split /\n/, HeaoTest::psql(
    "select payload ->> 'change', payload ->> 'text' from heao.outbox"
    . " where kind = 'account' and channel = 'sms'"
    . " and candidate_id = $main::ID{1650}");
Test::More::like($t{wechat_bind},
                 qr/^您于\d\d月\d\d日\d\d:\d\d绑定了微信。如非本人操作，请立即修改密码并解除微信绑定。$/,
                 'A11 A12 the binding: when and what (the caller is the'
                 . ' official account, not the candidate: no address)');
Test::More::like($t{wechat_unbind},
                 qr/^您于\d\d月\d\d日\d\d:\d\d从IP地址127\.0\.0\.1解除了微信绑定。如非本人操作，/,
                 'A11 A12 the unbinding: when, from where, what');
"GET /api/batches"
--- error_code: 200
--- response_body_like: "batches"



=== TEST 22: A11 without the directives binding is not offered
--- http_config eval: HeaoTest::heao_http_config()
--- more_headers eval: main::headers(1655)
--- request eval
[ "POST /api/wechat/begin\n{}", main::callback() ]
--- error_code eval
[404, 404]
--- response_body eval
[ ('{"error":"not_found","message":"未开通微信绑定"}') x 2 ]



=== TEST 23: A11 binding needs a session
--- request
GET /api/wechat/qr
--- error_code: 401
--- response_body chomp
{"error":"unauthenticated","message":"请先登录"}



=== TEST 24: O1 a WeChat secret file too short fails nginx -t
--- http_config eval
my $f = "$main::DIR/wechat-short";
open(my $fh, '>', $f); print $fh "short\n"; close $fh;
HeaoTest::heao_http_config(extra => "heao_wechat_secret_file $f;")
--- must_die
--- error_log
holds less than 32 bytes
