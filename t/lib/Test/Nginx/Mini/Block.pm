package Test::Nginx::Mini::Block;

# One "=== TEST" block of a suite's data section, read the way Test::Base
# reads it: "--- name filters" opens a section, "--- name: value" is a one
# line section, ONLY / SKIP / LAST choose the blocks.  Filters run lazily,
# on the first look at a block, because suites commonly assign the globals
# that their "eval" sections use after "plan tests => ... blocks()".

use strict;
use warnings;

use Carp ();

our $AUTOLOAD;

# every section goes through these first, as in Test::Base
my @DEFAULT_FILTERS = qw(norm trim);


# Split the data section into blocks; returns the blocks to run.
sub parse_spec {
    my ($class, $text) = @_;

    my @hunks = $text =~ /^(===.*?(?=^===|\z))/msg;
    my @blocks;
    my $seq = 0;

    for my $hunk (@hunks) {
        my $block = $class->new_from_hunk($hunk, ++$seq);

        if ($block->has_section('ONLY')) {
            Test::More::diag("I found ONLY: maybe you're debugging?");
            return ($block);
        }

        next if $block->has_section('SKIP');

        push @blocks, $block;

        last if $block->has_section('LAST');
    }

    return @blocks;
}


sub new_from_hunk {
    my ($class, $hunk, $seq) = @_;

    $hunk .= "\n" unless $hunk =~ /\n\z/;
    $hunk =~ s/\A===[^\S\n]*(.*)$//m;

    my $self = bless {
        name    => $1,
        seq_num => $seq,
        raw     => {},
        filters => {},
        values  => undef,
    }, $class;

    my @parts = split /^--- +\(?(\w+)\)? *(.*)?\n/m, $hunk;

    my $description = shift @parts;
    $description = '' unless defined $description;
    $description =~ s/\s*\z//;
    $self->{description} = $description =~ /\S/ ? $description : $self->{name};

    while (@parts) {
        my ($type, $filters, $value) = splice @parts, 0, 3;

        $filters = '' unless defined $filters;
        $value = '' unless defined $value;

        # "--- error_code: 404" and "--- http_config eval: $::HttpConfig"
        if ($filters =~ /:(\s|\z)/) {
            Carp::croak("extra lines not allowed in '$type' section")
                if $value =~ /\S/;

            ($filters, $value) = split /\s*:(?:\s+|\z)/, $filters, 2;
            $value = '' unless defined $value;
            $value =~ s/^\s*(.*?)\s*$/$1/s;
        }

        $self->{raw}{$type} = $value;
        $self->{filters}{$type} = $filters;
    }

    return $self;
}


sub name        { $_[0]{name} }
sub description { $_[0]{description} }
sub seq_num     { $_[0]{seq_num} }


sub has_section {
    my ($self, $type) = @_;

    return exists $self->{values}{$type} if $self->{values};

    return exists $self->{raw}{$type};
}


sub section_names {
    my $self = shift;

    $self->run_filters;

    return sort keys %{ $self->{values} };
}


sub set_value {
    my ($self, $type, @values) = @_;

    $self->run_filters;
    $self->{values}{$type} = \@values;

    return;
}


# Section accessor: the first value in scalar context, all in list context,
# like Test::Base::Block's generated accessors.
sub value {
    my ($self, $type) = @_;

    $self->run_filters;

    my $values = $self->{values}{$type};

    return wantarray ? () : undef unless $values;

    return wantarray ? @$values : $values->[0];
}


sub run_filters {
    my $self = shift;

    return if $self->{values};

    my %values;

    for my $type (keys %{ $self->{raw} }) {
        my @values = ($self->{raw}{$type});

        for my $filter ($self->filter_list($type)) {
            @values = apply_filter($filter, $type, $self->{name}, @values);
        }

        $values{$type} = \@values;
    }

    $self->{values} = \%values;

    return;
}


# defaults first, then the section's own; "-trim" drops a default
sub filter_list {
    my ($self, $type) = @_;

    my @own = grep { length } split /[\s,]+/, $self->{filters}{$type};
    my %drop = map { substr($_, 1) => 1 } grep { /^-/ } @own;

    return (grep({ !$drop{$_} } @DEFAULT_FILTERS), grep { !/^-/ } @own);
}


sub apply_filter {
    my ($filter, $type, $name, @values) = @_;

    if ($filter eq 'norm') {
        return map { defined && !ref ? s/\r\n?/\n/gr : $_ } @values;
    }

    if ($filter eq 'trim') {
        return map { defined && !ref ? trim($_) : $_ } @values;
    }

    if ($filter eq 'chomp') {
        return map { my $v = $_; chomp $v if defined $v && !ref $v; $v }
               @values;
    }

    if ($filter eq 'chop') {
        return map { my $v = $_; chop $v if defined $v && !ref $v; $v }
               @values;
    }

    if ($filter eq 'lines') {
        return map { /^.*\n?/mg } grep { defined && length } @values;
    }

    if ($filter eq 'join') {
        return join '', @values;
    }

    if ($filter eq 'eval') {
        return eval_code($values[0], $type, $name);
    }

    die "$name: unknown filter '$filter' in section '$type'\n";
}


# Test::Base's trim: leading blank lines go, and whatever blank follows the
# last newline, so a multi-line section ends in exactly one "\n".
sub trim {
    my $text = shift;

    $text =~ s/\A([ \t]*\n)+//;
    $text =~ s/(?<=\n)\s*\z//;

    return $text;
}


# Evaluated in package main, where suites keep "our $HttpConfig".
sub eval_code {
    my ($code, $type, $name) = @_;

    my @result = eval "package main; no strict; no warnings;\n#line 1\n$code";

    die "$name: eval of section '$type' failed: $@" if $@;

    return @result;
}


sub AUTOLOAD {
    my $self = shift;

    (my $type = $AUTOLOAD) =~ s/.*:://;

    return if $type eq 'DESTROY';

    Carp::croak("$type is not a method of a block") unless ref $self;

    return $self->value($type);
}


1;
