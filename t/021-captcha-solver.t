# A2: a script against the slider captcha, as a bot would run it: it asks
# the portal of tools/test (HEAO_HTTP_PORT) for challenges, reads only
# the two PNGs and "y" of each, answers with its best guess, and counts
# the tickets the server gives.  Two cheap attacks, 50 challenges each:
#
#   ratio     the gap used to be the piece's own pixels scaled (2/5):
#             the left edge where background = k * piece holds, within
#             rounding, for one k over the most pixels of the piece
#   darkest   the left edge where the background under the piece's
#             silhouette is darkest
#
# Chance, with the tolerance the server uses (4 pixels either way): the
# gap's left edge is one of 200 (60 to 259) and 9 of them pass, so a
# blind guess wins 9 times in 200.  The ratio attack is held to that: it
# must find nothing.  The background has two decoy gaps on the same row,
# shaded alike over the gap's own pixels, whose shapes hold the piece's
# silhouette; the darkest attack can at best pick one of the three, and
# is held to one time in three.  Each limit below leaves an attack that
# does no better than chance under a 1 in 2000 risk of a false failure
# (binomial tails over 50), while a working attack (the old gap: nearly
# 50 of 50 for both) fails at once.
#
# So that a broken attack cannot pass for a defence, both first solve
# gaps drawn the old way (the piece's pixels times 2/5) into a picture of
# their own, with the served piece's silhouette.
#
# The PNGs themselves: only the chunks a picture needs (no text, time,
# pHYs or other ancillary chunk), and the piece fully transparent around
# its shape, the same bytes under every transparent pixel.

use strict;
use warnings;

use FindBin;
use lib $FindBin::Bin;

use Test::More;
use MIME::Base64 ();
use Time::HiRes ();
use HeaoTest;

plan skip_all => 'needs the portal of tools/test (HEAO_HTTP_PORT)'
    unless $ENV{HEAO_HTTP_PORT};

# libgd-perl (tools/deps test)
use GD;

my $CHALLENGES = 50;
my $RATIO_MAX = 9;          # 9/200 each: P(>= 10 of 50) = 0.00007
my $DARKEST_MAX = 28;       # 1/3 each: P(>= 29 of 50) = 0.0003
my $STEP = 2;               # the attacks read every other row and column
my $ROUNDING = 1.5;         # what rounding leaves of an exact scaling
my $MIN_LEVEL = 24;         # darker piece pixels say little of a ratio
my $CONTROLS = 10;          # old-style gaps the attacks must solve
my $CONTROL_MIN = 8;
my $TOLERANCE = 4;          # the server's, for the old-style gaps


# a challenge from the portal: its JSON and its two pictures
sub challenge {
    my $body = http_post('/api/captcha', '{}');
    my $c = eval { $HeaoTest::JSON->decode($body) }
        or die "no challenge: $body\n";

    for my $name ('background', 'piece') {
        $c->{$name} =~ s{\Adata:image/png;base64,}{}
            or die "$name is not a PNG data URL\n";
        $c->{"${name}_png"} = MIME::Base64::decode_base64($c->{$name});
        $c->{"${name}_image"} = GD::Image->newFromPngData(
                                    $c->{"${name}_png"}, 1)
            or die "$name: not a PNG gd reads\n";
    }

    return $c;
}


# the chunk types of a PNG, in order
sub chunks {
    my ($png) = @_;
    my (@types, $at);

    return () unless substr($png, 0, 8) eq "\x89PNG\r\n\x1a\n";

    for ($at = 8; $at + 8 <= length $png; ) {
        my ($len, $type) = unpack('N a4', substr($png, $at, 8));
        push @types, $type;
        $at += 12 + $len;
    }

    return @types;
}


# red, green, blue and gd's alpha (0 opaque, 127 transparent) of a
# truecolor image, a flat array each, row after row
sub planes {
    my ($im) = @_;
    my ($w, $h) = $im->getBounds;
    my (@r, @g, @b, @a);

    for my $y (0 .. $h - 1) {
        for my $x (0 .. $w - 1) {
            my $c = $im->getPixel($x, $y);
            push @r, ($c >> 16) & 0xff;
            push @g, ($c >> 8) & 0xff;
            push @b, $c & 0xff;
            push @a, ($c >> 24) & 0x7f;
        }
    }

    return { w => $w, h => $h, r => \@r, g => \@g, b => \@b, a => \@a };
}


