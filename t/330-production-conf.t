# O1, O5: conf/nginx.production.conf, the annotated example of a node
# with a replica, Sentinels, pools, the thread pool and a metrics server,
# passes "nginx -t" once its machine's paths are those of the tests; and
# a value the module refuses makes it fail, naming the directive.

use strict;
use warnings;

use FindBin;
use lib $FindBin::Bin;

use Test::More;
use File::Temp qw(tempdir);

$ENV{TEST_NGINX_LOAD_MODULES} && $ENV{TEST_NGINX_SECRET_FILE}
    or plan skip_all => 'needs the module and the secret of tools/test';

my $NGINX = $ENV{TEST_NGINX_BINARY} // '/usr/sbin/nginx';
my $dir = tempdir(CLEANUP => 1);

open(my $fh, '<', "$FindBin::Bin/../conf/nginx.production.conf")
    or die "conf/nginx.production.conf: $!";
my $conf = do { local $/; <$fh> };
close $fh;


# nginx -t of the conf with the tests' paths: (exit status, output)
sub check {
    my ($text) = @_;

    $text =~ s{^load_module \S+;}{load_module $ENV{TEST_NGINX_LOAD_MODULES};}m;
    $text =~ s{^user \S+;\n}{}m;
    $text =~ s{/var/log/nginx/}{$dir/}g;
    $text =~ s{/run/nginx-heao\.pid}{$dir/nginx.pid};
    $text =~ s{/etc/heao/secret;}{$ENV{TEST_NGINX_SECRET_FILE};};

    open(my $out, '>', "$dir/nginx.conf") or die "$dir/nginx.conf: $!";
    print $out $text;
    close $out;

    my $output = `$NGINX -t -p $dir/ -c $dir/nginx.conf -e $dir/error.log 2>&1`;

    return ($? >> 8, $output);
}


like($conf, qr/^\s*heao_pg_replica "/m, 'O5 the example has a replica');
like($conf, qr/^\s*heao_redis_sentinel heao /m,
     'O5 the example asks Sentinels for the Redis master');
like($conf, qr/^thread_pool heao_kdf threads=\d+ max_queue=\d+;/m,
     'O5 the example sizes the hashing thread pool');
like($conf, qr/allow 10\.0\.1\.0\/24;\s+deny all;\s+heao_metrics;/,
     'O2 the example limits who reads the metrics');

my ($rc, $out) = check($conf);
is($rc, 0, 'O1 nginx -t accepts conf/nginx.production.conf') or diag($out);

(my $bad = $conf) =~ s/(heao_pg_replica_pool_size) 2;/$1 0;/;
($rc, $out) = check($bad);
isnt($rc, 0, 'O1 nginx -t refuses it with a replica pool of 0');
like($out, qr/invalid value "0" in "heao_pg_replica_pool_size" directive/,
     'O1 naming the directive and the value');

done_testing();
