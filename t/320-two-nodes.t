# O5: nginx nodes are stateless.  The portal of tools/test (node A,
# conf/nginx.conf) and a second nginx (node B, HEAO_HTTP_PORT + 3) share
# PostgreSQL and Redis: a session made on one works on the other, a save
# on one is seen by browse on the other although B cached the browse
# answer before (the cache generation in Redis moves), a logout on one
# ends the session on both, and login failures count across both.
# Candidates 170-172.

use strict;
use warnings;

use FindBin;
use lib $FindBin::Bin;

use Test::More;
use HeaoTest;
use HeaoFault;
use HeaoNode;

$ENV{HEAO_HTTP_PORT}
    or plan skip_all => 'needs the portal of tools/test (HEAO_HTTP_PORT)';

my $A = $ENV{HEAO_HTTP_PORT};
my $FIRST = 170;
my $FAILURES = 5;           # heao_login_limit's failures an exam number


sub login {
    my ($t, $port, $password) = @_;
    my $c = candidate($t);
    my ($st, $head, $body) = request('POST', '/api/login', '',
        json_of({ exam_no => $c->{exam_no}, id_no => $c->{id_no},
                  password => $password // $c->{password} }),
        port => $port);

    return ($st, $body, undef) unless $st == 200;

    my ($sid) = $head =~ /^Set-Cookie: heao_sid=([^;\s]+)/mi;
    my ($csrf) = $body =~ /"csrf":"([^"]+)"/;

    return ($st, $body, "Cookie: heao_sid=$sid\nX-CSRF-Token: $csrf\n");
}


reset_candidate($_) for $FIRST .. $FIRST + 2;

# whatever happens, nothing of this suite is left running
END { local $?; node_stop('second') }

my $B = node_start('second', 3);
my $c = candidate($FIRST);
my $id = psql("select id from heao.candidate"
              . " where exam_no = '$c->{exam_no}'");

my ($st, $body, $h) = login($FIRST, $A);
is($st, 200, 'O5 A1 a login on node A');

($st, undef, $body) = request('GET', '/api/session', $h, undef, port => $B);
is($st, 200, 'O5 A8 the session made on node A works on node B');
like($body, qr/"exam_no":"$c->{exam_no}"/, 'O5 A8 for the same candidate');

($st, undef, $body) = request('POST', '/api/fill/11/begin', $h,
    json_of({ accept_notice => JSON::PP::true() }), port => $B);
is($st, 200, 'O5 F13 the fill begun on node B') or diag($body);

($st, undef, $body) = request('GET', '/api/browse', $h, undef, port => $B);
is($st, 200, 'O5 V1 browse on node B before any save');
unlike($body, qr/"1105"/, 'O5 V1 nothing saved yet');
ok(redis('EXISTS', "heao:b:$id"), 'O5 V1 node B cached that answer in Redis');

($st, undef, $body) = request(save_request($h, '1105', '07'), port => $A);
is($st, 200, 'O5 F1 the save on node A, in the fill begun on node B')
    or diag($body);

($st, undef, $body) = request('GET', '/api/browse', $h, undef, port => $B);
is($st, 200, 'O5 V1 browse on node B after the save on node A');
like($body, qr/"1105"/, 'O5 V1 node B shows the save, not its cached answer');

($st, undef, $body) = request('GET', '/api/history', $h, undef, port => $B);
like($body, qr/"save_no":1/, 'O5 V4 node B lists the save in the history');

($st) = request('POST', '/api/logout', $h, '{}', port => $B);
is($st, 200, 'O5 A9 a logout on node B');
($st) = request('GET', '/api/session', $h, undef, port => $A);
is($st, 401, 'O5 A9 the session ended on node A too');

# login failures of one exam number count on both nodes
for my $i (1 .. $FAILURES) {
    ($st) = login($FIRST + 1, $i % 2 ? $A : $B, 'Wrong@2021!');
    is($st, 401, "O5 A4 failure $i on node " . ($i % 2 ? 'A' : 'B'));
}

($st, $body) = login($FIRST + 1, $B);
is($st, 429, 'O5 A5 node B refuses the right password after the'
             . ' failures counted on both');
like($body, qr/"error":"locked"/, 'O5 A5 the answer is locked');

($st, $body) = login($FIRST + 2, $B);
is($st, 200, 'O5 A1 another candidate logs in on node B');

unlike(node_log('second'), qr/\[(error|alert|crit|emerg)\]/,
       'O5 node B logged no error');

node_stop('second');
reset_candidate($FIRST + 1);

# the README's way to a second node: tools/node, with conf/nginx.conf
my $C = $ENV{HEAO_HTTP_PORT} + 5;
my $node = "$FindBin::Bin/../tools/node";

system("HEAO_CAPTCHA=off $node start $C >/dev/null") == 0
    or BAIL_OUT('tools/node start failed');

($st, $body, $h) = login($FIRST + 2, $C);
is($st, 200, 'O5 A1 a login on the node tools/node started');
($st) = request('GET', '/api/session', $h, undef, port => $A);
is($st, 200, 'O5 A8 that session works on node A');

system("$node stop $C >/dev/null") == 0 or die "tools/node stop failed\n";

done_testing();
