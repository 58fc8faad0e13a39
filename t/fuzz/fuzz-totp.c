
/*
 * Copyright (C) heao developers
 */


#include "fuzz.h"
#include "ngx_http_heao_hotp.h"


/*
 * A3: the dynamic password check.  Input: a byte for the digits (6 to
 * 8), 8 bytes of time, a byte for the key's length, the key as hex text
 * (as PostgreSQL keeps it; not always valid here), then a request body
 * whose "code" field is read as the login and unbinding read it
 * (ngx_http_heao_totp_field) and matched (ngx_http_heao_totp_match).  A
 * code is accepted only when it is the HOTP of a step within one of the
 * time's, by the key; and the code of the time's own step always is.
 */


#define HEAO_FUZZ_KEY_MAX  130


static size_t heao_fuzz_unhex(u_char *dst, ngx_str_t *src);


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    u_char      key[HEAO_FUZZ_KEY_MAX / 2];
    u_char      want[NGX_HTTP_HEAO_HOTP_DIGITS_MAX + 1];
    time_t      now;
    size_t      klen, len;
    json_t     *body;
    uint32_t    v;
    uint64_t    counter, t;
    ngx_int_t   rc;
    ngx_str_t   hexkey, code;
    ngx_uint_t  i, digits;

    if (size < 10) {
        return 0;
    }

    digits = NGX_HTTP_HEAO_HOTP_DIGITS_MIN + data[0] % 3;
    ngx_memcpy(&now, data + 1, sizeof(time_t));
    now &= 0xffffffffff;                /* years a phone's clock may say */
    klen = ngx_min((size_t) data[9], size - 10);
    klen = ngx_min(klen, HEAO_FUZZ_KEY_MAX);

    heao_fuzz_request(data + 10 + klen, size - 10 - klen, 0);
    heao_fuzz.hmcf.totp_digits = digits;

    hexkey.data = ngx_pnalloc(heao_fuzz.r->pool, klen ? klen : 1);
    heao_fuzz_assert(hexkey.data);
    ngx_memcpy(hexkey.data, data + 10, klen);
    hexkey.len = klen;

    body = json_loadb((char *) data + 10 + klen, size - 10 - klen, 0, NULL);

    rc = ngx_http_heao_totp_field(heao_fuzz.r, body, "code", &code);

    if (rc == NGX_OK) {
        heao_fuzz_assert(code.len == digits);

        for (i = 0; i < code.len; i++) {
            heao_fuzz_assert(code.data[i] >= '0' && code.data[i] <= '9');
        }

        rc = ngx_http_heao_totp_match(heao_fuzz.r, &hexkey, &code, now,
                                      &counter);
        heao_fuzz_assert(rc == NGX_OK || rc == NGX_DECLINED);

        if (rc == NGX_OK) {
            t = (uint64_t) now / NGX_HTTP_HEAO_TOTP_STEP;
            heao_fuzz_assert(counter + 1 >= t && counter <= t + 1);

            len = heao_fuzz_unhex(key, &hexkey);
            heao_fuzz_assert(len > 0);

            v = ngx_http_heao_hotp(key, len, counter, digits);

            for (i = digits; i > 0; i--) {
                want[i - 1] = (u_char) ('0' + v % 10);
                v /= 10;
            }

            heao_fuzz_assert(ngx_strncmp(want, code.data, digits) == 0);
        }

    } else {
        heao_fuzz_assert(rc == NGX_DECLINED || rc == NGX_ERROR);
    }

    /* the code of this very step, by a valid key, is accepted */

    len = heao_fuzz_unhex(key, &hexkey);

    if (len > 0 && len <= 64) {
        v = ngx_http_heao_hotp(key, len, (uint64_t) now
                                         / NGX_HTTP_HEAO_TOTP_STEP, digits);

        for (i = digits; i > 0; i--) {
            want[i - 1] = (u_char) ('0' + v % 10);
            v /= 10;
        }

        code.data = want;
        code.len = digits;

        rc = ngx_http_heao_totp_match(heao_fuzz.r, &hexkey, &code, now,
                                      &counter);
        heao_fuzz_assert(rc == NGX_OK);
    }

    if (body) {
        json_decref(body);
    }

    heao_fuzz_done();

    return 0;
}


/* the key of hex text, 0 when it is not that */

static size_t
heao_fuzz_unhex(u_char *dst, ngx_str_t *src)
{
    size_t     i;
    ngx_int_t  hi, lo;

    if (src->len == 0 || src->len % 2) {
        return 0;
    }

    for (i = 0; i < src->len; i += 2) {
        hi = ngx_hextoi(&src->data[i], 1);
        lo = ngx_hextoi(&src->data[i + 1], 1);

        if (hi == NGX_ERROR || lo == NGX_ERROR) {
            return 0;
        }

        dst[i / 2] = (u_char) (hi << 4 | lo);
    }

    return src->len / 2;
}
