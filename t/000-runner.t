# The test runner's own suite: one block per section of the Test::Nginx
# format that heao's suites may use, against stock nginx only.  It must pass
# under t/lib's stand-in and under the real Test::Nginx::Socket alike.

use Test::Nginx::Socket;

repeat_each(2);

# checks per block: 3 for most (status, body, one error log pattern);
# the rest below are what some blocks add or lack
plan tests => repeat_each() * (3 * blocks() + 23);

# assigned after plan on purpose: "eval" sections are evaluated late
our $HttpConfig = <<'_EOC_';
    map $uri $heao_runner_greeting {
        default  "from http_config";
    }
_EOC_

our $HtmlDir = html_dir();
our $ServRoot = server_root();
our $Port = server_port();

add_block_preprocessor(sub {
    my $block = shift;

    if (!defined $block->request && !defined $block->raw_request
        && !defined $block->pipelined_requests)
    {
        $block->set_value('request', 'GET /t');
    }
});

run_tests();

__DATA__

=== TEST 1: runner return status and body, debug log by default
--- config
    location = /t {
        return 200 "hello\n";
    }
--- response_body
hello
--- error_log
http request line: "GET /t HTTP/1.1"
--- no_error_log
[error]



=== TEST 2: runner default request from add_block_preprocessor
--- config
    location = /t {
        return 200 "$request\n";
    }
--- response_body
GET /t HTTP/1.1
--- no_error_log
[error]



=== TEST 3: runner error_code and response_body_like
--- config
    location = /t {
        return 404;
    }
--- error_code: 404
--- response_body_like: <title>404 Not Found</title>
--- no_error_log
[error]



=== TEST 4: runner response_headers exact and absent
--- config
    location = /t {
        add_header X-Heao-Runner yes;
        return 200 "ok\n";
    }
--- response_headers
X-Heao-Runner: yes
Content-Type: text/plain
Content-Length: 3
!X-Heao-Absent
--- response_body
ok
--- no_error_log
[error]



=== TEST 5: runner response_headers_like
--- config
    location = /t {
        add_header X-Heao-Runner value-42;
        return 200 "ok\n";
    }
--- response_headers_like
X-Heao-Runner: value-\d+
Server: nginx/[\d.]+
--- response_body
ok
--- no_error_log
[error]



=== TEST 6: runner http_config from a perl global through eval
--- http_config eval: $::HttpConfig
--- config
    location = /t {
        return 200 "$heao_runner_greeting\n";
    }
--- response_body
from http_config
--- no_error_log
[error]



=== TEST 7: runner main_config and post_main_config define thread pools
--- main_config
    thread_pool heao_runner_main threads=1;
--- post_main_config
    thread_pool heao_runner_post threads=1;
--- config
    location = /main.txt {
        aio threads=heao_runner_main;
    }

    location = /post.txt {
        aio threads=heao_runner_post;
    }
--- user_files
>>> main.txt
read in the main pool
>>> post.txt
read in the post pool
--- request eval
["GET /main.txt", "GET /post.txt"]
--- response_body eval
["read in the main pool\n", "read in the post pool\n"]
--- no_error_log
[error]



=== TEST 8: runner eval request list with error_code and body lists
--- config
    location = /a {
        return 200 "a\n";
    }

    location = /b {
        return 201 "b\n";
    }
--- request eval
["GET /a", "GET /b"]
--- error_code eval
[200, 201]
--- response_body eval
["a\n", "b\n"]
--- no_error_log
[error]



=== TEST 9: runner more_headers and server_port()
--- config
    location = /t {
        return 200 "$http_x_heao_runner $server_port\n";
    }
--- more_headers
X-Heao-Runner: from-more-headers
--- response_body eval
"from-more-headers $::Port\n"
--- no_error_log
[error]



=== TEST 10: runner request body trimmed and given a Content-Length
--- config
    location = /t {
        proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/back;
        proxy_set_header X-Body $request_body;
        proxy_set_header X-Length $content_length;
    }

    location = /back {
        return 200 "$http_x_length:$http_x_body\n";
    }
--- request
POST /t
hello body

--- response_body
10:hello body
--- no_error_log
[error]



=== TEST 11: runner HTTP/1.0 request
--- config
    location = /t {
        return 200 "$server_protocol\n";
    }
--- request
GET /t HTTP/1.0
--- response_headers
Connection: close
--- response_body
HTTP/1.0
--- no_error_log
[error]



=== TEST 12: runner chunked response decoded before comparing
--- config
    location = /chunked.txt {
        sub_filter two TWO;
        sub_filter_types *;
    }
