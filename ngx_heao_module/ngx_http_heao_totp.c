
/*
 * Copyright (C) heao developers
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>
#include <openssl/rand.h>
#include <openssl/crypto.h>
#include <qrencode.h>
#include <gd.h>

#include "ngx_http_heao_module.h"
#include "ngx_http_heao_hotp.h"


/*
 * A3: the dynamic password.  Binding makes a key, keeps it in Redis
 * while the candidate scans the otpauth:// QR code, and stores it in
 * PostgreSQL once a first code is right.  A code is accepted once: Redis
 * keeps the last time step used per candidate, and a code of that step
 * or an earlier one is refused.  Unbinding needs a code too.
 */


#define NGX_HTTP_HEAO_TOTP_KEY_BYTES    20      /* RFC 4226: 160 bits */
#define NGX_HTTP_HEAO_TOTP_KEY_MAX      64
#define NGX_HTTP_HEAO_TOTP_B32_LEN      32      /* 20 bytes in base32 */
#define NGX_HTTP_HEAO_TOTP_DRIFT        1       /* steps either way */
#define NGX_HTTP_HEAO_TOTP_PENDING_TTL  600     /* seconds to scan, A3 */
#define NGX_HTTP_HEAO_TOTP_PENDING_SEC  "600"
#define NGX_HTTP_HEAO_TOTP_QR_SCALE     6       /* pixels per module */
#define NGX_HTTP_HEAO_TOTP_QR_QUIET     4       /* modules of margin */

#define NGX_HTTP_HEAO_TOTP_PENDING      "heao:tb:"
#define NGX_HTTP_HEAO_TOTP_USED         "heao:tu:"
#define NGX_HTTP_HEAO_TOTP_ISSUER                                             \
    "%E6%B2%B3%E5%8D%97%E6%8B%9B%E7%94%9F"     /* 河南招生, escaped */


typedef enum {
    NGX_HTTP_HEAO_TOTP_SESSION = 0,
    NGX_HTTP_HEAO_TOTP_LOADED,
    NGX_HTTP_HEAO_TOTP_SECRET,
    NGX_HTTP_HEAO_TOTP_PENDING_GOT,
    NGX_HTTP_HEAO_TOTP_USE,
    NGX_HTTP_HEAO_TOTP_STORE,
    NGX_HTTP_HEAO_TOTP_CLEAN,
    NGX_HTTP_HEAO_TOTP_RATED
} ngx_http_heao_totp_step_e;


typedef struct {
    ngx_str_t                    key;           /* hex */
    ngx_str_t                    code;
    ngx_str_t                    redis_key;
    uint64_t                     counter;
} ngx_http_heao_totp_t;


static ngx_int_t ngx_http_heao_totp_start(ngx_http_request_t *r,
    ngx_http_heao_ctx_t *ctx, ngx_uint_t post);
static ngx_int_t ngx_http_heao_totp_pending(ngx_http_request_t *r,
    ngx_http_heao_ctx_t *ctx);
static ngx_int_t ngx_http_heao_totp_read_code(ngx_http_request_t *r,
    ngx_http_heao_ctx_t *ctx, ngx_http_heao_totp_t *tp);
static ngx_int_t ngx_http_heao_totp_code_failed(ngx_http_request_t *r);
static ngx_int_t ngx_http_heao_totp_spend(ngx_http_request_t *r,
    ngx_http_heao_ctx_t *ctx, ngx_http_heao_totp_t *tp);
static ngx_int_t ngx_http_heao_totp_spent(ngx_http_request_t *r,
    ngx_http_heao_ctx_t *ctx);
static ngx_int_t ngx_http_heao_totp_uri(ngx_http_request_t *r,
    ngx_str_t *key, ngx_str_t *exam_no, ngx_str_t *uri, ngx_str_t *b32);
static ngx_int_t ngx_http_heao_hex_decode(u_char *dst, ngx_str_t *src);


/*
 * Checks a code against the hex key at time "now", one step of drift
 * either way (A3).  Every step of the window is computed and compared,
 * so that the time taken says nothing of which one matched.  Returns
 * NGX_OK with the step that matched, NGX_DECLINED for a wrong code or
 * key, NGX_ERROR when OpenSSL fails.
 */

