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



=== TEST 15: O1 a wait queue that is not a number
--- http_config eval
HeaoTest::heao_http_config(extra => 'heao_pg_queue lots;')
--- must_die
--- error_log
invalid value "lots" in "heao_pg_queue" directive, it must be a number



=== TEST 16: O1 a PostgreSQL connect timeout that is no time
--- http_config eval
HeaoTest::heao_http_config(extra => 'heao_pg_connect_timeout 3x;')
--- must_die
--- error_log
invalid value "3x" in "heao_pg_connect_timeout" directive



=== TEST 17: O1 a statement timeout that is no time
--- http_config eval
HeaoTest::heao_http_config(extra => 'heao_pg_query_timeout soon;')
--- must_die
--- error_log
invalid value "soon" in "heao_pg_query_timeout" directive



=== TEST 18: O1 a queue timeout that is no time
--- http_config eval
HeaoTest::heao_http_config(extra => 'heao_pg_queue_timeout -1;')
--- must_die
--- error_log
invalid value "-1" in "heao_pg_queue_timeout" directive



=== TEST 19: O1 a connection's uses that are not a number
--- http_config eval
HeaoTest::heao_http_config(extra => 'heao_pg_max_uses many;')
--- must_die
--- error_log
invalid value "many" in "heao_pg_max_uses" directive, it must be a number



=== TEST 20: O1 a Redis database that is not a number
--- http_config eval
HeaoTest::heao_http_config(extra => 'heao_redis_db one;')
--- must_die
--- error_log
invalid value "one" in "heao_redis_db" directive, it must be a number



=== TEST 21: O1 a Redis connect timeout that is no time
--- http_config eval
HeaoTest::heao_http_config(extra => 'heao_redis_connect_timeout fast;')
--- must_die
--- error_log
invalid value "fast" in "heao_redis_connect_timeout" directive



=== TEST 22: O1 a Redis connect timeout of zero
--- http_config eval
HeaoTest::heao_http_config(extra => 'heao_redis_connect_timeout 0;')
--- must_die
--- error_log
invalid value "0" in "heao_redis_connect_timeout" directive, it must not be zero



=== TEST 23: O1 a Redis command timeout that is no time
--- http_config eval
HeaoTest::heao_http_config(extra => 'heao_redis_command_timeout 1q;')
--- must_die
--- error_log
invalid value "1q" in "heao_redis_command_timeout" directive



=== TEST 24: O1 a Redis queue above its bound
--- http_config eval
HeaoTest::heao_http_config(extra => 'heao_redis_queue 70000;')
--- must_die
--- error_log
invalid value "70000" in "heao_redis_queue" directive, it must be between 0



=== TEST 25: O1 a Redis queue of zero
--- http_config eval
HeaoTest::heao_http_config(extra => 'heao_redis_queue 0;')
--- must_die
--- error_log
invalid value "0" in "heao_redis_queue" directive, it must not be zero



=== TEST 26: O1 a hash time cost above its bound
--- http_config eval
my $c = HeaoTest::heao_http_config();
$c =~ s/heao_kdf_opslimit 1;/heao_kdf_opslimit 17;/;
$c
--- must_die
--- error_log
invalid value "17" in "heao_kdf_opslimit" directive, it must be between 1 and 16



=== TEST 27: O1 a hash memory cost that is no size
--- http_config eval
my $c = HeaoTest::heao_http_config();
$c =~ s/heao_kdf_memlimit 1m;/heao_kdf_memlimit 1q;/;
$c
--- must_die
--- error_log
invalid value "1q" in "heao_kdf_memlimit" directive



=== TEST 28: O1 a session idle timeout that is no time
--- http_config eval
HeaoTest::heao_http_config(extra => 'heao_session_idle_timeout abc;')
--- must_die
--- error_log
invalid value "abc" in "heao_session_idle_timeout" directive



=== TEST 29: O1 a session lifetime that is no time
--- http_config eval
HeaoTest::heao_http_config(extra => 'heao_session_lifetime 4hours;')
--- must_die
--- error_log
invalid value "4hours" in "heao_session_lifetime" directive



