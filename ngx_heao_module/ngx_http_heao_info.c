
/*
 * Copyright (C) heao developers
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_heao_module.h"
#include "ngx_http_heao_kdf.h"


#define NGX_HTTP_HEAO_ABANDON_RATE      "heao:ab:"
#define NGX_HTTP_HEAO_ABANDON_LIMIT     5       /* attempts a window */
#define NGX_HTTP_HEAO_ABANDON_WINDOW    900     /* seconds */
#define NGX_HTTP_HEAO_BATCH_CODE_MAX    8
#define NGX_HTTP_HEAO_MESSAGE_ID_MAX    18


/* the steps of the read-only views: a session, then one statement */
typedef enum {
    NGX_HTTP_HEAO_VIEW_SESSION = 0,
    NGX_HTTP_HEAO_VIEW_LOADED,
    NGX_HTTP_HEAO_VIEW_DONE
} ngx_http_heao_view_step_e;


/* the state of the group first, the proof only when the abandon can be */
typedef enum {
    NGX_HTTP_HEAO_ABANDON_SESSION = 0,
    NGX_HTTP_HEAO_ABANDON_LOADED,
    NGX_HTTP_HEAO_ABANDON_CHECKED,
    NGX_HTTP_HEAO_ABANDON_RATE_CHECKED,
    NGX_HTTP_HEAO_ABANDON_VERIFIED,
    NGX_HTTP_HEAO_ABANDON_TOTP_USED,
    NGX_HTTP_HEAO_ABANDON_CODE_CHECKED,
    NGX_HTTP_HEAO_ABANDON_STORED,
    NGX_HTTP_HEAO_ABANDON_DONE
} ngx_http_heao_abandon_step_e;


typedef struct {
    ngx_str_t                    type;          /* verify_info, totp, code */
    ngx_str_t                    value;
    uint64_t                     counter;       /* of the TOTP step used */
    char                        *batch;         /* NUL terminated */
    char                        *arrived;       /* seconds.milliseconds */
    ngx_str_t                   *proof;         /* as heao.abandon_check */
    json_t                      *result;
} ngx_http_heao_abandon_t;


static ngx_int_t ngx_http_heao_view(ngx_http_request_t *r,
    ngx_http_heao_ctx_t *ctx, ngx_uint_t stmt, const char *what);
static ngx_int_t ngx_http_heao_abandon_start(ngx_http_request_t *r,
    ngx_http_heao_ctx_t *ctx);
static ngx_int_t ngx_http_heao_abandon_count(ngx_http_request_t *r,
    ngx_http_heao_ctx_t *ctx);
static ngx_int_t ngx_http_heao_abandon_prove(ngx_http_request_t *r,
    ngx_http_heao_ctx_t *ctx);
static ngx_int_t ngx_http_heao_abandon_state(ngx_http_request_t *r,
    const char *status);
static ngx_int_t ngx_http_heao_abandon_store(ngx_http_request_t *r,
    ngx_http_heao_ctx_t *ctx);
static ngx_int_t ngx_http_heao_abandon_refused(ngx_http_request_t *r,
    ngx_http_heao_ctx_t *ctx, const char *message);
static ngx_int_t ngx_http_heao_abandon_answer(ngx_http_request_t *r,
    ngx_http_heao_ctx_t *ctx);
static void ngx_http_heao_abandon_cleanup(void *data);
static ngx_uint_t ngx_http_heao_digits(ngx_str_t *s, size_t max);


/* V4: every save of the candidate, newest first */

ngx_int_t
ngx_http_heao_history(ngx_http_request_t *r, ngx_http_heao_ctx_t *ctx)
{
    return ngx_http_heao_view(r, ctx, NGX_HTTP_HEAO_SQL_SAVE_HISTORY,
                              "history");
}


/* I1: the messages and the unread count */

