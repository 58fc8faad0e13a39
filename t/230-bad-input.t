# R1: hundreds of malformed requests, made from the tables below, to every
# endpoint that takes a body and to the paths and headers of the rest.
# Each gets a 4xx; those heao answers carry the JSON error of docs/API.md
# with the field at fault; none a 5xx; the error log holds no alert.
# Drives the portal of tools/test; candidate 1020.

use strict;
use warnings;

use FindBin;
use lib $FindBin::Bin;

use Test::More;
use HeaoTest;
use HeaoFault;

$ENV{HEAO_HTTP_PORT}
    or plan skip_all => 'needs the portal of tools/test (HEAO_HTTP_PORT)';

my $from = log_size();
my $c = reset_candidate(1020);
my $h = session(1020, fill => ['11', time() + 900]);
$h =~ s/\n\z//;
my $DEEP = 2000;
my $HUGE = 40000;          # over client_max_body_size 16k of the portal

my @posts = ('/api/login', '/api/captcha/verify', '/api/fill/11/begin',
             '/api/fill/11/check', '/api/fill/11/save');

# bodies that are no JSON object: 400 bad_json
my %not_json = (
    'empty' => '', 'a word' => 'x', 'an array' => '[]', 'a number' => '1',
    'a string' => '"s"', 'null' => 'null', 'cut short' => '{',
    'no value' => '{"a":}', 'trailing garbage' => '{} x',
    'invalid UTF-8' => "{\"a\":\"\xff\xfe\"}",
    'overlong UTF-8' => "{\"a\":\"\xc0\xaf\"}",
    'a lone surrogate' => '{"a":"\ud800"}',
    'an escaped NUL' => '{"a":"x\u0000y"}',
    'a raw NUL' => "{\"a\":\"x\0y\"}",
    'duplicate keys' => '{"a":1,"a":2}',
    'deep arrays' => '{"a":' . ('[' x $DEEP) . (']' x $DEEP) . '}',
    'deep objects' => ('{"a":' x $DEEP) . '1' . ('}' x $DEEP),
    'a huge number' => '{"a":1e999}',
    'a byte order mark' => "\xef\xbb\xbf{}",
    'single quotes' => "{'a':1}",
);

my $n = 0;


sub json_error {
    my ($body) = @_;
    my $e = eval { $HeaoTest::JSON->decode($body) };

    return ref $e eq 'HASH' ? $e : { error => '(not JSON)' };
}


