SHELL := /bin/bash
# heao: build the nginx module, run the portal, run the tests.
# "make help" lists the targets.

NGINX_SRC  ?= /usr/share/nginx/src
BUILD      := build
OBJS       := $(BUILD)/nginx/objs
MODULE     := $(BUILD)/ngx_http_heao_module.so
CC_OPT     ?= -g -O2 -fstack-protector-strong -Wformat \
              -Werror=format-security -fPIC -D_FORTIFY_SOURCE=2 -Werror
LD_OPT     ?= -Wl,-z,relro -Wl,-z,now -fPIC
SOURCES    := config $(wildcard ngx_heao_module/*.c ngx_heao_module/*.h)

.PHONY: all help deps run stop test test-unit bench rush profile deb clean \
        fuzz fuzz-build test-fuzz test-asan

all: $(MODULE)

help:
	@echo "make          build $(MODULE) against Debian's nginx"
	@echo "make deps     install the Debian packages the project needs"
	@echo "make run      start PostgreSQL, Redis and nginx with the demo year"
	@echo "make stop     stop what make run started"
	@echo "make test     run every suite against real backends"
	@echo "make bench    measure the hot paths against the machine's ceilings"
	@echo "make rush     a rush on a closing batch, then PostgreSQL checked"
	@echo "make profile  instructions per request of each path (callgrind)"
	@echo "make deb      build a libnginx-mod-http-heao .deb of the module"
	@echo "make test-unit  check the TOTP core against the RFC vectors"
	@echo "make fuzz     run each libFuzzer target FUZZ_SECONDS (default 60)"
	@echo "make test-asan  run the t/ suites with nginx and the module under"
	@echo "              AddressSanitizer and UndefinedBehaviorSanitizer"
	@echo "make clean    remove $(BUILD)/"

deps:
	@tools/deps

# nginx-dev ships the configure script and headers Debian's nginx was
# built with; the module is configured with the same flags so that the
# binary accepts it (--with-compat)
$(OBJS)/Makefile: config
	@tools/deps build
	@echo "configuring nginx $(NGINX_SRC) with the heao module in $(BUILD)/"
	@rm -rf $(BUILD)/nginx && mkdir -p $(BUILD) \
	    && cp -r $(NGINX_SRC) $(BUILD)/nginx
	@cd $(BUILD)/nginx && . ./conf_flags \
	    && ./configure "$${NGX_CONF_FLAGS[@]}" \
	       --with-cc-opt="$(CC_OPT)" --with-ld-opt="$(LD_OPT)" \
	       --add-dynamic-module=$(CURDIR) >../configure.log 2>&1 \
	    || { tail -20 ../configure.log; exit 1; }

$(MODULE): $(OBJS)/Makefile $(SOURCES)
	@echo "building $(MODULE)"
	@$(MAKE) -s -C $(BUILD)/nginx -f objs/Makefile modules
	@# a new file, not the old one overwritten: a running nginx maps it
	@cp $(OBJS)/ngx_http_heao_module.so $(MODULE).new
	@mv -f $(MODULE).new $(MODULE)

run: $(MODULE)
	@tools/portal start

stop:
	@tools/portal stop

test: $(MODULE)
	@tools/test

# the bench's helpers: the roster generator and the hash-rate ceiling
$(BUILD)/heao-bench-roster: bench/heao-bench-roster.c
	@mkdir -p $(BUILD)
	cc -O2 -Wall -Werror $< -lsodium -o $@

$(BUILD)/heao-hashrate: bench/heao-hashrate.c
	@mkdir -p $(BUILD)
	cc -O2 -Wall -Werror -pthread $< -lsodium -o $@

bench: $(MODULE) $(BUILD)/heao-bench-roster $(BUILD)/heao-hashrate
	@bench/run

rush: $(MODULE) $(BUILD)/heao-bench-roster $(BUILD)/heao-hashrate
	@bench/run rush

profile: $(MODULE) $(BUILD)/heao-bench-roster $(BUILD)/heao-hashrate
	@bench/run callgrind

deb: $(MODULE)
	@tools/deb
# A3: the HOTP/TOTP core against the RFCs' vectors, compiled against the
# configured nginx tree's headers and OpenSSL alone
UNIT_INC   := -I ngx_heao_module -I $(BUILD)/nginx/src/core \
              -I $(BUILD)/nginx/src/event -I $(BUILD)/nginx/src/os/unix \
              -I $(OBJS)

$(BUILD)/hotp-vectors: t/unit/hotp-vectors.c \
        ngx_heao_module/ngx_http_heao_hotp.c \
        ngx_heao_module/ngx_http_heao_hotp.h $(OBJS)/Makefile
	@echo "building $@"
	@$(CC) -O2 -Wall -Werror $(UNIT_INC) -o $@ t/unit/hotp-vectors.c \
	    ngx_heao_module/ngx_http_heao_hotp.c -lcrypto

test-unit: $(BUILD)/hotp-vectors
	@echo "running $(BUILD)/hotp-vectors"
	@$(BUILD)/hotp-vectors

# R1: libFuzzer targets over the module's own code (t/fuzz/README)
FUZZ_TARGETS := json rules ident totp captcha
FUZZ_SECONDS ?= 60
FUZZ_CC      ?= clang
FUZZ_DIR     := $(BUILD)/fuzz
FUZZ_SAN     := -fsanitize=address,undefined -fno-sanitize-recover=undefined
FUZZ_CFLAGS  := -g -O1 -Wall -Werror -fno-omit-frame-pointer $(FUZZ_SAN) \
                $(UNIT_INC) -I $(BUILD)/nginx/src/http \
                -I $(BUILD)/nginx/src/http/modules \
                -I $(BUILD)/nginx/src/http/v2 -I /usr/include/postgresql
FUZZ_MODULE  := json account rules catalog totp hotp captcha
FUZZ_OBJS    := $(FUZZ_MODULE:%=$(FUZZ_DIR)/ngx_http_heao_%.o) \
                $(FUZZ_DIR)/stubs.o $(FUZZ_DIR)/ngx_string.o
FUZZ_LIBS    := -ljansson -lcrypto -lgd -lqrencode -lpq

$(FUZZ_DIR)/ngx_http_heao_%.o: ngx_heao_module/ngx_http_heao_%.c \
        $(SOURCES) $(OBJS)/Makefile
	@mkdir -p $(FUZZ_DIR)
	@$(FUZZ_CC) -c $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -o $@ $<

$(FUZZ_DIR)/stubs.o: t/fuzz/stubs.c t/fuzz/fuzz.h $(SOURCES) $(OBJS)/Makefile
	@mkdir -p $(FUZZ_DIR)
	@$(FUZZ_CC) -c $(FUZZ_CFLAGS) -I t/fuzz -o $@ $<

# nginx's string functions from the release's own source
$(FUZZ_DIR)/ngx_string.o: $(OBJS)/Makefile
	@mkdir -p $(FUZZ_DIR)
	@$(FUZZ_CC) -c $(FUZZ_CFLAGS) -o $@ \
	    "$$(tools/nginx-source)/src/core/ngx_string.c"

$(FUZZ_DIR)/fuzz-%: t/fuzz/fuzz-%.c t/fuzz/fuzz.h $(FUZZ_OBJS)
	@echo "building $@"
	@$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer -I t/fuzz -o $@ $< \
	    $(FUZZ_OBJS) $(FUZZ_LIBS)

.SECONDARY: $(FUZZ_OBJS)

fuzz-build: $(FUZZ_TARGETS:%=$(FUZZ_DIR)/fuzz-%)

fuzz: fuzz-build
	@tools/fuzz $(FUZZ_SECONDS) $(FUZZ_TARGETS)

# the short run of each target that make test does
test-fuzz: fuzz-build
	@tools/fuzz $${FUZZ_SECONDS:-10} $(FUZZ_TARGETS)

# R1: every suite with nginx and the module under ASan and UBSan
test-asan:
	@tools/test-asan

clean:
	rm -rf $(BUILD)
