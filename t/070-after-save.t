# V4 the save history, I1 the mailbox, V3 abandoning a group, R5.
# Candidates 1400-1410.

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

for my $t (1400 .. 1410) {
    $C[$t] = reset_candidate($t);
    # no phone nor WeChat: A8's order makes the 密码验证信息 the proof
    # (the code proof of V3 and its notice are in t/162-account-codes.t)
    $ID{$t} = psql("update heao.candidate set totp_secret = null,"
                   . " totp_bound_at = null, phone = null,"
                   . " wechat_openid = null"
                   . " where exam_no = '$C[$t]{exam_no}' returning id");
    redis('DEL', "heao:ab:$ID{$t}", "heao:bg:$ID{$t}");
}

our $KEY = '3132333435363738393031323334353637383930';

# two saves of 本科一批 as the save endpoint records them
sub saves {
    my ($t) = @_;
    my @id;

    for my $n (1, 2) {
        push @id, psql(qq{insert into heao.save_history (save_id,
              candidate_id, group_code, batch_code, save_no, arrived_at,
              saved_at, client, device, content, summary, checksum)
            values (gen_random_uuid(), $ID{$t}, '11', '11', $n,
              to_timestamp(17000000$n), to_timestamp(17000000$n),
              '10.0.0.$n', 'UA $n', '{"sections": []}', 'sum $n',
              'chk$n') returning id});
    }

    psql(qq{insert into heao.group_state (candidate_id, group_code,
              batch_code, saves_used, last_save_at, current_save)
            values ($ID{$t}, '11', '11', 2, to_timestamp(170000002),
              $id[1])});
    return;
}

saves(1401);
saves(1403);

our @MSG = map {
    psql("insert into heao.mailbox (candidate_id, kind, title, body)"
         . " values ($ID{$_->[0]}, 'save', '$_->[1]', 'b') returning id")
} [1407, 'm1'], [1407, 'm2'], [1408, 'other'];

psql("update heao.candidate set totp_secret = decode('$KEY', 'hex'),"
     . " totp_bound_at = now()"
     . " where id = $ID{1405}");

sub hotp {
    my ($hex, $counter) = @_;
    my $mac = hmac_sha1(pack('NN', int($counter / 2**32), $counter % 2**32),
                        pack('H*', $hex));
    my $off = ord(substr($mac, -1)) & 0x0f;
    my $bin = unpack('N', substr($mac, $off, 4)) & 0x7fffffff;

    return sprintf('%08d', $bin % 10**8);
}

sub code {
    sleep(31 - time % 30) if time % 30 > 26;
    return hotp($KEY, int(time / 30));
}

sub abandon {
    my ($batch, $proof) = @_;
    return "POST /api/abandon/$batch\n" . json_of({ proof => $proof });
}

sub verify { { type => 'verify_info', value => $_[0] // '中原大地' } }

sub headers { "Content-Type: application/json\n" . session(@_) }

run_tests();

__DATA__

=== TEST 1: V4 the save history needs a session
--- request
GET /api/history
--- error_code: 401
--- response_body chomp
{"error":"unauthenticated","message":"请先登录"}



=== TEST 2: V4 the save history is empty before a save
--- more_headers eval
main::session(1400)
--- request
GET /api/history
--- response_body chomp
{"saves":[]}



=== TEST 3: V4 every save, newest first, with time, address, device, summary and checksum
--- more_headers eval
main::session(1401)
--- request
GET /api/history
--- response_body chomp
{"saves":[{"group":"11","batch":"11","batch_name":"本科一批","save_no":2,"saved_at":170000002,"arrived_at":170000002,"client":"10.0.0.2","device":"UA 2","summary":"sum 2","checksum":"chk2"},{"group":"11","batch":"11","batch_name":"本科一批","save_no":1,"saved_at":170000001,"arrived_at":170000001,"client":"10.0.0.1","device":"UA 1","summary":"sum 1","checksum":"chk1"}]}



=== TEST 4: I1 the mailbox: messages newest first and the unread count
--- more_headers eval
main::session(1407)
--- request
GET /api/mailbox
--- response_body_like chomp
^\{"unread":2,"messages":\[\{"id":\d+,"kind":"save","title":"m2","body":"b","created_at":\d+,"read":false\},\{"id":\d+,"kind":"save","title":"m1","body":"b","created_at":\d+,"read":false\}\]\}$



=== TEST 5: I1 marking read needs the CSRF token
--- more_headers eval
my $h = main::session(1407);
$h =~ s/X-CSRF-Token: .*\n//;
$h
--- request eval
"POST /api/mailbox/$::MSG[0]/read"
--- error_code: 403
--- response_body chomp
{"error":"csrf","message":"页面已过期，请刷新后重试"}



=== TEST 6: I1 marking one read lowers the unread count
--- more_headers eval
main::session(1407)
--- request eval
[ "POST /api/mailbox/$::MSG[0]/read", "GET /api/mailbox" ]
--- response_body_like eval
[ qr/^\{"id":$::MSG[0],"unread":1\}$/,
  qr/^\{"unread":1,"messages":\[\{[^}]*"title":"m2"[^}]*"read":false\},\{[^}]*"title":"m1"[^}]*"read":true\}\]\}$/ ]



