package HeaoTest;

# Fixtures the heao suites share: the nginx configuration of the module
# against the test backends, the test candidates of the demo year (the
# formulas are in tools/gen-demo), sessions made ready in Redis, and
# direct reads of PostgreSQL to check what a request left behind.
#
# The backends are the ones tools/test starts; their ports come from
# TEST_NGINX_PG_PORT and TEST_NGINX_REDIS_PORT.

use strict;
use warnings;
use Exporter 'import';
use Digest::SHA qw(sha256_hex hmac_sha256_hex);
use JSON::PP ();
use Time::HiRes ();
use IO::Socket::INET;
use FindBin ();

our @EXPORT = qw(heao_defaults candidate reset_candidate session psql
                 redis checksum json_of heao_http_config heao_main_config
                 http_post);
our @EXPORT_OK = qw(admin admin_err);

my $PG_PORT = $ENV{TEST_NGINX_PG_PORT} || 15433;
my $REDIS_PORT = $ENV{TEST_NGINX_REDIS_PORT} || 16380;
my $SESSION_SECONDS = 1200;
my $TEST_PASSWORD = 'Test@2021!';
my @DIGITS = qw(零 一 二 三 四 五 六 七 八 九);

# the suites compare bytes: strings stay UTF-8 bytes throughout
our $JSON = JSON::PP->new->canonical;


sub heao_main_config {
    return "thread_pool heao_kdf threads=2 max_queue=64;\n";
}


sub heao_http_config {
    my (%opt) = @_;
    my $extra = $opt{extra} // '';
    my $limit = $opt{login_limit} // '5 15m 1000';
    my $captcha = $opt{captcha} // 'off';
    my $captcha_limit = $opt{captcha_limit} // '1000 1m';

    # make test-asan: a slow build (a fresh worker loading the catalog
    # under ASan) gets longer backend timeouts, unless the block sets them
    for my $d ('heao_redis_command_timeout', 'heao_pg_query_timeout') {
        $extra .= "    $d $ENV{TEST_NGINX_HEAO_SLOW};\n"
            if $ENV{TEST_NGINX_HEAO_SLOW} && $extra !~ /\b$d\b/;
    }

    return <<"EOT";
    heao_pg "host=127.0.0.1 port=$PG_PORT dbname=heao user=heao";
    heao_redis 127.0.0.1:$REDIS_PORT;
    heao_kdf_thread_pool heao_kdf;
    heao_kdf_opslimit 1;
    heao_kdf_memlimit 1m;
    heao_secret_file $ENV{TEST_NGINX_SECRET_FILE};
    heao_captcha $captcha;
    heao_login_limit $limit;
    heao_captcha_limit $captcha_limit;
$extra
EOT
}


# every block gets the module against the test backends unless it says
# otherwise, and the api under /api/
sub heao_defaults {
    Test::Nginx::Socket::add_block_preprocessor(sub {
        my $block = shift;

        $block->set_value('main_config', heao_main_config())
            unless defined $block->main_config;
        $block->set_value('http_config', heao_http_config())
            unless defined $block->http_config;
        $block->set_value('config', "location /api/ { heao; }\n")
            unless defined $block->config;
        $block->set_value('no_error_log', "[error]\n[alert]\n[crit]\n")
            unless defined $block->no_error_log
                || defined $block->error_log;
    });
}


# test candidate T (1..2000) of tools/gen-demo
sub candidate {
    my ($t) = @_;
    my $d = ($t - 1) % 1000;
    my $k = int(($t - 1) / 1000);
    my ($y, $m, $day) = add_days(2001, 6, 1, $d);
    my $id17 = sprintf('410102%04d%02d%02d99%d', $y, $m, $day,
                       2 * $k + $t % 2);

    return {
        exam_no => '2141990000' . sprintf('%04d', $t),
        id_no => $id17 . check_char($id17),
        password => $TEST_PASSWORD,
        name => '测试' . join('', map { $DIGITS[$_] } split //, $t),
    };
}


sub add_days {
    my ($y, $m, $d, $n) = @_;
    my @len = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31);

    while ($n-- > 0) {
        my $ml = $len[$m - 1]
                 + ($m == 2 && ($y % 4 == 0 && ($y % 100 || $y % 400 == 0)));
        $d++;
        if ($d > $ml) { $d = 1; $m++ }
        if ($m > 12) { $m = 1; $y++ }
    }

    return ($y, $m, $d);
}


sub check_char {
    my ($id17) = @_;
    my @w = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2);
    my $sum = 0;

    $sum += substr($id17, $_, 1) * $w[$_] for 0 .. 16;

    return substr('10X98765432', $sum % 11, 1);
}


sub psql {
    my ($sql) = @_;
    my @cmd = ('psql', '-X', '-q', '-t', '-A', '-v', 'ON_ERROR_STOP=1',
               '-h', '127.0.0.1', '-p', $PG_PORT, '-U', 'heao', '-d', 'heao',
               '-c', $sql);

    open(my $fh, '-|', @cmd) or die "psql: $!";
    local $/;
    my $out = <$fh>;
    close $fh or die "psql failed: $sql\n";
    $out //= '';
    $out =~ s/\s+\z//;

    return $out;
}