ngx_int_t
ngx_http_heao_mailbox(ngx_http_request_t *r, ngx_http_heao_ctx_t *ctx)
{
    return ngx_http_heao_view(r, ctx, NGX_HTTP_HEAO_SQL_MAILBOX, "mailbox");
}


/*
 * I1: marks one message read.  Another candidate's message is answered as
 * one that does not exist (R5).
 */

ngx_int_t
ngx_http_heao_mailbox_read(ngx_http_request_t *r, ngx_http_heao_ctx_t *ctx)
{
    json_t      *json;
    ngx_int_t    rc;
    const char  *values[2];

    switch (ctx->step) {

    case NGX_HTTP_HEAO_VIEW_SESSION:
        ctx->step = NGX_HTTP_HEAO_VIEW_LOADED;

        rc = ngx_http_heao_session_load(r, ctx);
        if (rc != NGX_DECLINED) {
            return rc;
        }

        /* fall through */

    case NGX_HTTP_HEAO_VIEW_LOADED:
        rc = ngx_http_heao_session_loaded(r, ctx, 1);
        if (rc != NGX_OK) {
            return rc;
        }

        rc = ngx_http_heao_no_fields(r, ctx);
        if (rc != NGX_OK) {
            return rc;
        }

        if (!ngx_http_heao_digits(&ctx->arg[0],
                                  NGX_HTTP_HEAO_MESSAGE_ID_MAX))
        {
            return ngx_http_heao_send_error(r, NGX_HTTP_NOT_FOUND,
                                            "not_found", NULL,
                                            "没有这封邮件");
        }

        values[0] = (char *) ctx->session->candidate.data;
        values[1] = ngx_pnalloc(r->pool, ctx->arg[0].len + 1);
        if (values[1] == NULL) {
            return NGX_ERROR;
        }

        ngx_cpystrn((u_char *) values[1], ctx->arg[0].data,
                    ctx->arg[0].len + 1);

        ctx->step = NGX_HTTP_HEAO_VIEW_DONE;

        return ngx_http_heao_pg_call(ctx, NGX_HTTP_HEAO_SQL_MAILBOX_READ, 2,
                                     values, NULL);

    default: /* NGX_HTTP_HEAO_VIEW_DONE */
        if (ctx->rc == NGX_OK && ctx->reply
            && ((ngx_str_t *) ctx->reply->elts)[0].len == 0)
        {
            return ngx_http_heao_send_error(r, NGX_HTTP_NOT_FOUND,
                                            "not_found", NULL,
                                            "没有这封邮件");
        }

        json = ngx_http_heao_pg_json(r, ctx, "mailbox read");
        if (json == NULL) {
            return ngx_http_heao_backend_error(r, ctx, "mailbox read");
        }

        return ngx_http_heao_send_json(r, NGX_HTTP_OK, json);
    }
}


/*
 * V3: abandons the group of a batch, proven as A8 orders: the dynamic
 * password when one is bound, else a code sent by WeChat or SMS, else
 * the 密码验证信息 (its hash is checked in the thread pool).  The state
 * of the group comes first (batch, abandoned, window), so that a proof
 * that works once is spent only by an abandon that can happen; the
 * transaction of the abandon judges the state again under its lock.
 * Attempts at the proof are counted per candidate.  The answer names
 * every batch of the group, and waits for the commit and for the cached
 * browse answer to be dropped.
 */

