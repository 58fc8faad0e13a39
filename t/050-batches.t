# B1, B2: every batch of the demo year is filled with a valid application
# and saved, by a candidate of a type the batch takes.  The table below
# names what each batch needs; the application is built from the demo
# catalog, with majors this candidate may choose (F9).  Candidates
# 501..551 (odd: male, 理科), one per batch.

use strict;
use warnings;

use FindBin;
use lib $FindBin::Bin;

use Test::Nginx::Socket 'no_plan';
use HeaoTest;

no_shuffle();
heao_defaults();

# batch => [candidate type, qualifications]: every batch of 2021
our %WALK = (
    '1A' => ['普通'], '1B' => ['普通'], '1C' => ['普通'], '1D' => ['普通'],
    '1E' => ['普通'], '1T' => ['体育'], '1Y' => ['艺术'],
    '20' => ['普通', '国家专项'], '11' => ['普通'],
    '21' => ['普通', '地方专项'], '12' => ['普通'], '1Z' => ['普通'],
    'YA1' => ['艺术'], 'YA2' => ['艺术'], 'YB1' => ['艺术'],
    'YB2' => ['艺术'], '4A' => ['普通'], '4B' => ['普通'],
    '4C' => ['普通'], '4T' => ['体育'], '4Y' => ['艺术'],
    '4Z' => ['艺术'], '50' => ['普通'], '60' => ['对口'],
    '61' => ['对口'], '70' => ['专升本'],
);

our @CODES = sort keys %WALK;
our (%T, %APP);

my $n = 0;

for my $code (@CODES) {
    my $t = 501 + 2 * $n++;
    my ($ctype, $q) = @{ $WALK{$code} };
    my $c = reset_candidate($t);

    psql(qq{update heao.candidate
               set ctype = '$ctype', shixin = false, ethnicity = '汉族',
                   language = '英语',
                   qualifications = '{@{[ $q // '' ]}}'
             where exam_no = '$c->{exam_no}'});

    $T{$code} = $t;
    $APP{$code} = application($code, $q);
}

# a valid application: in each section the first slot, and in a parallel
# one the second too, each with an institution and one major that a male
# 理科 candidate of 2002 holding the qualification may choose
sub application {
    my ($code, $q) = @_;
    my $shape = $HeaoTest::JSON->decode(psql(
        "select shape from heao.batch where code = '$code'"));
    my @pairs = split /\n/, psql(qq{
        select m.inst_code || '|' || m.code
          from heao.major m
         where m.batch_code = '$code' and m.class = 'ordinary'
           and coalesce(m.restrictions ->> 'gender', 'M') = 'M'
           and coalesce(m.restrictions ->> 'track', '理') = '理'
           and coalesce(m.restrictions ->> 'language', '英语') = '英语'
           and coalesce(m.restrictions ->> 'qualification', '-')
               in ('-', '@{[ $q // '' ]}')
           and m.restrictions -> 'ethnicities' is null
           and not coalesce(m.restrictions -> 'ethnicities_except'
                            ? '汉族', false)
           and m.code = (select min(x.code) from heao.major x
                          where x.batch_code = m.batch_code
                            and x.inst_code = m.inst_code)
         order by m.inst_code limit 4});
    my @sections;

    for my $sec (@{ $shape->{sections} }) {
        my $fill = $sec->{kind} eq 'parallel' && $sec->{slots} > 1 ? 2 : 1;
        my @slots;

        for (1 .. $fill) {
            my ($inst, $major) = split /\|/, shift @pairs;
            push @slots, { institution => $inst,
                           majors => $sec->{majors} ? [$major] : [],
                           adjust => $sec->{adjust} ? 'agree' : undef };
        }

        push @sections, { slots => \@slots };
    }

    return { sections => \@sections };
}

sub save {
    my ($code) = @_;
    my $id = sprintf('00000000-0000-4000-8050-%012d',
                     (time() % 100000) * 100 + $T{$code} % 100);

    return "POST /api/fill/$code/save\n"
           . json_of({ save_id => $id, application => $APP{$code} });
}

sub headers {
    my ($code) = @_;

    return "Content-Type: application/json\n"
           . session($T{$code}, fill => [$code, time() + 600]);
}

run_tests();

__DATA__

=== TEST 1: B1 the table names every batch of the demo year
--- request eval
Test::More::is(HeaoTest::psql(q{select string_agg(code, ' ' order by code)
                                  from heao.batch}),
               join(' ', @::CODES), 'B1 one walk per batch');
"GET /api/batches"
--- response_body_like chomp
"code":"70","name":"专升本","group":"70"



=== TEST 2: B1 本科提前批（军事院校）: 第一志愿 sequential then 第二志愿 parallel
--- request eval
main::save('1A')
--- more_headers eval
main::headers('1A')
--- response_body_like chomp
^\{"save_no":1,.*"saved":true\}$



=== TEST 3: B1 本科提前批（公安院校）
--- request eval
main::save('1B')
--- more_headers eval
main::headers('1B')
--- response_body_like chomp
^\{"save_no":1,.*"saved":true\}$



=== TEST 4: B1 本科提前批（司法院校）
--- request eval
main::save('1C')
--- more_headers eval
main::headers('1C')
--- response_body_like chomp
^\{"save_no":1,.*"saved":true\}$



=== TEST 5: B1 本科提前批（地方公费师范生）
--- request eval
main::save('1D')
--- more_headers eval
main::headers('1D')
--- response_body_like chomp
^\{"save_no":1,.*"saved":true\}$



