# F1-F8, F17, R1: the dry-run check of a 本科一批 application, and F2's
# name lookup, against the demo catalog.  Candidate 30 holds the session.

use strict;
use warnings;

use FindBin;
use lib $FindBin::Bin;

use Test::Nginx::Socket 'no_plan';
use HeaoTest;

no_shuffle();
heao_defaults();

reset_candidate(30);

# from the demo catalog: an institution with ordinary and higher-tuition
# majors (F8), a second institution, a code that is not in the batch
our ($MIXED, $ORD, $HIGH) = split /\|/, psql(q{
    select o.inst_code, o.code, h.code
      from heao.major o join heao.major h using (batch_code, inst_code)
     where batch_code = '11' and o.class = 'ordinary'
       and h.class = 'higher_tuition' and o.restrictions = '{}'
       and h.restrictions = '{}'
     order by o.inst_code, o.code, h.code limit 1});
our ($OTHER, $OTHER_MAJOR) = split /\|/, psql(q{
    select inst_code, code from heao.major
     where batch_code = '11' and inst_code not in ('1105', }
     . qq{'$::MIXED') and class = 'ordinary' and restrictions = '{}'}
     . q{ order by 1, 2 limit 1});
our $MISSING = psql(q{
    select lpad(n::text, 4, '0') from generate_series(0, 9999) n
     where lpad(n::text, 4, '0') not in
           (select code from heao.institution where batch_code = '11')
     order by n limit 1});

# an application of the slots given as [institution, [majors], adjust]
sub app {
    my @slots = map {
        { institution => $_->[0], majors => $_->[1], adjust => $_->[2] }
    } @_;

    return json_of({ application => { sections => [ { slots => \@slots } ] }
                   });
}

sub check { "POST /api/fill/11/check\n" . app(@_) }

sub headers { "Content-Type: application/json\n" . session(30) }