ngx_int_t
ngx_http_heao_abandon(ngx_http_request_t *r, ngx_http_heao_ctx_t *ctx)
{
    ngx_int_t                 rc;
    ngx_str_t                *v;
    ngx_http_heao_abandon_t  *ab;

    ab = ctx->data;

    switch (ctx->step) {

    case NGX_HTTP_HEAO_ABANDON_SESSION:
        ctx->step = NGX_HTTP_HEAO_ABANDON_LOADED;

        rc = ngx_http_heao_session_load(r, ctx);
        if (rc != NGX_DECLINED) {
            return rc;
        }

        /* fall through */

    case NGX_HTTP_HEAO_ABANDON_LOADED:
        return ngx_http_heao_abandon_start(r, ctx);

    case NGX_HTTP_HEAO_ABANDON_CHECKED:
        if (ctx->rc != NGX_OK || ctx->reply == NULL
            || ctx->reply->nelts < 5)
        {
            return ngx_http_heao_backend_error(r, ctx, "abandon check");
        }

        /* status, proof, totp_secret, verify_hash, sent_to */

        v = ctx->reply->elts;

        if (v[0].len) {
            /* refused whatever the proof: a one-use proof stays unspent */
            return ngx_http_heao_abandon_state(r, (char *) v[0].data);
        }

        ab->proof = v;

        return ngx_http_heao_abandon_count(r, ctx);

    case NGX_HTTP_HEAO_ABANDON_RATE_CHECKED:
        if (ctx->rc != NGX_OK || ctx->reply == NULL) {
            return ngx_http_heao_backend_error(r, ctx, "abandon");
        }

        v = ctx->reply->elts;
        rc = ngx_atoi(v[0].data, v[0].len);

        if (rc > 0) {
            return ngx_http_heao_send_json(r, NGX_HTTP_TOO_MANY_REQUESTS,
                       json_pack("{s:s, s:i, s:s}",
                                 "error", "too_many", "retry_after", (int) rc,
                                 "message", "放弃志愿的尝试"
                                            "过于频繁，"
                                            "请稍后再试"));
        }

        return ngx_http_heao_abandon_prove(r, ctx);

    case NGX_HTTP_HEAO_ABANDON_VERIFIED:
        if (ctx->rc == NGX_ERROR) {
            return ngx_http_heao_backend_error(r, ctx, "abandon proof");
        }

        if (ctx->rc != NGX_OK) {
            return ngx_http_heao_abandon_refused(r, ctx,
                                                 "密码验证信息不正确");
        }

        return ngx_http_heao_abandon_store(r, ctx);

    case NGX_HTTP_HEAO_ABANDON_TOTP_USED:
        if (ctx->rc != NGX_OK || ctx->reply == NULL) {
            return ngx_http_heao_backend_error(r, ctx, "abandon");
        }

        v = ctx->reply->elts;

        if (v[0].len != 1 || v[0].data[0] != '1') {
            return ngx_http_heao_abandon_refused(r, ctx,
                                                 "动态密码不正确"
                                                 "或已使用");
        }

        return ngx_http_heao_abandon_store(r, ctx);

    case NGX_HTTP_HEAO_ABANDON_CODE_CHECKED:
        if (ctx->rc != NGX_OK || ctx->reply == NULL) {
            return ngx_http_heao_backend_error(r, ctx, "abandon code");
        }

        v = ctx->reply->elts;

        if (v[0].len != 1 || v[0].data[0] != '1') {
            return ngx_http_heao_abandon_refused(r, ctx,
                                                 v[0].len == 2
                                                 ? "验证码已失效，"
                                                   "请重新获取"
                                                 : "验证码不正确");
        }

        return ngx_http_heao_abandon_store(r, ctx);

    case NGX_HTTP_HEAO_ABANDON_STORED:
        return ngx_http_heao_abandon_answer(r, ctx);

    default: /* NGX_HTTP_HEAO_ABANDON_DONE */
        if (ctx->rc != NGX_OK) {
            /* committed all the same: the cache lives a few minutes */
            ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                          "heao: a cached browse answer could not be dropped");
        }

        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "heao: abandoned the group of batch \"%V\"",
                      &ctx->arg[0]);

        json_object_del(ab->result, "status");

        if (json_object_set_new(ab->result, "abandoned", json_true()) != 0) {
            return NGX_ERROR;
        }

        rc = ngx_http_heao_send_json(r, NGX_HTTP_OK, ab->result);
        ab->result = NULL;

        return rc;
    }
}


/* the session checked, the body read, the state of the group asked for */