sub expect {
    my ($what, $want, $field, $req, %opt) = @_;
    my ($st, undef, $body) = request(@$req[0 .. 3], %opt);
    my $e = json_error($body);

    $n++;
    my $ok = $st == $want->[0] && ($e->{error} // '') eq $want->[1]
             && (!defined $field || ($e->{field} // '') eq $field);

    ok($ok, "R1 $what: $want->[0] $want->[1]"
            . (defined $field ? " field $field" : ''))
        or diag("got $st $body");
}


sub no_5xx {
    my ($what, $req, %opt) = @_;
    my ($st, undef, $body) = request(@$req[0 .. 3], %opt);

    $n++;
    ok($st >= 400 && $st < 500, "R1 $what: a 4xx") or diag("got $st $body");
}


for my $path (@posts) {
    my $hs = $path eq '/api/login' ? '' : $h;

    for my $k (sort keys %not_json) {
        expect("$path with $k", [400, 'bad_json'], undef,
               ['POST', $path, $hs, $not_json{$k}]);
    }

    expect("$path with a body over the limit", [413, 'too_large'], undef,
           ['POST', $path, $hs, '{"a":"' . ('x' x $HUGE) . '"}']);

    for my $m ('PUT', 'DELETE', 'PATCH', 'OPTIONS', 'GET') {
        next if $m eq 'GET' && $path eq '/api/logout';
        expect("$m $path", [405, 'method'], undef, [$m, $path, $hs]);
    }
}

# a chunked body over the limit, refused by nginx before heao reads it
for my $path (@posts) {
    my $big = '{"a":"' . ('x' x $HUGE) . '"}';

    expect("$path with a chunked body over the limit", [413, 'too_large'],
           undef, ['POST', $path, "Transfer-Encoding: chunked\n"
                   . "Content-Type: application/json", undef],
           raw => sprintf("%x\r\n%s\r\n0\r\n\r\n", length $big, $big));
}

# the nesting limit, 8, read from the text before the parse: a value
# counts the arrays and objects around it, the body itself none; what
# stands in a string does not count
my $nest = sub {
    my ($arrays, $inner) = @_;

    return '{"exam_no":"x","a":' . ('[' x $arrays) . ($inner // '')
           . (']' x $arrays) . '}';
};

expect('a number in 7 arrays (8 deep) is read', [400, 'bad_field'],
       'exam_no', ['POST', '/api/login', '', $nest->(7, '1')]);
expect('a number in 8 arrays (9 deep) is not', [400, 'bad_json'], undef,
       ['POST', '/api/login', '', $nest->(8, '1')]);
expect('8 empty arrays (8 deep) are read', [400, 'bad_field'], 'exam_no',
       ['POST', '/api/login', '', $nest->(8)]);
expect('9 empty arrays (9 deep) are not', [400, 'bad_json'], undef,
       ['POST', '/api/login', '', $nest->(9)]);
expect('brackets and an escaped quote in a string do not nest',
       [400, 'bad_field'], 'exam_no',
       ['POST', '/api/login', '',
        '{"exam_no":"x","a":"' . ('[{' x 20) . '\\"[[[[[[[[[["}']);

# wrong content types
for my $path (@posts) {
    my $hs = $path eq '/api/login' ? '' : $h;

    for my $type ('text/plain', 'application/x-www-form-urlencoded',
                  'multipart/form-data; boundary=x', 'application/jsonx')
    {
        expect("$path as $type", [415, 'content_type'], undef,
               ['POST', $path, ($hs ? "$hs\n" : '') . "Content-Type: $type",
                undef],
               raw => '{}');
    }
}

# the POSTs that take no fields: a body that is not JSON gets the same
# 415 (the session stays: the logout refused ends nothing), and so does a
# body without a type; no body at all is taken
my $msg = psql("select coalesce(max(id), 0) + 1000 from heao.mailbox");

for my $path ('/api/logout', "/api/mailbox/$msg/read", '/api/captcha') {
    my $hs = $path eq '/api/captcha' ? '' : "$h\n";

    for my $type ('text/plain', 'application/x-www-form-urlencoded') {
        expect("$path as $type", [415, 'content_type'], undef,
               ['POST', $path, "${hs}Content-Type: $type", undef],
               raw => '{}');
    }

    expect("$path with a body and no type", [415, 'content_type'], undef,
           ['POST', $path, $hs, undef], raw => 'x');
    expect("$path with a JSON body that is no object", [400, 'bad_json'],
           undef, ['POST', $path, $hs, '[]']);
}

expect("/api/mailbox/$msg/read without a body is read",
       [404, 'not_found'], undef,
       ['POST', "/api/mailbox/$msg/read", $h, undef], raw => '');
is((request('GET', '/api/session', $h))[0], 200,
   'R1 ... and the refused logouts ended no session');
is((request('POST', '/api/logout', session(1020), undef, raw => ''))[0],
   200, 'R1 a logout without a body is taken');

# login: each field of the wrong type or shape, the others right
my %bad_value = (
    'a number' => 1, 'true' => JSON::PP::true, 'null' => undef,
    'an array' => [], 'an object' => {}, 'empty' => '',
    'overlong' => 'x' x 5000, 'full-width digits' => '２１４１９９',
    'a space' => ' ', 'Chinese' => '考生号',
);

for my $field ('exam_no', 'id_no', 'password') {
    for my $k (sort keys %bad_value) {
        my %body = (exam_no => $c->{exam_no}, id_no => $c->{id_no},
                    password => $c->{password}, $field => $bad_value{$k});

        expect("login with $field $k", [400, 'bad_field'], $field,
               ['POST', '/api/login', '', json_of(\%body)]);
    }

    my %body = (exam_no => $c->{exam_no}, id_no => $c->{id_no},
                password => $c->{password});
    delete $body{$field};
    expect("login without $field", [400, 'bad_field'], $field,
           ['POST', '/api/login', '', json_of(\%body)]);
}

# SPEC 2, A1: a login password is 8 to 32 characters, counted as such,
# not as bytes; one of the right length is checked (and fails) on a
# candidate of its own, so that the failures lock no other test out
my $p = reset_candidate(62);

for my $t (['7 CJK characters (21 bytes)', '考' x 7, [400, 'bad_field'],
            'password'],
           ['33 ASCII characters', 'Heao@2021' . ('x' x 24), [400,
            'bad_field'], 'password'],
           ['11 CJK characters (33 bytes)', '考' x 11, [401,
            'login_failed'], undef],
           ['32 CJK characters (96 bytes)', '生' x 32, [401,
            'login_failed'], undef])
{
    my ($what, $password, $want, $field) = @$t;
    my %body = (exam_no => $p->{exam_no}, id_no => $p->{id_no},
                password => $password);

    expect("A1 login password of $what", $want, $field,
           ['POST', '/api/login', '', json_of(\%body)]);
}

# captcha answers of the wrong type or range
my $id = 'A' x 22;

for my $x ('"1"', '-1', '1e300', '1.5', '99999999999999999999', 'null',
           'true', '[]')
{
    no_5xx("captcha x $x", ['POST', '/api/captcha/verify', '',
                            "{\"id\":\"$id\",\"x\":$x}"]);
}

# found by t/fuzz/fuzz-captcha.c: such an id named another Redis key
expect('captcha id of 22 characters outside the alphabet',
       [400, 'bad_field'], 'id',
       ['POST', '/api/captcha/verify', '', '{"id":"' . ('!' x 22)
        . '","x":1}']);

for my $v ('1', '"short"', 'null', '"' . ('A' x 23) . '"') {
    expect("captcha id $v", [400, 'bad_field'], 'id',
           ['POST', '/api/captcha/verify', '', "{\"id\":$v,\"x\":1}"]);
}

# applications of the wrong shape: refused as bad_field or by the rules
my @apps = ('1', '[]', '"x"', '{}', '{"sections":1}', '{"sections":[1]}',
    '{"sections":[{"slots":"x"}]}', '{"sections":[{"slots":[1]}]}',
    '{"sections":[{"slots":[{"institution":1105}]}]}',
    '{"sections":[{"slots":[{"institution":"11050","majors":[]}]}]}',
    '{"sections":[{"slots":[{"institution":"١١٠٥","majors":[]}]}]}',
    '{"sections":[{"slots":[{"institution":"1105","majors":"07"}]}]}',
    '{"sections":[{"slots":[{"institution":"1105","majors":[7]}]}]}',
    '{"sections":[{"slots":[{"institution":"1105","majors":["7"]}]}]}',
    '{"sections":[{"slots":[{"institution":"1105","majors":["07"],'
        . '"adjust":"yes"}]}]}',
    '{"sections":[{"slots":[{"institution":"1105","majors":["07"],'
        . '"adjust":1}]}]}',
    '{"sections":[{"slots":[' . join(',', ('{"institution":""}') x 500)
        . ']}]}',
    '{"sections":[' . join(',', ('{"slots":[]}') x 500) . ']}',
    '{"sections":[{"slots":[{"institution":"1105","majors":["07","07",'
        . '"07","07","07","07","07","07"]}]}]}');

for my $i (0 .. $#apps) {
    for my $ep ('check', 'save') {
        my $body = $ep eq 'save'
            ? '{"save_id":"00000000-0000-4000-b000-00000000' . sprintf('%04d', $i)
              . '","application":' . $apps[$i] . '}'
            : '{"application":' . $apps[$i] . '}';
        my ($st, undef, $reply) = request('POST', "/api/fill/11/$ep", $h,
                                          $body);
        my $e = json_error($reply);
        my $field = $e->{field} // ($e->{errors} && $e->{errors}[0]{field});

        $n++;
        ok(($st == 400 && $e->{error} eq 'bad_field'
            || $st == 422 && $e->{error} eq 'invalid_application')
           && defined $field && length $field,
           "R1 $ep of application $i: 400 or 422 naming the field")
            or diag("got $st $reply");
    }
}

for my $v ('1', '"x"', '""', '"00000000000040009000000000000000"', 'null') {
    expect("save with save_id $v", [400, 'bad_field'], 'save_id',
           ['POST', '/api/fill/11/save', $h, "{\"save_id\":$v,"
            . '"application":{"sections":[]}}']);
}

# headers: sessions and tokens that are not ours
for my $cookie ('heao_sid=', 'heao_sid=' . ('A' x 43), 'heao_sid=' . ('A' x 500),
                'heao_sid=../../x', "heao_sid=\x01\x02", 'heao_sid=a; heao_sid=b')
{
    expect("a session cookie \"" . substr($cookie, 0, 20) . "\"",
           [401, 'unauthenticated'], undef,
           ['GET', '/api/session', "Cookie: $cookie"]);
}

my ($cookie) = $h =~ /^(Cookie: .*)$/m;

for my $token ('', 'x', 'A' x 32, 'A' x 5000) {
    expect("a CSRF token of " . length($token) . " bytes", [403, 'csrf'],
           undef, ['POST', '/api/fill/11/check',
                   "$cookie\nX-CSRF-Token: $token", '{"application":{}}']);
}

# what nginx refuses before heao, and path tricks: a 4xx, never a 5xx
for my $path ('/api/catalog/11/%00', '/api/../../etc/passwd',
              '/api/catalog/11/1105%2F..%2F..', '/api/catalog/11/01050',
              '/api/catalog/11/105', '/api/catalog/99/1105',
              '/api/catalog/11/' . ('1' x 5000), '/api/fill/11%00/check',
              '/api/fill/../fill/11/begin', '/api/nope', '/api/',
              '/api/session/x', '/api/catalog//1105', '/api/%ff%fe')
{
    no_5xx("GET $path", ['GET', $path, '']);
}

no_5xx('a header line too long',
       ['GET', '/api/session', 'X-Long: ' . ('x' x 20000)]);
no_5xx('a negative Content-Length',
       ['POST', '/api/login', "Content-Length: -1"]);
no_5xx('Content-Length and Transfer-Encoding both',
       ['POST', '/api/login', "Content-Length: 2\nTransfer-Encoding: chunked"
        . "\nContent-Type: application/json"], raw => "2\r\n{}\r\n0\r\n\r\n");
no_5xx('HEAD of a POST endpoint', ['HEAD', '/api/login', '']);

cmp_ok($n, ">=", 250, "R1 $n malformed requests sent");

my $log = error_log_since($from);
unlike($log, qr/\[(alert|crit|emerg)\]/, 'R1 no alert in the error log');
# nginx itself logs a body over client_max_body_size at [error]
my @errors = grep { /\[error\]/ && !/client intended to send too large/ }
             split /\n/, $log;
is(scalar @errors, 0, 'R1 no error of heao in the error log')
    or diag(join "\n", @errors[0 .. 4]);

done_testing();