ngx_int_t
ngx_http_heao_totp_match(ngx_http_request_t *r, ngx_str_t *hexkey,
    ngx_str_t *code, time_t now, uint64_t *counter)
{
    u_char                      key[NGX_HTTP_HEAO_TOTP_KEY_MAX];
    u_char                      want[NGX_HTTP_HEAO_HOTP_DIGITS_MAX + 1];
    u_char                      have[NGX_HTTP_HEAO_HOTP_DIGITS_MAX + 1];
    size_t                      len;
    int64_t                     d;
    ngx_uint_t                  i;
    uint32_t                    v;
    uint64_t                    t;
    ngx_int_t                   rc;
    ngx_http_heao_main_conf_t  *hmcf;

    hmcf = ngx_http_get_module_main_conf(r, ngx_http_heao_module);

    if (hexkey->len == 0 || hexkey->len % 2
        || hexkey->len > 2 * NGX_HTTP_HEAO_TOTP_KEY_MAX
        || code->len != hmcf->totp_digits)
    {
        return NGX_DECLINED;
    }

    len = hexkey->len / 2;

    if (ngx_http_heao_hex_decode(key, hexkey) != NGX_OK) {
        return NGX_DECLINED;
    }

    t = (uint64_t) now / NGX_HTTP_HEAO_TOTP_STEP;
    rc = NGX_DECLINED;

    for (d = -NGX_HTTP_HEAO_TOTP_DRIFT; d <= NGX_HTTP_HEAO_TOTP_DRIFT; d++) {
        v = ngx_http_heao_hotp(key, len, t + d, hmcf->totp_digits);
        if (v == (uint32_t) -1) {
            rc = NGX_ERROR;
            break;
        }

        for (i = hmcf->totp_digits; i > 0; i--) {
            want[i - 1] = (u_char) ('0' + v % 10);
            v /= 10;
        }

        ngx_memcpy(have, code->data, code->len);

        if (CRYPTO_memcmp(want, have, code->len) == 0 && rc == NGX_DECLINED)
        {
            *counter = t + d;
            rc = NGX_OK;
        }
    }

    OPENSSL_cleanse(key, sizeof(key));

    return rc;
}


/*
 * The code of a bind or an unbind against tp->key; a match marks its step
 * used (A3), in the step NGX_HTTP_HEAO_TOTP_USE.
 */

static ngx_int_t
ngx_http_heao_totp_spend(ngx_http_request_t *r, ngx_http_heao_ctx_t *ctx,
    ngx_http_heao_totp_t *tp)
{
    ngx_int_t  rc;

    rc = ngx_http_heao_totp_match(r, &tp->key, &tp->code, ctx->arrived,
                                  &tp->counter);
    if (rc == NGX_ERROR) {
        return NGX_ERROR;
    }

    if (rc != NGX_OK) {
        return ngx_http_heao_totp_code_failed(r);
    }

    ctx->step = NGX_HTTP_HEAO_TOTP_USE;

    return ngx_http_heao_totp_use(r, ctx, &ctx->session->candidate,
                                  tp->counter);
}


/* NGX_DECLINED when the step was free and is now used: the action goes on */

static ngx_int_t
ngx_http_heao_totp_spent(ngx_http_request_t *r, ngx_http_heao_ctx_t *ctx)
{
    ngx_str_t  *v;

    if (ctx->rc != NGX_OK || ctx->reply == NULL) {
        return ngx_http_heao_backend_error(r, ctx, "totp");
    }

    v = ctx->reply->elts;

    if (v[0].len != 1 || v[0].data[0] != '1') {
        return ngx_http_heao_totp_code_failed(r);
    }

    return NGX_DECLINED;
}


/*
 * Marks the step of a code used for the candidate (A3): ctx->reply holds
 * "1" when it was not used before, "0" for a replay.  NGX_DONE.
 */