--- user_files
>>> chunked.txt
one two three
--- request
GET /chunked.txt
--- response_headers
Transfer-Encoding: chunked
!Content-Length
--- response_body
one TWO three
--- no_error_log
[error]



=== TEST 13: runner user_files written under the html directory
--- config
    location /sub/ {
        root html;
    }
--- user_files
>>> sub/dir/nested.txt
nested file
>>> top.txt
top file
--- request eval
["GET /sub/dir/nested.txt", "GET /top.txt"]
--- response_body eval
["nested file\n", "top file\n"]
--- no_error_log
[error]



=== TEST 14: runner html_dir() is nginx's document root
--- config
    location = /t {
        return 200 "$document_root\n";
    }
--- response_body eval
"$::HtmlDir\n"
--- no_error_log
[error]



=== TEST 15: runner error_log substring and regexes, server_root()
--- config
    log_not_found on;
--- request
GET /heao-runner-missing.txt
--- error_code: 404
--- error_log eval
[
    'heao-runner-missing.txt" failed (2: No such file or directory)',
    qr/\[error\] \d+#\d+: \*\d+ open\(\) "[^"]+"/,
    qr/open\(\) "\Q$::ServRoot\E\/html\/heao-runner-missing\.txt"/,
]



=== TEST 16: runner no_error_log with several patterns
--- config
    location = /t {
        return 200 "ok\n";
    }
--- response_body
ok
--- no_error_log
[error]
[warn]
heao-runner-never-logged



=== TEST 17: runner must_die on an unknown directive
--- config
    location = /t {
        heao_runner_no_such_directive;
    }
--- must_die
--- error_log
unknown directive "heao_runner_no_such_directive"



=== TEST 18: runner pipelined_requests on one connection
--- config
    location = /a {
        return 200 "$uri $connection_requests\n";
    }

    location = /b {
        return 200 "$uri $connection_requests\n";
    }
--- pipelined_requests eval
["GET /a", "GET /b"]
--- response_body eval
["/a 1\n", "/b 2\n"]
--- no_error_log
[error]



=== TEST 19: runner raw_request sent as given
--- config
    location = /t {
        return 200 "$http_x_heao_runner $server_protocol\n";
    }
--- raw_request eval
"GET /t HTTP/1.0\r\nHost: localhost\r\nX-Heao-Runner: raw\r\n\r\n"
--- response_body
raw HTTP/1.0
--- no_error_log
[error]



=== TEST 20: runner timeout with abort and ignore_response
--- config
    location = /t {
        limit_rate 1;
        return 200 "a body that takes far longer than the timeout to send\n";
    }
--- timeout: 200ms
--- abort
--- ignore_response
--- no_error_log
[error]



=== TEST 21: runner wait lets a late log line in
--- config
    location = /t {
        return 200 "kept alive\n";
    }
--- more_headers
Connection: keep-alive
--- response_body
kept alive
--- wait: 0.1
--- error_log
closed keepalive connection



=== TEST 22: runner response_body chomp
--- config
    location = /t {
        return 200 "no newline";
    }
--- response_body chomp
no newline
--- no_error_log
[error]



=== TEST 23: runner response_body eval chop
--- config
    location = /t {
        return 200 "abc";
    }
--- response_body eval chop: "abcd"
--- no_error_log
[error]



=== TEST 24: runner response_body_like across lines
--- config
    location = /t {
        return 200 "first line\nsecond line 42\n";
    }
--- response_body_like chomp
^first line
second line \d+$
--- no_error_log
[error]



=== TEST 25: runner log_level per block
--- log_level: warn
--- config
    location = /t {
        return 200 "quiet\n";
    }
--- response_body
quiet
--- no_error_log
[debug]
[info]
[notice]



=== TEST 26: runner grep_error_log and grep_error_log_out
--- log_level: error
--- config
    log_not_found on;
--- request
GET /heao-runner-marker-7.txt
--- error_code: 404
--- grep_error_log eval: qr/heao-runner-marker-\d+/
--- grep_error_log_out
heao-runner-marker-7



=== TEST 27: runner SKIP leaves a block out of blocks()
--- SKIP
--- config
    location = /t {
        return 200 "skipped\n";
    }
--- error_code: 599



=== TEST 28: runner LAST ends the list of blocks
--- config
    location = /t {
        return 200 "last\n";
    }
--- response_body
last
--- no_error_log
[error]
--- LAST



=== TEST 29: runner block after LAST is not run
--- config
    location = /t {
        return 200 "after last\n";
    }
--- error_code: 599