=== TEST 7: I1 R5 another candidate's message is not found, like one that does not exist
--- more_headers eval
main::session(1407)
--- request eval
[ "POST /api/mailbox/$::MSG[2]/read", "POST /api/mailbox/x1/read" ]
--- error_code eval
[ 404, 404 ]
--- response_body eval
[ (qq({"error":"not_found","message":"没有这封邮件"})) x 2 ]



=== TEST 8: V3 a wrong 密码验证信息 is refused with 403 and changes nothing
--- more_headers eval
main::headers(1402)
--- request eval
main::abandon('11', main::verify('中原小地'))
--- error_code: 403
--- response_body eval
my $n = main::psql("select count(*) from heao.group_state"
                   . " where candidate_id = $::ID{1402}");
$n eq '0' ? qq({"error":"wrong_proof","message":"密码验证信息不正确","field":"proof"})
          : "group_state rows: $n"



=== TEST 9: V3 abandon with the 密码验证信息: the answer names the batches of the group
--- more_headers eval
main::headers(1403)
--- request eval
main::abandon('11', main::verify())
--- response_body_like chomp
^\{"abandoned_at":\d+,"group":"11","batches":\[\{"batch":"11","name":"本科一批"\}\],"abandoned":true\}$



=== TEST 10: V3 after it: browse shows the group abandoned, the history keeps the saves, a message was written (no notice: nothing bound)
--- more_headers eval
main::headers(1403)
--- request eval
[ "GET /api/browse", "GET /api/history" ]
--- response_body_like eval
my $m = main::psql("select (select count(*) from heao.mailbox"
    . " where candidate_id = $::ID{1403} and kind = 'abandon')"
    . " || ' ' || (select count(*) from heao.outbox"
    . " where candidate_id = $::ID{1403} and kind = 'abandon'"
    . " and channel = 'sms')");
[ $m eq '1 0' ? qr/^\{"groups":\[\{"group":"11","batch":"11","batch_name":"本科一批","application":null,"checksum":null,"saves_used":2,"saves_left":0,"last_save_at":170000002,"next_change_at":null,"final":false,"closes_at":\d+,"abandoned":true,"abandoned_at":\d+\}\]\}$/ : qr/mailbox and outbox: $m/,
  qr/^\{"saves":\[\{[^}]*"save_no":2[^}]*\},\{[^}]*"save_no":1[^}]*\}\]\}$/ ]



=== TEST 11: V3 refilling is refused, and abandoning twice is a 409
--- more_headers eval
main::headers(1403)
--- request eval
[ "POST /api/fill/11/begin\n" . main::json_of({ accept_notice => \1 }),
  main::abandon('11', main::verify()) ]
--- error_code eval
[ 409, 409 ]
--- response_body_like eval
[ qr/"reason":"abandoned"/,
  qr/^\{"error":"already_abandoned","message":"已放弃本批次志愿"\}$/ ]



=== TEST 12: V3 a group of several batches: every one is listed
--- more_headers eval
main::headers(1404)
--- request eval
main::abandon('1B', main::verify())
--- response_body_like chomp
^\{"abandoned_at":\d+,"group":"10","batches":\[\{"batch":"1A",[^}]+\},\{"batch":"1B",[^}]+\},\{"batch":"1C",[^}]+\},\{"batch":"1D",[^}]+\},\{"batch":"1E",[^}]+\},\{"batch":"1T",[^}]+\},\{"batch":"1Y",[^}]+\}\],"abandoned":true\}$



=== TEST 13: V3 with a dynamic password bound, it is the proof: 密码验证信息 is not enough, a wrong code is 403
--- more_headers eval
main::headers(1405)
--- request eval
[ main::abandon('12', main::verify()),
  main::abandon('12', { type => 'totp', code => '00000000' }) ]
--- error_code eval
[ 400, 403 ]
--- response_body eval
[ qq({"error":"proof_required","message":"已绑定动态密码，请输入动态密码","field":"proof"}),
  qq({"error":"wrong_proof","message":"动态密码不正确或已使用","field":"proof"}) ]



=== TEST 14: V3 the right dynamic password abandons
--- more_headers eval
main::headers(1405)
--- request eval
main::abandon('12', { type => 'totp', code => main::code() })
--- response_body_like chomp
^\{"abandoned_at":\d+,"group":"12","batches":\[\{"batch":"12","name":"本科二批"\}\],"abandoned":true\}$



=== TEST 15: V3 outside the window nothing is abandoned
--- more_headers eval
main::headers(1406)
--- request
GET /api/browse
--- response_body eval
my $s = main::psql("select heao.abandon_group($::ID{1406}, '12',"
    . " extract(epoch from closes_at) + 1, '127.0.0.1') ->> 'status'"
    . " || ' ' || (heao.abandon_group($::ID{1406}, '12',"
    . " extract(epoch from opens_at) - 1, '127.0.0.1') ->> 'status')"
    . " from heao.batch where code = '12'");
$s eq 'closed not_open' ? qq({"groups":[]}) : "status: $s"



=== TEST 16: V3 attempts are limited: the sixth in 15 minutes is 429
--- more_headers eval
main::headers(1408)
--- request eval
[ map { main::abandon('12', main::verify('错')) } 1 .. 6 ]
--- error_code eval
[ (403) x 5, 429 ]
--- response_body_like eval
[ (qr/"wrong_proof"/) x 5, qr/^\{"error":"too_many","retry_after":\d+,"message":"放弃志愿的尝试过于频繁，请稍后再试"\}$/ ]
