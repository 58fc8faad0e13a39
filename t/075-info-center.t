# The info center: I2 qualification and score, I3 evaluation and
# integrity record, I4 pledge letters of directed plans and their
# reminder, I5 past admission figures (only with a bound dynamic
# password), I6 archive status, I7 the entry page's bulletin; R5 another
# candidate's pledge letter is not found.  Candidates 1750-1769.

use strict;
use warnings;

use FindBin;
use lib $FindBin::Bin;

use Test::Nginx::Socket 'no_plan';
use HeaoTest;

no_shuffle();
heao_defaults();

our (@C, %ID);

for my $t (1750 .. 1769) {
    $C[$t] = reset_candidate($t);
    $ID{$t} = psql("update heao.candidate set totp_secret = null,"
                   . " totp_bound_at = null, shixin = false,"
                   . " qualifications = '{}'"
                   . " where exam_no = '$C[$t]{exam_no}' returning id");
    psql("delete from heao.exam_score where candidate_id = $ID{$t};"
         . " delete from heao.evaluation where candidate_id = $ID{$t};"
         . " delete from heao.integrity_record where candidate_id = $ID{$t};"
         . " delete from heao.archive_event where candidate_id = $ID{$t}");
}

# I2: 1751 holds a qualification and a published score
psql(qq{update heao.candidate set qualifications = '{国家专项}'
         where id = $ID{1751};
        insert into heao.exam_score (candidate_id, subjects, total, bonus,
                                     rank, physical, published_at)
        values ($ID{1751}, '[{"name": "语文", "score": 121},
                             {"name": "数学", "score": 135},
                             {"name": "外语", "score": 128},
                             {"name": "理科综合", "score": 247}]',
                631, 5, 4210, '合格', to_timestamp(1624500000))});

# I3: 1751 an evaluation and two record entries, 1752 a breach
psql(qq{insert into heao.evaluation (candidate_id, school, comment,
                                     written_at)
        values ($ID{1751}, '郑州市第一中学', '品学兼优，团结同学。',
                '2021-05-20');
        insert into heao.integrity_record (candidate_id, recorded_at, kind,
                                           text)
        values ($ID{1751}, '2021-06-10', 'honour', '考试中遵守考场纪律'),
               ($ID{1751}, '2020-09-01', 'honour', '志愿服务时长100小时');
        update heao.candidate set shixin = true where id = $ID{1752};
        insert into heao.integrity_record (candidate_id, recorded_at, kind,
                                           text)
        values ($ID{1752}, '2020-08-20', 'breach',
                '2020年被录取后未报到')});

# I6: 1751 was sent to an institution, then admitted
psql(qq{insert into heao.archive_event (candidate_id, at, status,
                                        batch_code, inst_code, inst_name,
                                        note, actor)
        values ($ID{1751}, to_timestamp(1626000000), '已投档', '11',
                '1105', '北京大学', null, 'op'),
               ($ID{1751}, to_timestamp(1626100000), '已录取', '11',
                '1105', '北京大学', '录取专业：数学类', 'op')});

# I5: figures of a code no catalog has, four years of them
psql(qq{delete from heao.admission_stat where inst_code = '0000';
        insert into heao.admission_stat (year, batch, track, inst_code,
                                         inst_name, min_score, avg_score,
                                         min_rank, source)
        values (2017, '本科一批', '理', '0000', '测试学院', 500, 510.5, 9000,
                't'),
               (2018, '本科一批', '理', '0000', '测试学院', 540, 551.0, 8000,
                't'),
               (2019, '本科一批', '理', '0000', '测试学院', 545, 552.5, 7000,
                't'),
               (2020, '本科一批', '理', '0000', '测试学院', 550, 560.0, 6000,
                't'),
               (2020, '本科一批', '文', '0000', '测试学院', 580, 585.0, 900,
                't')});

# I5: averages a double cannot hold exactly, of a code no catalog has
die "code 0004 is in the catalog\n"
    if psql("select count(*) from heao.institution where code = '0004'");
psql(qq{delete from heao.admission_stat where inst_code = '0004';
        insert into heao.admission_stat (year, batch, track, inst_code,
                                         inst_name, min_score, avg_score,
                                         min_rank, source)
        values (2020, '本科一批', '理', '0004', '测试学院二', 630, 634.6,
                1200, 't'),
               (2019, '本科一批', '理', '0004', '测试学院二', 600, 600.3,
                2500, 't'),
               (2018, '本科一批', '理', '0004', '测试学院二', 512, 512.7,
                9900, 't')});

