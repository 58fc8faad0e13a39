# F7 in the art batches: 美术和书法类 parallel without adjustment, the
# other art categories sequential with adjustment offered only for majors
# of a major group (专业组) and reaching only that group; the same
# messages for the check and the save (F17), against the demo year and a
# batch X7 of three places this suite adds and removes.  Candidates
# 1700..1703, of type 艺术.

use strict;
use warnings;

use FindBin;
use lib $FindBin::Bin;

use Test::Nginx::Socket 'no_plan';
use HeaoTest;

no_shuffle();
heao_defaults();

our %C = map { $_ => reset_candidate($_) } 1700 .. 1703;

psql(qq{update heao.candidate
           set ctype = '艺术', shixin = false, qualifications = '{}',
               ethnicity = '汉族', language = '英语'
         where exam_no between '$C{1700}{exam_no}'
                           and '$C{1703}{exam_no}'});

# an institution of 艺术本科A段（非美术和书法类） with a major of 专业组 1
# and one of no group; a second institution's major of a group; one
# institution of 艺术本科A段（美术和书法类）
our ($ART, $G1, $G1_NAME, $NONE, $NONE_NAME) = split /\|/, psql(q{
    select g.inst_code, g.code, g.name, n.code, n.name
      from heao.major g join heao.major n using (batch_code, inst_code)
     where batch_code = 'YA2' and g.major_group = '1'
       and n.major_group is null and g.restrictions = '{}'
       and n.restrictions = '{}'
     order by g.inst_code, g.code, n.code limit 1});
our ($ART2, $G2) = split /\|/, psql(qq{
    select inst_code, code from heao.major
     where batch_code = 'YA2' and major_group is not null
       and inst_code <> '$ART' and restrictions = '{}'
     order by 1, 2 limit 1});
our ($FINE, $FINE_MAJOR) = split /\|/, psql(q{
    select inst_code, code from heao.major
     where batch_code = 'YA1' and restrictions = '{}'
     order by 1, 2 limit 1});

# X7: one sequential section of three places adjusting within groups
sub t7 {
    psql(q{
        begin;
        delete from heao.batch where code = 'X7';
        delete from heao.batch_group where code = 'X7';
        commit;});
    return;
}

t7();
psql(q{
    begin;
    insert into heao.batch_group (code, name) values ('X7', '测试艺术组');
    insert into heao.batch (code, name, group_code, opens_at, closes_at,
                            candidate_types, shape, sort)
    values ('X7', '测试艺术批', 'X7', now() - interval '1 day',
            now() + interval '7 days', '{艺术}',
            '{"sections": [{"title": "第一志愿", "kind": "sequential",
               "slots": 1, "majors": 3, "adjust": true,
               "adjust_group": true}]}', 999);
    insert into heao.institution (batch_code, code, name)
    values ('X7', '0777', '测试艺术学院');
    insert into heao.major (batch_code, inst_code, code, name, plan,
                            tuition, major_group)
    values ('X7', '0777', '01', '舞蹈表演', 5, 10000, '1'),
           ('X7', '0777', '02', '舞蹈编导', 5, 10000, '1'),
           ('X7', '0777', '03', '音乐表演', 5, 10000, '2'),
           ('X7', '0777', '04', '戏剧影视文学', 5, 10000, null);
    commit;});

END { t7() }

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
           . json_of({ save_id => sprintf('00000000-0000-4000-8057-%012d',
                                          (time() % 100000) * 10 + $n),
                       application => app(@sections) });
}

sub headers {
    my ($t, $batch) = @_;

    return "Content-Type: application/json\n"
           . session($t, fill => [$batch, time() + 600]);
}