static ngx_int_t
ngx_http_heao_abandon_start(ngx_http_request_t *r, ngx_http_heao_ctx_t *ctx)
{
    u_char                   *p;
    json_t                   *proof, *type, *value;
    ngx_int_t                 rc;
    const char               *values[3];
    ngx_pool_cleanup_t       *cln;
    ngx_http_heao_abandon_t  *ab;

    rc = ngx_http_heao_session_loaded(r, ctx, 1);
    if (rc != NGX_OK) {
        return rc;
    }

    if (ctx->arg[0].len > NGX_HTTP_HEAO_BATCH_CODE_MAX) {
        return ngx_http_heao_abandon_state(r, "not_found");
    }

    for (p = ctx->arg[0].data; p < ctx->arg[0].data + ctx->arg[0].len; p++) {
        if (!((*p >= '0' && *p <= '9') || (*p >= 'A' && *p <= 'Z'))) {
            return ngx_http_heao_abandon_state(r, "not_found");
        }
    }

    rc = ngx_http_heao_parse_body(r, ctx);
    if (rc != NGX_OK) {
        return rc;
    }

    ab = ngx_pcalloc(r->pool, sizeof(ngx_http_heao_abandon_t));
    if (ab == NULL) {
        return NGX_ERROR;
    }

    cln = ngx_pool_cleanup_add(r->pool, 0);
    if (cln == NULL) {
        return NGX_ERROR;
    }

    cln->handler = ngx_http_heao_abandon_cleanup;
    cln->data = ab;
    ctx->data = ab;

    proof = json_object_get(ctx->body, "proof");
    type = json_object_get(proof, "type");

    if (!json_is_string(type)) {
        return ngx_http_heao_bad_field(r, "proof",
                                       "请选择身份验证方式");
    }

    ab->type.data = (u_char *) json_string_value(type);
    ab->type.len = json_string_length(type);

    if (ngx_strcmp(ab->type.data, "totp") == 0) {
        if (ngx_http_heao_totp_field(r, proof, "code", &ab->value)
            != NGX_OK)
        {
            return ngx_http_heao_bad_field(r, "proof",
                                           "请输入动态密码");
        }

    } else if (ngx_strcmp(ab->type.data, "code") == 0) {
        if (ngx_http_heao_code_field(proof, "code", &ab->value) != NGX_OK) {
            return ngx_http_heao_bad_field(r, "proof",
                                           "请输入6位验证码");
        }

    } else if (ngx_strcmp(ab->type.data, "verify_info") == 0) {
        value = json_object_get(proof, "value");

        if (!json_is_string(value)
            || json_string_length(value) == 0
            || json_string_length(value) > NGX_HTTP_HEAO_PASSWORD_MAX)
        {
            return ngx_http_heao_bad_field(r, "proof",
                                           "请输入密码验证信息");
        }

        ab->value.data = (u_char *) json_string_value(value);
        ab->value.len = json_string_length(value);

    } else {
        return ngx_http_heao_bad_field(r, "proof",
                                       "请选择身份验证方式");
    }

    /* libpq takes text parameters NUL terminated */

    p = ngx_pnalloc(r->pool, ctx->arg[0].len + 1 + NGX_TIME_T_LEN + 5);
    if (p == NULL) {
        return NGX_ERROR;
    }

    ab->batch = (char *) p;
    p = ngx_cpymem(p, ctx->arg[0].data, ctx->arg[0].len);
    *p++ = '\0';

    ab->arrived = (char *) p;
    ngx_sprintf(p, "%T.%03M%Z", ctx->arrived, ctx->arrived_msec);

    values[0] = (char *) ctx->session->candidate.data;
    values[1] = ab->batch;
    values[2] = ab->arrived;

    ctx->step = NGX_HTTP_HEAO_ABANDON_CHECKED;

    return ngx_http_heao_pg_call(ctx, NGX_HTTP_HEAO_SQL_ABANDON_CHECK, 3,
                                 values, NULL);
}


