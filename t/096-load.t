# O4: tools/heao-admin load-catalog (and load-roster with the sample of
# docs/) against the test database and the portal of tools/test
# (HEAO_HTTP_PORT): a file with refused rows is reported line by line and
# loads nothing; a good file replaces the batches it names in one
# transaction, is audited with who and why, and the portal serves it
# within seconds (B6); a load that would take away an institution or a
# major that a saved application names is refused unless forced, a
# rename of one is reported.  Batch and group L6, which this suite adds
# and removes; test candidates 1260-1262 save in L6 (the roster sample's
# exam numbers are 2141960000000N, the roster tests' 214196000001NN,
# removed after).

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
$ENV{HEAO_REDIS} = '127.0.0.1:' . ($ENV{TEST_NGINX_REDIS_PORT} || 16380);

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
    reset_candidate($_) for 1260 .. 1262;
    psql(q{
        begin;
        set local heao.purge = on;
        delete from heao.batch where code = 'L6';
        delete from heao.batch_group where code = 'L6';
        delete from heao.candidate where exam_no like '2141960000000%'
            or exam_no between '21419600000150' and '21419600000249';
        delete from heao.admin_audit
         where subject in ('bad.csv', 'good.csv', 'again.csv', 'short.csv',
                           'sample.csv', 'roster-sample.csv', 'r-bad.csv',
                           'r-good.csv', 'r-again.csv', 'r-empty.csv',
                           'r-head.csv', 'r-short.csv', 'r-header.csv',
                           'held.csv', 'drop.csv', 'rename.csv');
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
is(join("\n", (split /\n/, $out)[-2, -1]), "line 15: years must be 1 to 8\n"
   . 'heao-admin: 13 rows refused, nothing loaded',
   'O4 it ends saying nothing loaded, in one line without psql\'s ERROR');
is(psql(q{select count(*) from heao.institution where batch_code = 'L6'}),
   0, 'O4 nothing of the file is in the catalog');
is(psql(q{select count(*) from heao.admin_audit where subject = 'bad.csv'}),
   0, 'O4 a refused load changes nothing, so it is not audited');

my $short = file('short.csv', 'L6,0999,测试学院');
($rc, $out) = admin('load-catalog', $short, '--by', 'op-li', '--why', 'test');
is($rc, 1, 'O4 a row with missing columns refuses the file');
is($out, "heao-admin: line 2: missing data for column \"province\"\n",
   'O4 PostgreSQL\'s reason, with the line, in one line');

($rc, $out) = admin('load-catalog', $bad);
is($rc, 2, 'O4 load-catalog without --by is a usage error');

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

# ---- codes that saved applications name --------------------------------

($rc, $out) = admin('load-catalog', file('held.csv',
    'L6,1001,测试专科学校,河南省,民办,01,学前教育,,20,3500,3,,,',
    'L6,1001,测试专科学校,河南省,民办,02,会计,,10,3500,3,,,',
    'L6,1002,测试职业学院,河南省,公办,01,护理,,10,3000,3,,,',
    'L6,1003,测试技术学院,河南省,公办,01,机电,,10,3000,3,,,'),
    '--by', 'op-li', '--why', 'held');
is($rc, 0, 'O4 a catalog for the saves below loads');

# 1260 names 1001 (01, 02) and 1002 (01), 1261 names 1001 (01) and 1002
# (01), 1262 named 1003 (01) and abandoned it
my %slots = (
    1260 => [ [ '1001', '01', '02' ], [ '1002', '01' ] ],
    1261 => [ [ '1001', '01' ], [ '1002', '01' ] ],
    1262 => [ [ '1003', '01' ] ]);

for my $t (sort keys %slots) {
    my $c = candidate($t);
    my $content = json_of({ sections => [ { slots => [
        map { { institution => $_->[0], majors => [ @$_[1 .. $#$_] ],
                adjust => 'agree' } } @{ $slots{$t} } ] } ] });

    like(psql(qq{select heao.save_application(
        (select id from heao.candidate where exam_no = '$c->{exam_no}'),
        'L6', '00000000-0000-4000-a000-00000000$t', '$content', 'summary',
        '00000000000000000000', extract(epoch from now()), '127.0.0.1',
        'test')}), qr/"status"\s*:\s*"saved"/, "O4 candidate $t saves in L6");
}

like(psql(q{select heao.abandon_group(id, 'L6', null, null)
              from heao.candidate where exam_no = '21419900001262'}),
     qr/"status"\s*:\s*"done"/, 'O4 candidate 1262 abandons L6');

my $drop = file('drop.csv',
    'L6,1001,测试专科学校,河南省,民办,01,学前教育,,20,3500,3,,,');
my $before = psql(q{select string_agg(inst_code || code, ','
                                      order by inst_code, code)
                      from heao.major where batch_code = 'L6'});

($rc, $out) = admin('load-catalog', $drop, '--by', 'op-li', '--why', 'drop');
is($rc, 1, 'O4 load-catalog refuses to take away codes that saved'
           . ' applications name');
is(join("\n", grep { !/^heao-admin: / } split /\n/, $out), join("\n",
   'L6 1001 02 会计: not in the file; the saved applications of 1'
   . ' candidate name it',
   'L6 1002 测试职业学院: not in the file; the saved applications of 2'
   . ' candidates name it'),
   'O4 each code by batch, institution and major, with its name and how'
   . ' many hold it; not 1003, which only an abandoned application named');
like($out, qr/^\Qheao-admin: the saved applications of 2 candidates name 2\E
              \Q codes the file drops, nothing loaded; --force loads it all\E
              \Q the same\E$/mx,
     'O4 it says nothing loaded and how to load all the same');
is(psql(q{select string_agg(inst_code || code, ',' order by inst_code, code)
            from heao.major where batch_code = 'L6'}),
   $before, 'O4 the catalog of L6 is as it was');
is(psql(q{select count(*) from heao.admin_audit where subject = 'drop.csv'}),
   0, 'O4 the refused load is not audited');

($rc) = admin('window', 'L6', 'close', '--force', '--by', 'op-li',
              '--why', 'force');
is($rc, 2, 'O4 --force belongs to load-catalog only');

($rc, $out) = admin('load-catalog', $drop, '--force', '--by', 'op-li',
                    '--why', 'drop all the same');
my $dv = psql('select heao.catalog_version()');
is($rc . "\n" . $out, "0\n"
   . 'warning: L6 1001 02 会计: not in the file; the saved applications of'
   . " 1 candidate name it\n"
   . 'warning: L6 1002 测试职业学院: not in the file; the saved applications'
   . " of 2 candidates name it\n"
   . "loaded 1 institutions and 1 majors into L6; catalog version $dv\n",
   'O4 --force loads it, each code that went a warning');
is(psql(q{select string_agg(inst_code || code, ',') from heao.major
           where batch_code = 'L6'}),
   '100101', 'O4 the file is the catalog of L6 now');
is(psql(q{select (detail - 'version')::text from heao.admin_audit
           where subject = 'drop.csv'}),
   '{"forced": true, "majors": 1, "batches": ["L6"], "dropped": 2,'
   . ' "institutions": 1, "dropped_candidates": 2}',
   'O4 the audit says it was forced, what went and from how many');

# 1002 and 1001 02 are gone already: only what the catalog has counts
($rc, $out) = admin('load-catalog', file('rename.csv',
    'L6,1001,测试专科学校（新校区）,河南省,民办,01,学前教育（师范）,,20,3500,'
    . '3,,,'), '--by', 'op-li', '--why', 'renamed');
my $rv = psql('select heao.catalog_version()');
is($rc . "\n" . $out, "0\n"
   . 'warning: L6 1001 测试专科学校 -> 测试专科学校（新校区）: the saved'
   . " applications of 2 candidates show the new name\n"
   . 'warning: L6 1001 01 学前教育 -> 学前教育（师范）: the saved'
   . " applications of 2 candidates show the new name\n"
   . "loaded 1 institutions and 1 majors into L6; catalog version $rv\n",
   'O4 a rename of a code saved applications name loads, with a warning'
   . ' for each: old name, new name, how many');
is(psql(q{select (detail - 'version')::text from heao.admin_audit
           where subject = 'rename.csv'}),
   '{"majors": 1, "batches": ["L6"], "renamed": 2, "institutions": 1,'
   . ' "renamed_candidates": 2}',
   'O4 the audit counts the renamed codes and their candidates');

reset_candidate($_) for 1260 .. 1262;

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

# ---- load-roster: CSV through COPY, all rows checked, all or nothing --

# an ID number of 1999-01-01 in 西工区 with sequence 15N, and its check
sub id_no {
    my ($n) = @_;
    my $id17 = '41030319990101' . sprintf('%03d', 150 + $n);

    return $id17 . HeaoTest::check_char($id17);
}


sub roster {
    my ($name, @lines) = @_;

    open(my $fh, '>', "$DIR/$name") or die "$DIR/$name: $!";
    print $fh map { "$_\n" } @lines;
    close $fh;

    return "$DIR/$name";
}


my $RH = 'exam_no,id_no,name,track,county_code,ctype';
my $wrong = substr(id_no(3), 0, 17)
            . (substr(id_no(3), 17) eq '0' ? '1' : '0');

my $rbad = roster('r-bad.csv', $RH,
    '21419600000150,' . id_no(0) . ',王小明,理,410102,',
    '21419600000151,' . id_no(1) . ',"欧阳,晓红",文,410303,对口',
    '21419600000150,' . id_no(2) . ',赵二,文,410102,',
    "21419600000153,$wrong,赵三,文,410102,",
    '21419600000154,' . id_no(4) . ',赵四,数,410102,',
    '21419600000155,' . id_no(5) . ',赵五,理,110101,',
    '21419600000156,' . id_no(6) . ',赵六,理,410102,杂技',
    '21419600000157,' . id_no(0) . ',赵七,理,410102,',
    '21419600000001,' . id_no(8) . ',赵八,理,410102,',
    '2141960000159,' . id_no(9) . ',赵九,理,410102,');

($rc, $out) = admin('load-roster', $rbad, '--by', 'op-li', '--why', 'test');
is($rc, 1, 'O4 load-roster refuses a file with bad rows');
is(join("\n", grep { /^line / } split /\n/, $out), join("\n",
   'line 3: 21419600000151 rejected: name must be 2 to 20 Chinese'
   . ' characters, parts joined by ·',
   'line 4: 21419600000150 rejected: exam number repeats line 2',
   'line 5: 21419600000153 rejected: bad ID number: wrong check character',
   'line 6: 21419600000154 rejected: track must be 文 or 理',
   'line 7: 21419600000155 rejected: county code 110101 is not a Henan'
   . ' county',
   'line 8: 21419600000156 rejected: candidate type 杂技 is not one a'
   . ' batch admits',
   'line 9: 21419600000157 rejected: ID number repeats line 2',
   'line 10: 21419600000001 rejected: already on the roster',
   'line 11: 2141960000159 rejected: exam number must be 14 digits, the'
   . ' 3rd and 4th 41'),
   'O4 each refused row by its line and why: a quoted comma stays in the'
   . ' name, a repeat names the first line');
is((split /\n/, $out)[-1], 'heao-admin: 9 rows refused, nothing loaded',
   'O4 it ends saying nothing loaded, in one line without psql\'s ERROR');
is(psql(q{select count(*) from heao.candidate
           where exam_no between '21419600000150' and '21419600000249'}),
   0, 'O4 not even the good row of a refused file is loaded');
is(psql(q{select count(*) from heao.admin_audit where subject = 'r-bad.csv'}),
   0, 'O4 a refused roster changes nothing, so it is not audited');

my $rgood = roster('r-good.csv', $RH,
    '21419600000150,' . lc(id_no(0)) . ',王小明,理,410102,',
    '"21419600000151","' . id_no(1) . '","欧阳·晓红","文","410303",'
    . '"对口"',
    '21419600000152,' . id_no(2) . ', 赵二 ,文,419001,');

($rc, $out) = admin('load-roster', $rgood, '--by', 'op-li',
                    '--why', 'roster 2021');
is($rc, 0, 'O4 load-roster loads a good file');
my @pw = $out =~ /^(2141960000015[0-2]) (Heao[0-9]{1,8}!)$/mg;
is(scalar(@pw), 6, 'O4 it prints an office-set password for each of three')
    or diag($out);
like($out, qr/\nloaded 3, rejected 0\n\z/, 'O4 then what it loaded');
is(psql(q{select string_agg(concat_ws('|', exam_no, id_no, name, gender,
                                      birth, track, county_code, ctype,
                                      pw_office_set), ';' order by exam_no)
            from heao.candidate
           where exam_no between '21419600000150' and '21419600000249'}),
   join(';', '21419600000150|' . id_no(0) . '|王小明|F|1999-01-01|理|410102'
             . '|普通|t',
             '21419600000151|' . id_no(1) . '|欧阳·晓红|M|1999-01-01|文'
             . '|410303|对口|t',
             '21419600000152|' . id_no(2) . '|赵二|F|1999-01-01|文|419001'
             . '|普通|t'),
   'O4 the candidates as the file gave them: quoted fields unquoted,'
   . ' trimmed, gender and birth from the ID number');
is(psql(q{select actor || '|' || reason || '|' || command || '|'
                 || detail::text
            from heao.admin_audit where subject = 'r-good.csv'}),
   'op-li|roster 2021|load-roster|{"loaded": 3, "rejected": 0}',
   'O4 the load is audited with who, why and the count');

my $agn = roster('r-again.csv', 'exam_no,id_no,name,track,county_code',
    '21419600000153,' . id_no(3) . ',赵三,文,410102',
    '21419600000151,' . id_no(4) . ',欧阳·晓红,文,410303',
    '21419600000154,' . id_no(2) . ',赵四,文,410102');
($rc, $out) = admin('load-roster', $agn, '--by', 'op-li', '--why', 'again');
is($rc . "\n" . join("\n", grep { /^line / } split /\n/, $out),
   "1\nline 3: 21419600000151 rejected: already on the roster\n"
   . 'line 4: 21419600000154 rejected: ID number already on the roster',
   'O4 an exam number or ID number already on the roster is refused, not'
   . ' updated (five columns, no ctype)');

my $one = roster('r-one.csv', 'exam_no,id_no,name,track,county_code',
    '21419600000151,' . id_no(4) . ',欧阳·晓红,文,410303');
($rc, $out) = admin('load-roster', $one, '--by', 'op-li', '--why', 'one');
is($rc . "\n" . (split /\n/, $out)[-1],
   "1\nheao-admin: 1 row refused, nothing loaded",
   'O4 a file with one refused row says "1 row", not "1 rows"');
is(psql(q{select count(*) from heao.candidate
           where exam_no = '21419600000153'}),
   0, 'O4 and its good row is not loaded either');

my $pw_before = psql(q{select pw_hash from heao.candidate
                        where exam_no = '21419600000151'});
($rc, $out) = admin('load-roster', roster('r-empty.csv'), '--by', 'op-li',
                    '--why', 'empty');
is($rc . ' ' . $out, "1 heao-admin: $DIR/r-empty.csv is empty: no header"
   . " line, nothing loaded\n", 'O4 an empty file is refused');
($rc, $out) = admin('load-roster', roster('r-head.csv', $RH), '--by',
                    'op-li', '--why', 'header only');
is($rc . ' ' . $out, "1 heao-admin: no rows, nothing loaded\n",
   'O4 a header without rows is refused: it says there were no rows');
($rc, $out) = admin('load-roster', roster('r-header.csv',
                    'exam_no,name,id_no,track,county_code',
                    '21419600000155,赵五,' . id_no(5) . ',文,410102'),
                    '--by', 'op-li', '--why', 'columns swapped');
is($rc . ' ' . $out, '1 heao-admin: line 1: the header must be'
   . " exam_no,id_no,name,track,county_code[,ctype]; nothing loaded\n",
   'O4 a header naming other columns is refused');
($rc, $out) = admin('load-roster', roster('r-short.csv', $RH,
                    '21419600000155,' . id_no(5) . ',赵五,文,410102,',
                    '21419600000156,' . id_no(6) . ',赵六'),
                    '--by', 'op-li', '--why', 'short');
is($rc . ' ' . $out,
   "1 heao-admin: line 3: missing data for column \"track\"\n",
   'O4 a row with missing columns refuses the roster, naming the line');
my $slash = roster('r\\short.csv', $RH,
                   '21419600000155,' . id_no(5) . ',赵五,文,410102,');
($rc, $out) = admin('load-roster', $slash, '--by', 'op-li', '--why', 'slash');
is($rc . ' ' . $out, "2 heao-admin: the file name \"$slash\" has a"
   . " backslash, which psql's \\copy cannot take: rename the file\n",
   'O4 a file name psql\'s \\copy cannot take is a usage error');
is(psql(q{select count(*) from heao.candidate
           where exam_no between '21419600000150' and '21419600000249'})
   . ' ' . psql(q{select pw_hash from heao.candidate
                   where exam_no = '21419600000151'}),
   "3 $pw_before", 'O4 the refused loads changed no candidate');
is(psql(q{select count(*) from heao.admin_audit
           where command = 'load-roster'
             and subject in ('r-again.csv', 'r-empty.csv', 'r-head.csv',
                             'r-short.csv', 'r-header.csv')}),
   0, 'O4 and wrote no audit row');

done_testing();
