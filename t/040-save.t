# F12, F13, F14, F15, F16, V1, R1: the notice, the fill session, saving
# and browsing a 本科一批 application.  Candidates 40-49.

use strict;
use warnings;

use FindBin;
use lib $FindBin::Bin;

use Test::Nginx::Socket 'no_plan';
use HeaoTest;

no_shuffle();
heao_defaults();

our @C = map { reset_candidate($_) } 0 .. 49;

our ($OTHER, $OTHER_MAJOR, $OTHER_NAME, $OTHER_MAJOR_NAME) = split /\|/,
    psql(q{select i.code, m.code, i.name, m.name
             from heao.institution i join heao.major m
               on m.batch_code = i.batch_code and m.inst_code = i.code
            where i.batch_code = '11' and i.code <> '1105'
              and m.class = 'ordinary' and m.restrictions = '{}'
            order by i.code, m.code limit 1});

our @SAVE_IDS = map { sprintf('00000000-0000-4000-8000-%012d', $_) }
                (time() % 100000) * 100 .. (time() % 100000) * 100 + 99;

our $BEGIN = "POST /api/fill/11/begin\n" . json_of({ accept_notice => \1 });

our @APP = (['1105', ['07', '11'], 'agree'],
            [$OTHER, [$OTHER_MAJOR], 'disagree']);

sub save {
    my ($id, @slots) = @_;
    @slots = @APP unless @slots;

    my @s = map {
        { institution => $_->[0], majors => $_->[1], adjust => $_->[2] }
    } @slots;

    return "POST /api/fill/11/save\n"
           . json_of({ save_id => $SAVE_IDS[$id],
                       application => { sections => [ { slots => \@s } ] } });
}

sub headers { "Content-Type: application/json\n" . session(@_) }

# F15: recomputed here from the canonical text, under the test secret
sub app_checksum {
    my ($t) = @_;

    return checksum("$C[$t]{exam_no}|11|1.1:1105:07,11:A"
                    . "|1.2:$OTHER:$OTHER_MAJOR:D");
}

# lets the 60 minutes of F12 pass for candidate T
sub age {
    my ($t) = @_;

    psql(qq{update heao.group_state
               set last_save_at = last_save_at - interval '61 minutes'
             where candidate_id = (select id from heao.candidate
                                    where exam_no = '$C[$t]{exam_no}')});
    return;
}

run_tests();

__DATA__

=== TEST 1: F13 the fill page needs the notice accepted
--- request
POST /api/fill/11/begin
{"accept_notice": false}
--- more_headers eval
main::headers(40)
--- error_code: 400
--- response_body chomp
{"error":"bad_field","message":"请先阅读并同意志愿填报须知","field":"accept_notice"}



=== TEST 2: F13 accepting the notice starts a fill session of 30 minutes
--- request eval
$::BEGIN
--- more_headers eval
main::headers(40)
--- response_body_like eval
my $t = time();
my $end = join '|', map { $t + 1800 + $_ } -2 .. 2;
qr/^\{(?=.*"batch":"11")(?=.*"saves_used":0)(?=.*"saves_left":3)(?=.*"application":null)(?=.*"fill_expires_at":($end)\b).*\}$/



=== TEST 3: F13 a save without a fill session is refused as not begun, not as run out
--- request eval
main::save(0)
--- more_headers eval
main::headers(41)
--- error_code: 409
--- response_body chomp
{"error":"fill_not_begun","message":"尚未开始填报，请先阅读并同意志愿填报须知"}



=== TEST 4: F13 a save after the fill session ran out is refused
--- request eval
main::save(1)
--- more_headers eval
main::headers(41, fill => ['11', time() - 1])
--- error_code: 409
--- response_body chomp
{"error":"fill_expired","message":"本次填报时间已到，请重新进入填报页面"}



=== TEST 5: R1 a save without a save_id
--- request
POST /api/fill/11/save
{"application": {"sections": []}}
--- more_headers eval
main::headers(41, fill => ['11', time() + 600])
--- error_code: 400
--- response_body chomp
{"error":"bad_field","message":"save_id应为UUID","field":"save_id"}



=== TEST 6: F6 an empty application is not saved and uses no save
--- request eval
[ $::BEGIN, main::save(2, ['', [], undef]), $::BEGIN ]
--- more_headers eval
main::headers(42)
--- error_code eval
[200, 422, 200]
--- response_body_like eval
[ qr/"saves_used":0/, qr/"rule":"F6"/, qr/"saves_used":0/ ]



=== TEST 7: F12 F15 the first save: checksum, one save used, two left
--- request eval
[ $::BEGIN, main::save(3) ]
--- more_headers eval
main::headers(43)
--- error_code eval
[200, 200]
--- response_body_like eval
my $sum = main::app_checksum(43);
[ qr/"saves_left":3/,
  qr/^\{(?=.*"saved":true)(?=.*"save_no":1)(?=.*"saves_used":1)(?=.*"saves_left":2)(?=.*"checksum":"$sum").*\}$/ ]



