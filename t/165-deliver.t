# A12 delivery: tools/heao-deliver takes the outbox to a fake SMS
# gateway and a fake WeChat API (real HTTP peers on loopback,
# t/lib/heao-mock-peer), marks rows sent, retries failures with a
# doubling back-off, gives up after its attempts, never sends a code
# older than its 5 minutes, and two senders side by side send each row
# once (select ... for update skip locked); a notice that names a phone
# or an openid (a number replaced, WeChat unbound) goes there.  No nginx
# is needed here: the rows are written as the module's statements write
# them.
# Candidates 1640-1649.

use strict;
use warnings;

use FindBin;
use lib $FindBin::Bin;

use Test::More;
use POSIX ();
use Time::HiRes qw(time sleep);
use HeaoTest;
use HeaoDeliver;

our (%ID, @C);

for my $t (1640 .. 1649) {
    $C[$t] = reset_candidate($t);
    $ID{$t} = psql("update heao.candidate set wechat_openid = null,"
                   . " phone = '1399" . sprintf('%07d', $t) . "'"
                   . " where exam_no = '$C[$t]{exam_no}' returning id");
}

psql("update heao.candidate set wechat_openid = 'oHeaoTestOpenid1644'"
     . " where id = $ID{1644}");

sub phone { '1399' . sprintf('%07d', $_[0]) }