# a code that neither the catalog nor the figures know
our $NONE = '0003';
die "code $NONE is known\n" if psql(
    "select count(*) from heao.institution where code = '$NONE'")
    + psql("select count(*) from heao.admission_stat"
           . " where inst_code = '$NONE'");

our $KEY = '3132333435363738393031323334353637383930';

psql("update heao.candidate set totp_secret = decode('$KEY', 'hex'),"
     . " totp_bound_at = now() where id = $ID{1753}");

# I4: 河南中医药大学 (6015) in 本科一批 has 临床医学 (16) as 免费医学定向
# and 中医养生学 (01) as an ordinary major
our ($INST, $DMAJOR, $PMAJOR) = ('6015', '16', '01');
our %NAME = split /\|/, psql(
    "select 'i', i.name, 'd', d.name, 'p', p.name"
    . " from heao.institution i"
    . " join heao.major d on d.batch_code = i.batch_code"
    . " and d.inst_code = i.code and d.code = '$DMAJOR'"
    . " join heao.major p on p.batch_code = i.batch_code"
    . " and p.inst_code = i.code and p.code = '$PMAJOR'"
    . " where i.batch_code = '11' and i.code = '$INST'"
    . " and d.restrictions ->> 'directed' = '免费医学定向'"
    . " and not p.restrictions ? 'directed'");
die "the demo catalog has no directed 6015/16 in batch 11\n"
    unless $NAME{i};

our $CLOSES = psql("select heao.epoch(closes_at) from heao.batch"
                   . " where code = '11'");
our $DEADLINE = $CLOSES + 3 * 86400;

# a save of 本科一批 as the save endpoint records it
sub save {
    my ($t, @majors) = @_;
    my $content = json_of({ sections => [ { slots => [
        { institution => $INST, majors => [ @majors ], adjust => 'agree' }
    ] } ] });
    my $id = psql(qq{insert into heao.save_history (save_id,
          candidate_id, group_code, batch_code, save_no, arrived_at,
          saved_at, client, device, content, summary, checksum)
        values (gen_random_uuid(), $ID{$t}, '11', '11', 1,
          to_timestamp(170000001), to_timestamp(170000001),
          '10.0.0.1', 'UA', '$content', 'sum', 'chk$t') returning id});

    psql(qq{insert into heao.group_state (candidate_id, group_code,
              batch_code, saves_used, last_save_at, current_save)
            values ($ID{$t}, '11', '11', 1, to_timestamp(170000001),
              $id)});
    return;
}

save(1760, $PMAJOR, $DMAJOR);
save(1761, $PMAJOR);
save(1762, $DMAJOR);
psql("update heao.group_state set abandoned_at = now()"
     . " where candidate_id = $ID{1762}");

# I7: one shown of each kind, one withdrawn, one not yet published
psql(qq{delete from heao.bulletin where published_by = 't075';
        insert into heao.bulletin (kind, title, body, sort, published_at,
                                   withdrawn_at, published_by)
        values ('announcement', '测试公告甲', '正文甲', -1000,
                now() - interval '1 hour', null, 't075'),
               ('announcement', '测试公告乙', '正文乙', -1000,
                now() - interval '1 hour', now(), 't075'),
               ('announcement', '测试公告丙', '正文丙', -1000,
                now() + interval '1 day', null, 't075'),
               ('note', '测试注意事项', '', -1000,
                now() - interval '1 hour', null, 't075')});

# the entry page's answer cached by an earlier request
redis('DEL', 'heao:entry');

our $ANN = psql("select id from heao.bulletin where title = '测试公告甲'");
# I1 R5: a message of 1760's that 1761 asks to read
our $MSG = psql("select id from heao.mailbox where candidate_id = $ID{1760}"
                . " and kind = 'pledge'");

our $NOTE = psql("select id from heao.bulletin where title = '测试注意事项'");

run_tests();

__DATA__

=== TEST 1: I2 I3 I6 I4 I5 need a session
--- request eval
[ "GET /api/info/score", "GET /api/info/evaluation", "GET /api/info/archive",
  "GET /api/pledge", "GET /api/pledge/11", "GET /api/admissions/1105" ]
--- error_code eval
[ (401) x 6 ]
--- response_body eval
[ (qq({"error":"unauthenticated","message":"请先登录"})) x 6 ]



=== TEST 2: I2 before the scores are published: the qualification, no score
--- more_headers eval
main::session(1750)
--- request
GET /api/info/score
--- response_body eval
qq({"exam_no":"$::C[1750]{exam_no}","name":"$::C[1750]{name}","track":"文","ctype":"普通","language":"英语","qualifications":[],"shixin":false,"score":null})