ngx_int_t
ngx_http_heao_totp_use(ngx_http_request_t *r, ngx_http_heao_ctx_t *ctx,
    ngx_str_t *candidate, uint64_t counter)
{
    u_char      *p;
    size_t       len[3];
    const char  *argv[3];

    p = ngx_pnalloc(r->pool, sizeof(NGX_HTTP_HEAO_TOTP_USED) + candidate->len
                             + 2 * NGX_INT64_LEN);
    if (p == NULL) {
        return NGX_ERROR;
    }

    argv[0] = (char *) p;
    len[0] = ngx_sprintf(p, NGX_HTTP_HEAO_TOTP_USED "%V", candidate) - p;
    p += len[0];

    argv[1] = (char *) p;
    len[1] = ngx_sprintf(p, "%uL", counter) - p;
    p += len[1];

    /* a used step matters while the window can still reach it */

    argv[2] = (char *) p;
    len[2] = ngx_sprintf(p, "%d", NGX_HTTP_HEAO_TOTP_STEP
                                  * (2 * NGX_HTTP_HEAO_TOTP_DRIFT + 2))
             - p;

    return ngx_http_heao_redis_call(ctx, NGX_HTTP_HEAO_LUA_TOTP_USE, 1, 3,
                                    argv, len);
}


/* GET /api/totp: whether a dynamic password is bound */

ngx_int_t
ngx_http_heao_totp_status(ngx_http_request_t *r, ngx_http_heao_ctx_t *ctx)
{
    ngx_int_t                   rc;
    ngx_str_t                  *v;
    const char                 *values[1];
    ngx_http_heao_main_conf_t  *hmcf;

    if (ctx->step < NGX_HTTP_HEAO_TOTP_SECRET) {
        rc = ngx_http_heao_totp_start(r, ctx, 0);
        if (rc != NGX_OK) {
            return rc;
        }

        values[0] = (char *) ctx->session->candidate.data;
        ctx->step = NGX_HTTP_HEAO_TOTP_SECRET;

        return ngx_http_heao_pg_call(ctx, NGX_HTTP_HEAO_SQL_TOTP_SECRET, 1,
                                     values, NULL);
    }

    if (ctx->rc != NGX_OK || ctx->reply == NULL) {
        return ngx_http_heao_backend_error(r, ctx, "totp");
    }

    hmcf = ngx_http_get_module_main_conf(r, ngx_http_heao_module);
    v = ctx->reply->elts;

    return ngx_http_heao_send_json(r, NGX_HTTP_OK,
               json_pack("{s:b, s:i, s:i}",
                         "bound", v[0].len != 0,
                         "digits", (int) hmcf->totp_digits,
                         "period", NGX_HTTP_HEAO_TOTP_STEP));
}


/*
 * POST /api/totp/begin: a new key, kept in Redis for ten minutes while
 * the candidate scans it; 409 when one is bound already.
 */

