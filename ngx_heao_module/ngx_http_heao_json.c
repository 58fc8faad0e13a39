
/*
 * Copyright (C) heao developers
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_heao_module.h"


/* a parsed body may nest this deep: an application needs four levels */
#define NGX_HTTP_HEAO_JSON_DEPTH  8

/* the word before each block jansson gets: where the block came from */
#define NGX_HTTP_HEAO_JSON_MALLOC  0
#define NGX_HTTP_HEAO_JSON_POOL    1
#define NGX_HTTP_HEAO_JSON_HEADER  16       /* keeps malloc()'s alignment */


static void *ngx_http_heao_json_alloc(size_t size);
static void ngx_http_heao_json_free(void *p);
static ngx_uint_t ngx_http_heao_json_depth(u_char *p, u_char *last);


/*
 * While an action runs, jansson allocates from the request's pool: the
 * body, the profile, the rules' errors and the answer of a request cost
 * no malloc() and free() each (they were a third of a dry-run check's
 * instructions, docs/PERFORMANCE.md), and go with the pool.  Elsewhere
 * (the catalog, which outlives requests) it is malloc() as before.  A
 * thread (kdf, captcha) never sees a request's pool: the pool in use is
 * per thread.
 */

static __thread ngx_pool_t  *ngx_http_heao_json_pool;


void
ngx_http_heao_json_init(void)
{
    json_set_alloc_funcs(ngx_http_heao_json_alloc, ngx_http_heao_json_free);
}


/* makes pool (NULL: malloc()) the one jansson allocates from; the last */

ngx_pool_t *
ngx_http_heao_json_use(ngx_pool_t *pool)
{
    ngx_pool_t  *last;

    last = ngx_http_heao_json_pool;
    ngx_http_heao_json_pool = pool;

    return last;
}


static void *
ngx_http_heao_json_alloc(size_t size)
{
    u_char  *p;

    if (ngx_http_heao_json_pool) {
        p = ngx_palloc(ngx_http_heao_json_pool,
                       size + NGX_HTTP_HEAO_JSON_HEADER);
        if (p == NULL) {
            return NULL;
        }

        *(uintptr_t *) p = NGX_HTTP_HEAO_JSON_POOL;

    } else {
        p = malloc(size + NGX_HTTP_HEAO_JSON_HEADER);
        if (p == NULL) {
            return NULL;
        }

        *(uintptr_t *) p = NGX_HTTP_HEAO_JSON_MALLOC;
    }

    return p + NGX_HTTP_HEAO_JSON_HEADER;
}


static void
ngx_http_heao_json_free(void *p)
{
    u_char  *block;

    if (p == NULL) {
        return;
    }

    block = (u_char *) p - NGX_HTTP_HEAO_JSON_HEADER;

    /* a pool's block goes with its pool */

    if (*(uintptr_t *) block == NGX_HTTP_HEAO_JSON_MALLOC) {
        free(block);
    }
}


ngx_int_t
ngx_http_heao_send_raw(ngx_http_request_t *r, ngx_uint_t status,
    ngx_str_t *json)
{
    ngx_int_t     rc;
    ngx_buf_t    *b;
    ngx_chain_t   out;

    r->headers_out.status = status;
    r->headers_out.content_length_n = json->len;
    ngx_str_set(&r->headers_out.content_type, "application/json");
    r->headers_out.content_type_len = r->headers_out.content_type.len;
    ngx_str_set(&r->headers_out.charset, "utf-8");

    if (r->method == NGX_HTTP_HEAD || json->len == 0) {
        r->header_only = 1;
    }

    rc = ngx_http_send_header(r);

    if (rc == NGX_ERROR || rc > NGX_OK || r->header_only) {
        return rc;
    }

    b = ngx_calloc_buf(r->pool);
    if (b == NULL) {
        return NGX_ERROR;
    }

    b->pos = json->data;
    b->last = json->data + json->len;
    b->memory = 1;
    b->last_buf = (r == r->main) ? 1 : 0;
    b->last_in_chain = 1;

    out.buf = b;
    out.next = NULL;

    return ngx_http_output_filter(r, &out);
}


/* sends json and releases it */

