# F9 eligibility, F10 失信, F11 group exclusivity, and the labels of a
# batch of two sections (B1), against the demo year.  Candidates
# 601..609; an even one is female and 文科, an odd one male and 理科.

use strict;
use warnings;

use FindBin;
use lib $FindBin::Bin;

use Test::Nginx::Socket 'no_plan';
use HeaoTest;

no_shuffle();
heao_defaults();

our %C = map { $_ => reset_candidate($_) } 601 .. 609;

psql(qq{update heao.candidate
           set ctype = '普通', shixin = false, qualifications = '{}',
               ethnicity = '汉族', language = '英语'
         where exam_no between '$C{601}{exam_no}' and '$C{609}{exam_no}'});
psql(qq{update heao.candidate set qualifications = '{国家专项}'
         where exam_no = '$C{605}{exam_no}'});
psql(qq{update heao.candidate set shixin = true
         where exam_no = '$C{608}{exam_no}'});

# a 对口 candidate, for the type the session names
$C{610} = reset_candidate(610);
psql(qq{update heao.candidate set ctype = '对口'
         where exam_no = '$C{610}{exam_no}'});

# a 国家专项 major with no other restriction; a 军事 major for men only;
# two more institutions of 本科一批 with a major anyone may choose; one
# of 专升本; one 公安 major a man of 理科 may choose
our ($ZX, $ZX_MAJOR, $ZX_NAME) = split /\|/, psql(q{
    select inst_code, code, name from heao.major
     where batch_code = '20' and class = 'ordinary'
       and restrictions = '{"qualification": "国家专项"}'
     order by 1, 2 limit 1});
our ($JS, $JS_MAJOR, $JS_NAME) = split /\|/, psql(q[
    select inst_code, code, name from heao.major
     where batch_code = '1A' and class = 'ordinary'
       and restrictions = '{"gender": "M",
                            "max_age": {"on": "2021-08-31", "age": 20}}'
     order by 1, 2 limit 1]);
our @FREE = map { [ split /\|/ ] } split /\n/, psql(q{
    select distinct on (inst_code) inst_code || '|' || code
      from heao.major
     where batch_code = '11' and inst_code <> '1105' and class = 'ordinary'
       and restrictions = '{}'
     order by inst_code, code limit 2});
our $ZSB = psql(q{select min(code) from heao.institution
                    where batch_code = '70'});
our ($JS2, $JS2_MAJOR) = split /\|/, psql(qq{
    select inst_code, code from heao.major
     where batch_code = '1B' and class = 'ordinary'
       and coalesce(restrictions ->> 'gender', 'M') = 'M'
       and coalesce(restrictions ->> 'track', '理') = '理'
       and restrictions ->> 'qualification' is null
     order by 1, 2 limit 1});

# an application of sections of slots [institution, [majors], adjust]
sub app {
    my @sections = map {
        { slots => [ map {
            { institution => $_->[0], majors => $_->[1],
              adjust => $_->[2] }
          } @$_ ] }
    } @_;

    return { sections => \@sections };
}

sub check {
    my ($batch, @sections) = @_;

    return "POST /api/fill/$batch/check\n"
           . json_of({ application => app(@sections) });
}

sub save {
    my ($batch, $n, @sections) = @_;

    return "POST /api/fill/$batch/save\n"
           . json_of({ save_id => sprintf('00000000-0000-4000-8055-%012d',
                                          (time() % 100000) * 10 + $n),
                       application => app(@sections) });
}

sub headers {
    my ($t, $batch) = @_;

    return "Content-Type: application/json\n"
           . session($t, $batch ? (fill => [$batch, time() + 600]) : ());
}

