
/*
 * Copyright (C) heao developers
 */


#include "fuzz.h"


/*
 * A2: the captcha answer (ngx_http_heao_captcha_verify).  The offset
 * itself is compared in Redis, by the captcha_check script, atomically
 * with burning the challenge; what the module decides is what it lets
 * reach that script.  Input: a byte for the script's answer, then the
 * body.  Whatever it is, the answer is a 4xx naming the field, or the
 * script is called with the challenge's key made of an identifier's
 * characters alone and the offset as a decimal within the image; the
 * script's answer then gives a ticket, a failure or an expiry.
 */


#define HEAO_FUZZ_PREFIX  "heao:cap:"


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_t        *answer;
    ngx_int_t      rc, x;
    ngx_str_t     *v, *key;
    ngx_uint_t     i;
    ngx_array_t    reply;
    const char    *error;
    static char   *replies[] = { "1", "0", "-1", "" };

    if (size == 0) {
        return 0;
    }

    heao_fuzz_request(data + 1, size - 1, 0);

    rc = ngx_http_heao_captcha_verify(heao_fuzz.r, heao_fuzz.ctx);

    if (heao_fuzz.redis_calls == 0) {

        /* refused: by the body parser (finalized) or as a field */

        heao_fuzz_assert(heao_fuzz.status == NGX_HTTP_BAD_REQUEST
                         || heao_fuzz.status
                            == NGX_HTTP_UNSUPPORTED_MEDIA_TYPE
                         || heao_fuzz.status
                            == NGX_HTTP_REQUEST_ENTITY_TOO_LARGE);

        answer = heao_fuzz_answer();
        heao_fuzz_assert(json_is_string(json_object_get(answer, "error")));
        json_decref(answer);

        heao_fuzz_done();
        return 0;
    }

    heao_fuzz_assert(rc == NGX_DONE && heao_fuzz.status == 0);
    heao_fuzz_assert(heao_fuzz.redis_script
                     == NGX_HTTP_HEAO_LUA_CAPTCHA_CHECK);
    heao_fuzz_assert(heao_fuzz.redis_argc == 5);

    key = &heao_fuzz.redis_argv[0];

    heao_fuzz_assert(key->len == sizeof(HEAO_FUZZ_PREFIX) - 1
                                 + NGX_HTTP_HEAO_TOKEN_LEN);
    heao_fuzz_assert(ngx_strncmp(key->data, HEAO_FUZZ_PREFIX,
                                 sizeof(HEAO_FUZZ_PREFIX) - 1) == 0);

    for (i = sizeof(HEAO_FUZZ_PREFIX) - 1; i < key->len; i++) {
        heao_fuzz_assert(ngx_http_heao_token_char(key->data[i]));
    }

    v = &heao_fuzz.redis_argv[2];
    x = ngx_atoi(v->data, v->len);
    heao_fuzz_assert(x >= 0 && x <= 320);

    /* the script answered */

    heao_fuzz_assert(ngx_array_init(&reply, heao_fuzz.r->pool, 1,
                                    sizeof(ngx_str_t)) == NGX_OK);

    v = reply.elts;
    reply.nelts = 1;
    v->data = (u_char *) replies[data[0] % 4];
    v->len = ngx_strlen(v->data);

    heao_fuzz.ctx->rc = NGX_OK;
    heao_fuzz.ctx->reply = &reply;

    (void) ngx_http_heao_captcha_verify(heao_fuzz.r, heao_fuzz.ctx);

    answer = heao_fuzz_answer();

    if (data[0] % 4 == 0) {
        heao_fuzz_assert(heao_fuzz.status == NGX_HTTP_OK);
        heao_fuzz_assert(json_is_string(json_object_get(answer, "ticket")));

    } else {
        heao_fuzz_assert(heao_fuzz.status == NGX_HTTP_BAD_REQUEST);
        error = json_string_value(json_object_get(answer, "error"));
        heao_fuzz_assert(error != NULL);
        heao_fuzz_assert(strcmp(error, (data[0] % 4 == 1)
                                       ? "captcha_failed"
                                       : "captcha_expired") == 0);
    }

    json_decref(answer);
    heao_fuzz_done();

    return 0;
}