=== TEST 30: O1 a fill timeout that is no time
--- http_config eval
HeaoTest::heao_http_config(extra => 'heao_fill_timeout half;')
--- must_die
--- error_log
invalid value "half" in "heao_fill_timeout" directive



=== TEST 31: O1 a catalog refresh that is no time
--- http_config eval
HeaoTest::heao_http_config(extra => 'heao_catalog_refresh often;')
--- must_die
--- error_log
invalid value "often" in "heao_catalog_refresh" directive



=== TEST 32: O1 a body limit that is no size
--- http_config eval
HeaoTest::heao_http_config(extra => 'heao_max_body 16q;')
--- must_die
--- error_log
invalid value "16q" in "heao_max_body" directive



=== TEST 33: O1 a captcha switch that is neither on nor off
--- http_config eval
my $c = HeaoTest::heao_http_config();
$c =~ s/heao_captcha off;/heao_captcha maybe;/;
$c
--- must_die
--- error_log
invalid value "maybe" in "heao_captcha" directive, it must be "on" or "off"



=== TEST 34: O1 a cookie switch that is neither on nor off
--- http_config eval
HeaoTest::heao_http_config(extra => 'heao_secure_cookie yes;')
--- must_die
--- error_log
invalid value "yes" in "heao_secure_cookie" directive, it must be "on" or "off"



=== TEST 35: O1 TOTP codes of nine digits
--- http_config eval
HeaoTest::heao_http_config(extra => 'heao_totp_digits 9;')
--- must_die
--- error_log
invalid value "9" in "heao_totp_digits" directive, it must be between 6 and 8



=== TEST 36: O1 a login window under a second
--- http_config eval
HeaoTest::heao_http_config(login_limit => '5 500ms 100')
--- must_die
--- error_log
invalid value "500ms" in "heao_login_limit" directive



=== TEST 37: O1 a captcha window that is no time
--- http_config eval
HeaoTest::heao_http_config(captcha_limit => '30 soon')
--- must_die
--- error_log
invalid value "soon" in "heao_captcha_limit" directive



=== TEST 38: O1 O5 a replica conninfo that libpq cannot parse
--- http_config eval
HeaoTest::heao_http_config(extra => 'heao_pg_replica "host=127.0.0.1 port";')
--- must_die
--- error_log
heao pg: invalid conninfo in "heao_pg_replica" directive



=== TEST 39: O1 O5 a replica pool above its bound
--- http_config eval
HeaoTest::heao_http_config(extra =>
    'heao_pg_replica "host=127.0.0.1 dbname=heao user=heao";'
    . "\nheao_pg_replica_pool_size 65;")
--- must_die
--- error_log
invalid value "65" in "heao_pg_replica_pool_size" directive, it must be



=== TEST 40: O1 O5 a Sentinel address that is a host name
--- http_config eval
my $c = HeaoTest::heao_http_config();
$c =~ s/heao_redis [^;]*;/heao_redis_sentinel heao sentinel.example:26379;/;
$c
--- must_die
--- error_log
invalid value in "heao_redis_sentinel" directive:
"sentinel.example:26379" is neither an IP address with a port



=== TEST 41: O1 O5 a Sentinel directive without an address
--- http_config eval
my $c = HeaoTest::heao_http_config();
$c =~ s/heao_redis [^;]*;/heao_redis_sentinel heao;/;
$c
--- must_die
--- error_log
invalid number of arguments in "heao_redis_sentinel" directive



=== TEST 42: O1 O5 heao_redis and heao_redis_sentinel together
--- http_config eval
HeaoTest::heao_http_config(extra => 'heao_redis_sentinel heao 127.0.0.1:26379;')
--- must_die
--- error_log
"heao_redis" and "heao_redis_sentinel" exclude each other



=== TEST 43: O1 O5 a replica pool without a replica
--- http_config eval
HeaoTest::heao_http_config(extra => 'heao_pg_replica_pool_size 2;')
--- must_die
--- error_log
"heao_pg_replica_pool_size" requires "heao_pg_replica"
