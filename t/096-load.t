# O4: tools/heao-admin load-catalog (and load-roster with the sample of
# docs/) against the test database and the portal of tools/test
# (HEAO_HTTP_PORT): a file with refused rows is reported line by line and
# loads nothing; a good file replaces the batches it names in one
# transaction, is audited with who and why, and the portal serves it
# within seconds (B6).  Batch and group L6, which this suite adds and
# removes; no test candidate (the roster sample's exam numbers are
# 2141960000000N, removed after).

use strict;
use warnings;

use FindBin;
use lib $FindBin::Bin;

use Test::More;
use Time::HiRes qw(time sleep);
use HeaoTest;
use HeaoFault;

plan skip_all => 'needs the portal of tools/test (HEAO_HTTP_PORT)'
    unless $ENV{HEAO_HTTP_PORT};

my $PG_PORT = $ENV{TEST_NGINX_PG_PORT} || 15433;
$ENV{HEAO_PG} = "host=127.0.0.1 port=$PG_PORT dbname=heao user=heao";

my $TOP = "$FindBin::Bin/..";
my $ADMIN = "$TOP/tools/heao-admin";
my $DIR = "/tmp/heao-096.$$";
my $LIMIT = 15;             # two heao_catalog_refresh of the portal, and some
my $HEADER = 'batch,inst_code,inst_name,province,ownership,major_code,'
             . 'major_name,class,plan,tuition,years,restrictions,note,'
             . "major_group\n";


sub admin {
    my @args = @_;

    open(my $fh, '-|', "$ADMIN @{[ map { qq('$_') } @args ]} 2>&1")
        or die "$ADMIN: $!";
    local $/;
    my $out = <$fh> // '';
    close $fh;

    return ($? >> 8, $out);
}


sub file {
    my ($name, @lines) = @_;

    open(my $fh, '>', "$DIR/$name") or die "$DIR/$name: $!";
    print $fh $HEADER, map { "$_\n" } @lines;
    close $fh;

    return "$DIR/$name";
}


sub clean {
    psql(q{
        begin;
        set local heao.purge = on;
        delete from heao.batch where code = 'L6';
        delete from heao.batch_group where code = 'L6';
        delete from heao.candidate where exam_no like '2141960000000%';
        delete from heao.admin_audit
         where subject in ('bad.csv', 'good.csv', 'again.csv', 'short.csv',
                           'sample.csv', 'roster-sample.csv');
        commit;});
    return;
}


# the portal's lookup of an institution of L6: the body, or the status
sub lookup {
    my ($code) = @_;
    my ($status, $head, $body) = request('GET', "/api/catalog/L6/$code");

    return $status == 200 ? $body : "status $status";
}


sub served_within {
    my ($code, $re, $limit) = @_;
    my $start = time();

    while (time() - $start < $limit) {
        my $ok = 1;

        # both workers of the portal: a few answers in a row
        for (1 .. 6) {
            $ok &&= lookup($code) =~ $re;
        }

        return time() - $start if $ok;
        sleep 0.5;
    }

    return undef;
}


mkdir $DIR or die "$DIR: $!";
clean();
END { clean(); system('rm', '-rf', $DIR) if $DIR }

psql(q{
    begin;
    insert into heao.batch_group (code, name) values ('L6', '测试装载组');
    insert into heao.batch (code, name, group_code, opens_at, closes_at,
                            candidate_types, shape, sort)
    values ('L6', '测试装载批', 'L6', now() - interval '1 day',
            now() + interval '7 days', '{对口}',
            '{"sections": [{"title": "平行志愿", "kind": "parallel",
               "slots": 6, "majors": 4, "adjust": true}]}', 997);
    commit;});

my ($rc, $out);

# ---- refused rows: each reported, nothing loaded ----------------------

my $bad = file('bad.csv',
    'L6,0999,测试学院,河南省,公办,01,会计,,3,4000,,,,',
    'ZZ,0999,测试学院,河南省,公办,01,会计,,3,4000,,,,',
    'L6,999,测试学院,河南省,公办,01,会计,,3,4000,,,,',
    'L6,0999,别的学院,河南省,公办,03,会计,,3,4000,,,,',
    'L6,0999,测试学院,河南省,公办,1,会计,,3,4000,,,,',
    'L6,0999,测试学院,河南省,公办,04,会计,arts,3,4000,,,,',
    'L6,0999,测试学院,河南省,公办,05,会计,,many,4000,,,,',
    'L6,0999,测试学院,河南省,公办,06,会计,,3,4000,,"{""gender"": ""X""}",,',
    'L6,0999,测试学院,河南省,公办,07,会计,,3,4000,,{not json,,',
    'L6,0999,测试学院,河南省,公办,01,会计,,3,4000,,,,',
    'L6,0999,测试学院,河南省,国有,08,会计,,3,4000,,,,',
    'L6,1001,测试专科学校,河南省,民办,,会计,,,,,,,',
    'L6,0999,测试学院,河南省,公办,09,会计,,3,4000,,,,1a',
    'L6,0999,测试学院,河南省,公办,10,会计,,3,4000,9,,,');

