# What docs/SECURITY.md claims of ASVS 4.0 that no other suite shows:
# the headers of an API answer (V8, V14), a fresh session identifier at
# every login whatever cookie came with it (V3), none taken from the
# query string, and the password hashes the database keeps (V2).  Drives
# the portal of tools/test, whose conf is conf/nginx.conf; candidates 63
# and 64.

use strict;
use warnings;

use FindBin;
use lib $FindBin::Bin;

use Test::More;
use HeaoTest;
use HeaoFault;

$ENV{HEAO_HTTP_PORT}
    or plan skip_all => 'needs the portal of tools/test (HEAO_HTTP_PORT)';

my @c = map { reset_candidate($_) } 63, 64;
redis('DEL', 'heao:lf:a:127.0.0.1');


sub login {
    my ($c, $headers) = @_;

    return request('POST', '/api/login', $headers,
                   json_of({ exam_no => $c->{exam_no}, id_no => $c->{id_no},
                             password => $c->{password} }));
}


# V8.1.1 V8.2.1 V14.4: what the answers of the API say to caches and
# browsers
{
    my ($st, $head) = request('GET', '/api/session');

    is($st, 401, 'V3 an answer without a session is 401');
    like($head, qr/^Cache-Control: no-store\r?$/mi,
         'V8.2.1 an API answer is not to be stored');
    like($head, qr/^Content-Security-Policy: default-src 'none'; frame-ancestors 'none'\r?$/mi,
         'V14.4.3 an API answer loads nothing and is framed nowhere');
    like($head, qr/^X-Frame-Options: DENY\r?$/mi,
         'V14.4.7 an API answer is not framed in older browsers');
    like($head, qr/^X-Content-Type-Options: nosniff\r?$/mi,
         'V14.4.4 an API answer is not sniffed for another type');
    like($head, qr/^Referrer-Policy: no-referrer\r?$/mi,
         'V14.4.5 no referrer leaves the portal');
    like($head, qr{^Content-Type: application/json; charset=utf-8\r?$}mi,
         'V14.4.1 an API answer names its type and charset');
}

# V3.2.1: a login issues an identifier of its own, not the one it was
# sent (session fixation), and a new one each time
my $planted = 'A' x 43;
my ($st1, $h1) = login($c[0], "Cookie: heao_sid=$planted");
my ($st2, $h2) = login($c[0], "Cookie: heao_sid=$planted");
my ($sid1) = $h1 =~ /^Set-Cookie: heao_sid=([\w-]+);/mi;
my ($sid2) = $h2 =~ /^Set-Cookie: heao_sid=([\w-]+);/mi;

is("$st1 $st2", '200 200', 'A1 the candidate logs in twice');
like($sid1 // '', qr/^[\w-]{43}$/,
     'V3.2.2 A5 the identifier is 43 base64url characters (256 bits)');
isnt($sid1 // '', $planted,
     'V3.2.1 A5 the login does not keep the identifier it was sent');
isnt($sid1 // '', $sid2 // '',
     'V3.2.1 A5 a second login gets an identifier of its own');

{
    my ($st) = request('GET', "/api/session", "Cookie: heao_sid=$sid1");
    is($st, 200, 'A5 the identifier is a session');

    ($st) = request('GET', "/api/session?heao_sid=$sid1");
    is($st, 401, 'V3.1.1 an identifier in the query string is no session');

    # the access log of conf/nginx.conf leaves the query string out
    open(my $fh, '<', portal_dir() . '/nginx/access.log') or die $!;
    my @hits = grep { /GET \/api\/session/ } <$fh>;

    like($hits[-1] // '', qr{"GET /api/session HTTP/1\.1" 401 },
         'O3 V7.1.1 that request is logged');
    ok(!grep({ index($_, $sid1) >= 0 } @hits),
       'O3 V7.1.1 the identifier sent in the query string is not logged');
}

# V2.4.1 V2.4.2 A13: argon2id, with a salt of each hash's own: two
# candidates of the same password keep different hashes
my ($hash0, $hash1) = split /\n/, psql(
    "select pw_hash from heao.candidate where exam_no in"
    . " ('$c[0]{exam_no}', '$c[1]{exam_no}') order by exam_no");

like($hash0 // '', qr/^\$argon2id\$v=19\$m=\d+,t=\d+,p=\d+\$[\w+\/]{22,}\$[\w+\/]{43}$/,
     'V2.4.1 A13 a password is kept as an argon2id hash');
is($c[0]{password}, $c[1]{password}, 'the two candidates share a password');
isnt($hash0 // '', $hash1 // '',
     'V2.4.2 A13 the same password hashes apart under its own salt');

done_testing();