=== TEST 8: F14 the same save_id again returns the first answer, no save used
--- request eval
main::save(3)
--- more_headers eval
main::headers(43, fill => ['11', time() + 600])
--- response_body_like eval
qr/^\{(?=.*"saved":true)(?=.*"save_no":1)(?=.*"saves_used":1)(?=.*"saves_left":2).*\}$/



=== TEST 9: F12 a change within 60 minutes is refused with the time it is possible
--- request eval
main::save(4)
--- more_headers eval
main::headers(43, fill => ['11', time() + 600])
--- error_code: 409
--- response_body_like eval
# the last save's arrival, as TEST 7 recorded it, and 60 minutes on; not
# now + 60 minutes: under ASan the blocks between take seconds each
my $last = main::psql("select heao.epoch(s.last_save_at)"
    . " from heao.group_state s join heao.candidate c"
    . " on c.id = s.candidate_id"
    . " where c.exam_no = '$::C[43]{exam_no}' and s.group_code = '11'");
my $next = $last + 3600;
abs(time() - $last) < 300
    ? qr/^\{"error":"no_change","reason":"too_soon","message":"距离上次保存志愿未满1小时，暂无法修改","next_change_at":$next\}$/
    : qr/the last save ($last) is not TEST 7's/



=== TEST 10: F12 entering the fill page within 60 minutes is refused too
--- request eval
$::BEGIN
--- more_headers eval
main::headers(43)
--- error_code: 409
--- response_body_like chomp
^\{"error":"no_change","reason":"too_soon",



=== TEST 11: F16 the save left a message in the mailbox and a notice
--- request eval
Test::More::is(HeaoTest::psql(qq{
    select count(*) from heao.mailbox where candidate_id =
      (select id from heao.candidate where exam_no = '$::C[43]{exam_no}')}),
    1, 'F16 one mailbox message for one save');
Test::More::is(HeaoTest::psql(qq{
    select count(*) from heao.outbox where candidate_id =
      (select id from heao.candidate where exam_no = '$::C[43]{exam_no}')}),
    1, 'F16 one notice to the bound phone for one save');
Test::More::like(HeaoTest::psql(qq{
    select payload->>'text' from heao.outbox where candidate_id =
      (select id from heao.candidate where exam_no = '$::C[43]{exam_no}')}),
    qr/^您于\d\d月\d\d日\d\d:\d\d从IP地址127\.0\.0\.1保存了本科一批志愿（第1次），校验值\w{20}。/,
    'A12 the save notice has the time, the address and what was saved');
"GET /api/browse"
--- more_headers eval
main::headers(43)
--- response_body_like chomp
"saves_used":1



=== TEST 12: V1 browse shows names, adjustment, checksum and saves left
--- request
GET /api/browse
--- more_headers eval
main::headers(43)
--- response_body_like eval
my $sum = main::app_checksum(43);
qr/^\{"groups":\[\{(?=.*"batch_name":"本科一批")(?=.*"institution":\{"code":"1105","name":"北京大学"\})(?=.*\{"code":"07","name":"法学"\})(?=.*"adjust":"agree")(?=.*"adjust":"disagree")(?=.*"name":"\Q$::OTHER_NAME\E")(?=.*"checksum":"$sum")(?=.*"saves_used":1)(?=.*"saves_left":2)(?=.*"next_change_at":\d+).*\}\]\}$/s



=== TEST 13: F12 a change after 60 minutes is the second save
--- request eval
main::age(43);
[ $::BEGIN, main::save(5, ['1105', ['04'], 'disagree']) ]
--- more_headers eval
main::headers(43)
--- error_code eval
[200, 200]
--- response_body_like eval
[ qr/"application":\{"sections":\[\{"slots":\[\{(?=[^}]*"institution":"1105")(?=[^}]*"majors":\["07","11"\])(?=[^}]*"adjust":"agree")/,
  qr/^\{(?=.*"save_no":2)(?=.*"saves_used":2)(?=.*"saves_left":1).*\}$/ ]



=== TEST 14: F12 the third save is the last
--- request eval
main::age(43);
[ $::BEGIN, main::save(6) ]
--- more_headers eval
main::headers(43)
--- error_code eval
[200, 200]
--- response_body_like eval
[ qr/"saves_left":1/, qr/^\{(?=.*"save_no":3)(?=.*"saves_left":0).*\}$/ ]



=== TEST 15: F12 no fourth save, even after 60 minutes
--- request eval
main::age(43);
[ $::BEGIN, main::save(7) ]
--- more_headers eval
main::headers(43, fill => ['11', time() + 600])
--- error_code eval
[409, 409]
--- response_body_like eval
[ qr/^\{"error":"no_change","reason":"no_saves_left","message":"本批次志愿已保存3次，不能再修改","next_change_at":null\}$/,
  qr/"reason":"no_saves_left"/ ]



=== TEST 16: F14 every save is kept in the history, none overwritten
--- request eval
Test::More::is(HeaoTest::psql(qq{
    select string_agg(save_no::text || ':' || summary, ' ' order by save_no)
      from heao.save_history where candidate_id =
      (select id from heao.candidate where exam_no = '$::C[43]{exam_no}')}),
    "1:1105,$::OTHER 2:1105 3:1105,$::OTHER",
    'F14 three saves in the history with their content');
"GET /api/browse"
--- more_headers eval
main::headers(43)
--- response_body_like chomp
"saves_used":3



=== TEST 17: V1 browse without a save shows no group
--- request
GET /api/browse
--- more_headers eval
main::headers(44)
--- response_body chomp
{"groups":[]}



=== TEST 18: A5 browse needs a session
--- request
GET /api/browse
--- error_code: 401
--- response_body chomp
{"error":"unauthenticated","message":"请先登录"}



=== TEST 19: F17 a failing check leaves the saves untouched
--- request eval
[ $::BEGIN,
  "POST /api/fill/11/check\n" . HeaoTest::json_of({ application =>
      { sections => [ { slots => [ { institution => '1105',
                                     majors => ['07'] } ] } ] } }),
  $::BEGIN ]
--- more_headers eval
main::headers(45)
--- error_code eval
[200, 422, 200]
--- response_body_like eval
[ qr/"saves_used":0/, qr/"rule":"F7"/, qr/"saves_used":0/ ]



=== TEST 20: F14 R1 a User-Agent that is not UTF-8 does not stop a save
--- request eval
[ $::BEGIN, main::save(10) ]
--- more_headers eval
main::headers(46) . "User-Agent: Mozilla\xff\xfe/5.0\n"
--- error_code eval
[200, 200]
--- response_body_like eval
[ qr/"saves_used":0/, qr/"save_no":1/ ]



=== TEST 21: F14 the save history keeps the device as valid UTF-8
--- request eval
Test::More::is(HeaoTest::psql(qq{
    select device from heao.save_history where candidate_id =
      (select id from heao.candidate where exam_no = '$::C[46]{exam_no}')}),
    'Mozilla??/5.0', 'F14 bytes that are not UTF-8 are kept as "?"');
[ $::BEGIN, main::save(11) ]
--- more_headers eval
main::headers(47) . "User-Agent: " . ('M' x 199) . "中文\n"
--- error_code eval
[200, 200]



=== TEST 22: F14 a device cut at its limit is cut at a whole character
--- request eval
Test::More::is(HeaoTest::psql(qq{
    select device from heao.save_history where candidate_id =
      (select id from heao.candidate where exam_no = '$::C[47]{exam_no}')}),
    'M' x 199, 'F14 the device ends before the character the limit cut');
"GET /api/browse"
--- more_headers eval
main::headers(47)
--- response_body_like chomp
"saves_used":1



=== TEST 23: V1 browse is served from Redis until the next save
--- request eval
my $id = HeaoTest::psql(
    "select id from heao.candidate where exam_no = '$::C[47]{exam_no}'");
# stored under the stamp of now: the candidate's generation, the epoch
my $stamp = (HeaoTest::redis('GET', "heao:bg:$id") || '0') . ':'
            . (HeaoTest::redis('GET', 'heao:be') || '0');
HeaoTest::redis('SET', "heao:b:$id", "$stamp " . '{"groups":["cached"]}',
                'EX', '60');
"GET /api/browse"
--- more_headers eval
main::headers(47)
--- response_body chomp
{"groups":["cached"]}



=== TEST 24: V1 a save drops the cached browse answer before it is answered
--- request eval
main::age(47);
[ $::BEGIN, main::save(12), "GET /api/browse" ]
--- more_headers eval
main::headers(47)
--- error_code eval
[200, 200, 200]
--- response_body_like eval
[ qr/"saves_used":1/, qr/"save_no":2/, qr/^\{"groups":\[\{.*"saves_used":2/ ]



=== TEST 25: F12 a first save, for the last-hour blocks after it
--- request eval
[ $::BEGIN, main::save(20) ]
--- more_headers eval
main::headers(48)
--- error_code eval
[200, 200]
--- response_body_like eval
[ qr/"saves_used":0/, qr/"save_no":1,.*"next_change_at":\d+/ ]



=== TEST 26: F12 V1 a save 30 minutes before the close stands until it: no next change, begin says final, browse says final
--- request eval
# the last save moved to 30 minutes before batch 11 closes, as age()
# moves it an hour back; the cached browse answer goes with it
my $id = main::psql("select id from heao.candidate"
                    . " where exam_no = '$::C[48]{exam_no}'");
main::psql("update heao.group_state"
           . " set last_save_at = (select closes_at - interval '30 minutes'"
           . " from heao.batch where code = '11')"
           . " where candidate_id = $id and group_code = '11'");
main::redis('DEL', "heao:b:$id");
[ $::BEGIN, "GET /api/browse" ]
--- more_headers eval
main::headers(48)
--- error_code eval
[409, 200]
--- response_body_like eval
[ qr/^\{"error":"no_change","reason":"final","message":"距离上次保存志愿须满1小时才能修改，而本批次届时已截止，已保存的志愿即为最终志愿","next_change_at":null\}$/,
  qr/^\{"groups":\[\{"group":"11",.*"saves_used":1,"saves_left":2,.*"next_change_at":null,"final":true,/ ]