sub redis {
    my @cmd = ('redis-cli', '-h', '127.0.0.1', '-p', $REDIS_PORT, @_);

    open(my $fh, '-|', @cmd) or die "redis-cli: $!";
    local $/;
    my $out = <$fh>;
    close $fh or die "redis-cli failed: @_\n";
    $out //= '';
    $out =~ s/\s+\z//;

    return $out;
}


# removes what earlier runs left for candidate T: saves, state, messages,
# login failures, so that a suite can run again on the same database
sub reset_candidate {
    my ($t) = @_;
    my $c = candidate($t);

    psql(qq{
        begin;
        set local heao.purge = on;
        delete from heao.outbox where candidate_id =
            (select id from heao.candidate where exam_no = '$c->{exam_no}');
        delete from heao.mailbox where candidate_id =
            (select id from heao.candidate where exam_no = '$c->{exam_no}');
        delete from heao.group_state where candidate_id =
            (select id from heao.candidate where exam_no = '$c->{exam_no}');
        delete from heao.save_history where candidate_id =
            (select id from heao.candidate where exam_no = '$c->{exam_no}');
        commit;
    });

    my $id = psql("select id from heao.candidate"
                  . " where exam_no = '$c->{exam_no}'");
    redis('DEL', "heao:lf:e:$c->{exam_no}", "heao:b:$id");

    return $c;
}


# a live session for candidate T, as a login would leave it (with the
# profile the rules read, as it is in PostgreSQL now); returns the request
# headers that carry it
sub session {
    my ($t, %opt) = @_;
    my $c = candidate($t);
    my ($id, $profile) = split /\|/, psql(
        "select id, heao.candidate_profile(id) from heao.candidate"
        . " where exam_no = '$c->{exam_no}'"), 2;
    my $sid = random_token(43);
    my $csrf = $opt{csrf} // random_token(32);
    my $key = 'heao:s:' . sha256_hex($sid);
    my $ends = time() + ($opt{lifetime} // 3600);
    my @fill = $opt{fill} ? ("f:$opt{fill}->[0]", $opt{fill}->[1]) : ();

    redis('HSET', $key, 'c', $id, 'e', $c->{exam_no}, 'n', $c->{name},
          't', $csrf, 'a', $ends, 'p', $profile, @fill);
    redis('HSET', $key, 'm', '1') if $opt{must_change};
    redis('EXPIRE', $key, $SESSION_SECONDS);
    redis('SADD', "heao:cs:$id", $key);

    return "Cookie: heao_sid=$sid\nX-CSRF-Token: $csrf\n";
}


sub random_token {
    my ($len) = @_;
    my @c = ('A' .. 'Z', 'a' .. 'z', '0' .. '9', '-', '_');

    return join '', map { $c[int rand @c] } 1 .. $len;
}


# F15: the checksum a county office recomputes from the canonical text
sub checksum {
    my ($canonical) = @_;

    open(my $fh, '<', $ENV{TEST_NGINX_SECRET_FILE}) or die "secret: $!";
    local $/;
    my $secret = <$fh>;
    close $fh;
    $secret =~ s/[\r\n ]+\z//;

    return substr(hmac_sha256_hex($canonical, $secret), 0, 20);
}


# a POST to the portal that tools/test runs beside the suites (it shares
# their PostgreSQL and Redis); returns the response body
sub http_post {
    my ($path, $body) = @_;
    my $port = $ENV{HEAO_HTTP_PORT} or die "HEAO_HTTP_PORT is not set\n";
    my $sock = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
                                     PeerPort => $port, Timeout => 10)
        or die "connect to the portal: $!\n";

    print $sock "POST $path HTTP/1.1\r\nHost: localhost\r\n"
        . "Connection: close\r\nContent-Type: application/json\r\n"
        . "Content-Length: " . length($body) . "\r\n\r\n" . $body;

    local $/;
    local $SIG{ALRM} = sub { die "the portal did not answer $path\n" };
    alarm 10;
    my $resp = <$sock> // '';
    alarm 0;
    $resp =~ s/\A.*?\r\n\r\n//s;

    return $resp;
}


sub json_of {
    return $JSON->encode($_[0]);
}


# tools/heao-admin with these arguments: its exit status and its stdout
sub admin {
    my @args = @_;
    my $cmd = "$FindBin::Bin/../tools/heao-admin";

    open(my $fh, '-|', $cmd, @args) or die "$cmd: $!";
    local $/;
    my $out = <$fh> // '';
    close $fh;

    return ($? >> 8, $out);
}


# the same, with what it says on stderr as its output
sub admin_err {
    my @args = @_;
    my $cmd = "$FindBin::Bin/../tools/heao-admin";
    my $pid = open(my $fh, '-|') // die "fork: $!";

    if ($pid == 0) {
        open(STDERR, '>&', \*STDOUT) or die "stderr: $!";
        exec($cmd, @args) or die "$cmd: $!";
    }

    local $/;
    my $out = <$fh> // '';
    close $fh;

    return ($? >> 8, $out);
}


1;