($rc, $out) = admin('load-catalog', $bad, '--by', 'op-li', '--why', 'test');
is($rc, 1, 'O4 load-catalog refuses a file with bad rows');
is(join("\n", grep { /^line / } split /\n/, $out), join("\n",
   'line 3: unknown batch ZZ',
   'line 4: institution code must be 4 digits',
   'line 5: institution differs from line 2',
   'line 6: major code must be 2 digits',
   'line 7: class must be ordinary, higher_tuition, medical, agri_mining'
   . ' or ethnic',
   'line 8: plan must be a whole number',
   'line 9: gender must be "M" or "F"',
   'line 10: restrictions are not JSON',
   'line 11: major 01 repeats line 2',
   'line 12: ownership must be 公办, 民办 or 中外合作办学',
   'line 13: major fields without a major code',
   'line 14: major group must be 1 to 4 digits or capitals',
   'line 15: years must be 1 to 8'),
   'O4 each refused row by its line and why, the good one not');
like($out, qr/13 rows refused, nothing loaded/, 'O4 it says nothing loaded');
is(psql(q{select count(*) from heao.institution where batch_code = 'L6'}),
   0, 'O4 nothing of the file is in the catalog');
is(psql(q{select count(*) from heao.admin_audit where subject = 'bad.csv'}),
   0, 'O4 a refused load changes nothing, so it is not audited');

my $short = file('short.csv', 'L6,0999,测试学院');
($rc, $out) = admin('load-catalog', $short, '--by', 'op-li', '--why', 'test');
is($rc, 1, 'O4 a row with missing columns refuses the file');
like($out, qr/missing data for column "province".*line 2/s,
     'O4 PostgreSQL names the column and the line');

($rc, $out) = admin('load-catalog', $bad);
is($rc, 1, 'O4 load-catalog without --by is refused');

# ---- a good file: loaded, audited, served -----------------------------

my $good = file('good.csv',
    'L6,0999,测试学院,河南省,公办,01,会计,,3,4000,,,,',
    'L6,0999,测试学院,河南省,公办,02,"护理, 助产",medical,5,6000,3,'
    . '"{""gender"": ""F""}",五年一贯制,',
    'L6,1001,测试专科学校,河南省,民办,,,,,,,,,');

($rc, $out) = admin('load-catalog', $good, '--by', 'op-li',
                    '--why', '2021 对口 catalog');
my $v = psql('select heao.catalog_version()');
is($rc, 0, 'O4 load-catalog loads a good file');
is($out, "loaded 2 institutions and 2 majors into L6; catalog version $v\n",
   'O4 it says what it loaded and the new version');
is(psql(q{select string_agg(concat_ws('|', inst_code, code, name, class,
                                      plan, tuition, years, restrictions,
                                      note), ';' order by inst_code, code)
            from heao.major where batch_code = 'L6'}),
   '0999|01|会计|ordinary|3|4000|4|{}'
   . ';0999|02|护理, 助产|medical|5|6000|3|{"gender": "F"}|五年一贯制',
   'O4 the majors as the file gave them, quoted commas and JSON kept');
is(psql(q{select string_agg(code || '|' || name || '|' || ownership, ';'
                            order by code)
            from heao.institution where batch_code = 'L6'}),
   '0999|测试学院|公办;1001|测试专科学校|民办',
   'O4 an institution without majors is loaded too');
is(psql(q{select actor || '|' || reason || '|' || command || '|'
                 || (detail - 'version')::text
            from heao.admin_audit where subject = 'good.csv'}),
   'op-li|2021 对口 catalog|load-catalog|{"majors": 2, "batches": ["L6"],'
   . ' "institutions": 2}',
   'O4 the load is audited with who, why and what');

my $t = served_within('0999',
    qr/^\{"batch":"L6","code":"0999","name":"测试学院","majors":\[\{"code":"01","name":"会计","class":"ordinary","restrictions":\{\}\},\{"code":"02","name":"护理, 助产","class":"medical","restrictions":\{"gender":"F"\}\}\]\}$/,
    $LIMIT);
ok(defined $t, "B6 O4 the portal serves the loaded catalog within $LIMIT s");

# ---- a second load replaces the batch as a whole ----------------------

my $again = file('again.csv',
    'L6,1001,测试专科学校,河南省,民办,01,学前教育,,20,3500,3,,,');

($rc, $out) = admin('load-catalog', $again, '--by', 'op-li',
                    '--why', 'corrected plan');
is($rc, 0, 'O4 a second load runs');
is(psql(q{select string_agg(inst_code || code, ',')
            from heao.major where batch_code = 'L6'}),
   '100101', 'O4 it replaced the batch: 0999 is gone, 1001 has its major');
ok(defined served_within('0999', qr/^status 404$/, $LIMIT),
   'B6 the portal stops serving the institution that went');

# ---- the samples of docs/ ---------------------------------------------

open(my $in, '<', "$TOP/docs/catalog-sample.csv") or die $!;
my @sample = <$in>;
close $in;
shift @sample;
chomp @sample;
s/^60,/L6,/ for @sample;

($rc, $out) = admin('load-catalog', file('sample.csv', @sample),
                    '--by', 'op-li', '--why', 'the sample');
is($rc, 0, 'O4 docs/catalog-sample.csv loads (into L6 here)');
like($out, qr/^loaded 2 institutions and 5 majors into L6;/,
     'O4 the sample holds two institutions and five majors');

($rc, $out) = admin('load-roster', "$TOP/docs/roster-sample.csv",
                    '--by', 'op-li', '--why', 'the sample');
is($rc, 0, 'O4 docs/roster-sample.csv loads');
like($out, qr/^loaded 2, rejected 0$/m, 'O4 both candidates of it');
is(psql(q{select string_agg(exam_no || ctype, ',' order by exam_no)
            from heao.candidate where exam_no like '2141960000000%'}),
   '21419600000001普通,21419600000002对口',
   'O4 with the candidate types the sample gives');

done_testing();
