# F18 the plan query (计划查询) of 对口, 专升本 and 征集: the institutions
# this candidate may choose (F9), searched by code, name and province,
# paged, each opened to its majors with plan, tuition and restrictions;
# answered from the worker's catalog.  A batch X8 that this suite adds and
# removes holds a known catalog; the demo batches 60, 70 and 1Z are
# queried too.  Candidates 1710 (female, 文科, 对口), 1711 (male, 理科,
# 对口), 1712 (普通), 1713 (专升本).

use strict;
use warnings;

use FindBin;
use lib $FindBin::Bin;

use Test::Nginx::Socket 'no_plan';
use HeaoTest;

no_shuffle();
heao_defaults();

our %C = map { $_ => reset_candidate($_) } 1710 .. 1713;

for my $t (1710 .. 1713) {
    my $ctype = { 1710 => '对口', 1711 => '对口', 1712 => '普通',
                  1713 => '专升本' }->{$t};
    psql(qq{update heao.candidate
               set ctype = '$ctype', shixin = false, qualifications = '{}',
                   ethnicity = '汉族', language = '英语',
                   track = '@{[ $t % 2 ? '理' : '文' ]}'
             where exam_no = '$C{$t}{exam_no}'});
}

our $FILLERS = 25;

sub t8 {
    psql(q{
        begin;
        delete from heao.batch where code = 'X8';
        delete from heao.batch_group where code = 'X8';
        commit;});
    return;
}

# X8: 0801 in 郑州 with a major anyone may choose and one for men; 0802
# in 北京 for men only; 0803 for 理科 only; 0810.. one major each
t8();
psql(qq{
    begin;
    insert into heao.batch_group (code, name) values ('X8', '测试计划组');
    insert into heao.batch (code, name, group_code, opens_at, closes_at,
                            candidate_types, shape, sort)
    values ('X8', '测试对口批', 'X8', now() - interval '1 day',
            now() + interval '7 days', '{对口}',
            '{"sections": [{"title": "平行志愿", "kind": "parallel",
               "slots": 6, "majors": 4, "adjust": true}],
              "plan_query": true}', 998);
    insert into heao.institution (batch_code, code, name, province)
    values ('X8', '0801', '郑州测试学院', '河南省'),
           ('X8', '0802', '北京测试大学', '北京市'),
           ('X8', '0803', '测试理工学院', '河南省');
    insert into heao.institution (batch_code, code, name, province)
    select 'X8', '08' || (9 + n), '测试学院' || n, '河南省'
      from generate_series(1, $FILLERS) n;
    insert into heao.major (batch_code, inst_code, code, name, plan,
                            tuition, years, restrictions, note)
    values ('X8', '0801', '01', '计算机应用技术', 12, 4400, 3, '{}',
            '对口计算机类'),
           ('X8', '0801', '02', '机电一体化', 3, 5000, 3,
            '{"gender": "M"}', null),
           ('X8', '0802', '01', '航海技术', 6, 6000, 4,
            '{"gender": "M"}', null),
           ('X8', '0803', '01', '电气自动化', 4, 5000, 4,
            '{"track": "理"}', null);
    insert into heao.major (batch_code, inst_code, code, name, plan,
                            tuition)
    select 'X8', '08' || (9 + n), '01', '会计', n, 4000
      from generate_series(1, $FILLERS) n;
    commit;});

END { t8() }

sub filler {
    my ($n) = @_;

    return qq({"code":"08@{[ 9 + $n ]}","name":"测试学院$n",)
           . qq("province":"河南省","plan":$n,"majors":1});
}