sub invalid {
    my @errors = map {
        my ($sec, $place, $field, $message) = @$_;
        qq({"rule":"F7","section":$sec,"slot":1,"place":"$place",)
        . qq("field":"application.sections[@{[$sec - 1]}].slots[0].$field",)
        . qq("message":"$message"});
    } @_;

    return qq({"error":"invalid_application","message":)
           . qq("志愿信息有误，请按提示修改","errors":[)
           . join(',', @errors) . ']}';
}

run_tests();

__DATA__

=== TEST 1: F7 the demo art batches: 美术和书法类 parallel, others sequential
--- request
GET /api/batches
--- response_body_like chomp
"code":"YA1","name":"艺术本科A段（美术和书法类）","group":"YA",[^{]*"shape":\{"sections":\[\{"kind":"parallel","slots":9,"title":"平行志愿","adjust":false,"majors":1\}\]\}\},\{"code":"YA2","name":"艺术本科A段（非美术和书法类）","group":"YA",[^{]*"shape":\{"sections":\[\{"kind":"sequential","slots":1,"title":"第一志愿","adjust":true,"majors":1,"adjust_group":true\},\{"kind":"sequential","slots":1,"title":"第二志愿","adjust":true,"majors":1,"adjust_group":true\}\]\}



=== TEST 2: F7 a group major with a choice and a major of no group without one pass
--- request eval
main::check('YA2', [[$::ART, [$::G1], 'agree']],
            [[$::ART, [$::NONE], undef]])
--- more_headers eval
main::headers(1700, 'YA2')
--- response_body chomp
{"ok":true}



=== TEST 3: F7 a major of a group without an adjustment choice is refused
--- request eval
main::check('YA2', [[$::ART, [$::G1], undef]],
            [[$::ART2, [$::G2], 'disagree']])
--- more_headers eval
main::headers(1700, 'YA2')
--- error_code: 422
--- response_body eval
main::invalid([1, 'adjust', 'adjust',
               '第一志愿：请选择是否同意在专业组1内调剂专业'])



=== TEST 4: F7 a choice for a major of no group is refused, by name
--- request eval
main::check('YA2', [[$::ART, [$::G1], 'agree']],
            [[$::ART, [$::NONE], 'agree']])
--- more_headers eval
main::headers(1700, 'YA2')
--- error_code: 422
--- response_body eval
main::invalid([2, 'adjust', 'adjust',
               "第二志愿：专业1($::NONE_NAME)不属于专业组，"
               . '艺术类专业调剂只适用于专业组内的专业，请勿选择'])



=== TEST 5: F7 a choice in a slot with an institution and no major is refused
--- request eval
main::check('YA2', [[$::ART, [], 'disagree']])
--- more_headers eval
main::headers(1700, 'YA2')
--- error_code: 422
--- response_body eval
main::invalid([1, 'adjust', 'adjust', '第一志愿：未填写专业，不能选择专业调剂'])



=== TEST 6: F7 F17 the save refuses with the check's message and uses no save
--- request eval
main::save('YA2', 1, [[$::ART, [$::G1], 'agree']],
           [[$::ART, [$::NONE], 'agree']])
--- more_headers eval
main::headers(1701, 'YA2')
--- error_code: 422
--- response_body eval
main::invalid([2, 'adjust', 'adjust',
               "第二志愿：专业1($::NONE_NAME)不属于专业组，"
               . '艺术类专业调剂只适用于专业组内的专业，请勿选择'])



=== TEST 7: F7 the save of a valid art application, the first of three
--- request eval
main::save('YA2', 2, [[$::ART, [$::G1], 'agree']],
           [[$::ART, [$::NONE], undef]])
--- more_headers eval
main::headers(1701, 'YA2')
--- response_body_like chomp
^\{"save_no":1,"saves_used":1,"saves_left":2,.*"saved":true\}$



=== TEST 8: F7 美术和书法类 offers no adjustment at all
--- request eval
main::check('YA1', [[$::FINE, [$::FINE_MAJOR], 'agree']])
--- more_headers eval
main::headers(1702, 'YA1')
--- error_code: 422
--- response_body eval
main::invalid([1, 'adjust', 'adjust', '平行志愿1：本批次不设专业调剂'])



=== TEST 9: F7 美术和书法类 without a choice passes
--- request eval
main::check('YA1', [[$::FINE, [$::FINE_MAJOR], undef]])
--- more_headers eval
main::headers(1702, 'YA1')
--- response_body chomp
{"ok":true}



=== TEST 10: F7 majors of one group with a choice pass (three places)
--- request eval
main::check('X7', [['0777', ['01', '02'], 'agree']])
--- more_headers eval
main::headers(1703, 'X7')
--- response_body chomp
{"ok":true}



=== TEST 11: F7 the adjustment reaches only the first major's group
--- request eval
main::check('X7', [['0777', ['01', '03', '04'], 'disagree']])
--- more_headers eval
main::headers(1703, 'X7')
--- error_code: 422
--- response_body eval
qq({"error":"invalid_application","message":"志愿信息有误，请按提示修改",)
. qq("errors":[)
. qq({"rule":"F7","section":1,"slot":1,"place":"major2",)
. qq("field":"application.sections[0].slots[0].majors[1]","message":)
. qq("第一志愿：专业调剂仅在专业组内进行，专业2(音乐表演)不在专业1所属的专业组1中"},)
. qq({"rule":"F7","section":1,"slot":1,"place":"major3",)
. qq("field":"application.sections[0].slots[0].majors[2]","message":)
. qq("第一志愿：专业调剂仅在专业组内进行，专业3(戏剧影视文学)不在专业1所属的专业组1中"}]})



=== TEST 12: F7 majors of several groups without a choice pass: no adjustment
--- request eval
main::check('X7', [['0777', ['04', '01', '03'], undef]])
--- more_headers eval
main::headers(1703, 'X7')
--- response_body chomp
{"ok":true}



=== TEST 13: F7 the lookup names each art major's group
--- request eval
"GET /api/catalog/X7/0777"
--- response_body chomp
{"batch":"X7","code":"0777","name":"测试艺术学院","majors":[{"code":"01","name":"舞蹈表演","class":"ordinary","restrictions":{},"group":"1"},{"code":"02","name":"舞蹈编导","class":"ordinary","restrictions":{},"group":"1"},{"code":"03","name":"音乐表演","class":"ordinary","restrictions":{},"group":"2"},{"code":"04","name":"戏剧影视文学","class":"ordinary","restrictions":{}}]}