sub invalid {
    my @errors = map {
        my ($rule, $slot, $place, $field, $message) = @$_;
        qq({"rule":"$rule","section":1,"slot":$slot,"place":"$place",)
        . qq("field":"application.sections[0].slots[@{[$slot - 1]}].$field",)
        . qq("message":"$message"});
    } @_;

    return qq({"error":"invalid_application","message":)
           . qq("志愿信息有误，请按提示修改","errors":[)
           . join(',', @errors) . ']}';
}

run_tests();

__DATA__

=== TEST 1: F17 a valid application passes the check
--- request eval
main::check(['1105', ['07', '11', '04', '09', '12'], 'agree'],
            [$::OTHER, [$::OTHER_MAJOR], 'disagree'])
--- more_headers eval
main::headers()
--- response_body chomp
{"ok":true}



=== TEST 2: F1 an institution code of three digits
--- request eval
main::check(['105', ['07'], 'agree'])
--- more_headers eval
main::headers()
--- error_code: 422
--- response_body eval
main::invalid(['F1', 1, 'institution', 'institution',
               '平行志愿1：院校代号应为4位数字'])



=== TEST 3: F1 a major code of one digit
--- request eval
main::check(['1105', ['7'], 'agree'])
--- more_headers eval
main::headers()
--- error_code: 422
--- response_body eval
main::invalid(['F1', 1, 'major1', 'majors[0]',
               '平行志愿1：专业1代号应为2位数字'])



=== TEST 4: F1 an adjustment choice that is neither agree nor disagree
--- request eval
main::check(['1105', ['07'], 'maybe'])
--- more_headers eval
main::headers()
--- error_code: 422
--- response_body eval
main::invalid(['F1', 1, 'adjust', 'adjust',
               '平行志愿1：专业调剂只能选择同意或不同意'])



=== TEST 5: F2 an institution code that is not in the batch
--- request eval
main::check([$::MISSING, [], 'agree'])
--- more_headers eval
main::headers()
--- error_code: 422
--- response_body eval
main::invalid(['F2', 1, 'institution', 'institution',
               "平行志愿1：院校代号$::MISSING在本批次不存在"])



=== TEST 6: F2 a major code that the institution does not have
--- request eval
main::check(['1105', ['07', '99'], 'agree'])
--- more_headers eval
main::headers()
--- error_code: 422
--- response_body eval
main::invalid(['F2', 1, 'major2', 'majors[1]',
               '平行志愿1：专业2代号99在院校1105(北京大学)中不存在'])



=== TEST 7: F3 majors without an institution
--- request eval
main::check(['1105', ['07'], 'agree'], ['', ['07'], undef])
--- more_headers eval
main::headers()
--- error_code: 422
--- response_body eval
main::invalid(['F3', 2, 'institution', 'institution',
               '平行志愿2：未填写院校代号，不能填写专业'])



=== TEST 8: F3 an adjustment choice without an institution
--- request eval
main::check(['1105', ['07'], 'agree'], ['', [], 'agree'])
--- more_headers eval
main::headers()
--- error_code: 422
--- response_body eval
main::invalid(['F3', 2, 'adjust', 'adjust',
               '平行志愿2：未填写院校代号，不能选择专业调剂'])



=== TEST 9: F4 major 3 filled while major 2 is empty
--- request eval
main::check(['1105', ['07', '', '11'], 'agree'])
--- more_headers eval
main::headers()
--- error_code: 422
--- response_body eval
main::invalid(['F4', 1, 'major3', 'majors[2]',
               '平行志愿1：专业2未填写，不能填写专业3'])



=== TEST 10: F4 the same major twice in a slot
--- request eval
main::check(['1105', ['07', '11', '07'], 'agree'])
--- more_headers eval
main::headers()
--- error_code: 422
--- response_body eval
main::invalid(['F4', 1, 'major3', 'majors[2]',
               '平行志愿1：专业3与专业1重复'])



=== TEST 11: F5 slot 2 filled while slot 1 is empty
--- request eval
main::check(['', [], undef], ['1105', ['07'], 'agree'])
--- more_headers eval
main::headers()
--- error_code: 422
--- response_body eval
main::invalid(['F5', 2, 'institution', 'institution',
               '平行志愿2：平行志愿1未填写，不能填写平行志愿2'])



=== TEST 12: F6 an application with no slot filled
--- request eval
main::check(['', [], undef])
--- more_headers eval
main::headers()
--- error_code: 422
--- response_body chomp
{"error":"invalid_application","message":"志愿信息有误，请按提示修改","errors":[{"rule":"F6","section":null,"slot":null,"place":null,"field":"application","message":"没有填写任何志愿，不能保存"}]}



=== TEST 13: F7 a slot with an institution must choose agree or disagree
--- request eval
main::check(['1105', ['07'], undef])
--- more_headers eval
main::headers()
--- error_code: 422
--- response_body eval
main::invalid(['F7', 1, 'adjust', 'adjust',
               '平行志愿1：请选择是否同意专业调剂'])



=== TEST 14: F8 an ordinary and a higher-tuition major in one slot
--- request eval
main::check([$::MIXED, [$::ORD, $::HIGH], 'agree'])
--- more_headers eval
main::headers()
--- error_code: 422
--- response_body eval
main::invalid(['F8', 1, 'major2', 'majors[1]',
               '平行志愿1：专业2(较高学费类)与专业1(普通类)不属同一类，'
               . '须在不同志愿中填报'])



=== TEST 15: F8 the same institution twice with the same class
--- request eval
main::check(['1105', ['07'], 'agree'], ['1105', ['11'], 'agree'])
--- more_headers eval
main::headers()
--- error_code: 422
--- response_body eval
main::invalid(['F8', 2, 'institution', 'institution',
               '平行志愿2：院校1105已在平行志愿1中以普通类专业填报，'
               . '同一院校只能以不同类别再次填报'])



=== TEST 16: F8 the same institution twice with two classes
--- request eval
main::check([$::MIXED, [$::ORD], 'agree'], [$::MIXED, [$::HIGH], 'agree'])
--- more_headers eval
main::headers()
--- response_body chomp
{"ok":true}



=== TEST 17: F1 F4 F7 every fault of an application is reported, in order
--- request eval
main::check(['1105', ['07', '', 'x1'], undef], ['2', [], 'agree'])
--- more_headers eval
main::headers()
--- error_code: 422
--- response_body eval
main::invalid(['F4', 1, 'major3', 'majors[2]',
               '平行志愿1：专业2未填写，不能填写专业3'],
              ['F1', 1, 'major3', 'majors[2]',
               '平行志愿1：专业3代号应为2位数字'],
              ['F7', 1, 'adjust', 'adjust',
               '平行志愿1：请选择是否同意专业调剂'],
              ['F1', 2, 'institution', 'institution',
               '平行志愿2：院校代号应为4位数字'])



=== TEST 18: R1 an application that is not an object
--- request eval
"POST /api/fill/11/check\n" . HeaoTest::json_of({ application => [1] })
--- more_headers eval
main::headers()
--- error_code: 400
--- response_body chomp
{"error":"bad_field","message":"志愿信息应为对象","field":"application"}



=== TEST 19: R1 more slots than the batch has
--- request eval
main::check(map { ['1105', ['07'], 'agree'] } 1 .. 7)
--- more_headers eval
main::headers()
--- error_code: 400
--- response_body chomp
{"error":"bad_field","message":"志愿个数超过本批次的设置","field":"application.sections[0].slots"}



=== TEST 20: R1 more majors than a slot has places
--- request eval
main::check(['1105', ['07', '11', '04', '09', '12', '13'], 'agree'])
--- more_headers eval
main::headers()
--- error_code: 400
--- response_body chomp
{"error":"bad_field","message":"专业应为数组，且不超过本批次的专业个数","field":"application.sections[0].slots[0].majors"}



=== TEST 21: R1 a major code that is a number, not a string: the path names the element
--- request
POST /api/fill/11/check
{"application":{"sections":[{"slots":[{"institution":"1105","majors":[7],"adjust":"agree"}]}]}}
--- more_headers eval
main::headers()
--- error_code: 400
--- response_body chomp
{"error":"bad_field","message":"专业代号应为字符串","field":"application.sections[0].slots[0].majors[0]"}



=== TEST 22: R1 an application without a sections array: the path from the body
--- request eval
[ "POST /api/fill/11/check\n"
  . HeaoTest::json_of({ application => { sections => {} } }),
  "POST /api/fill/11/check\n"
  . HeaoTest::json_of({ application => { sections => [ { slots => [] },
                                                        { slots => [] } ] } }),
  "POST /api/fill/11/check\n"
  . HeaoTest::json_of({ application => { sections => [ { slots => 1 } ] } }) ]
--- more_headers eval
main::headers()
--- error_code eval
[ 400, 400, 400 ]
--- response_body eval
[ qq({"error":"bad_field","message":"志愿信息缺少sections数组","field":"application.sections"}),
  qq({"error":"bad_field","message":"志愿段数超过本批次的设置","field":"application.sections"}),
  qq({"error":"bad_field","message":"志愿段缺少slots数组","field":"application.sections[0].slots"}) ]



=== TEST 23: R1 a save names the same path as the check for the same fault
--- request eval
[ "POST /api/fill/11/save\n"
  . HeaoTest::json_of({ save_id => '00000000-0000-4000-8000-000000003023',
                        application => { sections => [ { slots => [
                          { institution => 1105 } ] } ] } }),
  "POST /api/fill/11/check\n"
  . HeaoTest::json_of({ application => { sections => [ { slots => [
                          { institution => 1105 } ] } ] } }) ]
--- more_headers eval
"Content-Type: application/json\n" . HeaoTest::session(30, fill => ['11', time() + 600])
--- error_code eval
[ 400, 400 ]
--- response_body eval
[ (qq({"error":"bad_field","message":"院校代号应为字符串","field":"application.sections[0].slots[0].institution"})) x 2 ]



=== TEST 24: R1 a duplicate key in the body
--- request
POST /api/fill/11/check
{"application":{},"application":{}}
--- more_headers eval
main::headers()
--- error_code: 400
--- response_body chomp
{"error":"bad_json","message":"请求内容不是有效的JSON对象"}



=== TEST 25: R1 a batch that does not exist
--- request eval
"POST /api/fill/99/check\n" . main::app(['1105', ['07'], 'agree'])
--- more_headers eval
main::headers()
--- error_code: 404
--- response_body chomp
{"error":"not_found","message":"没有这个批次","field":"batch"}



=== TEST 26: A6 the check without the CSRF token is refused
--- request eval
main::check(['1105', ['07'], 'agree'])
--- more_headers eval
my $h = main::headers();
$h =~ s/X-CSRF-Token: [^\n]*\n//;
$h
--- error_code: 403
--- response_body chomp
{"error":"csrf","message":"页面已过期，请刷新后重试"}



=== TEST 27: F2 the name of an institution and its majors by code
--- request
GET /api/catalog/11/1105
--- response_body_like chomp
^\{"batch":"11","code":"1105","name":"北京大学","majors":\[.*\{"code":"07","name":"法学","class":"ordinary","restrictions":\{\}\}.*\]\}$



=== TEST 28: F2 leading zeros matter: a code the batch does not hold
--- request eval
"GET /api/catalog/11/$::MISSING"
--- error_code: 404
--- response_body chomp
{"error":"not_found","message":"本批次没有这个院校代号","field":"institution"}



=== TEST 29: F2 a code of three digits is no institution
--- request
GET /api/catalog/11/105
--- error_code: 404
--- response_body chomp
{"error":"not_found","message":"本批次没有这个院校代号","field":"institution"}



=== TEST 30: B1 the batches of the year with their window, candidate types and shape
--- request
GET /api/batches
--- response_body_like chomp
^\{"now":\d+,"batches":\[.*\{"code":"11","name":"本科一批","group":"11","opens_at":\d+,"closes_at":\d+,"open":true,"ctypes":\["普通"\],"shape":\{"sections":\[\{(?=[^\]]*"kind":"parallel")(?=[^\]]*"slots":6)(?=[^\]]*"majors":5)(?=[^\]]*"adjust":true)(?=[^\]]*"title":"平行志愿")[^\]]*\}\]\}\}.*\]\}$