sub page {
    my ($q, $page, $size, $total, @items) = @_;

    return qq({"batch":"X8","query":"$q","page":$page,"size":$size,)
           . qq("institutions":[) . join(',', @items) . ']'
           . qq(,"total":$total,"pages":@{[ int(($total + $size - 1)
                                                / $size) ]}});
}

our $ZZ = qq({"code":"0801","name":"郑州测试学院","province":"河南省",)
          . qq("plan":12,"majors":1});

# an institution of 对口本科 with a major for men and one for anyone
our ($INST, $MAJOR, $FIRST) = split /\|/, psql(q{
    select m.inst_code, m.code, min(f.code)
      from heao.major m join heao.major f using (batch_code, inst_code)
     where m.batch_code = '60' and m.restrictions ->> 'gender' = 'M'
       and f.restrictions = '{}'
     group by 1, 2 order by 1, 2 limit 1});

sub headers {
    my ($t) = @_;

    return session($t);
}

run_tests();

__DATA__

=== TEST 1: F18 the first page holds what a female 文科 candidate may choose
--- request
GET /api/plan/X8?size=10
--- more_headers eval
main::headers(1710)
--- response_body eval
main::page('', 1, 10, 1 + $::FILLERS, $::ZZ, map { main::filler($_) } 1 .. 9)



=== TEST 2: F18 the last page
--- request
GET /api/plan/X8?size=10&page=3
--- more_headers eval
main::headers(1710)
--- response_body eval
main::page('', 3, 10, 1 + $::FILLERS, map { main::filler($_) } 20 .. 25)



=== TEST 3: F18 a male 理科 candidate sees the institutions for men and 理科
--- request
GET /api/plan/X8?size=3
--- more_headers eval
main::headers(1711)
--- response_body eval
main::page('', 1, 3, 3 + $::FILLERS,
           qq({"code":"0801","name":"郑州测试学院","province":"河南省",)
           . qq("plan":15,"majors":2}),
           qq({"code":"0802","name":"北京测试大学","province":"北京市",)
           . qq("plan":6,"majors":1}),
           qq({"code":"0803","name":"测试理工学院","province":"河南省",)
           . qq("plan":4,"majors":1}))



=== TEST 4: F18 searched by name
--- request
GET /api/plan/X8?q=%E9%83%91%E5%B7%9E
--- more_headers eval
main::headers(1710)
--- response_body eval
main::page('郑州', 1, 20, 1, $::ZZ)



=== TEST 5: F18 searched by code: the codes that begin with it
--- request
GET /api/plan/X8?q=081
--- more_headers eval
main::headers(1710)
--- response_body eval
main::page('081', 1, 20, 10, map { main::filler($_) } 1 .. 10)



=== TEST 6: F18 searched by province: 北京 has nothing for a woman
--- request
GET /api/plan/X8?q=%E5%8C%97%E4%BA%AC
--- more_headers eval
main::headers(1710)
--- response_body eval
main::page('北京', 1, 20, 0)



=== TEST 7: F18 searched by province: 北京 for a man
--- request
GET /api/plan/X8?q=%E5%8C%97%E4%BA%AC
--- more_headers eval
main::headers(1711)
--- response_body eval
main::page('北京', 1, 20, 1,
           qq({"code":"0802","name":"北京测试大学","province":"北京市",)
           . qq("plan":6,"majors":1}))



=== TEST 8: F18 an institution opened: the majors she may choose, with plan, tuition and restrictions
--- request
GET /api/plan/X8/0801
--- more_headers eval
main::headers(1710)
--- response_body chomp
{"batch":"X8","code":"0801","name":"郑州测试学院","province":"河南省","plan":12,"majors":[{"code":"01","name":"计算机应用技术","class":"ordinary","plan":12,"tuition":4400,"years":3,"restrictions":{},"note":"对口计算机类"}]}



=== TEST 9: F18 the same institution opened by a man lists the major for men
--- request
GET /api/plan/X8/0801
--- more_headers eval
main::headers(1711)
--- response_body chomp
{"batch":"X8","code":"0801","name":"郑州测试学院","province":"河南省","plan":15,"majors":[{"code":"01","name":"计算机应用技术","class":"ordinary","plan":12,"tuition":4400,"years":3,"restrictions":{},"note":"对口计算机类"},{"code":"02","name":"机电一体化","class":"ordinary","plan":3,"tuition":5000,"years":3,"restrictions":{"gender":"M"}}]}



=== TEST 10: F18 an institution she may not choose is not found
--- request
GET /api/plan/X8/0802
--- more_headers eval
main::headers(1710)
--- error_code: 404
--- response_body chomp
{"error":"not_found","message":"本批次没有您可以填报的这个院校代号","field":"institution"}



=== TEST 11: F18 a batch without the plan query
--- request
GET /api/plan/11
--- more_headers eval
main::headers(1712)
--- error_code: 404
--- response_body chomp
{"error":"not_found","message":"本批次不提供计划查询","field":"batch"}



=== TEST 12: F18 F9 a candidate of another type may not query the batch
--- request
GET /api/plan/X8
--- more_headers eval
main::headers(1712)
--- error_code: 403
--- response_body chomp
{"error":"not_eligible","message":"您的考生类别不能填报本批次","field":"batch"}



=== TEST 13: F18 a page of 0, one that is no number, or one of 10 digits is refused
--- request eval
[ "GET /api/plan/X8?page=0", "GET /api/plan/X8?page=2a",
  "GET /api/plan/X8?page=1000000000" ]
--- more_headers eval
main::headers(1710)
--- error_code eval
[ 400, 400, 400 ]
--- response_body eval
[ (qq({"error":"bad_field","message":"页码应为不超过9位的正整数","field":"page"})) x 3 ]



=== TEST 14: F18 a page past the last is empty, with the total and the pages
--- request eval
[ "GET /api/plan/X8?size=10&page=4", "GET /api/plan/X8?size=10&page=99999",
  "GET /api/plan/X8?size=10&page=999999999" ]
--- more_headers eval
main::headers(1710)
--- error_code eval
[ 200, 200, 200 ]
--- response_body eval
[ map { main::page('', $_, 10, 1 + $::FILLERS) } 4, 99999, 999999999 ]



=== TEST 15: F18 a page size over 50 is refused
--- request
GET /api/plan/X8?size=51
--- more_headers eval
main::headers(1710)
--- error_code: 400
--- response_body chomp
{"error":"bad_field","message":"每页条数应为1到50","field":"size"}



=== TEST 16: F18 a query of invalid UTF-8 is refused
--- request
GET /api/plan/X8?q=%E9%83
--- more_headers eval
main::headers(1710)
--- error_code: 400
--- response_body chomp
{"error":"bad_field","message":"查询内容应为不超过64字节的文字","field":"q"}



=== TEST 17: F18 the plan query needs a session
--- request
GET /api/plan/X8
--- error_code: 401
--- response_body_like chomp
^\{"error":"unauthenticated"



=== TEST 18: F18 专升本: every institution of the demo batch 70, paged by 50
--- request
GET /api/plan/70?size=50&page=3
--- more_headers eval
main::headers(1713)
--- response_body_like eval
my $n = HeaoTest::psql(q{select count(*) from heao.institution
                          where batch_code = '70'});
my $pages = int(($n + 49) / 50);
qr/^\{"batch":"70","query":"","page":3,"size":50,"institutions":\[.*\],"total":$n,"pages":$pages\}$/



=== TEST 19: F18 对口本科 of the demo year: a woman sees her majors, not one for men
--- request eval
"GET /api/plan/60/$::INST"
--- more_headers eval
main::headers(1710)
--- response_body_like eval
qr/^\{"batch":"60","code":"$::INST",(?!.*"code":"$::MAJOR","name").*"majors":\[(\{"code":"\d\d",[^\]]*)?\{"code":"$::FIRST","name":"[^"]+","class":"[a-z_]+","plan":\d+,"tuition":\d+,"years":\d,"restrictions":\{\}/



=== TEST 20: F18 征集志愿: the institutions of 1Z a woman of 文科 may choose
--- request
GET /api/plan/1Z?size=1
--- more_headers eval
main::headers(1712)
--- response_body_like eval
my $n = HeaoTest::psql(q{
    select count(distinct inst_code) from heao.major
     where batch_code = '1Z'
       and coalesce(restrictions ->> 'gender', 'F') = 'F'
       and coalesce(restrictions ->> 'track', '文') = '文'
       and not coalesce(restrictions -> 'ethnicities_except' ? '汉族',
                        false)});
qr/^\{"batch":"1Z","query":"","page":1,"size":1,"institutions":\[\{"code":"\d{4}","name":"[^"]+","province":"[^"]*","plan":\d+,"majors":\d+\}\],"total":$n,"pages":$n\}$/
