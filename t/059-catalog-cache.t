# B6: the catalog in Redis under a version key and in each worker's
# memory.  Drives the portal of tools/test (HEAO_HTTP_PORT, two workers,
# heao_catalog_refresh 5s): the version the portal serves is kept in
# Redis; a worker that meets a version Redis holds reads it from there,
# not from PostgreSQL; an operator's change in PostgreSQL reaches every
# worker within seconds, without a restart.  Uses no candidate.

use strict;
use warnings;

use FindBin;
use lib $FindBin::Bin;

use Test::More;
use Time::HiRes qw(time sleep);
use IO::Socket::INET;
use HeaoTest;
use HeaoFault;

$ENV{HEAO_HTTP_PORT}
    or plan skip_all => 'needs the portal of tools/test (HEAO_HTTP_PORT)';

my $REFRESH = 5;            # heao_catalog_refresh of conf/nginx.conf
my $LIMIT = 2 * $REFRESH + 5;
my $AGREE = 10;             # answers in a row that show the change
my $NAME = '北京大学';
my $REDIS_PORT = $ENV{TEST_NGINX_REDIS_PORT} || 16380;


# a command to Redis in its own protocol: binary-safe, any length
sub resp {
    my @args = @_;
    my $sock = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
                                     PeerPort => $REDIS_PORT)
        or die "redis: $!\n";

    print $sock '*' . @args . "\r\n"
                . join('', map { '$' . length($_) . "\r\n$_\r\n" } @args);

    my $line = <$sock>;
    my $reply;

    if ($line =~ /^\$(-?\d+)\r\n$/) {
        if ($1 >= 0) {
            local $/ = \($1 + 2);
            $reply = substr(<$sock>, 0, $1);
        }

    } else {
        ($reply = $line) =~ s/^[+:]|\r\n$//g;
    }

    close $sock;
    return $reply;
}


sub version {
    return psql('select heao.catalog_version()');
}


# the institution's name as the portal's lookup gives it
sub name_of {
    my ($status, $head, $body) = request('GET', '/api/catalog/11/1105');

    return $status == 200 && $body =~ /^\{"batch":"11","code":"1105","name":"([^"]+)"/
           ? $1 : "status $status";
}


# asks until $AGREE answers in a row (both workers, as the connections
# spread) give the name; returns the seconds it took, or undef
sub seen_within {
    my ($name, $limit) = @_;
    my $start = time();
    my $row = 0;

    while (time() - $start < $limit) {
        if (name_of() eq $name) {
            return time() - $start if ++$row == $AGREE;

        } else {
            $row = 0;
            sleep 0.2;
        }
    }

    return undef;
}


my $master = nginx_master();

# ---- the version served is kept in Redis ------------------------------

my $v = version();

ok(defined seen_within($NAME, $LIMIT), 'B6 the portal serves the catalog');

# the workers meet version v at their next refresh, the first keeps it
my $start = time();
my $blob;

while (time() - $start < $LIMIT) {
    name_of();
    $blob = resp('GET', "heao:catalog:$v");
    last if defined $blob;
    sleep 0.5;
}

ok(defined $blob && $blob =~ /^heao-catalog 1\n\d+\t7\n/,
   "B6 version $v is kept in Redis under heao:catalog:$v");
like($blob // '', qr/\t1105\t\Q$NAME\E\t/,
     'B6 the kept rows hold the catalog\'s institutions');

# ---- a version Redis holds is read from Redis -------------------------

# version v+1 is seeded in Redis with a name PostgreSQL does not have,
# then a statement that changes nothing bumps PostgreSQL to v+1
my $seeded = $blob // '';
$seeded =~ s/\t1105\t\Q$NAME\E\t/\t1105\t${NAME}（缓存）\t/g;
is(resp('SET', 'heao:catalog:' . ($v + 1), $seeded, 'EX', 600), 'OK',
   'B6 the next version is seeded in Redis');

psql(q{update heao.institution set name = name
        where batch_code = '11' and code = '1105'});
is(version(), $v + 1, 'B6 one statement bumps the version once');

my $t = seen_within("${NAME}（缓存）", $LIMIT);
ok(defined $t, 'B6 every worker read version ' . ($v + 1) . ' from Redis'
               . ', not from PostgreSQL');

# ---- an operator's change reaches every worker within seconds ---------

psql(qq{update heao.institution set name = '${NAME}（改名）'
         where batch_code = '11' and code = '1105'});
my $v2 = version();

$t = seen_within("${NAME}（改名）", $LIMIT);
ok(defined $t, "B6 every worker serves the new name within $LIMIT s");
diag(sprintf('B6 the change reached both workers in %.1f s', $t))
    if defined $t;

like(resp('GET', "heao:catalog:$v2") // '', qr/\t1105\t\Q$NAME\E（改名）\t/,
     "B6 the first worker to read version $v2 kept it in Redis");

is(nginx_master(), $master, 'B6 without restarting nginx');

# ---- as it was --------------------------------------------------------

psql(qq{update heao.institution set name = '$NAME'
         where batch_code = '11' and code = '1105'});
resp('DEL', 'heao:catalog:' . ($v + 1));
ok(defined seen_within($NAME, $LIMIT), 'B6 the name is back everywhere');

done_testing();