ngx_int_t
ngx_http_heao_send_json(ngx_http_request_t *r, ngx_uint_t status,
    json_t *json)
{
    size_t                size;
    json_t               *e;
    ngx_str_t             out;
    ngx_http_heao_ctx_t  *ctx;

    if (json == NULL) {
        return NGX_ERROR;
    }

    /* what the access log and the metrics tell of the answer */

    ctx = ngx_http_get_module_ctx(r, ngx_http_heao_module);

    if (ctx) {
        e = json_object_get(json, "error");

        if (json_is_string(e)) {
            ctx->outcome.len = json_string_length(e);
            ctx->outcome.data = ngx_pnalloc(r->pool, ctx->outcome.len);
            if (ctx->outcome.data == NULL) {
                json_decref(json);
                return NGX_ERROR;
            }

            ngx_memcpy(ctx->outcome.data, json_string_value(e),
                       ctx->outcome.len);
        }

        ctx->duplicate = json_is_true(json_object_get(json, "duplicate"));
    }

    size = json_dumpb(json, NULL, 0, NGX_HTTP_HEAO_JSON_DUMP);

    out.data = ngx_pnalloc(r->pool, size);
    if (out.data == NULL) {
        json_decref(json);
        return NGX_ERROR;
    }

    out.len = json_dumpb(json, (char *) out.data, size,
                         NGX_HTTP_HEAO_JSON_DUMP);
    json_decref(json);

    if (out.len != size) {
        return NGX_ERROR;
    }

    return ngx_http_heao_send_raw(r, status, &out);
}


ngx_int_t
ngx_http_heao_send_error(ngx_http_request_t *r, ngx_uint_t status,
    const char *error, const char *field, const char *message)
{
    json_t  *json;

    json = json_pack("{s:s, s:s}", "error", error, "message", message);
    if (json == NULL) {
        return NGX_ERROR;
    }

    if (field && json_object_set_new(json, "field", json_string(field)) != 0)
    {
        json_decref(json);
        return NGX_ERROR;
    }

    return ngx_http_heao_send_json(r, status, json);
}


/*
 * Parses the request body into ctx->body, a JSON object.  Returns NGX_OK,
 * or NGX_DONE once it answered a fault itself (R1: 4xx naming it).
 */

ngx_int_t
ngx_http_heao_parse_body(ngx_http_request_t *r, ngx_http_heao_ctx_t *ctx)
{
    u_char                     *p;
    size_t                      len;
    ngx_int_t                   rc;
    json_t                     *e;
    ngx_buf_t                  *b;
    ngx_str_t                  *type;
    ngx_pool_t                 *pool;
    ngx_chain_t                *cl;
    json_error_t                err;
    ngx_http_heao_main_conf_t  *hmcf;

    hmcf = ngx_http_get_module_main_conf(r, ngx_http_heao_module);

    if (r->headers_in.content_type == NULL) {
        goto bad_type;
    }

    type = &r->headers_in.content_type->value;

    if (type->len < sizeof("application/json") - 1
        || ngx_strncasecmp(type->data, (u_char *) "application/json",
                           sizeof("application/json") - 1) != 0
        || (type->len > sizeof("application/json") - 1
            && type->data[sizeof("application/json") - 1] != ';'
            && type->data[sizeof("application/json") - 1] != ' '))
    {
        goto bad_type;
    }

    if (r->request_body == NULL || r->request_body->bufs == NULL) {
        goto bad_json;
    }

    if (r->request_body->temp_file) {
        goto too_large;
    }

    len = 0;

    for (cl = r->request_body->bufs; cl; cl = cl->next) {
        len += ngx_buf_size(cl->buf);
    }

    if (len > hmcf->max_body) {
        goto too_large;
    }

    b = r->request_body->bufs->buf;

    if (r->request_body->bufs->next == NULL) {
        p = b->pos;

    } else {
        p = ngx_pnalloc(r->pool, len);
        if (p == NULL) {
            return NGX_ERROR;
        }

        len = 0;

        for (cl = r->request_body->bufs; cl; cl = cl->next) {
            len = ngx_cpymem(p + len, cl->buf->pos, ngx_buf_size(cl->buf))
                  - p;
        }
    }

    if (ngx_http_heao_json_depth(p, p + len) > NGX_HTTP_HEAO_JSON_DEPTH) {
        goto bad_json;
    }

    /* a body parsed into the request's pool is not walked to be freed */

    pool = ngx_http_heao_json_use(NULL);
    (void) ngx_http_heao_json_use(pool);
    ctx->body_pooled = (pool == r->pool);

    /* jansson checks UTF-8 and refuses NUL in strings by default */

    ctx->body = json_loadb((char *) p, len, JSON_REJECT_DUPLICATES, &err);
    if (ctx->body == NULL) {
        /* jansson's text quotes the body, which may hold a password */
        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "heao: bad json in request body at byte %d",
                      err.position);
        goto bad_json;
    }

    if (!json_is_object(ctx->body)) {
        goto bad_json;
    }

    /* the exam number of a login for the access log, masked there (O3) */

    e = json_object_get(ctx->body, "exam_no");

    if (json_is_string(e)
        && json_string_length(e) == NGX_HTTP_HEAO_EXAM_NO_LEN)
    {
        ctx->exam_no.data = ngx_pnalloc(r->pool, NGX_HTTP_HEAO_EXAM_NO_LEN);
        if (ctx->exam_no.data == NULL) {
            return NGX_ERROR;
        }

        ctx->exam_no.len = NGX_HTTP_HEAO_EXAM_NO_LEN;
        ngx_memcpy(ctx->exam_no.data, json_string_value(e),
                   NGX_HTTP_HEAO_EXAM_NO_LEN);
    }

    return NGX_OK;

