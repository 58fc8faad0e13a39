package Test::Nginx::Mini::Server;

# The nginx under test: writes the server root (nginx.conf, html files),
# starts nginx in the foreground as our own child, waits until it is ready
# or gone, stops and reaps it, and reads its error log by offsets.

use strict;
use warnings;

use File::Basename ();
use File::Path ();
use POSIX ();
use Time::HiRes ();

# how long nginx may take to write its pid file before we give up on it
use constant START_TIMEOUT => 5;

# how long to wait for nginx to exit after each signal of the stop sequence
use constant STOP_TIMEOUT  => 1;

use constant POLL_INTERVAL => 0.002;

# a must_die nginx may write its pid file and still die in init_process
use constant DIE_GRACE     => 0.3;


# binary, servroot (absolute), port
sub new {
    my ($class, %opt) = @_;

    my $root = $opt{servroot};

    return bless {
        %opt,
        html_dir    => "$root/html",
        conf_file   => "$root/conf/nginx.conf",
        error_log   => "$root/logs/error.log",
        stderr_file => "$root/logs/nginx.stderr",
        pid_file    => "$root/logs/nginx.pid",
        pid         => undef,
    }, $class;
}


sub html_dir  { $_[0]{html_dir} }
sub error_log { $_[0]{error_log} }
sub running   { defined $_[0]{pid} }


# A fresh server root for a block: the old one goes entirely, as with the
# real scaffold, so no log or file of the previous block is seen.
sub prepare {
    my ($self, $conf, $user_files) = @_;

    my $root = $self->{servroot};

    die "refusing to use \"$root\" as the server root\n"
        if $root !~ m{^/.+/.};

    File::Path::remove_tree($root);

    for my $dir (qw(conf html logs)) {
        File::Path::make_path("$root/$dir");
    }

    write_file($self->{conf_file}, $conf);
    write_file($self->{error_log}, '');

    for my $file (@$user_files) {
        my ($name, $content) = @$file;
        my $path = "$self->{html_dir}/$name";

        File::Path::make_path(File::Basename::dirname($path));
        write_file($path, $content);
    }

    return;
}


sub write_file {
    my ($path, $content) = @_;

    open my $fh, '>', $path or die "cannot write \"$path\": $!\n";
    print {$fh} $content;
    close $fh or die "cannot write \"$path\": $!\n";

    return;
}


sub command {
    my $self = shift;

    return ($self->{binary}, '-p', "$self->{servroot}/",
            '-c', $self->{conf_file}, '-e', $self->{error_log});
}


# Starts nginx and waits for its pid file, which nginx writes after the
# listening sockets are open.  Returns a hash: ok, exited (with status) or
# a message; the caller decides what a death means (must_die).
sub start {
    my ($self, %opt) = @_;

    my @cmd = $self->command;

    my $pid = fork;
    die "fork: $!\n" unless defined $pid;

    if ($pid == 0) {
        open STDIN, '<', '/dev/null';
        open STDOUT, '>', $self->{stderr_file};
        open STDERR, '>&', \*STDOUT;
        {
            no warnings 'exec';
            exec { $cmd[0] } @cmd;
        }
        print STDERR "cannot run $cmd[0]: $!\n";
        POSIX::_exit(127);
    }

    $self->{pid} = $pid;

    my $deadline = Time::HiRes::time() + START_TIMEOUT;

    while (Time::HiRes::time() < $deadline) {
        if (my $status = $self->reap(0)) {
            return $status;
        }

        if (-e $self->{pid_file}) {
            return $self->linger_for_death if $opt{expect_death};
            return { ok => 1 };
        }

        Time::HiRes::sleep(POLL_INTERVAL);
    }

    $self->stop;

    return { ok => 0, message => 'nginx wrote no pid file in '
                                 . START_TIMEOUT . ' s' };
}


sub linger_for_death {
    my $self = shift;

    my $deadline = Time::HiRes::time() + DIE_GRACE;

    while (Time::HiRes::time() < $deadline) {
        if (my $status = $self->reap(0)) {
            return $status;
        }

        Time::HiRes::sleep(POLL_INTERVAL);
    }

    return { ok => 1 };
}


# Polls our child for up to $timeout seconds; returns its exit description
# once reaped, undef while it runs.
sub reap {
    my ($self, $timeout) = @_;

    my $pid = $self->{pid};
    return undef unless defined $pid;

    my $deadline = Time::HiRes::time() + $timeout;

    while (1) {
        my $rc = waitpid($pid, POSIX::WNOHANG());

        if ($rc == $pid || $rc < 0) {
            my $status = $?;
            $self->{pid} = undef;

            return {
                ok        => 0,
                exited    => 1,
                exit_code => $status >> 8,
                signal    => $status & 127,
                message   => describe_status($status),
            };
        }

        return undef if Time::HiRes::time() >= $deadline;

        Time::HiRes::sleep(POLL_INTERVAL);
    }
}


sub describe_status {
    my $status = shift;

    return 'nginx was killed by signal ' . ($status & 127) if $status & 127;

    return 'nginx exited with code ' . ($status >> 8);
}


# QUIT first so that nginx logs its exit as usual; TERM and KILL only for
# an nginx that does not listen.
sub stop {
    my $self = shift;

    for my $signal (qw(QUIT TERM KILL)) {
        return unless defined $self->{pid};

        kill $signal, $self->{pid};

        return if $self->reap(STOP_TIMEOUT);
    }

    return;
}


sub log_size {
    my $self = shift;

    return -s $self->{error_log} || 0;
}


# The error log from byte $from on: (lines, the offset reached).
sub read_log {
    my ($self, $from) = @_;

    my $text = read_from($self->{error_log}, $from);

    return ([split /\n/, $text], $from + length $text);
}


sub read_stderr {
    my $self = shift;

    return [split /\n/, read_from($self->{stderr_file}, 0)];
}


sub read_from {
    my ($path, $from) = @_;

    open my $fh, '<', $path or return '';
    seek $fh, $from, 0;

    local $/;
    my $text = <$fh>;

    return defined $text ? $text : '';
}


1;