/* the abandon can happen: the attempt at the proof is counted */

static ngx_int_t
ngx_http_heao_abandon_count(ngx_http_request_t *r, ngx_http_heao_ctx_t *ctx)
{
    u_char      *p;
    size_t       len[3];
    const char  *argv[3];

    p = ngx_pnalloc(r->pool, sizeof(NGX_HTTP_HEAO_ABANDON_RATE)
                             + ctx->session->candidate.len
                             + 2 * NGX_INT_T_LEN);
    if (p == NULL) {
        return NGX_ERROR;
    }

    argv[0] = (char *) p;
    len[0] = ngx_sprintf(p, NGX_HTTP_HEAO_ABANDON_RATE "%V",
                         &ctx->session->candidate)
             - p;
    p += len[0];

    argv[1] = (char *) p;
    len[1] = ngx_sprintf(p, "%d", NGX_HTTP_HEAO_ABANDON_LIMIT) - p;
    p += len[1];

    argv[2] = (char *) p;
    len[2] = ngx_sprintf(p, "%d", NGX_HTTP_HEAO_ABANDON_WINDOW) - p;

    ctx->step = NGX_HTTP_HEAO_ABANDON_RATE_CHECKED;

    return ngx_http_heao_redis_call(ctx, NGX_HTTP_HEAO_LUA_RATE, 1, 3, argv,
                                    len);
}


/* the proof A8's order asks of this candidate, checked and spent */

static ngx_int_t
ngx_http_heao_abandon_prove(ngx_http_request_t *r, ngx_http_heao_ctx_t *ctx)
{
    ngx_int_t                 rc;
    ngx_str_t                *v;
    ngx_http_heao_abandon_t  *ab;

    ab = ctx->data;
    v = ab->proof;

    if (v[2].len) {
        /* a bound dynamic password is the proof (A8) */

        if (ngx_strcmp(ab->type.data, "totp") != 0) {
            return ngx_http_heao_send_error(r, NGX_HTTP_BAD_REQUEST,
                                            "proof_required", "proof",
                                            "已绑定动态密码，"
                                            "请输入动态密码");
        }

        rc = ngx_http_heao_totp_match(r, &v[2], &ab->value, ctx->arrived,
                                      &ab->counter);
        if (rc == NGX_ERROR) {
            return NGX_ERROR;
        }

        if (rc != NGX_OK) {
            return ngx_http_heao_abandon_refused(r, ctx,
                                                 "动态密码不正确"
                                                 "或已使用");
        }

        ctx->step = NGX_HTTP_HEAO_ABANDON_TOTP_USED;

        return ngx_http_heao_totp_use(r, ctx, &ctx->session->candidate,
                                      ab->counter);
    }

    if (v[4].len) {
        /* a code sent by WeChat or SMS (POST /api/code) */

        if (ngx_strcmp(ab->type.data, "code") != 0) {
            return ngx_http_heao_send_error(r, NGX_HTTP_BAD_REQUEST,
                                            "proof_required", "proof",
                                            "请输入微信或短信"
                                            "收到的验证码");
        }

        ctx->step = NGX_HTTP_HEAO_ABANDON_CODE_CHECKED;

        return ngx_http_heao_code_check(r, ctx, "abandon",
                                        &ctx->session->candidate, NULL,
                                        &ab->value);
    }

    if (ngx_strcmp(ab->type.data, "verify_info") != 0) {
        return ngx_http_heao_send_error(r, NGX_HTTP_BAD_REQUEST,
                                        "proof_required", "proof",
                                        "未绑定动态密码，"
                                        "请输入密码验证信息");
    }

    ctx->step = NGX_HTTP_HEAO_ABANDON_VERIFIED;

    return ngx_http_heao_kdf_verify(r, ctx, v[3].len ? &v[3] : NULL,
                                    &ab->value, "abandon proof");
}