ngx_int_t
ngx_http_heao_totp_begin(ngx_http_request_t *r, ngx_http_heao_ctx_t *ctx)
{
    u_char                      raw[NGX_HTTP_HEAO_TOTP_KEY_BYTES];
    size_t                      len[3];
    ngx_int_t                   rc;
    ngx_str_t                  *v, uri, b32;
    const char                 *argv[3], *values[1];
    ngx_http_heao_totp_t       *tp;
    ngx_http_heao_main_conf_t  *hmcf;

    tp = ctx->data;

    switch (ctx->step) {

    case NGX_HTTP_HEAO_TOTP_SESSION:
    case NGX_HTTP_HEAO_TOTP_LOADED:
        rc = ngx_http_heao_totp_start(r, ctx, 1);
        if (rc != NGX_OK) {
            return rc;
        }

        values[0] = (char *) ctx->session->candidate.data;
        ctx->step = NGX_HTTP_HEAO_TOTP_SECRET;

        return ngx_http_heao_pg_call(ctx, NGX_HTTP_HEAO_SQL_TOTP_SECRET, 1,
                                     values, NULL);

    case NGX_HTTP_HEAO_TOTP_SECRET:
        if (ctx->rc != NGX_OK || ctx->reply == NULL) {
            return ngx_http_heao_backend_error(r, ctx, "totp");
        }

        v = ctx->reply->elts;

        if (v[0].len) {
            return ngx_http_heao_send_error(r, NGX_HTTP_CONFLICT,
                                            "totp_bound", NULL,
                                            "已绑定动态密码，"
                                            "如需更换请先解除绑定");
        }

        tp = ngx_pcalloc(r->pool, sizeof(ngx_http_heao_totp_t));
        if (tp == NULL) {
            return NGX_ERROR;
        }

        ctx->data = tp;

        tp->key.data = ngx_pnalloc(r->pool,
                                   2 * NGX_HTTP_HEAO_TOTP_KEY_BYTES + 1);
        if (tp->key.data == NULL) {
            return NGX_ERROR;
        }

        if (RAND_bytes(raw, sizeof(raw)) != 1) {
            ngx_log_error(NGX_LOG_ALERT, r->connection->log, 0,
                          "heao totp: RAND_bytes() failed");
            return NGX_ERROR;
        }

        tp->key.len = ngx_hex_dump(tp->key.data, raw, sizeof(raw))
                      - tp->key.data;
        tp->key.data[tp->key.len] = '\0';
        OPENSSL_cleanse(raw, sizeof(raw));

        if (ngx_http_heao_totp_pending(r, ctx) != NGX_OK) {
            return NGX_ERROR;
        }

        argv[0] = (char *) ctx->result.data;
        len[0] = ctx->result.len;
        argv[1] = (char *) tp->key.data;
        len[1] = tp->key.len;
        argv[2] = NGX_HTTP_HEAO_TOTP_PENDING_SEC;
        len[2] = sizeof(NGX_HTTP_HEAO_TOTP_PENDING_SEC) - 1;

        ctx->step = NGX_HTTP_HEAO_TOTP_STORE;

        return ngx_http_heao_redis_call(ctx, NGX_HTTP_HEAO_LUA_SET_EX, 1, 3,
                                        argv, len);

    default: /* NGX_HTTP_HEAO_TOTP_STORE */
        if (ctx->rc != NGX_OK) {
            return ngx_http_heao_backend_error(r, ctx, "totp");
        }

        if (ngx_http_heao_totp_uri(r, &tp->key, &ctx->session->exam_no,
                                   &uri, &b32)
            != NGX_OK)
        {
            return NGX_ERROR;
        }

        hmcf = ngx_http_get_module_main_conf(r, ngx_http_heao_module);

        return ngx_http_heao_send_json(r, NGX_HTTP_OK,
                   json_pack("{s:s%, s:s%, s:s, s:i, s:i, s:i}",
                             "secret", b32.data, b32.len,
                             "uri", uri.data, uri.len,
                             "qr", "/api/totp/qr",
                             "digits", (int) hmcf->totp_digits,
                             "period", NGX_HTTP_HEAO_TOTP_STEP,
                             "expires_in", NGX_HTTP_HEAO_TOTP_PENDING_TTL));
    }
}


/* GET /api/totp/qr: the otpauth:// URI of the binding under way, as PNG */