=== TEST 6: B1 本科提前批（有特殊要求的高校）
--- request eval
main::save('1E')
--- more_headers eval
main::headers('1E')
--- response_body_like chomp
^\{"save_no":1,.*"saved":true\}$



=== TEST 7: B1 体育本科, a 体育 candidate
--- request eval
main::save('1T')
--- more_headers eval
main::headers('1T')
--- response_body_like chomp
^\{"save_no":1,.*"saved":true\}$



=== TEST 8: B1 艺术本科提前批: two sequential sections of one major
--- request eval
main::save('1Y')
--- more_headers eval
main::headers('1Y')
--- response_body_like chomp
^\{"save_no":1,.*"saved":true\}$



=== TEST 9: B1 国家专项, a candidate who holds the qualification
--- request eval
main::save('20')
--- more_headers eval
main::headers('20')
--- response_body_like chomp
^\{"save_no":1,.*"saved":true\}$



=== TEST 10: B1 本科一批: 6 parallel slots of 5
--- request eval
main::save('11')
--- more_headers eval
main::headers('11')
--- response_body_like chomp
^\{"save_no":1,.*"saved":true\}$



=== TEST 11: B1 地方专项, a candidate who holds the qualification
--- request eval
main::save('21')
--- more_headers eval
main::headers('21')
--- response_body_like chomp
^\{"save_no":1,.*"saved":true\}$



=== TEST 12: B1 本科二批: 9 parallel slots of 5
--- request eval
main::save('12')
--- more_headers eval
main::headers('12')
--- response_body_like chomp
^\{"save_no":1,.*"saved":true\}$



=== TEST 13: B1 本科一批征集志愿
--- request eval
main::save('1Z')
--- more_headers eval
main::headers('1Z')
--- response_body_like chomp
^\{"save_no":1,.*"saved":true\}$



=== TEST 14: B1 艺术本科A段（美术和书法类）: parallel, one major, no adjustment
--- request eval
main::save('YA1')
--- more_headers eval
main::headers('YA1')
--- response_body_like chomp
^\{"save_no":1,.*"saved":true\}$



=== TEST 15: B1 艺术本科A段（非美术和书法类）: sequential
--- request eval
main::save('YA2')
--- more_headers eval
main::headers('YA2')
--- response_body_like chomp
^\{"save_no":1,.*"saved":true\}$



=== TEST 16: B1 艺术本科B段（美术和书法类）
--- request eval
main::save('YB1')
--- more_headers eval
main::headers('YB1')
--- response_body_like chomp
^\{"save_no":1,.*"saved":true\}$



=== TEST 17: B1 艺术本科B段（非美术和书法类）
--- request eval
main::save('YB2')
--- more_headers eval
main::headers('YB2')
--- response_body_like chomp
^\{"save_no":1,.*"saved":true\}$



=== TEST 18: B1 专科提前批（定向培养士官）
--- request eval
main::save('4A')
--- more_headers eval
main::headers('4A')
--- response_body_like chomp
^\{"save_no":1,.*"saved":true\}$



=== TEST 19: B1 专科提前批（医学类）
--- request eval
main::save('4B')
--- more_headers eval
main::headers('4B')
--- response_body_like chomp
^\{"save_no":1,.*"saved":true\}$



=== TEST 20: B1 专科提前批（小学教育全科教师）
--- request eval
main::save('4C')
--- more_headers eval
main::headers('4C')
--- response_body_like chomp
^\{"save_no":1,.*"saved":true\}$



=== TEST 21: B1 体育专科
--- request eval
main::save('4T')
--- more_headers eval
main::headers('4T')
--- response_body_like chomp
^\{"save_no":1,.*"saved":true\}$



=== TEST 22: B1 艺术专科（美术和书法类）
--- request eval
main::save('4Y')
--- more_headers eval
main::headers('4Y')
--- response_body_like chomp
^\{"save_no":1,.*"saved":true\}$



=== TEST 23: B1 艺术专科（非美术和书法类）
--- request eval
main::save('4Z')
--- more_headers eval
main::headers('4Z')
--- response_body_like chomp
^\{"save_no":1,.*"saved":true\}$



=== TEST 24: B1 高职高专批
--- request eval
main::save('50')
--- more_headers eval
main::headers('50')
--- response_body_like chomp
^\{"save_no":1,.*"saved":true\}$



=== TEST 25: B1 对口本科: 4 majors a slot, a 对口 candidate
--- request eval
main::save('60')
--- more_headers eval
main::headers('60')
--- response_body_like chomp
^\{"save_no":1,.*"saved":true\}$



=== TEST 26: B1 对口专科
--- request eval
main::save('61')
--- more_headers eval
main::headers('61')
--- response_body_like chomp
^\{"save_no":1,.*"saved":true\}$



=== TEST 27: B1 专升本: institutions only, a 专升本 candidate
--- request eval
main::save('70')
--- more_headers eval
main::headers('70')
--- response_body_like chomp
^\{"save_no":1,.*"saved":true\}$



=== TEST 28: B2 one save in each group of one batch of the walk
--- request eval
Test::More::is(HeaoTest::psql(q{
    select count(*) from heao.group_state g join heao.candidate c
        on c.id = g.candidate_id
     where c.exam_no between '21419900000501' and '21419900000551'
       and g.saves_used = 1}), scalar(@::CODES),
    'B2 each candidate of the walk used one save of its group');
"GET /api/batches"
--- response_body_like chomp
"code":"11"
