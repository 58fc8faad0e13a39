# O3, after every other suite (t/run runs t/*.t in order, and this one
# last): no log the suites left holds a password, a full ID number, a
# session identifier, a CSRF token or a code.  Reads the logs of the
# portal of tools/test (nginx's access and error logs, PostgreSQL's and
# Redis's) and of the Test::Nginx server root (its error log at debug
# level: the module's lines only), with what the suites sent:
# every password a t/ file gives in a body, every valid ID number (any
# 18-character number with a right check character counts), cookies and
# tokens, and request bodies quoted whole.

use strict;
use warnings;

use FindBin;
use lib $FindBin::Bin;

use Test::More;
use HeaoTest;
use HeaoFault;

$ENV{HEAO_HTTP_PORT}
    or plan skip_all => 'needs the portal of tools/test (HEAO_HTTP_PORT)';

my $run = portal_dir();
my @logs = grep { -f $_ }
           ("$run/nginx/access.log", "$run/nginx/error.log", "$run/pg.log",
            "$run/redis/redis.log", glob("$FindBin::Bin/servroot*/logs/*.log"));

ok(scalar(grep { m{/nginx/access\.log$} } @logs),
   "O3 the portal's access log is there to read") or diag("@logs");


sub slurp {
    my ($file) = @_;

    open(my $fh, '<:raw', $file) or die "$file: $!";
    local $/;
    return <$fh> // '';
}


# the passwords the suites send, as t/ files spell them
my %password = (candidate(62)->{password} => 1, 'Heao@2021' => 1);

for my $t (glob("$FindBin::Bin/*.t")) {
    my $text = slurp($t);

    while ($text =~ /\b(?:old_|new_)?password\b['"]?\s*(?:=>|:)\s*['"]([^'"\s]{8,})['"]/g) {
        $password{$1} = 1;
    }
}

# a real ID number: 17 digits and the ISO 7064 MOD 11-2 check character
sub id_number {
    my ($id) = @_;
    my @w = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2);
    my $sum = 0;

    $sum += substr($id, $_, 1) * $w[$_] for 0 .. 16;

    return uc(substr($id, 17, 1)) eq substr('10X98765432', $sum % 11, 1);
}

# what of each kind a log's text holds
sub scan {
    my ($name, $text, $found) = @_;

    for my $p (sort keys %password) {
        push @{ $found->{"a password"} }, "$name: " . substr($p, 0, 3) . '...'
            if index($text, $p) >= 0;
    }

    while ($text =~ /(?<![0-9])([0-9]{17}[0-9Xx])(?![0-9A-Za-z])/g) {
        push @{ $found->{"a full ID number"} },
             "$name: " . substr($1, 0, 6) . '...'
            if id_number($1);
    }

    while ($text =~ /(heao_sid=[\w-]{8,}|X-CSRF-Token: *[\w-]{8,})/gi) {
        push @{ $found->{"a session identifier or CSRF token"} },
             "$name: " . substr($1, 0, 12) . '...';
    }

    # a request body quoted: jansson's error text, a debug dump
    while ($text =~ /("(?:password|old_password|new_password|id_no|totp|code|captcha_ticket|value)"\s*:\s*"[^"]*)/g) {
        push @{ $found->{"a request body's secret field"} },
             "$name: " . substr($1, 0, 14) . '...';
    }
}

# the scan finds each kind in a line made to hold it
my $c = candidate(62);
my %planted;

scan('planted', "login $c->{password} of $c->{id_no} Cookie: "
     . "heao_sid=AAAAAAAAAAAAAAAA {\"totp\": \"12345678\"}", \%planted);

for my $what (sort keys %planted) {
    ok(scalar @{ $planted{$what} }, "O3 the scan finds $what planted");
}

is(scalar(keys %planted), 4, 'O3 the scan finds all four kinds planted');

my %found;

for my $log (@logs) {
    my $text = slurp($log);

    # Test::Nginx runs nginx at debug level, where nginx itself logs the
    # request and response headers, cookies and all: the module's own
    # lines are what O3 answers for there (as t/091-logs.t does)
    if ($log =~ m{/servroot[^/]*/logs/error\.log$}) {
        $text = join "\n", grep { /\d+#\d+: (?:\*\d+ )?heao[ :]/ }
                           split /\n/, $text;
    }

    scan($log =~ s{^.*/(?=[^/]+/[^/]+$)}{}r, $text, \%found);
}

for my $what ("a password", "a full ID number",
              "a session identifier or CSRF token",
              "a request body's secret field")
{
    my $hits = $found{$what} // [];

    is(scalar @$hits, 0, "O3 no log the suites left holds $what")
        or diag(join "\n", @$hits[0 .. ($#$hits < 9 ? $#$hits : 9)]);
}

ok(scalar(keys %password) >= 5,
   'O3 the passwords of the suites were found to look for')
    or diag(scalar(keys %password) . ' found');

done_testing();