bad_type:

    rc = ngx_http_heao_send_error(r, NGX_HTTP_UNSUPPORTED_MEDIA_TYPE,
                                  "content_type", NULL,
                                    "请求内容应为JSON");
    return ngx_http_heao_answer(r, rc);

bad_json:

    rc = ngx_http_heao_send_error(r, NGX_HTTP_BAD_REQUEST, "bad_json", NULL,
                                    "请求内容不是有效的JSON对象");
    return ngx_http_heao_answer(r, rc);

too_large:

    rc = ngx_http_heao_send_error(r, NGX_HTTP_REQUEST_ENTITY_TOO_LARGE,
                                    "too_large", NULL, "请求内容过大");
    return ngx_http_heao_answer(r, rc);
}


/*
 * The body of a POST that takes no fields: none at all, or one that every
 * other POST would take (415 for a type that is not JSON, 400 for no JSON
 * object).  Returns NGX_OK, or NGX_DONE once it answered a fault itself.
 */

ngx_int_t
ngx_http_heao_no_fields(ngx_http_request_t *r, ngx_http_heao_ctx_t *ctx)
{
    if (r->headers_in.content_type == NULL
        && r->headers_in.content_length_n <= 0
        && !r->headers_in.chunked)
    {
        return NGX_OK;
    }

    return ngx_http_heao_parse_body(r, ctx);
}


/*
 * How deep a JSON text nests, as the parsed values would: a value counts
 * the objects and arrays around it (the body itself is 0).  Read from the
 * text, before the parse, strings skipped; jansson judges the rest.
 */

static ngx_uint_t
ngx_http_heao_json_depth(u_char *p, u_char *last)
{
    ngx_uint_t  open, max;

    open = 0;
    max = 0;

    for ( /* void */ ; p < last; p++) {

        switch (*p) {

        case '{':
        case '[':
            max = ngx_max(max, open);
            open++;
            break;

        case '}':
        case ']':
            if (open) {
                open--;
            }
            break;

        case '"':
            max = ngx_max(max, open);

            for (p++; p < last && *p != '"'; p++) {
                if (*p == '\\') {
                    p++;
                }
            }

            break;

        case ' ': case '\t': case '\r': case '\n': case ',': case ':':
            break;

        default:
            /* a number, true, false or null */
            max = ngx_max(max, open);
            break;
        }
    }

    return max;
}


/*
 * Finalizes the request with the rc of an answer a helper sent, and
 * returns NGX_DONE for the action to return: the request may be gone.
 */

ngx_int_t
ngx_http_heao_answer(ngx_http_request_t *r, ngx_int_t rc)
{
    ngx_http_heao_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r, ngx_http_heao_module);
    ctx->finalized = 1;

    /* the request, and its pool, may be gone after this */
    (void) ngx_http_heao_json_use(NULL);

    ngx_http_finalize_request(r, rc);

    return NGX_DONE;
}


/* R1: a 400 that names the field at fault, answered by a helper */

ngx_int_t
ngx_http_heao_bad_field(ngx_http_request_t *r, const char *field,
    const char *message)
{
    return ngx_http_heao_answer(r,
               ngx_http_heao_send_error(r, NGX_HTTP_BAD_REQUEST, "bad_field",
                                        field, message));
}
