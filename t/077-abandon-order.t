# V3: an abandon meets the state of the group before its proof.  An
# unknown batch, a window not open or closed and a group abandoned already
# are answered as they are, whatever the proof; a one-use proof (a code,
# a dynamic password) is spent only by an abandon that can happen, and
# works afterwards where one can.  Candidates 1860-1869, batches V3C
# (closed) and V3N (not open yet), each a group of its own.

use strict;
use warnings;

use FindBin;
use lib $FindBin::Bin;

use Digest::SHA qw(hmac_sha1);
use Test::Nginx::Socket 'no_plan';
use HeaoTest;

no_shuffle();
heao_defaults();

our (@C, %ID);
our $KEY = '3132333435363738393031323334353637383930';

# 1860, 1863, 1864 the 密码验证信息 (nothing bound), 1861 a phone: a code
# by SMS, 1862 a dynamic password
for my $t (1860 .. 1864) {
    $C[$t] = reset_candidate($t);
    $ID{$t} = psql("update heao.candidate set totp_secret = null,"
                   . " totp_bound_at = null, phone = null,"
                   . " wechat_openid = null"
                   . " where exam_no = '$C[$t]{exam_no}' returning id");
    redis('DEL', "heao:ab:$ID{$t}", "heao:bg:$ID{$t}", "heao:tu:$ID{$t}",
          "heao:vc:abandon:$ID{$t}", "heao:vs:abandon:$ID{$t}");
}

psql("update heao.candidate set phone = '13990001861'"
     . " where id = $ID{1861}");
psql("update heao.candidate set totp_secret = decode('$KEY', 'hex'),"
     . " totp_bound_at = now() where id = $ID{1862}");

# two batches of their own, outside their windows, with 本科一批's shape
psql(q{
    begin;
    set local heao.purge = on;
    delete from heao.group_state where group_code in ('V3C', 'V3N');
    delete from heao.batch where code in ('V3C', 'V3N');
    delete from heao.batch_group where code in ('V3C', 'V3N');
    insert into heao.batch_group (code, name)
    values ('V3C', '放弃测试（已截止）'), ('V3N', '放弃测试（未开始）');
    insert into heao.batch (code, name, group_code, opens_at, closes_at,
                            shape, sort)
    select 'V3C', '放弃测试已截止批', 'V3C', now() - interval '2 days',
           now() - interval '1 day', shape, 98
      from heao.batch where code = '11'
    union all
    select 'V3N', '放弃测试未开始批', 'V3N', now() + interval '1 day',
           now() + interval '2 days', shape, 99
      from heao.batch where code = '11';
    commit;
});

sub hotp {
    my ($hex, $counter) = @_;
    my $mac = hmac_sha1(pack('NN', int($counter / 2**32), $counter % 2**32),
                        pack('H*', $hex));
    my $off = ord(substr($mac, -1)) & 0x0f;
    my $bin = unpack('N', substr($mac, $off, 4)) & 0x7fffffff;

    return sprintf('%08d', $bin % 10**8);
}

# the dynamic password now, far enough from the end of its step that the
# next block still takes it
sub totp {
    sleep(31 - time % 30) if time % 30 > 20;
    return hotp($KEY, int(time / 30));
}

sub abandon {
    my ($batch, $proof) = @_;
    return "POST /api/abandon/$batch\n" . json_of({ proof => $proof });
}

