package Test::Nginx::Socket;

# A small stand-in for OpenResty's Test::Nginx::Socket, written for heao so
# that the t/*.t suites run where the real scaffold is not installed (it is
# not packaged for Debian).  It reads the same data blocks and counts its
# checks the same way, so one "plan tests => ..." line serves both; where
# the real one is installed t/run uses it instead.  The supported sections
# and the known differences are listed in t/lib/Test/Nginx/README.

use strict;
use warnings;

use Exporter ();
use File::Spec ();
use IO::Socket::INET ();
use List::Util ();
use Test::Builder ();
use Test::More;
use Time::HiRes ();

use Test::Nginx::Mini::Block;
use Test::Nginx::Mini::Client;
use Test::Nginx::Mini::Server;

our $VERSION = '0.01';

our @ISA = ('Exporter');

our @EXPORT = (@Test::More::EXPORT, qw(
    run_tests blocks repeat_each no_shuffle no_long_string no_diff
    log_level workers master_on master_off worker_connections env_to_nginx
    server_port html_dir server_root add_block_preprocessor
    no_root_location bail_out
));

# the request timeout when neither the block nor TEST_NGINX_TIMEOUT says
use constant DEFAULT_TIMEOUT => 3;

# strings at least this long are reported by where they differ
use constant LONG_STRING => 60;

# sections in which $TEST_NGINX_* variables are replaced
my @EXPANDED = qw(
    config http_config main_config post_main_config request raw_request
    pipelined_requests more_headers user_files response_body
    response_body_like response_headers response_headers_like error_code
    error_log no_error_log grep_error_log grep_error_log_out timeout wait
    log_level must_die
);

my %Opt = (
    repeat_each        => 1,
    shuffle            => !$ENV{TEST_NGINX_NO_SHUFFLE},
    long_string        => 1,
    diff               => 1,
    log_level          => $ENV{TEST_NGINX_LOG_LEVEL} || 'debug',
    workers            => 1,
    master             => 0,
    worker_connections => 64,
    env                => [],
    root_location      => 1,
    preprocessors      => [],
    verbose            => $ENV{TEST_NGINX_VERBOSE},
);

my ($ServRoot, $ServerPort, $Server, @Blocks, $BlocksLoaded);

init_environment();


sub import {
    my ($class, @args) = @_;

    # 'no_plan', tests => N, skip_all => why: handed to Test::More
    Test::More::plan(@args) if @args;

    $class->export_to_level(1, $class);

    return;
}


# Server root, port and the $TEST_NGINX_* values a suite may use, settled
# when the module loads so that the suite's own code sees them too.
sub init_environment {
    my $randomize = $ENV{TEST_NGINX_RANDOMIZE};

    $ServRoot = $ENV{TEST_NGINX_SERVROOT}
                || ($randomize ? "t/servroot_$$" : 't/servroot');
    $ServRoot = File::Spec->rel2abs($ServRoot);
    $ServRoot =~ s{/+$}{};

    $ServerPort = (!$randomize && $ENV{TEST_NGINX_PORT}) || free_port();

    $ENV{TEST_NGINX_SERVER_PORT} = $ServerPort;
    $ENV{TEST_NGINX_SERVROOT} = $ServRoot;
    $ENV{TEST_NGINX_HTML_DIR} = "$ServRoot/html";

    # the real scaffold's defaults for the usual backends
    $ENV{TEST_NGINX_MEMCACHED_PORT} ||= 11211;
    $ENV{TEST_NGINX_MYSQL_PORT} ||= 3306;
    $ENV{TEST_NGINX_POSTGRESQL_PORT} ||= 5432;
    $ENV{TEST_NGINX_REDIS_PORT} ||= 6379;

    return;
}


# A port nobody listens on now; 1984, the real default, clashes between
# runs on one machine.
sub free_port {
    my $sock = IO::Socket::INET->new(
        Listen    => 1,
        LocalAddr => '0.0.0.0',
        LocalPort => 0,
        Proto     => 'tcp',
        ReuseAddr => 1,
    ) or die "cannot find a free port: $!\n";

    my $port = $sock->sockport;
    close $sock;

    return $port;
}