/* proven: the abandon in one transaction, which judges the state again */

static ngx_int_t
ngx_http_heao_abandon_store(ngx_http_request_t *r, ngx_http_heao_ctx_t *ctx)
{
    u_char                   *p;
    const char               *values[4];
    ngx_http_heao_abandon_t  *ab;

    ab = ctx->data;

    p = ngx_pnalloc(r->pool, r->connection->addr_text.len + 1);
    if (p == NULL) {
        return NGX_ERROR;
    }

    ngx_cpystrn(p, r->connection->addr_text.data,
                r->connection->addr_text.len + 1);

    values[0] = (char *) ctx->session->candidate.data;
    values[1] = ab->batch;
    values[2] = ab->arrived;
    values[3] = (char *) p;

    ctx->step = NGX_HTTP_HEAO_ABANDON_STORED;

    return ngx_http_heao_pg_call(ctx, NGX_HTTP_HEAO_SQL_ABANDON, 4, values,
                                 NULL);
}


static ngx_int_t
ngx_http_heao_abandon_refused(ngx_http_request_t *r, ngx_http_heao_ctx_t *ctx,
    const char *message)
{
    ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                  "heao: abandon with a wrong proof for %*s******",
                  (size_t) 8, ctx->session->exam_no.data);

    return ngx_http_heao_send_error(r, NGX_HTTP_FORBIDDEN, "wrong_proof",
                                    "proof", message);
}


/* the transaction's outcome: refused, or committed and the cache dropped */

static ngx_int_t
ngx_http_heao_abandon_answer(ngx_http_request_t *r, ngx_http_heao_ctx_t *ctx)
{
    const char               *status;
    ngx_http_heao_abandon_t  *ab;

    ab = ctx->data;

    ab->result = ngx_http_heao_pg_json(r, ctx, "abandon");
    if (ab->result == NULL) {
        return ngx_http_heao_backend_error(r, ctx, "abandon");
    }

    status = json_string_value(json_object_get(ab->result, "status"));
    if (status == NULL) {
        status = "";
    }

    if (ngx_strcmp(status, "done") != 0) {
        return ngx_http_heao_abandon_state(r, status);
    }

    ctx->step = NGX_HTTP_HEAO_ABANDON_DONE;

    return ngx_http_heao_browse_forget(r, ctx);
}


/* the answer to an abandon that the state of the group refuses */

static ngx_int_t
ngx_http_heao_abandon_state(ngx_http_request_t *r, const char *status)
{
    if (ngx_strcmp(status, "not_found") == 0) {
        return ngx_http_heao_send_error(r, NGX_HTTP_NOT_FOUND, "not_found",
                                        "batch", "没有这个批次");
    }

    if (ngx_strcmp(status, "abandoned") == 0) {
        return ngx_http_heao_send_error(r, NGX_HTTP_CONFLICT,
                                        "already_abandoned", NULL,
                                        "已放弃本批次志愿");
    }

    if (ngx_strcmp(status, "not_open") == 0) {
        return ngx_http_heao_send_error(r, NGX_HTTP_CONFLICT, "not_open",
                                        NULL, "本批次志愿填报"
                                              "尚未开始");
    }

    return ngx_http_heao_send_error(r, NGX_HTTP_CONFLICT, "closed", NULL,
                                    "本批次志愿填报已截止，"
                                    "不能再放弃");
}


static void
ngx_http_heao_abandon_cleanup(void *data)
{
    ngx_http_heao_abandon_t  *ab = data;

    if (ab->result) {
        json_decref(ab->result);
        ab->result = NULL;
    }
}


/* a GET that answers one statement's json about the candidate */