ngx_int_t
ngx_http_heao_totp_qr(ngx_http_request_t *r, ngx_http_heao_ctx_t *ctx)
{
    size_t       len[1];
    ngx_int_t    rc;
    ngx_str_t   *v, uri, b32;
    const char  *argv[1];

    if (ctx->step < NGX_HTTP_HEAO_TOTP_PENDING_GOT) {
        rc = ngx_http_heao_totp_start(r, ctx, 0);
        if (rc != NGX_OK) {
            return rc;
        }

        if (ngx_http_heao_totp_pending(r, ctx) != NGX_OK) {
            return NGX_ERROR;
        }

        argv[0] = (char *) ctx->result.data;
        len[0] = ctx->result.len;

        ctx->step = NGX_HTTP_HEAO_TOTP_PENDING_GOT;

        return ngx_http_heao_redis_call(ctx, NGX_HTTP_HEAO_LUA_GET, 1, 1,
                                        argv, len);
    }

    if (ctx->rc != NGX_OK) {
        return ngx_http_heao_backend_error(r, ctx, "totp");
    }

    if (ctx->reply == NULL) {
        return ngx_http_heao_send_error(r, NGX_HTTP_NOT_FOUND, "not_found",
                                        NULL, "绑定已过期，"
                                              "请重新开始绑定");
    }

    v = ctx->reply->elts;

    if (ngx_http_heao_totp_uri(r, &v[0], &ctx->session->exam_no, &uri, &b32)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    return ngx_http_heao_qr_png(r, &uri);
}


/* POST /api/totp/confirm {"code"}: the first right code binds the key */

ngx_int_t
ngx_http_heao_totp_confirm(ngx_http_request_t *r, ngx_http_heao_ctx_t *ctx)
{
    size_t                 len[1];
    ngx_int_t              rc;
    ngx_str_t             *v;
    const char            *argv[1], *values[4];
    ngx_http_heao_totp_t  *tp;

    tp = ctx->data;

    switch (ctx->step) {

    case NGX_HTTP_HEAO_TOTP_SESSION:
    case NGX_HTTP_HEAO_TOTP_LOADED:
        rc = ngx_http_heao_totp_start(r, ctx, 1);
        if (rc != NGX_OK) {
            return rc;
        }

        tp = ngx_pcalloc(r->pool, sizeof(ngx_http_heao_totp_t));
        if (tp == NULL) {
            return NGX_ERROR;
        }

        ctx->data = tp;

        rc = ngx_http_heao_totp_read_code(r, ctx, tp);
        if (rc != NGX_OK) {
            return rc;
        }

        if (ngx_http_heao_totp_pending(r, ctx) != NGX_OK) {
            return NGX_ERROR;
        }

        tp->redis_key = ctx->result;

        /* codes can be guessed: the tries are limited (A4) */

        ctx->step = NGX_HTTP_HEAO_TOTP_RATED;

        return ngx_http_heao_account_rate(r, ctx, "tb");

    case NGX_HTTP_HEAO_TOTP_RATED:
        rc = ngx_http_heao_account_rated(r, ctx);
        if (rc != NGX_OK) {
            return rc;
        }

        argv[0] = (char *) tp->redis_key.data;
        len[0] = tp->redis_key.len;

        ctx->step = NGX_HTTP_HEAO_TOTP_PENDING_GOT;

        return ngx_http_heao_redis_call(ctx, NGX_HTTP_HEAO_LUA_GET, 1, 1,
                                        argv, len);

    case NGX_HTTP_HEAO_TOTP_PENDING_GOT:
        if (ctx->rc != NGX_OK) {
            return ngx_http_heao_backend_error(r, ctx, "totp");
        }

        if (ctx->reply == NULL) {
            return ngx_http_heao_send_error(r, NGX_HTTP_CONFLICT,
                                            "totp_expired", NULL,
                                            "绑定已过期，"
                                            "请重新开始绑定");
        }

        v = ctx->reply->elts;
        tp->key = v[0];

        return ngx_http_heao_totp_spend(r, ctx, tp);

    case NGX_HTTP_HEAO_TOTP_USE:
        rc = ngx_http_heao_totp_spent(r, ctx);
        if (rc != NGX_DECLINED) {
            return rc;
        }

        values[0] = (char *) ctx->session->candidate.data;
        values[1] = (char *) tp->key.data;

        /* A12: the notice is written with the binding */

        if (ngx_http_heao_account_event(r, ctx, &values[2]) != NGX_OK) {
            return NGX_ERROR;
        }

        ctx->step = NGX_HTTP_HEAO_TOTP_STORE;

        return ngx_http_heao_pg_call(ctx, NGX_HTTP_HEAO_SQL_TOTP_BIND, 4,
                                     values, NULL);

    case NGX_HTTP_HEAO_TOTP_STORE:
        if (ctx->rc != NGX_OK || ctx->reply == NULL) {
            return ngx_http_heao_backend_error(r, ctx, "totp bind");
        }

        v = ctx->reply->elts;

        if (v[0].len == 0 || v[0].data[0] != 't') {
            return ngx_http_heao_send_error(r, NGX_HTTP_CONFLICT,
                                            "totp_bound", NULL,
                                            "已绑定动态密码，"
                                            "如需更换请先解除绑定");
        }

        argv[0] = (char *) tp->redis_key.data;
        len[0] = tp->redis_key.len;

        ctx->step = NGX_HTTP_HEAO_TOTP_CLEAN;

        return ngx_http_heao_redis_call(ctx, NGX_HTTP_HEAO_LUA_DEL, 1, 1,
                                        argv, len);

    default: /* NGX_HTTP_HEAO_TOTP_CLEAN */

        /* a key left in Redis expires, and cannot bind twice */

        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "heao totp: bound for %*s******", (size_t) 8,
                      ctx->session->exam_no.data);

        return ngx_http_heao_send_json(r, NGX_HTTP_OK,
                                       json_pack("{s:b}", "bound", 1));
    }
}


/* POST /api/totp/unbind {"code"}: a right code removes the binding */