sub nginx_binary {
    return $ENV{TEST_NGINX_BINARY} if $ENV{TEST_NGINX_BINARY};

    for my $dir (split(/:/, $ENV{PATH} || ''), '/usr/sbin', '/usr/local/sbin')
    {
        return "$dir/nginx" if -x "$dir/nginx";
    }

    return 'nginx';
}


sub setting {
    my ($key, @value) = @_;

    $Opt{$key} = $value[0] if @value;

    return $Opt{$key};
}


sub repeat_each        { setting('repeat_each', @_) }
sub log_level          { setting('log_level', @_) }
sub workers            { setting('workers', @_) }
sub worker_connections { setting('worker_connections', @_) }
sub no_shuffle         { $Opt{shuffle} = 0; return }
sub no_long_string     { $Opt{long_string} = 0; return }
sub no_diff            { $Opt{diff} = 0; return }
sub master_on          { $Opt{master} = 1; return }
sub master_off         { $Opt{master} = 0; return }
sub no_root_location   { $Opt{root_location} = 0; return }
sub env_to_nginx       { push @{ $Opt{env} }, @_; return }
sub server_port        { $ServerPort }
sub server_root        { $ServRoot }
sub html_dir           { "$ServRoot/html" }
sub bail_out           { Test::More::BAIL_OUT(@_) }


sub add_block_preprocessor {
    my $callback = shift;

    push @{ $Opt{preprocessors} }, $callback;

    return;
}


# The blocks to run; their number in scalar context, for "plan".
sub blocks {
    load_blocks() unless $BlocksLoaded++;

    return wantarray ? @Blocks : scalar @Blocks;
}


sub load_blocks {
    my $text = '';

    {
        no warnings 'once';
        my $fh = \*main::DATA;

        if (defined fileno $fh) {
            local $/;
            $text = <$fh>;
        }
    }

    @Blocks = Test::Nginx::Mini::Block->parse_spec(defined $text ? $text : '');

    return;
}


sub run_tests {
    my @blocks = blocks();

    @blocks = List::Util::shuffle(@blocks) if $Opt{shuffle};

    for my $block (@blocks) {
        $_->($block) for @{ $Opt{preprocessors} };

        run_block($block);
    }

    Test::More::done_testing() unless Test::Builder->new->has_plan;

    return;
}


END {
    $Server->stop if $Server;
}


# One block: nginx is started for it and stopped after it, as the real
# scaffold does by default.
sub run_block {
    my $block = shift;

    my $name = $block->name;
    my $c = eval { block_context($block) };

    if (!$c) {
        Test::More::fail("$name - block is usable");
        Test::More::diag($@);
        return;
    }

    eval { run_block_checks($c); 1 } or do {
        Test::More::fail("$name - block ran to its end");
        Test::More::diag($@);
    };

    return unless $Server;

    $Server->stop;

    # what nginx logged while exiting; a start failure is already told
    report_alerts($c, $c->{log_pos}, "$name (at exit)")
        unless defined $c->{must_die} || $c->{start_failed};

    return;
}


sub run_block_checks {
    my $c = shift;

    $Server = Test::Nginx::Mini::Server->new(
        binary   => nginx_binary(),
        servroot => $ServRoot,
        port     => $ServerPort,
    );

    $Server->prepare(nginx_conf($c), user_files($c));

    verbose("starting: " . join ' ', $Server->command);

    my $start = $Server->start(expect_death => defined $c->{must_die});

    if (defined $c->{must_die}) {
        check_death($c, $start);
        return;
    }

    if (!$start->{ok}) {
        $c->{start_failed} = 1;
        Test::More::fail("$c->{name} - nginx starts");
        Test::More::diag(startup_report($start));
        return;
    }

    for my $rep (0 .. $Opt{repeat_each} - 1) {
        run_exchanges($c, $rep);
    }

    return;
}