=== TEST 31: A5 the check without a session is refused as unauthenticated
--- request eval
main::check(['1105', ['07'], 'agree'])
--- more_headers
Content-Type: application/json
--- error_code: 401
--- response_body chomp
{"error":"unauthenticated","message":"请先登录"}



=== TEST 32: R1 a null among the majors: the path names the element, not the list
--- request
POST /api/fill/11/check
{"application":{"sections":[{"slots":[{"institution":"1105","majors":[null],"adjust":"agree"}]}]}}
--- more_headers eval
main::headers()
--- error_code: 400
--- response_body chomp
{"error":"bad_field","message":"专业代号应为字符串","field":"application.sections[0].slots[0].majors[0]"}



=== TEST 33: R1 the second major a number: check and save name majors[1]
--- request eval
[ "POST /api/fill/11/save\n"
  . HeaoTest::json_of({ save_id => '00000000-0000-4000-8000-000000003033',
                        application => { sections => [ { slots => [
                          { institution => '1105', majors => ['04', 5],
                            adjust => 'agree' } ] } ] } }),
  "POST /api/fill/11/check\n"
  . HeaoTest::json_of({ application => { sections => [ { slots => [
                          { institution => '1105', majors => ['04', 5],
                            adjust => 'agree' } ] } ] } }) ]
--- more_headers eval
"Content-Type: application/json\n" . HeaoTest::session(30, fill => ['11', time() + 600])
--- error_code eval
[ 400, 400 ]
--- response_body eval
[ (qq({"error":"bad_field","message":"专业代号应为字符串","field":"application.sections[0].slots[0].majors[1]"})) x 2 ]



=== TEST 34: R1 a section that is not an object: the path names the section
--- request
POST /api/fill/11/check
{"application":{"sections":[null]}}
--- more_headers eval
main::headers()
--- error_code: 400
--- response_body chomp
{"error":"bad_field","message":"志愿段应为对象","field":"application.sections[0]"}



=== TEST 35: R1 a slot that is not an object: the path names the slot
--- request
POST /api/fill/11/check
{"application":{"sections":[{"slots":[{"institution":"1105","majors":["07"],"adjust":"agree"},"1175"]}]}}
--- more_headers eval
main::headers()
--- error_code: 400
--- response_body chomp
{"error":"bad_field","message":"志愿应为对象","field":"application.sections[0].slots[1]"}
