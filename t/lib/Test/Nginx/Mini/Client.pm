package Test::Nginx::Mini::Client;

# A small HTTP client: sends one exchange (one request, a pipelined batch
# or raw bytes in packets) on one connection, reads the answer, and parses
# responses out of it with chunked bodies decoded.

use strict;
use warnings;

use IO::Select ();
use IO::Socket::INET ();
use Time::HiRes ();

# pause between the packets of one request, so that nginx reads them apart
use constant PACKET_DELAY => 0.01;

# on a kept-alive connection the log phase runs after the response is out
use constant KEEPALIVE_SETTLE => 0.02;


# %x: port, packets (array), methods (one per expected response), close
# (nginx will close after the last response), timeout, abort.
# Returns { data, timed_out, error }.
sub exchange {
    my (%x) = @_;

    my $sock = IO::Socket::INET->new(
        PeerAddr => '127.0.0.1',
        PeerPort => $x{port},
        Proto    => 'tcp',
        Timeout  => $x{timeout},
    );

    return { data => '', error => "cannot connect: $!" } unless $sock;

    $sock->blocking(0);

    local $SIG{PIPE} = 'IGNORE';

    my $result = { data => '' };

    send_packets($sock, $x{packets}, $x{timeout});
    read_answer($sock, \%x, $result);

    close $sock;

    return $result;
}


# Writing stops early when nginx has answered and stopped reading (413,
# for example): what it said is then read as usual.
sub send_packets {
    my ($sock, $packets, $timeout) = @_;

    my $select = IO::Select->new($sock);

    for my $i (0 .. $#$packets) {
        Time::HiRes::sleep(PACKET_DELAY) if $i > 0;

        my $buf = $packets->[$i];

        while (length $buf) {
            return unless $select->can_write($timeout);

            my $n = syswrite $sock, $buf;

            if (!defined $n) {
                next if $!{EAGAIN} || $!{EINTR};
                return;
            }

            substr($buf, 0, $n, '');
        }
    }

    return;
}


# Reads until nginx closes the connection, or, when it keeps it alive,
# until every expected response is complete; "timeout" is the longest
# silence allowed.
sub read_answer {
    my ($sock, $x, $result) = @_;

    my $select = IO::Select->new($sock);

    while (1) {
        if (!$x->{close} && all_complete($result->{data}, $x->{methods})) {
            Time::HiRes::sleep(KEEPALIVE_SETTLE);
            return;
        }

        if (!$select->can_read($x->{timeout})) {
            $result->{timed_out} = 1;
            return;
        }

        my $n = sysread $sock, $result->{data}, 65536,
                        length $result->{data};

        if (!defined $n) {
            next if $!{EAGAIN} || $!{EINTR};
            $result->{error} = "read failed: $!";
            return;
        }

        if ($n == 0) {
            $result->{eof} = 1;
            return;
        }
    }
}


sub all_complete {
    my ($data, $methods) = @_;

    my @responses = parse_responses($data, $methods, 0);

    return @responses == @$methods && !grep { !$_->{complete} } @responses;
}


# The responses in $data, one per method given, as far as they arrived.
# $eof says the connection was closed, which ends a body without length.
sub parse_responses {
    my ($data, $methods, $eof) = @_;

    my @responses;
    my $pos = 0;

    for my $method (@$methods) {
        my $res = parse_response(\$data, \$pos, $method, $eof);

        last unless $res;

        push @responses, $res;

        last unless $res->{complete};
    }

    return @responses;
}


sub parse_response {
    my ($data, $pos, $method, $eof) = @_;

    while (1) {
        my $head_end = index $$data, "\r\n\r\n", $$pos;

        if ($head_end < 0) {
            return undef if $$pos >= length $$data;
            return new_response(substr($$data, $$pos), 0);
        }

        my $res = new_response(substr($$data, $$pos, $head_end - $$pos), 1);

        return $res unless defined $res->{status};

        $$pos = $head_end + 4;

        # interim 1xx responses precede the one that counts
        next if $res->{status} =~ /^1/ && $res->{status} != 101;

        read_body($res, $data, $pos, $method, $eof);

        return $res;
    }
}


# Status line and headers; "complete" is cleared until the body is read.
sub new_response {
    my ($head, $head_complete) = @_;

    my @lines = split /\r\n/, $head;
    my $status_line = shift @lines;

    my $res = { raw_headers => $head, headers => [], body => '',
                complete => 0, head_complete => $head_complete };

    if (defined $status_line
        && $status_line =~ m{^HTTP/(\d+\.\d+) +(\d{3})(?: (.*))?$})
    {
        $res->{protocol} = $1;
        $res->{status} = $2;
        $res->{reason} = $3;
    }

    for my $line (@lines) {
        if ($line =~ /^[ \t]/ && @{ $res->{headers} }) {
            $line =~ s/^\s+//;
            $res->{headers}[-1][1] .= " $line";
            next;
        }

        my ($name, $value) = split /:[ \t]*/, $line, 2;
        $value = '' unless defined $value;
        $value =~ s/\s+$//;

        push @{ $res->{headers} }, [$name, $value];
    }

    return $res;
}


# All values of a header joined by ", ", or undef when it is absent.
sub header {
    my ($res, $name) = @_;

    my @values = map { $_->[1] } grep { lc $_->[0] eq lc $name }
                 @{ $res->{headers} };

    return @values ? join(', ', @values) : undef;
}


sub read_body {
    my ($res, $data, $pos, $method, $eof) = @_;

    my $status = $res->{status};
    my $te = header($res, 'Transfer-Encoding');
    my $length = header($res, 'Content-Length');

    if ($method eq 'HEAD' || $status == 204 || $status == 304) {
        $res->{complete} = 1;
        return;
    }

    if (defined $te && $te =~ /chunked/i) {
        ($res->{body}, $$pos, $res->{complete}) = decode_chunked($data, $$pos);
        return;
    }

    if (defined $length && $length =~ /^\d+$/) {
        $res->{body} = substr $$data, $$pos, $length;
        $$pos += length $res->{body};
        $res->{complete} = length $res->{body} == $length;
        return;
    }

    # no length: the body runs to the end of the connection
    $res->{body} = substr $$data, $$pos;
    $$pos = length $$data;
    $res->{complete} = $eof ? 1 : 0;

    return;
}


# Returns (body, offset after it, complete).
sub decode_chunked {
    my ($data, $pos) = @_;

    my $body = '';

    while (1) {
        my $eol = index $$data, "\r\n", $pos;
        return ($body, $pos, 0) if $eol < 0;

        my $line = substr $$data, $pos, $eol - $pos;
        return ($body, $pos, 0) unless $line =~ /^([0-9a-fA-F]+)[ \t]*(;.*)?$/;

        my $size = hex $1;

        if ($size == 0) {
            # the last chunk, then trailers up to an empty line
            my $end = index $$data, "\r\n\r\n", $eol;
            return ($body, $eol + 2, 0) if $end < 0;
            return ($body, $end + 4, 1);
        }

        my $start = $eol + 2;

        if (length($$data) < $start + $size + 2) {
            return ($body . substr($$data, $start), length $$data, 0);
        }

        $body .= substr $$data, $start, $size;
        $pos = $start + $size + 2;
    }
}


1;
