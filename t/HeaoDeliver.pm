package HeaoDeliver;

# What the suites of the accounts' codes and notices share (A8, A9, A12,
# V3): fake SMS gateway and WeChat API as real HTTP peers on loopback
# (t/lib/heao-mock-peer), tools/heao-deliver run once against them, and
# what the peers received, read back the way a candidate's phone would
# show it.  Ports 18131-18139 are this module's.

use strict;
use warnings;
use Exporter 'import';
use FindBin;
use IO::Socket::INET;
use JSON::PP ();
use Time::HiRes ();

our @EXPORT = qw(mock_start deliver received sms_texts last_code
                 wechat_sends portal);

my $TOP = "$FindBin::Bin/..";
my $JSON = JSON::PP->new->canonical;
my %PIDS;


# a mock peer on PORT that logs to a fresh file; returns the log's path
sub mock_start {
    my ($port, @opt) = @_;
    my $dir = "$TOP/t/servroot-accounts";
    my $log = "$dir/mock-$port.log";

    mkdir $dir unless -d $dir;

    unlink $log;

    my $pid = fork // die "fork: $!";
    if ($pid == 0) {
        exec("$TOP/t/lib/heao-mock-peer", $port, $log, @opt)
            or die "exec heao-mock-peer: $!";
    }

    $PIDS{$pid} = 1;

    for (1 .. 50) {
        my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
                                      PeerPort => $port);
        if ($s) {
            close $s;
            last;
        }
        Time::HiRes::sleep(0.1);
    }

    # the connection above was logged as an empty request: start clean
    Time::HiRes::sleep(0.1);
    truncate($log, 0);

    return $log;
}


END {
    kill 'TERM', keys %PIDS if %PIDS;
}


# tools/heao-deliver --once against the test database and the mocks
sub deliver {
    my (%o) = @_;
    my $pg = "host=127.0.0.1 port=$ENV{TEST_NGINX_PG_PORT} dbname=heao"
             . " user=heao";
    my @cmd = ("$TOP/tools/heao-deliver", '--once', '--pg', $pg,
               '--backoff', $o{backoff} // 0);

    push @cmd, '--sms', "http://127.0.0.1:$o{sms}/sms" if $o{sms};
    push @cmd, '--wechat', "http://127.0.0.1:$o{wechat}",
               '--wechat-appid', 'wxheaotest' if $o{wechat};
    push @cmd, '--max-attempts', $o{max} if $o{max};

    open(my $fh, '-|', @cmd) or die "heao-deliver: $!";
    local $/;
    my $out = <$fh> // '';
    close $fh or die "heao-deliver failed: $out\n";

    return $out;
}


# the requests a mock received, oldest first
sub received {
    my ($log) = @_;
    my @r;

    open(my $fh, '<', $log) or return ();
    while (my $line = <$fh>) {
        push @r, $JSON->decode($line);
    }
    close $fh;

    return @r;
}


# the texts the SMS gateway was given for a phone, oldest first
sub sms_texts {
    my ($log, $phone) = @_;

    return map { $_->{text} }
           grep { $_->{phone} eq $phone }
           map { $JSON->decode($_->{body}) }
           grep { $_->{path} eq '/sms' } received($log);
}


# the code of the last text to the phone
sub last_code {
    my ($log, $phone) = @_;
    my @t = sms_texts($log, $phone);

    return @t && $t[-1] =~ /验证码(\d{6})/ ? $1 : undef;
}


# the template messages WeChat was given for an openid
sub wechat_sends {
    my ($log, $openid) = @_;

    return grep { $_->{touser} eq $openid }
           map { $JSON->decode($_->{body}) }
           grep { $_->{path} eq '/cgi-bin/message/template/send' }
           received($log);
}


# a request to the portal tools/test runs (same module, same backends);
# returns the decoded body and the status
sub portal {
    my ($method, $path, $body, $headers) = @_;
    my $port = $ENV{HEAO_HTTP_PORT} or die "HEAO_HTTP_PORT is not set\n";
    my $sock = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
                                     PeerPort => $port, Timeout => 10)
        or die "connect to the portal: $!\n";
    my $text = ref $body ? $JSON->encode($body) : ($body // '');

    $headers = $headers // '';
    $headers =~ s/\r?\n/\r\n/g;

    print $sock "$method $path HTTP/1.1\r\nHost: localhost\r\n"
        . "Connection: close\r\nContent-Type: application/json\r\n"
        . $headers . "Content-Length: " . length($text) . "\r\n\r\n"
        . $text;

    local $/;
    my $resp = <$sock> // '';
    my ($status) = $resp =~ m{^HTTP/1\.1 (\d+)};
    $resp =~ s/\A.*?\r\n\r\n//s;

    return (eval { $JSON->decode($resp) } // { raw => $resp }, $status);
}


1;