=== TEST 3: I2 the qualification held and the published score with bonus and rank
--- more_headers eval
main::session(1751)
--- request
GET /api/info/score
--- response_body eval
qq({"exam_no":"$::C[1751]{exam_no}","name":"$::C[1751]{name}","track":"理","ctype":"普通","language":"英语","qualifications":["国家专项"],"shixin":false,"score":{"subjects":[{"name":"语文","score":121},{"name":"数学","score":135},{"name":"外语","score":128},{"name":"理科综合","score":247}],"total":631,"bonus":5,"rank":4210,"physical":"合格","published_at":1624500000}})



=== TEST 4: I3 the evaluation and the integrity record, oldest entry first
--- more_headers eval
main::session(1751)
--- request
GET /api/info/evaluation
--- response_body chomp
{"evaluation":{"school":"郑州市第一中学","comment":"品学兼优，团结同学。","written_at":"2021-05-20"},"shixin":false,"integrity":[{"recorded_at":"2020-09-01","kind":"honour","text":"志愿服务时长100小时"},{"recorded_at":"2021-06-10","kind":"honour","text":"考试中遵守考场纪律"}]}



=== TEST 5: I3 a breach of a commitment shows, and no evaluation is null
--- more_headers eval
main::session(1752)
--- request
GET /api/info/evaluation
--- response_body chomp
{"evaluation":null,"shixin":true,"integrity":[{"recorded_at":"2020-08-20","kind":"breach","text":"2020年被录取后未报到"}]}



=== TEST 6: I6 before any change the archive is 未投档
--- more_headers eval
main::session(1750)
--- request
GET /api/info/archive
--- response_body chomp
{"status":"未投档","updated_at":null,"events":[]}



=== TEST 7: I6 the newest change is the status, every change listed newest first
--- more_headers eval
main::session(1751)
--- request
GET /api/info/archive
--- response_body chomp
{"status":"已录取","updated_at":1626100000,"events":[{"at":1626100000,"status":"已录取","batch":"11","batch_name":"本科一批","institution":{"code":"1105","name":"北京大学"},"note":"录取专业：数学类"},{"at":1626000000,"status":"已投档","batch":"11","batch_name":"本科一批","institution":{"code":"1105","name":"北京大学"},"note":null}]}



=== TEST 8: I5 without a bound dynamic password the figures are refused
--- more_headers eval
main::session(1750)
--- request
GET /api/admissions/0000
--- error_code: 403
--- response_body chomp
{"error":"totp_required","message":"绑定动态密码后方可查看往年录取统计"}



=== TEST 9: I5 with a bound dynamic password: the last three years per batch and track, newest first
--- more_headers eval
main::session(1753)
--- request
GET /api/admissions/0000
--- response_body chomp
{"institution":{"code":"0000","name":"测试学院"},"figures":[{"year":2020,"batch":"本科一批","track":"文","min_score":580,"avg_score":585.0,"min_rank":900},{"year":2020,"batch":"本科一批","track":"理","min_score":550,"avg_score":560.0,"min_rank":6000},{"year":2019,"batch":"本科一批","track":"理","min_score":545,"avg_score":552.5,"min_rank":7000},{"year":2018,"batch":"本科一批","track":"理","min_score":540,"avg_score":551.0,"min_rank":8000}],"source":"t"}



=== TEST 10: I5 a catalog institution is named from the catalog; the demo figures are 2018-2020
--- more_headers eval
main::session(1753)
--- request
GET /api/admissions/1105
--- response_body_like chomp
^\{"institution":\{"code":"1105","name":"北京大学"\},"figures":\[\{"year":2020,"batch":"本科一批","track":"文",.*\{"year":2018,"batch":"本科一批","track":"理","min_score":6\d\d,[^}]*\}\],"source":"[^"]+"\}$



=== TEST 11: I5 an unknown or malformed institution code is not found
--- more_headers eval
main::session(1753)
--- request eval
[ "GET /api/admissions/0001x", "GET /api/admissions/105",
  "GET /api/admissions/abcd", "GET /api/admissions/$::NONE" ]
--- error_code eval
[ (404) x 4 ]
--- response_body eval
[ (qq({"error":"not_found","message":"没有这所院校"})) x 4 ]



=== TEST 12: I4 the groups whose application holds a directed plan, with the deadline three days after the close
--- more_headers eval
main::session(1760)
--- request
GET /api/pledge
--- response_body eval
qq({"pledges":[{"group":"11","batch":"11","batch_name":"本科一批","directed":"免费医学定向","deadline":$::DEADLINE}]})