# Everything the block says, with $TEST_NGINX_* replaced; dies on an
# undefined variable or an unusable section.
sub block_context {
    my $block = shift;

    my %c = (block => $block, name => $block->name, log_pos => 0);

    for my $type (@EXPANDED) {
        my $value = $block->value($type);
        next unless defined $value;

        $c{$type} = expand_env($value, $type);
    }

    for my $flag (qw(abort ignore_response)) {
        $c{$flag} = 1 if $block->has_section($flag);
    }

    $c{timeout} = seconds($c{timeout}, $ENV{TEST_NGINX_TIMEOUT}
                                       || DEFAULT_TIMEOUT);
    $c{wait} = seconds($c{wait}, 0);
    $c{exchanges} = [exchanges(\%c)];

    die "no request, raw_request or pipelined_requests section\n"
        if !@{ $c{exchanges} } && !defined $c{must_die};

    return \%c;
}


sub expand_env {
    my ($value, $type) = @_;

    return $value unless defined $value;

    if (ref $value eq 'ARRAY') {
        return [map { expand_env($_, $type) } @$value];
    }

    if (ref $value eq 'HASH') {
        return { map { $_ => expand_env($value->{$_}, $type) } keys %$value };
    }

    return $value if ref $value;

    $value =~ s{\$(TEST_NGINX_[_A-Z0-9]+)}{
        defined $ENV{$1} ? $ENV{$1}
                         : die "\$$1 is used in section '$type' but the "
                               . "environment does not define $1\n"
    }ge;

    return $value;
}


# "3", "3s", "500ms", "0.5" in seconds
sub seconds {
    my ($value, $default) = @_;

    return $default unless defined $value && $value =~ /\S/;

    $value =~ /^\s*(\d+(?:\.\d*)?|\.\d+)\s*(ms|s)?\s*$/
        or die "bad time value \"$value\"\n";

    return defined $2 && $2 eq 'ms' ? $1 / 1000 : $1 + 0;
}


# ------------------------------------------------------------------------
# nginx.conf and html files

sub nginx_conf {
    my $c = shift;

    my $root = $ServRoot;
    my $level = $c->{log_level} || $Opt{log_level};
    $level =~ s/^\s+|\s+$//g;

    my $conf = "# written by t/lib/Test/Nginx/Socket.pm for \"$c->{name}\"\n";

    $conf .= "load_module $_;\n" for load_modules();

    $conf .= "\nworker_processes  $Opt{workers};\n"
           . "daemon off;\n"
           . "master_process " . ($Opt{master} ? 'on' : 'off') . ";\n";

    $conf .= "user root;\n" if $> == 0;

    $conf .= "error_log $root/logs/error.log $level;\n"
           . "pid       $root/logs/nginx.pid;\n";

    $conf .= "env $_;\n" for @{ $Opt{env} };

    $conf .= "\n" . section_text($c->{main_config})
           . http_block($c)
           . section_text($c->{post_main_config})
           . "events {\n"
           . "    accept_mutex off;\n"
           . "    worker_connections  $Opt{worker_connections};\n"
           . "}\n";

    return $conf;
}


sub http_block {
    my $c = shift;

    my $root = $ServRoot;

    # temp paths inside the server root: the compiled-in ones are not
    # writable when the suite runs unprivileged
    my $temp = join '', map { "    ${_}_temp_path $root/${_}_temp;\n" }
                        qw(client_body proxy fastcgi uwsgi scgi);

    my $location = !$Opt{root_location} ? '' : <<"LOCATION";

        location / {
            root $root/html;
            index index.html index.htm;
        }
LOCATION

    return <<"HTTP";
http {
    access_log $root/logs/access.log;
    default_type text/plain;
    keepalive_timeout  68;
$temp
${\ section_text($c->{http_config}) }
    server {
        listen          $ServerPort;
        server_name     localhost;

        client_max_body_size 30M;

        # the block's config
${\ section_text($c->{config}) }
        # end of the block's config
$location    }
}

HTTP
}


sub section_text {
    my $text = shift;

    return '' unless defined $text && length $text;

    return $text =~ /\n\z/ ? $text : "$text\n";
}


sub load_modules {
    my $list = $ENV{TEST_NGINX_LOAD_MODULES};

    return () unless defined $list;

    return map { File::Spec->rel2abs($_) } split ' ', $list;
}


