package HeaoNode;

# O5: more portal nodes beside the one of tools/test, each an nginx of
# its own (one worker) under the portal's state folder, against the same
# PostgreSQL and Redis unless told otherwise.  Their ports come after the
# portal's: HEAO_HTTP_PORT + n.  The scale-out suites start and stop them.

use strict;
use warnings;
use Exporter 'import';
use File::Path qw(make_path);
use Time::HiRes qw(sleep);
use HeaoTest;
use HeaoFault;

our @EXPORT = qw(node_start node_stop node_port node_log node_pid);

my $NGINX = $ENV{TEST_NGINX_BINARY} // '/usr/sbin/nginx';


sub node_dir {
    my ($name) = @_;
    return portal_dir() . "/node-$name";
}


sub node_port {
    my ($n) = @_;
    return $ENV{HEAO_HTTP_PORT} + $n;
}


# starts node $name on HEAO_HTTP_PORT + $n; %opt: extra (directives for
# the http block), redis (the heao_redis line replaced by this text)
sub node_start {
    my ($name, $n, %opt) = @_;
    my $dir = node_dir($name);
    my $port = node_port($n);
    my $http = heao_http_config(extra => $opt{extra} // '');

    $http =~ s/^\s*heao_redis .*$/    $opt{redis}/m if defined $opt{redis};

    node_stop($name);
    make_path("$dir/tmp");

    open(my $fh, '>', "$dir/nginx.conf") or die "$dir/nginx.conf: $!";
    print $fh <<"EOT";
load_module $ENV{TEST_NGINX_LOAD_MODULES};
worker_processes 1;
error_log $dir/error.log info;
pid $dir/nginx.pid;
@{[ heao_main_config() ]}
events {
    worker_connections 256;
}

http {
    access_log off;
    client_body_temp_path $dir/tmp;
    proxy_temp_path $dir/tmp;
    fastcgi_temp_path $dir/tmp;
    uwsgi_temp_path $dir/tmp;
    scgi_temp_path $dir/tmp;

$http
    server {
        listen 127.0.0.1:$port;

        location /api/ {
            heao;
        }

        location = /metrics {
            heao_metrics;
        }
    }
}
EOT
    close $fh;

    unlink "$dir/error.log";

    system("$NGINX -p $dir/ -c $dir/nginx.conf -e $dir/error.log") == 0
        or die "node $name did not start: see $dir/error.log\n";

    for (1 .. 50) {
        my ($st) = request('GET', '/api/session', '', undef, port => $port,
                           timeout => 2);
        return $port if $st;
        sleep 0.1;
    }

    die "node $name does not answer on $port\n";
}


# the master's pid of node $name, undef when it does not run
sub node_pid {
    my ($name) = @_;
    my $file = node_dir($name) . '/nginx.pid';

    open(my $fh, '<', $file) or return undef;
    my $pid = <$fh>;
    close $fh;
    chomp $pid if defined $pid;

    return $pid && kill(0, $pid) ? $pid : undef;
}


sub node_stop {
    my ($name) = @_;
    my $pid = node_pid($name);

    return unless $pid;

    kill 'QUIT', $pid;

    for (1 .. 100) {
        return unless kill 0, $pid;
        sleep 0.1;
    }

    kill 'TERM', $pid;
}


# what node $name logged
sub node_log {
    my ($name) = @_;

    open(my $fh, '<', node_dir($name) . '/error.log') or return '';
    local $/;
    my $text = <$fh> // '';
    close $fh;

    return $text;
}


1;