=== TEST 13: I4 no directed plan in the application: no pledge letter
--- more_headers eval
main::session(1761)
--- request
GET /api/pledge
--- response_body chomp
{"pledges":[]}



=== TEST 14: I4 an abandoned group needs no pledge letter
--- more_headers eval
main::session(1762)
--- request
GET /api/pledge
--- response_body chomp
{"pledges":[]}



=== TEST 15: I4 the pledge letter: identity, the directed choices only, the deadline
--- more_headers eval
main::session(1760)
--- request
GET /api/pledge/11
--- response_body eval
qq({"candidate":{"exam_no":"$::C[1760]{exam_no}","name":"$::C[1760]{name}","gender":"F","id_no":"$::C[1760]{id_no}","county_code":"410102"},"group":"11","batch":"11","batch_name":"本科一批","checksum":"chk1760","saved_at":170000001,"closes_at":$::CLOSES,"deadline":$::DEADLINE,"choices":[{"institution":{"code":"$::INST","name":"$::NAME{i}"},"major":{"code":"$::DMAJOR","name":"$::NAME{d}"},"directed":"免费医学定向"}]})



=== TEST 16: I4 R5 another candidate's pledge letter is not found, like none at all
--- more_headers eval
main::session(1761)
--- request eval
[ "GET /api/pledge/11", "GET /api/pledge/12", "GET /api/pledge/1x" ]
--- error_code eval
[ (404) x 3 ]
--- response_body eval
[ (qq({"error":"not_found","message":"没有需要打印的承诺书"})) x 3 ]



=== TEST 17: I4 an abandoned group's pledge letter is not found
--- more_headers eval
main::session(1762)
--- request
GET /api/pledge/11
--- error_code: 404
--- response_body chomp
{"error":"not_found","message":"没有需要打印的承诺书"}



=== TEST 18: I1 R5 another candidate cannot mark 1760's pledge reminder read (the next block finds it unread)
--- more_headers eval
main::session(1761)
--- request eval
"POST /api/mailbox/$::MSG/read"
--- error_code: 404
--- response_body chomp
{"error":"not_found","message":"没有这封邮件"}



=== TEST 19: I4 the save of a directed plan left a reminder naming the deadline
--- more_headers eval
main::session(1760)
--- request
GET /api/mailbox
--- response_body_like eval
my $d = main::psql("select heao.beijing_text(to_timestamp($::DEADLINE))");
qr/^\{"unread":1,"messages":\[\{"id":\d+,"kind":"pledge","title":"请打印免费医学定向承诺书","body":"您在【本科一批】填报了免费医学定向志愿，请在浏览志愿页面点击“打印承诺书”，打印并签字后于\Q$d\E（北京时间）前交报名所在地县（市、区）招生考试机构。","created_at":\d+,"read":false\}\]\}$/



=== TEST 20: I4 an ordinary save leaves no reminder
--- more_headers eval
main::session(1761)
--- request
GET /api/mailbox
--- response_body chomp
{"unread":0,"messages":[]}



=== TEST 21: I7 the entry page is public: published announcements and notes, not withdrawn or future ones
--- request
GET /api/entry
--- response_body_like eval
qr/^\{"now":\d+,"announcements":\[\{"id":$::ANN,"title":"测试公告甲","body":"正文甲","published_at":\d+\}(?:,\{[^]]*)?\],"notes":\[\{"id":$::NOTE,"title":"测试注意事项","body":"","published_at":\d+\}(?:,\{[^]]*)?\],"open_batches":\[\{"code":"1A","name":"本科提前批（军事院校）","opens_at":\d+,"closes_at":\d+\},/



=== TEST 22: I7 withdrawn and future items are not on the entry page
--- request
GET /api/entry
--- response_body_unlike
测试公告乙|测试公告丙



=== TEST 23: I5 an average score is sent as the one decimal it has (634.6, not 634.60000000000002)
--- more_headers eval
main::session(1753)
--- request
GET /api/admissions/0004
--- response_body chomp
{"institution":{"code":"0004","name":"测试学院二"},"figures":[{"year":2020,"batch":"本科一批","track":"理","min_score":630,"avg_score":634.6,"min_rank":1200},{"year":2019,"batch":"本科一批","track":"理","min_score":600,"avg_score":600.3,"min_rank":2500},{"year":2018,"batch":"本科一批","track":"理","min_score":512,"avg_score":512.7,"min_rank":9900}],"source":"t"}