# ">>> name" lines followed by content, or an eval'd [[name, content], ...]
sub user_files {
    my $c = shift;

    my $files = $c->{user_files};

    return [] unless defined $files;

    return [map { [@$_] } @$files] if ref $files eq 'ARRAY';

    my @parts = split /^>>>[ \t]+(\S+).*\n/m, $files;
    shift @parts;

    my @list;
    push @list, [splice @parts, 0, 2] while @parts;

    $_->[1] = '' for grep { !defined $_->[1] } @list;

    return \@list;
}


# ------------------------------------------------------------------------
# requests

# One entry per connection: what to send and how many responses to read.
sub exchanges {
    my $c = shift;

    if (defined $c->{pipelined_requests}) {
        my @texts = listify($c->{pipelined_requests});
        my @reqs = map {
            my $last = $_ == $#texts;
            build_request($c, $texts[$_], $last ? 'close' : 'keep-alive');
        } 0 .. $#texts;

        return {
            packets => [join '', map { $_->{text} } @reqs],
            methods => [map { $_->{method} } @reqs],
            close   => $reqs[-1]{close},
        };
    }

    if (defined $c->{raw_request}) {
        my @packets = listify($c->{raw_request});
        my $text = join '', @packets;
        my ($method) = $text =~ /^\s*(\S+)/;

        return {
            packets => \@packets,
            methods => [defined $method ? $method : 'GET'],
            close   => closes_connection($text),
        };
    }

    return () unless defined $c->{request};

    return map {
        my $req = build_request($c, $_, 'close');
        { packets => [$req->{text}], methods => [$req->{method}],
          close => $req->{close} };
    } listify($c->{request});
}


sub listify {
    my $value = shift;

    return ref $value eq 'ARRAY'
           ? map { ref $_ eq 'ARRAY' ? join('', @$_) : $_ } @$value
           : ($value);
}


# "METHOD /uri [HTTP/x]" and an optional body, made into a full request
# with Host, Connection and Content-Length unless more_headers has them.
sub build_request {
    my ($c, $text, $connection) = @_;

    my ($line, $body) = split /\n/, $text, 2;
    $line = '' unless defined $line;
    $line =~ s/^\s+|\s+$//g;

    my ($method, $uri, $version) = split ' ', $line;
    die "request line \"$line\" has no method and uri\n" unless defined $uri;
    $version = 'HTTP/1.1' unless defined $version;

    $body = '' unless defined $body;
    $body =~ s/^\s+|\s+$//g;

    return { method => $method, text => "$method $uri\r\n", close => 1 }
        if $version eq 'HTTP/0.9';

    my @headers = more_headers($c);
    my %has = map { lc((split /:/, $_, 2)[0]) => 1 } @headers;

    my $req = "$method $uri $version\r\n";
    $req .= "Host: localhost\r\n" unless $has{host};

    if (!$has{connection}
        && ($version ne 'HTTP/1.0' || $connection eq 'keep-alive'))
    {
        $req .= "Connection: $connection\r\n";
    }

    if (!$has{'content-length'} && !$has{'transfer-encoding'}
        && (length $body || $method =~ /^(POST|PUT|PATCH)$/))
    {
        $req .= 'Content-Length: ' . length($body) . "\r\n";
    }

    $req .= "$_\r\n" for @headers;
    $req .= "\r\n$body";

    return { method => $method, text => $req,
             close => closes_connection($req) };
}


