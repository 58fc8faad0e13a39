# O1: a configuration the module cannot work with fails "nginx -t" with a
# message that names the directive or the value at fault.

use strict;
use warnings;

use FindBin;
use lib $FindBin::Bin;

use Test::Nginx::Socket 'no_plan';
use HeaoTest;

heao_defaults();

our $SHORT_SECRET = "/tmp/heao-test-short-secret-$$";
END { unlink $SHORT_SECRET }

open(my $fh, '>', $SHORT_SECRET) or die "$SHORT_SECRET: $!";
print $fh "short\n";
close $fh;

run_tests();

__DATA__

=== TEST 1: O1 the module's location without heao_pg
--- http_config
--- config
location /api/ { heao; }
--- must_die
--- error_log
"heao" directive requires "heao_pg" before it in the http block



=== TEST 2: O1 heao_pg without heao_redis
--- http_config eval
my $c = HeaoTest::heao_http_config();
$c =~ s/^\s*heao_redis [^\n]*\n//m;
$c
--- must_die
--- error_log
"heao_redis" is required with "heao_pg"



=== TEST 3: O1 heao_pg without a thread pool for the hashes
--- http_config eval
my $c = HeaoTest::heao_http_config();
$c =~ s/^\s*heao_kdf_thread_pool [^\n]*\n//m;
$c
--- must_die
--- error_log
"heao_kdf_thread_pool" is required with "heao_pg"



=== TEST 4: O1 a thread pool that is not declared
--- http_config eval
my $c = HeaoTest::heao_http_config();
$c =~ s/heao_kdf_thread_pool heao_kdf;/heao_kdf_thread_pool nosuch;/;
$c
--- must_die
--- error_log
unknown thread pool "nosuch"



=== TEST 5: O1 a secret file that does not exist
--- http_config eval
my $c = HeaoTest::heao_http_config();
$c =~ s/heao_secret_file [^;]*;/heao_secret_file \/nonexistent\/secret;/;
$c
--- must_die
--- error_log
open() "/nonexistent/secret" failed



=== TEST 6: O1 a secret shorter than 32 bytes
--- http_config eval
my $c = HeaoTest::heao_http_config();
$c =~ s/heao_secret_file [^;]*;/heao_secret_file $::SHORT_SECRET;/;
$c
--- must_die
--- error_log eval
qr/secret file "\/tmp\/heao-test-short-secret-\d+" holds less than 32 bytes/



=== TEST 7: O1 a Redis address that is a host name
--- http_config eval
my $c = HeaoTest::heao_http_config();
$c =~ s/heao_redis [^;]*;/heao_redis redis.example:6379;/;
$c
--- must_die
--- error_log
"redis.example:6379" is neither an IP address with a port



=== TEST 8: O1 a PostgreSQL conninfo that libpq cannot parse
--- http_config eval
my $c = HeaoTest::heao_http_config();
$c =~ s/heao_pg "[^"]*";/heao_pg "host=127.0.0.1 port";/;
$c
--- must_die
--- error_log
heao pg: invalid conninfo



=== TEST 9: O1 a pool of no connections
--- http_config eval
HeaoTest::heao_http_config(extra => 'heao_pg_pool_size 0;')
--- must_die
--- error_log
invalid value "0" in "heao_pg_pool_size" directive, it must be between 1 and 64



=== TEST 10: O1 a login limit that is not a number
--- http_config eval
HeaoTest::heao_http_config(login_limit => 'five 15m 100')
--- must_die
--- error_log
invalid value "five" in "heao_login_limit" directive



=== TEST 11: O1 an idle timeout longer than the session's lifetime
--- http_config eval
HeaoTest::heao_http_config(extra => "heao_session_idle_timeout 5h;\n"
                                    . "heao_session_lifetime 4h;")
--- must_die
--- error_log
"heao_session_idle_timeout" must not exceed "heao_session_lifetime"



=== TEST 12: O1 the heao directive twice in one location
--- config
location /api/ { heao; heao; }
--- must_die
--- error_log
"heao" directive is duplicate



=== TEST 13: O1 a hash memory cost below libsodium's floor
--- http_config eval
my $c = HeaoTest::heao_http_config();
$c =~ s/heao_kdf_memlimit 1m;/heao_kdf_memlimit 4k;/;
$c
--- must_die
--- error_log
invalid value "4096" in "heao_kdf_memlimit" directive, it must be at least 8k



=== TEST 14: O1 a captcha limit of no challenges
--- http_config eval
HeaoTest::heao_http_config(captcha_limit => '0 1m')
--- must_die
--- error_log
invalid value "0" in "heao_captcha_limit" directive
