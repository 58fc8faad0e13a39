
/*
 * Copyright (C) heao developers
 */


#include "fuzz.h"


/*
 * R1: request body parsing (ngx_http_heao_parse_body).  The first byte
 * says where the body splits into two buffers, as a body read in two
 * reads arrives; the rest is the body.  Whatever it is, the parse gives
 * a JSON object no deeper than the module allows, or a 4xx answer that
 * is itself a JSON object naming the error, and the request finalized.
 */


#define HEAO_FUZZ_MAX_BODY  16384


static ngx_uint_t heao_fuzz_depth(json_t *json);


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_t     *answer, *e;
    ngx_int_t   rc;

    if (size == 0) {
        return 0;
    }

    heao_fuzz.hmcf.max_body = HEAO_FUZZ_MAX_BODY;

    heao_fuzz_request(data + 1, size - 1, data[0]);

    rc = ngx_http_heao_parse_body(heao_fuzz.r, heao_fuzz.ctx);

    if (rc == NGX_OK) {
        heao_fuzz_assert(json_is_object(heao_fuzz.ctx->body));
        heao_fuzz_assert(heao_fuzz_depth(heao_fuzz.ctx->body) <= 8);
        heao_fuzz_assert(heao_fuzz.status == 0);
        heao_fuzz_assert(size - 1 <= HEAO_FUZZ_MAX_BODY);

        if (heao_fuzz.ctx->exam_no.len) {
            heao_fuzz_assert(heao_fuzz.ctx->exam_no.len
                             == NGX_HTTP_HEAO_EXAM_NO_LEN);
        }

    } else {
        heao_fuzz_assert(rc == NGX_DONE);
        heao_fuzz_assert(heao_fuzz.finalized != HEAO_FUZZ_NOT_FINALIZED);
        heao_fuzz_assert(heao_fuzz.status == NGX_HTTP_BAD_REQUEST
                         || heao_fuzz.status
                            == NGX_HTTP_REQUEST_ENTITY_TOO_LARGE);

        answer = heao_fuzz_answer();
        e = json_object_get(answer, "error");
        heao_fuzz_assert(json_is_string(e));
        heao_fuzz_assert(json_is_string(json_object_get(answer, "message")));
        json_decref(answer);
    }

    heao_fuzz_done();

    return 0;
}


static ngx_uint_t
heao_fuzz_depth(json_t *json)
{
    size_t       i;
    json_t      *v;
    ngx_uint_t   d, max;
    const char  *key;

    max = 0;

    if (json_is_object(json)) {
        json_object_foreach(json, key, v) {
            d = heao_fuzz_depth(v) + 1;
            max = ngx_max(max, d);
        }

    } else if (json_is_array(json)) {
        json_array_foreach(json, i, v) {
            d = heao_fuzz_depth(v) + 1;
            max = ngx_max(max, d);
        }
    }

    return max;
}