# a notice as heao.save_application writes one
sub queue {
    my ($t, $channel, $kind, $text, $age) = @_;
    return psql("insert into heao.outbox (candidate_id, channel, kind,"
                . " payload, created_at) values ($ID{$t}, '$channel',"
                . " '$kind', jsonb_build_object('title', '志愿信息变动通知',"
                . " 'text', '$text', 'code', "
                . ($kind eq 'code' ? "'123456'" : 'null')
                . ", 'time', 1700000000), now() - interval '"
                . ($age // 0) . " s') returning id");
}

sub row {
    my ($id, $cols) = @_;
    return psql("select $cols from heao.outbox where id = $id");
}

sub due_now {
    psql("update heao.outbox set next_attempt_at = now() where id = $_[0]");
}


# TEST 1
my $ok = mock_start(18135);
my $id = queue(1640, 'sms', 'save', '本科一批志愿第1次保存');
deliver(sms => 18135);
my @t = sms_texts($ok, phone(1640));
is_deeply(\@t, ['本科一批志愿第1次保存'],
          'TEST 1: A12 the gateway gets the text for the bound phone');
is(row($id, "sent_at is not null and attempts = 1 and failed_at is null"),
   't', 'TEST 1: A12 the row is marked sent after one attempt');

deliver(sms => 18135);
is(scalar sms_texts($ok, phone(1640)), 1,
   'TEST 2: A12 a sent row is not sent again');


# TEST 3: a gateway that fails twice
my $flaky = mock_start(18136, '--fail', 2);
$id = queue(1641, 'sms', 'save', '第2次保存');
deliver(sms => 18136, backoff => 10);
is(row($id, "(sent_at is null and attempts = 1)::text || ' '"
             . " || last_error"),
   'true sms gateway: 500 X', 'TEST 3: A12 a failure is recorded, not sent');
my $wait = row($id, "extract(epoch from next_attempt_at - now())::int");
ok($wait > 5 && $wait <= 10, "TEST 3: A12 then a wait of 10 s ($wait)");

deliver(sms => 18136, backoff => 10);
is(row($id, 'attempts'), 1,
   'TEST 4: A12 nothing is tried again before the back-off ends');

due_now($id);
deliver(sms => 18136, backoff => 10);
$wait = row($id, "extract(epoch from next_attempt_at - now())::int");
ok($wait > 15 && $wait <= 20, "TEST 5: A12 the second wait doubles ($wait)");

due_now($id);
deliver(sms => 18136, backoff => 10);
is(row($id, "(sent_at is not null)::text || ' ' || attempts"), 'true 3',
   'TEST 6: A12 the third attempt is sent and marked');
is(scalar sms_texts($flaky, phone(1641)), 3,
   'TEST 6: A12 the gateway saw three tries');


# TEST 7: a gateway that never answers well
my $down = mock_start(18137, '--fail', 1000);
$id = queue(1642, 'sms', 'abandon', '放弃本科一批志愿');
for (1 .. 3) {
    due_now($id);
    deliver(sms => 18137, max => 3);
}
is(row($id, "(failed_at is not null)::text || ' ' || attempts"), 'true 3',
   'TEST 7: A12 given up after --max-attempts');
due_now($id);
deliver(sms => 18137, max => 3);
is(row($id, 'attempts'), 3, 'TEST 7: A12 a row given up is not tried again');


# TEST 8: a code that waited past its 5 minutes
$id = queue(1643, 'sms', 'code', '验证码123456', 301);
deliver(sms => 18135);
is(scalar sms_texts($ok, phone(1643)), 0,
   'TEST 8: A8 an expired code is not sent');
is(row($id, "(failed_at is not null)::text || ' ' || (payload ? 'code')"
             . " || ' ' || last_error"),
   'true false the code expired before it was sent',
   'TEST 8: A8 it is given up and the code leaves the row');


# TEST 9: WeChat, with its access token
my $wx = mock_start(18138, '--wechat');
my $a = queue(1644, 'wechat', 'save', '第1次保存');
my $b = queue(1644, 'wechat', 'login', '登录了考生服务平台');
deliver(wechat => 18138);
my @r = received($wx);
is(scalar(grep { $_->{path} eq '/cgi-bin/token' } @r), 1,
   'TEST 9: A12 one access token for the run');
like((grep { $_->{path} eq '/cgi-bin/token' } @r)[0]{query},
     qr/grant_type=client_credential&appid=wxheaotest/,
     'TEST 9: A12 asked with the appid');
my @m = wechat_sends($wx, 'oHeaoTestOpenid1644');
is_deeply([map { $_->{template_id} } @m], ['save', 'login'],
          'TEST 9: A12 one template message per row, in order');
is($m[0]{data}{keyword2}{value}, '第1次保存',
   'TEST 9: A12 the text in the message');
is($m[0]{data}{keyword3}{value}, '2023年11月15日 06:13:20（北京时间）',
   'TEST 9: A12 the time in Beijing time');
ok((grep { $_->{path} =~ /template/ && $_->{query} eq
           'access_token=mock-token' } @r) == 2,
   'TEST 9: A12 sent with the token');
is($m[0]{data}{remark}{value}, '如非本人操作，请立即联系报名地招生考试机构。',
   'TEST 9: A12 the remark asks the candidate to report what they did not'
   . ' do');
is(row($a, 'sent_at is not null') . row($b, 'sent_at is not null'), 'tt',
   'TEST 9: A12 both marked sent');

# a notice with its own remark (an abandon by the office) keeps it
my $office = psql("insert into heao.outbox (candidate_id, channel, kind,"
                  . " payload) values ($ID{1644}, 'wechat', 'abandon',"
                  . " jsonb_build_object('title', '招生办代您放弃本科一批志愿',"
                  . " 'text', '代您放弃', 'time', 1700000000, 'remark',"
                  . " '如有疑问，请联系报名所在地招生办。')) returning id");
deliver(wechat => 18138);
@m = wechat_sends($wx, 'oHeaoTestOpenid1644');
is($m[-1]{data}{remark}{value}, '如有疑问，请联系报名所在地招生办。',
   'TEST 9: A12 V3 the remark of a notice that names its own is that one');


# TEST 10: WeChat busy (errcode) is a failure to retry
my $wxbusy = mock_start(18139, '--wechat', '--fail', 1);
$id = queue(1644, 'wechat', 'abandon', '放弃');
deliver(wechat => 18139, backoff => 10);
is(row($id, 'last_error'), 'wechat errcode 45009',
   'TEST 10: A12 an errcode is a failure');
due_now($id);
deliver(wechat => 18139, backoff => 10);
is(row($id, 'sent_at is not null'), 't', 'TEST 10: A12 sent on the retry');


# TEST 11: a row whose channel is not bound (any more)
$id = queue(1645, 'wechat', 'save', '第1次保存');
deliver(wechat => 18138, backoff => 10);
is(row($id, "(sent_at is null)::text || ' ' || last_error"),
   'true not bound to WeChat', 'TEST 11: A12 no openid, no send');


# TEST 12: two senders side by side send every row once
my $many = mock_start(18134);
my @ids = map { queue(1646 + $_ % 3, 'sms', 'save', "并发$_") } 1 .. 40;
my @pids;
for (1, 2) {
    my $pid = fork // die "fork: $!";
    if ($pid == 0) {
        deliver(sms => 18134);
        POSIX::_exit(0);        # not END: the mocks are the parent's
    }
    push @pids, $pid;
}
waitpid($_, 0) for @pids;
my %n;
$n{$_}++ for grep { /^并发/ } map { sms_texts($many, phone($_)) } 1646 .. 1648;
is(scalar(keys %n), 40, 'TEST 12: A12 all 40 rows were sent');
is(scalar(grep { $_ != 1 } values %n), 0, 'TEST 12: A12 none twice');
is(psql("select count(*) from heao.outbox where id between $ids[0]"
        . " and $ids[-1] and candidate_id between $ID{1646} and $ID{1648}"
        . " and sent_at is null"), 0, 'TEST 12: A12 all marked sent');



# TEST 13: a sender that waits is woken by the NOTIFY of the commit
my $pid = fork // die "fork: $!";
if ($pid == 0) {
    exec("$FindBin::Bin/../tools/heao-deliver", '--pg',
         "host=127.0.0.1 port=$ENV{TEST_NGINX_PG_PORT} dbname=heao"
         . " user=heao", '--sms', 'http://127.0.0.1:18135/sms')
        or die "exec: $!";
}
sleep 1;                        # it listens, and finds nothing due
$id = psql("with r as (insert into heao.outbox (candidate_id, channel,"
           . " kind, payload) values ($ID{1649}, 'sms', 'login',"
           . " '{\"text\": \"登录通知\"}') returning id)"
           . " select id, pg_notify('heao_outbox', '') from r");
$id =~ s/\|.*//;
my $t0 = time;
sleep 0.1 until row($id, 'sent_at is not null') eq 't' || time - $t0 > 4;
my $took = time - $t0;
kill 'TERM', $pid;
waitpid($pid, 0);
is(row($id, 'sent_at is not null'), 't',
   "TEST 13: A12 a waiting sender sends at the NOTIFY ($took s)");
ok($took < 3, 'TEST 13: A12 well before its 5 s idle wait');



# TEST 14: a phone changed (A9): the notice reaches the number replaced,
# which the candidate row no longer holds, as heao.set_phone writes it
psql("select heao.set_phone($ID{1645}, '13700001645', null, '10.1.2.3')");
deliver(sms => 18135);
my @old = sms_texts($ok, phone(1645));
is(scalar @old, 1, 'TEST 14: A9 A12 the old phone gets one SMS');
like($old[0] // '', qr/从IP地址10\.1\.2\.3将手机号码由139\*\*\*\*1645更改为137\*\*\*\*1645。/,
     'TEST 14: A9 A12 it tells which number replaced it');
is(scalar sms_texts($ok, '13700001645'), 1,
   'TEST 14: A9 A12 the new phone gets its own');


# TEST 15: WeChat unbound (A11): the notice reaches the account unbound
psql("select heao.wechat_bind($ID{1644}, null, null, '10.1.2.3')");
deliver(wechat => 18138);
@m = wechat_sends($wx, 'oHeaoTestOpenid1644');
is($m[-1]{template_id}, 'account',
   'TEST 15: A11 A12 the openid of the row gets the notice');
like($m[-1]{data}{keyword2}{value}, qr/从IP地址10\.1\.2\.3解除了微信绑定。/,
     'TEST 15: A11 A12 saying it was unbound');
is($m[-1]{data}{first}{value}, '微信解绑通知', 'TEST 15: A11 A12 the title');

done_testing();