ngx_int_t
ngx_http_heao_totp_unbind(ngx_http_request_t *r, ngx_http_heao_ctx_t *ctx)
{
    ngx_int_t              rc;
    ngx_str_t             *v;
    const char            *values[3];
    ngx_http_heao_totp_t  *tp;

    tp = ctx->data;

    switch (ctx->step) {

    case NGX_HTTP_HEAO_TOTP_SESSION:
    case NGX_HTTP_HEAO_TOTP_LOADED:
        rc = ngx_http_heao_totp_start(r, ctx, 1);
        if (rc != NGX_OK) {
            return rc;
        }

        tp = ngx_pcalloc(r->pool, sizeof(ngx_http_heao_totp_t));
        if (tp == NULL) {
            return NGX_ERROR;
        }

        ctx->data = tp;

        rc = ngx_http_heao_totp_read_code(r, ctx, tp);
        if (rc != NGX_OK) {
            return rc;
        }

        ctx->step = NGX_HTTP_HEAO_TOTP_RATED;

        return ngx_http_heao_account_rate(r, ctx, "tu");

    case NGX_HTTP_HEAO_TOTP_RATED:
        rc = ngx_http_heao_account_rated(r, ctx);
        if (rc != NGX_OK) {
            return rc;
        }

        values[0] = (char *) ctx->session->candidate.data;
        ctx->step = NGX_HTTP_HEAO_TOTP_SECRET;

        return ngx_http_heao_pg_call(ctx, NGX_HTTP_HEAO_SQL_TOTP_SECRET, 1,
                                     values, NULL);

    case NGX_HTTP_HEAO_TOTP_SECRET:
        if (ctx->rc != NGX_OK || ctx->reply == NULL) {
            return ngx_http_heao_backend_error(r, ctx, "totp");
        }

        v = ctx->reply->elts;

        if (v[0].len == 0) {
            return ngx_http_heao_send_error(r, NGX_HTTP_CONFLICT,
                                            "totp_not_bound", NULL,
                                            "尚未绑定动态密码");
        }

        tp->key = v[0];

        return ngx_http_heao_totp_spend(r, ctx, tp);

    case NGX_HTTP_HEAO_TOTP_USE:
        rc = ngx_http_heao_totp_spent(r, ctx);
        if (rc != NGX_DECLINED) {
            return rc;
        }

        values[0] = (char *) ctx->session->candidate.data;

        /* A12: the notice is written with the unbinding */

        if (ngx_http_heao_account_event(r, ctx, &values[1]) != NGX_OK) {
            return NGX_ERROR;
        }

        ctx->step = NGX_HTTP_HEAO_TOTP_STORE;

        return ngx_http_heao_pg_call(ctx, NGX_HTTP_HEAO_SQL_TOTP_UNBIND, 3,
                                     values, NULL);

    default: /* NGX_HTTP_HEAO_TOTP_STORE */
        if (ctx->rc != NGX_OK || ctx->reply == NULL) {
            return ngx_http_heao_backend_error(r, ctx, "totp unbind");
        }

        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "heao totp: unbound for %*s******", (size_t) 8,
                      ctx->session->exam_no.data);

        return ngx_http_heao_send_json(r, NGX_HTTP_OK,
                                       json_pack("{s:b}", "bound", 0));
    }
}


/*
 * Loads the session (with the CSRF check and the body for a POST).
 * Returns NGX_OK when both are there, else what the action returns.
 */

static ngx_int_t
ngx_http_heao_totp_start(ngx_http_request_t *r, ngx_http_heao_ctx_t *ctx,
    ngx_uint_t post)
{
    ngx_int_t  rc;

    if (ctx->step == NGX_HTTP_HEAO_TOTP_SESSION) {
        ctx->step = NGX_HTTP_HEAO_TOTP_LOADED;

        rc = ngx_http_heao_session_load(r, ctx);
        if (rc != NGX_DECLINED) {
            return rc;
        }
    }

    rc = ngx_http_heao_session_loaded(r, ctx, post);
    if (rc != NGX_OK) {
        return rc;
    }

    if (post) {
        return ngx_http_heao_parse_body(r, ctx);
    }

    return NGX_OK;
}


/* the Redis key of the binding under way, into ctx->result */

static ngx_int_t
ngx_http_heao_totp_pending(ngx_http_request_t *r, ngx_http_heao_ctx_t *ctx)
{
    ngx_str_t  *c;

    c = &ctx->session->candidate;

    ctx->result.data = ngx_pnalloc(r->pool,
                                   sizeof(NGX_HTTP_HEAO_TOTP_PENDING)
                                   + c->len);
    if (ctx->result.data == NULL) {
        return NGX_ERROR;
    }

    ctx->result.len = ngx_sprintf(ctx->result.data,
                                  NGX_HTTP_HEAO_TOTP_PENDING "%V%Z", c)
                      - ctx->result.data - 1;

    return NGX_OK;
}