sub more_headers {
    my $c = shift;

    return () unless defined $c->{more_headers};

    return grep { /\S/ } map { s/\s+$//r } split /\n/, $c->{more_headers};
}


# whether nginx will close the connection after answering $text
sub closes_connection {
    my $text = shift;

    my ($head) = split /\r?\n\r?\n/, $text, 2;
    $head = '' unless defined $head;

    return 1 if $head =~ /^Connection:\s*close/mi;
    return 0 if $head =~ /^Connection:\s*keep-alive/mi;

    return $head =~ m{^\S+ \S+ HTTP/1\.0}m ? 1 : 0;
}


sub run_exchanges {
    my ($c, $rep) = @_;

    my $idx = 0;

    for my $x (@{ $c->{exchanges} }) {
        verbose("request:\n" . join '', @{ $x->{packets} });

        my $result = Test::Nginx::Mini::Client::exchange(
            %$x,
            port    => $ServerPort,
            timeout => $c->{timeout},
        );

        Time::HiRes::sleep($c->{wait}) if $c->{wait};

        my @responses = Test::Nginx::Mini::Client::parse_responses(
            $result->{data}, $x->{methods}, $result->{eof});

        verbose("response:\n$result->{data}");

        my $lines = take_log($c);

        for my $i (0 .. $#{ $x->{methods} }) {
            my $label = label($c, $rep, $idx);

            check_response($c, $label, $idx, $responses[$i], $result)
                unless $c->{ignore_response};

            check_timeout($c, $label, $result) if $c->{ignore_response};

            check_log($c, $label, $rep, $lines);

            $idx++;
        }

        report_alerts($c, $lines, label($c, $rep, $idx - 1));
    }

    return;
}


sub label {
    my ($c, $rep, $idx) = @_;

    my @what;
    push @what, "req $idx" if request_count($c) > 1;
    push @what, "repeat $rep" if $Opt{repeat_each} > 1;

    return @what ? "$c->{name} (" . join(', ', @what) . ')' : $c->{name};
}


sub request_count {
    my $c = shift;

    my $n = 0;
    $n += @{ $_->{methods} } for @{ $c->{exchanges} };

    return $n;
}


# The error log written since the previous look, for this request only.
sub take_log {
    my $c = shift;

    my ($lines, $pos) = $Server->read_log($c->{log_pos});
    $c->{log_pos} = $pos;

    verbose("error log:\n" . join "\n", @$lines) if @$lines;

    return $lines;
}


sub verbose {
    Test::More::diag(@_) if $Opt{verbose};

    return;
}


# ------------------------------------------------------------------------
# checks: the status always, then each header line, then the body when
# the block names one; error log patterns follow in check_log

sub check_response {
    my ($c, $label, $idx, $res, $result) = @_;

    check_status($c, $label, $idx, $res, $result);
    check_headers($c, $label, $idx, $res);
    check_headers_like($c, $label, $idx, $res);
    check_body($c, $label, $idx, $res);

    return;
}


sub pick {
    my ($value, $idx) = @_;

    return ref $value eq 'ARRAY' ? $value->[$idx] : $value;
}


sub check_status {
    my ($c, $label, $idx, $res, $result) = @_;

    my $want = pick($c->{error_code}, $idx);
    $want = 200 unless defined $want;
    $want =~ s/^\s+|\s+$//g;

    my $got = $res ? $res->{status} : undef;

    if ($result->{timed_out} && !$c->{abort}) {
        Test::More::fail("$label - status code ok");
        Test::More::diag("no answer within $c->{timeout} s "
                         . "(\"--- abort\" allows that)");
        return;
    }

    Test::More::is($got, $want, "$label - status code ok")
        or Test::More::diag(exchange_problem($result, $res));

    return;
}


sub check_timeout {
    my ($c, $label, $result) = @_;

    return unless $result->{timed_out} && !$c->{abort};

    Test::More::fail("$label - answered within $c->{timeout} s");

    return;
}


sub exchange_problem {
    my ($result, $res) = @_;

    return $result->{error} if $result->{error};
    return 'the client timed out' if $result->{timed_out};
    return 'no response arrived' unless length $result->{data};

    return "unparsable response: " . substr($result->{data}, 0, 200)
        unless $res && defined $res->{status};

    return 'the response is incomplete' unless $res->{complete};

    return ();
}


sub check_headers {
    my ($c, $label, $idx, $res) = @_;

    my $spec = pick($c->{response_headers}, $idx);

    for my $pair (header_specs($spec)) {
        my ($name, $want) = @$pair;
        my $got = response_header($res, $name);

        if (!defined $want) {
            Test::More::ok(!defined $got, "$label - header $name not present")
                or Test::More::diag("got \"$name: $got\"");
            next;
        }

        Test::More::is($got, $want, "$label - header $name ok");
    }

    return;
}


sub check_headers_like {
    my ($c, $label, $idx, $res) = @_;

    my $spec = pick($c->{response_headers_like}, $idx);

    for my $pair (header_specs($spec)) {
        my ($name, $pattern) = @$pair;
        my $got = response_header($res, $name);

        if (!defined $pattern) {
            Test::More::ok(!defined $got, "$label - header $name not present");
            next;
        }

        Test::More::like($got, qr/^(?:$pattern)$/,
                         "$label - header $name like ok");
    }

    return;
}


sub response_header {
    my ($res, $name) = @_;

    return $res ? Test::Nginx::Mini::Client::header($res, $name) : undef;
}


# "Name: value" lines ("!Name" for absent), or an eval'd hash with undef
# for absent; returns [name, value or undef] pairs, one per check.
sub header_specs {
    my $spec = shift;

    return () unless defined $spec;

    if (ref $spec eq 'HASH') {
        return map { [$_, $spec->{$_}] } sort keys %$spec;
    }

    my @pairs;

    for my $line (split /\n/, $spec) {
        next unless $line =~ /\S/;

        $line =~ s/^\s+|\s+$//g;

        if ($line =~ /^!\s*(.+)$/) {
            push @pairs, [$1, undef];
            next;
        }

        my ($name, $value) = split /\s*:\s*/, $line, 2;
        push @pairs, [$name, defined $value ? $value : ''];
    }

    return @pairs;
}


sub check_body {
    my ($c, $label, $idx, $res) = @_;

    my $body = $res ? $res->{body} : undef;
    my $want = pick($c->{response_body}, $idx);

    if (defined $want) {
        my $name = "$label - response_body - response is expected";

        if (ref $want eq 'Regexp') {
            Test::More::like($body, $want, $name);
            return;
        }

        is_text($body, $want, $name);
        return;
    }

    my $pattern = pick($c->{response_body_like}, $idx);

    return unless defined $pattern;

    $pattern = qr/$pattern/s unless ref $pattern eq 'Regexp';

    Test::More::like($body, $pattern,
                     "$label - response_body_like - response is expected");

    return;
}


# Test::More::is, but a long or multi-line mismatch is told by where it
# starts, which is what one needs to read a long body.
sub is_text {
    my ($got, $want, $name) = @_;

    my $plain = !defined $got || !defined $want || $got eq $want
                || (length $want < LONG_STRING && $want !~ /\n./);

    return Test::More::is($got, $want, $name)
        if $plain || (!$Opt{long_string} && !$Opt{diff});

    Test::More::ok(0, $name);
    Test::More::diag(describe_difference($got, $want));

    return 0;
}


sub describe_difference {
    my ($got, $want) = @_;

    my $at = 0;
    $at++ while $at < length $got && $at < length $want
                && substr($got, $at, 1) eq substr($want, $at, 1);

    my $line = 1 + (substr($want, 0, $at) =~ tr/\n//);
    my $from = $at < 20 ? 0 : $at - 20;

    return sprintf "got %d bytes, expected %d; they differ at offset %d "
                   . "(line %d):\n     got: %s\nexpected: %s",
                   length $got, length $want, $at, $line,
                   quote(substr $got, $from, 60),
                   quote(substr $want, $from, 60);
}


sub quote {
    my $text = shift;

    $text =~ s/\\/\\\\/g;
    $text =~ s/\n/\\n/g;
    $text =~ s/\r/\\r/g;
    $text =~ s/\t/\\t/g;

    return "\"$text\"";
}


# ------------------------------------------------------------------------
# error log checks: one per pattern, and one for grep_error_log_out

sub check_log {
    my ($c, $label, $rep, $lines) = @_;

    for my $pattern (patterns($c->{error_log})) {
        my $hit = first_match($lines, $pattern);

        Test::More::ok(defined $hit, "$label - pattern \"$pattern\" "
                                     . "matches a line in error.log")
            or Test::More::diag('no such line among the '
                                . scalar(@$lines) . ' logged');
    }

    for my $pattern (patterns($c->{no_error_log})) {
        my $hit = first_match($lines, $pattern);

        Test::More::ok(!defined $hit, "$label - pattern \"$pattern\" "
                                      . "does not match a line in error.log")
            or Test::More::diag("matched: $hit");
    }

    check_grep_log($c, $label, $rep, $lines);

    return;
}


sub check_grep_log {
    my ($c, $label, $rep, $lines) = @_;

    my $pattern = $c->{grep_error_log};
    my $want = $c->{grep_error_log_out};

    return unless defined $pattern && defined $want;

    # a list gives the output of each repetition
    $want = $want->[$rep] if ref $want eq 'ARRAY';

    my $got = join '', map { "$_\n" } grep_log($lines, $pattern);
    my $name = "$label - grep_error_log_out";

    if (ref $want eq 'Regexp') {
        Test::More::like($got, $want, $name);
        return;
    }

    is_text($got, $want, $name);

    return;
}


# one match per line, as the real scaffold greps
sub grep_log {
    my ($lines, $pattern) = @_;

    my @found;

    for my $line (@$lines) {
        if (ref $pattern eq 'Regexp') {
            push @found, $& if $line =~ $pattern;
            next;
        }

        push @found, $pattern if index($line, $pattern) >= 0;
    }

    return @found;
}


# a section's patterns: lines (substrings), or eval'd regexes and lists
sub patterns {
    my $spec = shift;

    return () unless defined $spec;

    return map { ref $_ eq 'ARRAY' ? patterns($_) : $_ } @$spec
        if ref $spec eq 'ARRAY';

    return $spec if ref $spec;

    return grep { /\S/ } split /\n/, $spec;
}


sub first_match {
    my ($lines, $pattern) = @_;

    for my $line (@$lines) {
        return $line if ref $pattern eq 'Regexp' ? $line =~ $pattern
                                                 : index($line, $pattern) >= 0;
    }

    return undef;
}


# [alert], [crit] and [emerg] mean nginx itself is in trouble: each such
# line fails, unless the block's error_log asks for it.
sub report_alerts {
    my ($c, $lines, $label) = @_;

    if (!ref $lines) {
        ($lines) = $Server->read_log($lines);
    }

    my @expected = patterns($c->{error_log});

    my @alerts = grep {
        my $line = $_;
        !grep { defined first_match([$line], $_) } @expected;
    } grep { /^(?:\S+ \S+ |nginx: )\[(?:alert|crit|emerg)\]/ } @$lines;

    return unless @alerts;

    Test::More::fail("$label - no [alert], [crit] or [emerg] in error.log");
    Test::More::diag(join "\n", @alerts);

    return;
}


# ------------------------------------------------------------------------
# must_die: nginx is expected not to start.  The response checks count as
# skipped, as the real scaffold counts them; error_log patterns are looked
# up in what nginx said while failing.

sub check_death {
    my ($c, $start) = @_;

    my $code = $c->{must_die};
    my $died = !$start->{ok};
    my $why = '';

    if (!$died) {
        $why = 'nginx started though the block says must_die';
        $Server->stop;

    } elsif ($code =~ /^\s*(\d+)\s*$/ && defined $start->{exit_code}
             && $start->{exit_code} != $1)
    {
        $why = "nginx exited with code $start->{exit_code}, not $1";
        $died = 0;
    }

    my ($log) = $Server->read_log(0);
    my $lines = [@$log, @{ $Server->read_stderr }];

    for my $rep (0 .. $Opt{repeat_each} - 1) {
        my $count = request_count($c) || 1;

        for my $idx (0 .. $count - 1) {
            my $label = label($c, $rep, $idx);

            skip_response_checks($c, $label, $idx, $died, $why)
                unless $c->{ignore_response};

            check_log($c, $label, $rep, $lines);
        }
    }

    return;
}


sub skip_response_checks {
    my ($c, $label, $idx, $died, $why) = @_;

    if (!$died) {
        Test::More::fail("$label - nginx dies");
        Test::More::diag($why);
    }

    my $n = ($died ? 1 : 0)
            + count(header_specs(pick($c->{response_headers}, $idx)))
            + count(header_specs(pick($c->{response_headers_like}, $idx)))
            + (defined pick($c->{response_body}, $idx)
               || defined pick($c->{response_body_like}, $idx) ? 1 : 0);

    SKIP: {
        Test::More::skip("$label - nginx died as expected, no request", $n)
            if $n;
    }

    return;
}


sub count { scalar @_ }


sub startup_report {
    my $start = shift;

    my ($log) = $Server->read_log(0);
    my @said = (@{ $Server->read_stderr },
                grep { /\[(?:emerg|alert|crit|error)\]/ } @$log);

    return join "\n", $start->{message} || 'nginx did not start', @said;
}


1;