# the pixels the attacks compare: every STEP-th opaque pixel of the piece
# whose four neighbours are opaque too (the outline is the piece's own)
sub samples {
    my ($p) = @_;
    my ($w, $h, $a) = ($p->{w}, $p->{h}, $p->{a});
    my @s;

    for (my $y = 1; $y < $h - 1; $y += $STEP) {
        for (my $x = 1; $x < $w - 1; $x += $STEP) {
            my $i = $y * $w + $x;
            next if $a->[$i] || $a->[$i - 1] || $a->[$i + 1]
                    || $a->[$i - $w] || $a->[$i + $w];
            push @s, [$x, $y, $p->{r}[$i], $p->{g}[$i], $p->{b}[$i]];
        }
    }

    return \@s;
}


# where background = k * piece over the most sampled pixels, k fitted
# at each left edge as the ratio of their sums
sub ratio_attack {
    my ($c, $bg, $s) = @_;
    my ($best, $best_x) = (-1, 0);
    my $w = $bg->{w};
    my ($r, $g, $b) = ($bg->{r}, $bg->{g}, $bg->{b});

    for my $x (0 .. $w - $c->{piece_width}) {
        my ($sum_bg, $sum_pc, $hits) = (0, 0, 0);
        my @pairs;

        for my $p (@$s) {
            my $i = ($c->{y} + $p->[1]) * $w + $x + $p->[0];
            for my $k (0 .. 2) {
                next if $p->[2 + $k] < $MIN_LEVEL;
                my $v = ($r, $g, $b)[$k]->[$i];
                push @pairs, $v, $p->[2 + $k];
                $sum_bg += $v;
                $sum_pc += $p->[2 + $k];
            }
        }

        next unless $sum_pc;

        my $k = $sum_bg / $sum_pc;

        for (my $j = 0; $j < @pairs; $j += 2) {
            $hits++ if abs($pairs[$j] - $k * $pairs[$j + 1]) <= $ROUNDING;
        }

        my $score = $hits / (@pairs / 2);
        ($best, $best_x) = ($score, $x) if $score > $best;
    }

    return $best_x;
}


# where the background under the piece's silhouette is darkest
sub darkest_attack {
    my ($c, $bg, $piece) = @_;
    my ($best, $best_x) = (undef, 0);
    my $w = $bg->{w};
    my @mask;

    for (my $y = 0; $y < $piece->{h}; $y += $STEP) {
        for (my $x = 0; $x < $piece->{w}; $x += $STEP) {
            push @mask, ($c->{y} + $y) * $w + $x
                unless $piece->{a}[$y * $piece->{w} + $x];
        }
    }

    for my $x (0 .. $w - $c->{piece_width}) {
        my $sum = 0;

        for my $i (@mask) {
            $sum += 299 * $bg->{r}[$i + $x] + 587 * $bg->{g}[$i + $x]
                    + 114 * $bg->{b}[$i + $x];
        }

        ($best, $best_x) = ($sum, $x) if !defined $best || $sum < $best;
    }

    return $best_x;
}


# an old-style challenge made here with a challenge's piece silhouette:
# a gradient, blocks of colour and a little grain, the gap the piece's
# pixels times 2/5; its planes, its piece's and the gap's left edge
sub old_style {
    my ($c, $piece) = @_;
    my ($w, $h) = ($c->{width}, $c->{height});
    my $x0 = 60 + int(rand(200));
    my (%bg, %pc);

    my @c0 = map { int(rand(250)) } 1 .. 3;
    my @c1 = map { int(rand(250)) } 1 .. 3;
    for my $y (0 .. $h - 1) {
        for my $k (0 .. 2) {
            my $v = int(($c0[$k] * ($h - $y) + $c1[$k] * $y) / $h);
            $bg{$k}[$y * $w + $_] = $v + int(rand(7)) for 0 .. $w - 1;
        }
    }

    for (1 .. 14) {
        my ($bx, $by) = (int(rand($w)), int(rand($h)));
        my ($bw, $bh) = (20 + int(rand(60)), 20 + int(rand(60)));
        my @col = map { int(rand(256)) } 1 .. 3;
        for my $y ($by .. ($by + $bh < $h ? $by + $bh : $h - 1)) {
            for my $x ($bx .. ($bx + $bw < $w ? $bx + $bw : $w - 1)) {
                my $i = $y * $w + $x;
                $bg{$_}[$i] = int(($bg{$_}[$i] + $col[$_]) / 2) for 0 .. 2;
            }
        }
    }

    %pc = (w => $piece->{w}, h => $piece->{h}, a => $piece->{a});
    for my $i (0 .. $#{ $piece->{a} }) {
        my ($px, $py) = ($i % $piece->{w}, int($i / $piece->{w}));
        my $j = ($c->{y} + $py) * $w + $x0 + $px;
        for my $k (0 .. 2) {
            $pc{('r', 'g', 'b')[$k]}[$i] = $bg{$k}[$j];
            $bg{$k}[$j] = int($bg{$k}[$j] * 2 / 5) unless $piece->{a}[$i];
        }
    }

    return ({ w => $w, h => $h, r => $bg{0}, g => $bg{1}, b => $bg{2} },
            \%pc, $x0);
}