static ngx_int_t
ngx_http_heao_totp_read_code(ngx_http_request_t *r, ngx_http_heao_ctx_t *ctx,
    ngx_http_heao_totp_t *tp)
{
    if (ngx_http_heao_totp_field(r, ctx->body, "code", &tp->code)
        != NGX_OK)
    {
        return ngx_http_heao_bad_field(r, "code",
                                       "请输入动态密码器上"
                                       "显示的数字");
    }

    return NGX_OK;
}


/*
 * Reads a code field of a body ("code", or "totp" at login): NGX_OK with
 * the code, NGX_DECLINED when it is absent or null, NGX_ERROR when it is
 * not the configured number of digits.
 */

ngx_int_t
ngx_http_heao_totp_field(ngx_http_request_t *r, json_t *body,
    const char *name, ngx_str_t *code)
{
    size_t                      i;
    json_t                     *v;
    ngx_http_heao_main_conf_t  *hmcf;

    hmcf = ngx_http_get_module_main_conf(r, ngx_http_heao_module);

    v = json_object_get(body, name);
    if (v == NULL || json_is_null(v)) {
        return NGX_DECLINED;
    }

    if (!json_is_string(v) || json_string_length(v) != hmcf->totp_digits) {
        return NGX_ERROR;
    }

    code->data = (u_char *) json_string_value(v);
    code->len = json_string_length(v);

    for (i = 0; i < code->len; i++) {
        if (code->data[i] < '0' || code->data[i] > '9') {
            return NGX_ERROR;
        }
    }

    return NGX_OK;
}


static ngx_int_t
ngx_http_heao_totp_code_failed(ngx_http_request_t *r)
{
    ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                  "heao totp: wrong or used code");

    return ngx_http_heao_send_error(r, NGX_HTTP_BAD_REQUEST, "totp_failed",
                                    "code", "动态密码不正确"
                                            "或已使用，"
                                            "请等待下一个"
                                            "动态密码");
}


/*
 * The otpauth:// URI of a hex key (Google's key URI format, which phone
 * authenticators read), and the key in base32 for typing it in.
 */

static ngx_int_t
ngx_http_heao_totp_uri(ngx_http_request_t *r, ngx_str_t *key,
    ngx_str_t *exam_no, ngx_str_t *uri, ngx_str_t *b32)
{
    u_char                      raw[NGX_HTTP_HEAO_TOTP_KEY_MAX], *p;
    size_t                      len, i, bits;
    uint32_t                    acc;
    ngx_http_heao_main_conf_t  *hmcf;

    static u_char  alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

    hmcf = ngx_http_get_module_main_conf(r, ngx_http_heao_module);

    if (key->len == 0 || key->len % 2
        || key->len > 2 * NGX_HTTP_HEAO_TOTP_KEY_MAX
        || ngx_http_heao_hex_decode(raw, key) != NGX_OK)
    {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "heao totp: malformed key in redis");
        return NGX_ERROR;
    }

    len = key->len / 2;

    /* RFC 4648 base32, without the padding that authenticators skip */

    b32->data = ngx_pnalloc(r->pool, (len * 8 + 4) / 5 + 1);
    if (b32->data == NULL) {
        return NGX_ERROR;
    }

    p = b32->data;
    acc = 0;
    bits = 0;

    for (i = 0; i < len; i++) {
        acc = (acc << 8) | raw[i];
        bits += 8;

        while (bits >= 5) {
            *p++ = alphabet[(acc >> (bits - 5)) & 0x1f];
            bits -= 5;
        }
    }

    if (bits) {
        *p++ = alphabet[(acc << (5 - bits)) & 0x1f];
    }

    b32->len = p - b32->data;
    *p = '\0';

    OPENSSL_cleanse(raw, sizeof(raw));

    /* the issuer is percent-encoded: an argument, not in the format */

    uri->data = ngx_pnalloc(r->pool,
                            sizeof("otpauth://totp/:?secret=&issuer="
                                   "&algorithm=SHA1&digits=&period=")
                            + 2 * (sizeof(NGX_HTTP_HEAO_TOTP_ISSUER) - 1)
                            + exam_no->len + b32->len + 2 * NGX_INT_T_LEN);
    if (uri->data == NULL) {
        return NGX_ERROR;
    }

    p = ngx_sprintf(uri->data,
                    "otpauth://totp/%s:%V?secret=%V&issuer=%s"
                    "&algorithm=SHA1&digits=%ui&period=%d",
                    NGX_HTTP_HEAO_TOTP_ISSUER, exam_no, b32,
                    NGX_HTTP_HEAO_TOTP_ISSUER, hmcf->totp_digits,
                    NGX_HTTP_HEAO_TOTP_STEP);

    uri->len = p - uri->data;
    *p = '\0';

    return NGX_OK;
}