sub verify { { type => 'verify_info', value => $_[0] // '中原大地' } }

# the code of the last POST /api/code, as the outbox holds it before it
# is delivered
sub code_of {
    my ($t) = @_;
    return psql("select payload->>'code' from heao.outbox"
                . " where candidate_id = $ID{$t} and kind = 'code'"
                . " order by id desc limit 1");
}

sub headers { "Content-Type: application/json\n" . session(@_) }

sub state_of {
    my ($t) = @_;
    return psql("select count(*) from heao.group_state"
                . " where candidate_id = $ID{$t}"
                . " and abandoned_at is not null");
}

our $TOTP;

run_tests();

psql(q{
    begin;
    set local heao.purge = on;
    delete from heao.group_state where group_code in ('V3C', 'V3N');
    delete from heao.batch where code in ('V3C', 'V3N');
    delete from heao.batch_group where code in ('V3C', 'V3N');
    commit;
});

__DATA__

=== TEST 1: V3 a closed window is answered closed before the proof, even a wrong one
--- more_headers eval
main::headers(1860)
--- request eval
main::abandon('V3C', main::verify('中原小地'))
--- error_code: 409
--- response_body chomp
{"error":"closed","message":"本批次志愿填报已截止，不能再放弃"}



=== TEST 2: V3 a window not open yet is answered not_open before the proof
--- more_headers eval
main::headers(1860)
--- request eval
main::abandon('V3N', main::verify('中原小地'))
--- error_code: 409
--- response_body chomp
{"error":"not_open","message":"本批次志愿填报尚未开始"}



=== TEST 3: V3 an unknown batch is not found before the proof, the field named
--- more_headers eval
main::headers(1860)
--- request eval
main::abandon('Z9', main::verify('中原小地'))
--- error_code: 404
--- response_body chomp
{"error":"not_found","message":"没有这个批次","field":"batch"}



=== TEST 4: V3 refusals about the state are not attempts at the proof: after six the right proof abandons
--- more_headers eval
main::headers(1863)
--- request eval
[ (map { main::abandon('V3C', main::verify('错')) } 1 .. 6),
  main::abandon('11', main::verify()) ]
--- error_code eval
[ (409) x 6, 200 ]
--- response_body_like eval
[ (qr/^\{"error":"closed",/) x 6,
  qr/^\{"abandoned_at":\d+,"group":"11","batches":\[\{"batch":"11","name":"本科一批"\}\],"abandoned":true\}$/ ]



=== TEST 5: V3 an abandoned group is answered as such whatever the proof: wrong, right, or of the wrong kind
--- more_headers eval
main::headers(1863)
--- request eval
[ main::abandon('11', main::verify('中原小地')),
  main::abandon('11', main::verify()),
  main::abandon('11', { type => 'totp', code => '12345678' }) ]
--- error_code eval
[ 409, 409, 409 ]
--- response_body eval
[ (qq({"error":"already_abandoned","message":"已放弃本批次志愿"})) x 3 ]



=== TEST 6: V3 a code is sent for the abandon
--- more_headers eval
main::headers(1861)
--- request eval
"POST /api/code\n" . main::json_of({ purpose => 'abandon' })
--- error_code: 200
--- response_body chomp
{"channel":"sms","expires_in":300}



=== TEST 7: V3 the code on a closed window: closed, and the code is not spent
--- more_headers eval
main::headers(1861)
--- request eval
Test::More::like(main::code_of(1861), qr/^\d{6}$/,
                 'V3 the outbox holds the code');
main::abandon('V3C', { type => 'code', code => main::code_of(1861) })
--- error_code: 409
--- response_body chomp
{"error":"closed","message":"本批次志愿填报已截止，不能再放弃"}



=== TEST 8: V3 the same code then abandons an open group
--- more_headers eval
main::headers(1861)
--- request eval
main::abandon('11', { type => 'code', code => main::code_of(1861) })
--- error_code: 200
--- response_body_like chomp
^\{"abandoned_at":\d+,"group":"11","batches":\[\{"batch":"11","name":"本科一批"\}\],"abandoned":true\}$



=== TEST 9: V3 the spent code on the abandoned group: the group is abandoned, not the code wrong
--- more_headers eval
main::headers(1861)
--- request eval
main::abandon('11', { type => 'code', code => main::code_of(1861) })
--- error_code: 409
--- response_body chomp
{"error":"already_abandoned","message":"已放弃本批次志愿"}



=== TEST 10: V3 the spent code on another open group is refused as used
--- more_headers eval
main::headers(1861)
--- request eval
main::abandon('12', { type => 'code', code => main::code_of(1861) })
--- error_code: 403
--- response_body eval
my $n = main::state_of(1861);
$n eq '1' ? qq({"error":"wrong_proof","message":"验证码已失效，请重新获取","field":"proof"})
          : "abandoned groups: $n"



=== TEST 11: V3 a dynamic password on a closed window: closed, and its step is not used
--- more_headers eval
main::headers(1862)
--- request eval
$::TOTP = main::totp();
main::abandon('V3C', { type => 'totp', code => $::TOTP })
--- error_code: 409
--- response_body chomp
{"error":"closed","message":"本批次志愿填报已截止，不能再放弃"}



=== TEST 12: V3 the same dynamic password then abandons an open group
--- more_headers eval
main::headers(1862)
--- request eval
main::abandon('12', { type => 'totp', code => $::TOTP })
--- error_code: 200
--- response_body_like chomp
^\{"abandoned_at":\d+,"group":"12","batches":\[\{"batch":"12","name":"本科二批"\}\],"abandoned":true\}$



=== TEST 13: V3 a wrong 密码验证信息 on an open group is still refused and abandons nothing
--- more_headers eval
main::headers(1864)
--- request eval
main::abandon('11', main::verify('中原小地'))
--- error_code: 403
--- response_body eval
my $n = main::state_of(1864);
$n eq '0' ? qq({"error":"wrong_proof","message":"密码验证信息不正确","field":"proof"})
          : "abandoned groups: $n"
