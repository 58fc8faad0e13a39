# O3: the access and error logs never hold a password, a full ID number,
# a session identifier or a CSRF token; the access log of conf/nginx.conf
# names the action, the masked candidate, the result and the backend time.
# Candidates 1220-1229.

use strict;
use warnings;

use FindBin;
use lib $FindBin::Bin;

use File::Temp ();
use Test::Nginx::Socket 'no_plan';
use HeaoTest;

no_shuffle();
heao_defaults();

our @C = map { reset_candidate($_) } 1220 .. 1229;
redis('DEL', 'heao:lf:a:127.0.0.1');

our $DIR = File::Temp::tempdir(CLEANUP => 1);

# the sample format, as an operator copies it from conf/nginx.conf
our $FORMAT = do {
    open(my $fh, '<', "$FindBin::Bin/../conf/nginx.conf") or die $!;
    local $/;
    my $conf = <$fh>;
    $conf =~ /^(\s*log_format heao .*?;)\n/ms
        or die "no log_format heao in conf/nginx.conf\n";
    $1;
};

our $SESSION = session(1221);
our ($SID) = $SESSION =~ /heao_sid=([\w-]+)/;
our ($CSRF) = $SESSION =~ /X-CSRF-Token: ([\w-]+)/;

sub login {
    my ($c, %o) = @_;

    return "POST /api/login\n" . json_of({
        exam_no => $c->{exam_no}, id_no => $o{id_no} // $c->{id_no},
        password => $o{password} // $c->{password},
    });
}

sub http_config {
    my ($name) = @_;

    # the last request, a broken body, ends the connection; with
    # lingering close it would be logged only once the client closed,
    # which may come after the test stops nginx
    return HeaoTest::heao_http_config() . "$FORMAT\n"
           . "access_log $DIR/$name-access.log heao;\n"
           . "lingering_close off;\n";
}

# what the requests of a block send that no log may hold
our @SECRETS = ($C[1]{password}, $C[1]{id_no}, $C[2]{id_no}, 'Wrong@2021!',
                $C[3]{id_no}, $SID, $CSRF, $C[1]{exam_no}, $C[2]{exam_no});

our @REQUESTS = (
    "GET /api/browse",
    login($C[1]),
    login($C[2], password => 'Wrong@2021!'),
    login($C[3], id_no => substr($C[3]{id_no}, 0, 17)),
    "POST /api/login\n{\"password\": \"$C[1]{password}\", \"id_no\": ",
);

run_tests();

# the checks of the logs the blocks left in $DIR
sub slurp {
    my ($file) = @_;

    open(my $fh, '<', $file) or die "$file: $!";
    local $/;
    return <$fh> // '';
}

# nginx writes a request's access log line once the request ends, after
# its response went out: under a slow build (ASan) the client may have
# read the last answer before that line is written.  Wait, bounded, for
# as many lines as requests; a line really missing still fails below.
sub wait_lines {
    my ($file, $n) = @_;

    for (1 .. 100) {
        my $text = -e $file ? slurp($file) : '';
        my $lines = () = $text =~ /\n/g;
        return if $lines >= $n;
        select(undef, undef, undef, 0.1);
    }
}

for my $level (qw(info debug)) {
    wait_lines("$DIR/$level-access.log", scalar @REQUESTS);

    my $access = slurp("$DIR/$level-access.log");
    my @lines = split /\n/, $access;
    my $errors = slurp("$DIR/$level-error.log");

    # at debug, nginx itself logs the request headers: the module's own
    # lines are what this suite answers for
    if ($level eq 'debug') {
        $errors = join "\n", grep { /\d+#\d+: (?:\*\d+ )?heao[ :]/ }
                             split /\n/, $errors;
    }

    is(scalar @lines, scalar @REQUESTS,
       "O3 $level: one access log line per request");

    like($lines[1] // '',
         qr{"POST /api/login HTTP/1\.1" 200 \d+ [\d.]+ action=login candidate=21419900\*{6} result=ok backend=\d+\.\d{3}$},
         "O3 $level: a login logged with the candidate masked");
    like($lines[2] // '',
         qr{ 401 .* action=login candidate=21419900\*{6} result=login_failed },
         "O3 $level: a failed login logged with its result");
    like($lines[3] // '', qr{ 400 .* action=login .* result=bad_field },
         "O3 $level: a malformed ID number logged as bad_field");
    like($lines[4] // '', qr{ 400 .* candidate=- result=bad_json },
         "O3 $level: a broken body logged without a candidate");
    like($lines[0] // '',
         qr{"GET /api/browse HTTP/1\.1" 200 .* action=browse candidate=21419900\*{6} result=ok },
         "O3 $level: a browse logged under the session's candidate");

    like($errors, qr/heao: login failed for 21419900\*{6}/,
         "O3 $level: the error log tells the failed login, masked");

    for my $s (@SECRETS) {
        ok(index($access, $s) < 0 && index($errors, $s) < 0,
           "O3 $level: no log holds \"" . substr($s, 0, 4) . "...\"");
    }
}

__DATA__

=== TEST 1: O3 requests with passwords, ID numbers and a session (info)
--- main_config eval
HeaoTest::heao_main_config() . "error_log $::DIR/info-error.log info;\n"
--- http_config eval: main::http_config('info')
--- log_level: info
--- pipelined_requests eval: [@::REQUESTS]
--- more_headers eval
"Content-Type: application/json\n$::SESSION"
--- error_code eval
[200, 200, 401, 400, 400]
--- no_error_log
[error]



=== TEST 2: O3 the same requests, logged at debug level
--- main_config eval
HeaoTest::heao_main_config() . "error_log $::DIR/debug-error.log debug;\n"
--- http_config eval: main::http_config('debug')
--- pipelined_requests eval: [@::REQUESTS]
--- more_headers eval
"Content-Type: application/json\n" . HeaoTest::session(1221)
--- error_code eval
[200, 200, 401, 400, 400]
--- no_error_log
[error]