sub invalid {
    my @errors = map {
        my ($rule, $sec, $slot, $place, $field, $message) = @$_;
        defined $sec
        ? qq({"rule":"$rule","section":$sec,"slot":$slot,"place":"$place",)
          . qq("field":"application.sections[@{[$sec - 1]}])
          . qq(.slots[@{[$slot - 1]}].)
          . qq($field","message":"$message"})
        : qq({"rule":"$rule","section":null,"slot":null,"place":null,)
          . qq("field":"application","message":"$message"});
    } @_;

    return qq({"error":"invalid_application","message":)
           . qq("志愿信息有误，请按提示修改","errors":[)
           . join(',', @errors) . ']}';
}

# lets the 60 minutes of F12 pass for candidate T
sub age {
    my ($t) = @_;

    psql(qq{update heao.group_state
               set last_save_at = last_save_at - interval '61 minutes'
             where candidate_id = (select id from heao.candidate
                                    where exam_no = '$C{$t}{exam_no}')});
    return;
}

run_tests();

__DATA__

=== TEST 1: F9 a batch refuses a candidate of another type
--- request eval
main::check('70', [[$::ZSB, [], undef]])
--- more_headers eval
main::headers(601)
--- error_code: 422
--- response_body eval
main::invalid(['F9', undef, undef, undef, undef,
               '专升本只招专升本类考生，您的考生类别为普通，不能填报'])



=== TEST 2: F9 a 理科 major refuses a 文科 candidate, at its place
--- request eval
main::check('11', [['1105', ['07', '01'], 'agree']])
--- more_headers eval
main::headers(602)
--- error_code: 422
--- response_body eval
main::invalid(['F9', 1, 1, 'major2', 'majors[1]',
               '平行志愿1：专业2(数学类)只招理科考生'])



=== TEST 3: F9 the same application passes for a 理科 candidate
--- request eval
main::check('11', [['1105', ['07', '01'], 'agree']])
--- more_headers eval
main::headers(603)
--- response_body chomp
{"ok":true}



=== TEST 4: F9 a 国家专项 major refuses a candidate without the qualification
--- request eval
main::check('20', [[$::ZX, [$::ZX_MAJOR], 'agree']])
--- more_headers eval
main::headers(604)
--- error_code: 422
--- response_body eval
main::invalid(['F9', 1, 1, 'major1', 'majors[0]',
               "平行志愿1：专业1($::ZX_NAME)只招具有国家专项资格的考生"])



=== TEST 5: F9 the 国家专项 major passes for a qualified candidate
--- request eval
main::check('20', [[$::ZX, [$::ZX_MAJOR], 'agree']])
--- more_headers eval
main::headers(605)
--- response_body chomp
{"ok":true}



=== TEST 6: F9 a major for men refuses a woman, in the 第一志愿 section
--- request eval
main::check('1A', [[$::JS, [$::JS_MAJOR], 'agree']])
--- more_headers eval
main::headers(606)
--- error_code: 422
--- response_body eval
main::invalid(['F9', 1, 1, 'major1', 'majors[0]',
               "第一志愿：专业1($::JS_NAME)只招男考生"])



=== TEST 7: F9 B1 the same major passes for a man of 18 (age limit 20)
--- request eval
main::check('1A', [[$::JS, [$::JS_MAJOR], 'agree']])
--- more_headers eval
main::headers(607)
--- response_body chomp
{"ok":true}



=== TEST 8: B1 F5 the slots of the parallel 第二志愿 are labelled 第二志愿N
--- request eval
main::check('1A', [[$::JS, [$::JS_MAJOR], 'agree']],
            [['', [], undef], [$::JS, [$::JS_MAJOR], 'agree']])
--- more_headers eval
main::headers(607)
--- error_code: 422
--- response_body eval
main::invalid(['F5', 2, 2, 'institution', 'institution',
               '第二志愿2：第二志愿1未填写，不能填写第二志愿2'])



=== TEST 9: F10 a 失信 candidate may fill two institutions
--- request eval
main::check('11', [['1105', ['07'], 'agree'],
                   [$::FREE[0][0], [$::FREE[0][1]], 'agree']])
--- more_headers eval
main::headers(608)
--- response_body chomp
{"ok":true}



=== TEST 10: F10 a 失信 candidate's third institution is refused at its slot
--- request eval
main::check('11', [['1105', ['07'], 'agree'],
                   [$::FREE[0][0], [$::FREE[0][1]], 'agree'],
                   [$::FREE[1][0], [$::FREE[1][1]], 'disagree']])
--- more_headers eval
main::headers(608)
--- error_code: 422
--- response_body eval
main::invalid(['F10', 1, 3, 'institution', 'institution',
               '平行志愿3：您有不履行志愿约定的记录，'
               . '平行志愿最多填报2所院校'])



=== TEST 11: F10 F17 the save refuses what the check refused, alike
--- request eval
main::save('11', 1, [['1105', ['07'], 'agree'],
                     [$::FREE[0][0], [$::FREE[0][1]], 'agree'],
                     [$::FREE[1][0], [$::FREE[1][1]], 'disagree']])
--- more_headers eval
main::headers(608, '11')
--- error_code: 422
--- response_body eval
main::invalid(['F10', 1, 3, 'institution', 'institution',
               '平行志愿3：您有不履行志愿约定的记录，'
               . '平行志愿最多填报2所院校'])



=== TEST 12: F11 a save under 本科提前批（军事院校）
--- request eval
main::save('1A', 2, [[$::JS, [$::JS_MAJOR], 'agree']])
--- more_headers eval
main::headers(609, '1A')
--- response_body_like chomp
^\{"save_no":1,.*"saved":true\}$



=== TEST 13: F11 begin under 公安院校 says what the group held before
--- request eval
main::age(609);
"POST /api/fill/1B/begin\n" . HeaoTest::json_of({ accept_notice => \1 })
--- more_headers eval
main::headers(609)
--- response_body_like chomp
"last_batch":"1A","last_batch_name":"本科提前批（军事院校）"



=== TEST 14: F11 saving under 公安院校 replaces the group's application
--- request eval
main::save('1B', 3, [[$::JS2, [$::JS2_MAJOR], 'agree']])
--- more_headers eval
main::headers(609, '1B')
--- response_body_like chomp
^\{"save_no":2,.*"saved":true\}$



=== TEST 15: F11 browse shows the group once, under the batch saved last
--- request eval
Test::More::is(HeaoTest::psql(qq{
    select string_agg(g.group_code || ':' || g.batch_code, ' ')
      from heao.group_state g join heao.candidate c on c.id = g.candidate_id
     where c.exam_no = '$::C{609}{exam_no}'}), '10:1B',
    'F11 one group state, now under 1B');
"GET /api/browse"
--- more_headers eval
main::headers(609)
--- response_body_like chomp
^\{"groups":\[\{"group":"10","batch":"1B","batch_name":"本科提前批（公安院校）",



=== TEST 16: F9 a 普通 candidate may not begin 对口本科: refused at begin, before the countdown
--- request eval
"POST /api/fill/60/begin\n" . HeaoTest::json_of({ accept_notice => \1 })
--- more_headers eval
main::headers(601)
--- error_code: 403
--- response_body chomp
{"error":"not_eligible","message":"您的考生类别不能填报本批次","field":"batch"}



=== TEST 17: F9 B1 the batch list names the candidate types each batch takes, so that the home page offers no 填报 a type never fills
--- request
GET /api/batches
--- response_body_like chomp
^(?=.*"code":"11","name":"本科一批",[^{]*"ctypes":\["普通"\],"shape")(?=.*"code":"1T","name":"体育本科",[^{]*"ctypes":\["体育"\],"shape")(?=.*"code":"60","name":"对口本科",[^{]*"ctypes":\["对口"\],"shape")(?=.*"code":"70","name":"专升本",[^{]*"ctypes":\["专升本"\],"shape")



=== TEST 18: F9 who am I names the candidate's type, so that the home page needs no other request to offer only the batches it may fill
--- request
GET /api/session
--- more_headers eval
main::headers(610)
--- response_body_like chomp
^\{"candidate":\{"exam_no":"21419900000610","name":"测试六一零","ctype":"对口"\},"csrf":"[^"]+","expires_at":\d+\}$