/*
 * Encodes the URI as a QR code (libqrencode) and sends it as a PNG
 * (libgd).  A code of 60 to 70 modules takes well under a millisecond,
 * so it is drawn here on the event loop, not in the thread pool that
 * the captcha's larger pictures need.
 */

ngx_int_t
ngx_http_heao_qr_png(ngx_http_request_t *r, ngx_str_t *uri)
{
    int            size, side, x, y, white, black, scale, quiet;
    void          *png;
    u_char        *copy;
    QRcode        *qr;
    ngx_int_t      rc;
    ngx_buf_t     *b;
    gdImagePtr     im;
    ngx_chain_t    out;

    qr = QRcode_encodeString((char *) uri->data, 0, QR_ECLEVEL_M,
                               QR_MODE_8, 1);
    if (qr == NULL) {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, ngx_errno,
                      "heao totp: QRcode_encodeString() failed");
        return NGX_ERROR;
    }

    scale = NGX_HTTP_HEAO_TOTP_QR_SCALE;
    quiet = NGX_HTTP_HEAO_TOTP_QR_QUIET;
    side = (qr->width + 2 * quiet) * scale;

    im = gdImageCreate(side, side);
    if (im == NULL) {
        QRcode_free(qr);
        return NGX_ERROR;
    }

    white = gdImageColorAllocate(im, 255, 255, 255);
    black = gdImageColorAllocate(im, 0, 0, 0);

    gdImageFilledRectangle(im, 0, 0, side - 1, side - 1, white);

    for (y = 0; y < qr->width; y++) {
        for (x = 0; x < qr->width; x++) {
            if (qr->data[y * qr->width + x] & 1) {
                gdImageFilledRectangle(im, (x + quiet) * scale,
                                       (y + quiet) * scale,
                                       (x + quiet + 1) * scale - 1,
                                       (y + quiet + 1) * scale - 1, black);
            }
        }
    }

    QRcode_free(qr);

    png = gdImagePngPtr(im, &size);
    gdImageDestroy(im);

    if (png == NULL) {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "heao totp: gdImagePngPtr() failed");
        return NGX_ERROR;
    }

    copy = ngx_pnalloc(r->pool, size);
    if (copy == NULL) {
        gdFree(png);
        return NGX_ERROR;
    }

    ngx_memcpy(copy, png, size);
    gdFree(png);

    r->headers_out.status = NGX_HTTP_OK;
    r->headers_out.content_length_n = size;
    ngx_str_set(&r->headers_out.content_type, "image/png");
    r->headers_out.content_type_len = r->headers_out.content_type.len;

    rc = ngx_http_send_header(r);

    if (rc == NGX_ERROR || rc > NGX_OK || r->header_only) {
        return rc;
    }

    b = ngx_calloc_buf(r->pool);
    if (b == NULL) {
        return NGX_ERROR;
    }

    b->pos = copy;
    b->last = copy + size;
    b->memory = 1;
    b->last_buf = 1;
    b->last_in_chain = 1;

    out.buf = b;
    out.next = NULL;

    return ngx_http_output_filter(r, &out);
}


static ngx_int_t
ngx_http_heao_hex_decode(u_char *dst, ngx_str_t *src)
{
    size_t     i;
    ngx_int_t  hi, lo;

    for (i = 0; i + 1 < src->len; i += 2) {
        hi = ngx_hextoi(&src->data[i], 1);
        lo = ngx_hextoi(&src->data[i + 1], 1);

        if (hi == NGX_ERROR || lo == NGX_ERROR) {
            return NGX_ERROR;
        }

        *dst++ = (u_char) (hi << 4 | lo);
    }

    return NGX_OK;
}