static ngx_int_t
ngx_http_heao_view(ngx_http_request_t *r, ngx_http_heao_ctx_t *ctx,
    ngx_uint_t stmt, const char *what)
{
    json_t      *json;
    ngx_int_t    rc;
    const char  *values[1];

    switch (ctx->step) {

    case NGX_HTTP_HEAO_VIEW_SESSION:
        ctx->step = NGX_HTTP_HEAO_VIEW_LOADED;

        rc = ngx_http_heao_session_load(r, ctx);
        if (rc != NGX_DECLINED) {
            return rc;
        }

        /* fall through */

    case NGX_HTTP_HEAO_VIEW_LOADED:
        rc = ngx_http_heao_session_loaded(r, ctx, 0);
        if (rc != NGX_OK) {
            return rc;
        }

        values[0] = (char *) ctx->session->candidate.data;
        ctx->step = NGX_HTTP_HEAO_VIEW_DONE;

        return ngx_http_heao_pg_call(ctx, stmt, 1, values, NULL);

    default: /* NGX_HTTP_HEAO_VIEW_DONE */
        json = ngx_http_heao_pg_json(r, ctx, what);
        if (json == NULL) {
            return ngx_http_heao_backend_error(r, ctx, what);
        }

        return ngx_http_heao_send_json(r, NGX_HTTP_OK, json);
    }
}


static ngx_uint_t
ngx_http_heao_digits(ngx_str_t *s, size_t max)
{
    size_t  i;

    if (s->len == 0 || s->len > max) {
        return 0;
    }

    for (i = 0; i < s->len; i++) {
        if (s->data[i] < '0' || s->data[i] > '9') {
            return 0;
        }
    }

    return 1;
}


/*
 * V3, A8: the proof an abandon asks of the candidate, for the page to
 * ask for the right one: "totp", "code" (with the channel WeChat or SMS
 * a code goes by, and where, masked) or "verify_info".  A candidate with
 * none of them is asked for the 密码验证信息, as the abandon does.
 */

ngx_int_t
ngx_http_heao_abandon_proof(ngx_http_request_t *r, ngx_http_heao_ctx_t *ctx)
{
    json_t      *json;
    ngx_int_t    rc;
    ngx_str_t   *v;
    const char  *values[1], *proof, *channel;

    switch (ctx->step) {

    case NGX_HTTP_HEAO_VIEW_SESSION:
        ctx->step = NGX_HTTP_HEAO_VIEW_LOADED;

        rc = ngx_http_heao_session_load(r, ctx);
        if (rc != NGX_DECLINED) {
            return rc;
        }

        /* fall through */

    case NGX_HTTP_HEAO_VIEW_LOADED:
        rc = ngx_http_heao_session_loaded(r, ctx, 0);
        if (rc != NGX_OK) {
            return rc;
        }

        values[0] = (char *) ctx->session->candidate.data;
        ctx->step = NGX_HTTP_HEAO_VIEW_DONE;

        return ngx_http_heao_pg_call(ctx, NGX_HTTP_HEAO_SQL_PROOF_OF, 1,
                                     values, NULL);

    default: /* NGX_HTTP_HEAO_VIEW_DONE */
        if (ctx->rc != NGX_OK || ctx->reply == NULL
            || ctx->reply->nelts < 4)
        {
            return ngx_http_heao_backend_error(r, ctx, "abandon proof");
        }

        /* proof, totp_secret, verify_hash, sent_to: A8's order */

        v = ctx->reply->elts;
        channel = NULL;

        if (v[1].len) {
            proof = "totp";

        } else if (v[3].len) {
            proof = "code";
            channel = (v[0].len == 6
                       && ngx_strncmp(v[0].data, "wechat", 6) == 0)
                      ? "wechat" : "sms";

        } else {
            proof = "verify_info";
        }

        json = json_pack("{s:s, s:s?, s:o}",
                         "proof", proof, "channel", channel,
                         "sent_to", channel ? json_stringn((char *) v[3].data,
                                                           v[3].len)
                                            : json_null());
        if (json == NULL) {
            return NGX_ERROR;
        }

        return ngx_http_heao_send_json(r, NGX_HTTP_OK, json);
    }
}