# the attack's answer to the server: 1 for a ticket
sub solves {
    my ($c, $x) = @_;
    my $body = http_post('/api/captcha/verify',
                         json_of({ id => $c->{id}, x => 0 + $x }));

    return 1 if $body =~ /"ticket":"[\w-]{22}"/;
    return 0 if $body =~ /"captcha_failed"/;

    die "verify: $body\n";
}


my %control = (ratio => 0, darkest => 0);

for (1 .. $CONTROLS) {
    my $c = challenge();
    my ($bg, $piece, $x0) = old_style($c, planes($c->{piece_image}));

    $control{ratio}++
        if abs(ratio_attack($c, $bg, samples($piece)) - $x0) <= $TOLERANCE;
    $control{darkest}++
        if abs(darkest_attack($c, $bg, $piece) - $x0) <= $TOLERANCE;
}

cmp_ok($control{ratio}, '>=', $CONTROL_MIN,
       "A2 the ratio attack solves old-style gaps ($control{ratio} of "
       . "$CONTROLS)");
cmp_ok($control{darkest}, '>=', $CONTROL_MIN,
       "A2 the darkest attack solves old-style gaps ($control{darkest} of "
       . "$CONTROLS)");

my %solved = (ratio => 0, darkest => 0);
my ($leaks, $seconds) = (0, 0);

for my $attack ('ratio', 'darkest') {
    for (1 .. $CHALLENGES) {
        my $c = challenge();

        # the PNGs say nothing but the picture
        for my $name ('background', 'piece') {
            my @t = chunks($c->{"${name}_png"});
            my $extra = join(' ', grep { !/^(IHDR|PLTE|IDAT|IEND)$/ } @t);
            if ($extra || !@t || $t[0] ne 'IHDR' || $t[-1] ne 'IEND') {
                diag("$name chunks: @t") unless $leaks;
                $leaks++;
            }
        }

        my $bg = planes($c->{background_image});
        my $piece = planes($c->{piece_image});

        $leaks++ if $piece->{w} != $c->{piece_width}
                    || $piece->{h} != $c->{piece_height};

        # around the shape: transparent, and the same underneath
        my %under;
        for my $i (0 .. $#{ $piece->{a} }) {
            next if $piece->{a}[$i] == 0;
            $leaks++ if $piece->{a}[$i] != 127;
            $under{"$piece->{r}[$i],$piece->{g}[$i],$piece->{b}[$i]"} = 1
                if $piece->{a}[$i] == 127;
        }
        $leaks++ if keys %under > 1;

        my $t0 = Time::HiRes::time();
        my $x = $attack eq 'ratio'
                ? ratio_attack($c, $bg, samples($piece))
                : darkest_attack($c, $bg, $piece);
        $seconds += Time::HiRes::time() - $t0;

        $solved{$attack} += solves($c, $x);
    }
}

diag(sprintf("ratio attack solved %d of %d, darkest attack %d of %d "
             . "(%.2f s a challenge)", $solved{ratio}, $CHALLENGES,
             $solved{darkest}, $CHALLENGES,
             $seconds / (2 * $CHALLENGES)));

is($leaks, 0, 'A2 the PNGs carry no ancillary chunk and the piece, of '
              . 'the announced size, is fully transparent around its '
              . 'shape, over one colour');
cmp_ok($solved{ratio}, '<=', $RATIO_MAX,
       "A2 the gap is no scaled copy of the piece: the ratio attack solves "
       . "no more than chance (9 in 200) of $CHALLENGES challenges");
cmp_ok($solved{darkest}, '<=', $DARKEST_MAX,
       "A2 decoy gaps: the darkest patch under the piece's silhouette "
       . "solves no more than one in three of $CHALLENGES challenges");

done_testing();
