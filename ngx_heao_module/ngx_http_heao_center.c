
/*
 * Copyright (C) heao developers
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_heao_module.h"


#define NGX_HTTP_HEAO_CENTER_BATCH_MAX  8
#define NGX_HTTP_HEAO_CENTER_INST_LEN   4
#define NGX_HTTP_HEAO_ENTRY_KEY         "heao:entry"
#define NGX_HTTP_HEAO_ENTRY_TTL         10      /* seconds */


/* what a uri segment of a view must be */
typedef enum {
    NGX_HTTP_HEAO_CENTER_NO_ARG = 0,
    NGX_HTTP_HEAO_CENTER_BATCH,                 /* 1-8 of 0-9 A-Z */
    NGX_HTTP_HEAO_CENTER_INST                   /* exactly 4 digits */
} ngx_http_heao_center_arg_e;


typedef enum {
    NGX_HTTP_HEAO_CENTER_SESSION = 0,
    NGX_HTTP_HEAO_CENTER_LOADED,
    NGX_HTTP_HEAO_CENTER_DONE
} ngx_http_heao_center_step_e;


typedef enum {
    NGX_HTTP_HEAO_ENTRY_CACHE = 0,
    NGX_HTTP_HEAO_ENTRY_READ,
    NGX_HTTP_HEAO_ENTRY_DONE
} ngx_http_heao_entry_step_e;


/*
 * A read-only view of the info center: one statement called with the
 * candidate's id (and the uri's segment), its JSON answered.  A null
 * answer is a 404 with not_found: no such thing, or not this candidate's
 * (R5).  An answer {"error": ...} is refused with 403 and the message.
 */
typedef struct {
    ngx_uint_t                   stmt;
    const char                  *what;
    ngx_http_heao_center_arg_e   arg;
    const char                  *not_found;
    const char                  *refused;
} ngx_http_heao_center_view_t;


static ngx_int_t ngx_http_heao_center_view(ngx_http_request_t *r,
    ngx_http_heao_ctx_t *ctx, const ngx_http_heao_center_view_t *v);
static ngx_uint_t ngx_http_heao_center_arg_ok(ngx_str_t *s,
    ngx_http_heao_center_arg_e arg);
static void ngx_http_heao_entry_stored(void *data, ngx_int_t rc,
    redisReply *reply);


static const ngx_http_heao_center_view_t  ngx_http_heao_center_score = {
    NGX_HTTP_HEAO_SQL_SCORE, "score", NGX_HTTP_HEAO_CENTER_NO_ARG,
    NULL, NULL
};


static const ngx_http_heao_center_view_t  ngx_http_heao_center_evaluation = {
    NGX_HTTP_HEAO_SQL_EVALUATION, "evaluation", NGX_HTTP_HEAO_CENTER_NO_ARG,
    NULL, NULL
};


static const ngx_http_heao_center_view_t  ngx_http_heao_center_archive = {
    NGX_HTTP_HEAO_SQL_ARCHIVE, "archive", NGX_HTTP_HEAO_CENTER_NO_ARG,
    NULL, NULL
};


static const ngx_http_heao_center_view_t  ngx_http_heao_center_pledges = {
    NGX_HTTP_HEAO_SQL_PLEDGES, "pledges", NGX_HTTP_HEAO_CENTER_NO_ARG,
    NULL, NULL
};


static const ngx_http_heao_center_view_t  ngx_http_heao_center_pledge = {
    NGX_HTTP_HEAO_SQL_PLEDGE, "pledge", NGX_HTTP_HEAO_CENTER_BATCH,
    "没有需要打印的承诺书", NULL
};


static const ngx_http_heao_center_view_t  ngx_http_heao_center_admissions = {
    NGX_HTTP_HEAO_SQL_ADMISSIONS, "admissions", NGX_HTTP_HEAO_CENTER_INST,
    "没有这所院校", "绑定动态密码后方可查看往年录取统计"
};


/* I2: qualification and score */

ngx_int_t
ngx_http_heao_info_score(ngx_http_request_t *r, ngx_http_heao_ctx_t *ctx)
{
    return ngx_http_heao_center_view(r, ctx, &ngx_http_heao_center_score);
}


/* I3: the evaluation and the integrity record */

ngx_int_t
ngx_http_heao_info_evaluation(ngx_http_request_t *r,
    ngx_http_heao_ctx_t *ctx)
{
    return ngx_http_heao_center_view(r, ctx,
                                     &ngx_http_heao_center_evaluation);
}


/* I6: the archive status and its changes */

ngx_int_t
ngx_http_heao_info_archive(ngx_http_request_t *r, ngx_http_heao_ctx_t *ctx)
{
    return ngx_http_heao_center_view(r, ctx, &ngx_http_heao_center_archive);
}


/* I4: the groups that need a pledge letter */

ngx_int_t
ngx_http_heao_pledges(ngx_http_request_t *r, ngx_http_heao_ctx_t *ctx)
{
    return ngx_http_heao_center_view(r, ctx, &ngx_http_heao_center_pledges);
}


/* I4: the pledge letter of one batch */

ngx_int_t
ngx_http_heao_pledge(ngx_http_request_t *r, ngx_http_heao_ctx_t *ctx)
{
    return ngx_http_heao_center_view(r, ctx, &ngx_http_heao_center_pledge);
}


/* I5: three years of one institution's figures, with a dynamic password */

ngx_int_t
ngx_http_heao_admissions(ngx_http_request_t *r, ngx_http_heao_ctx_t *ctx)
{
    return ngx_http_heao_center_view(r, ctx,
                                     &ngx_http_heao_center_admissions);
}


/*
 * I7: the entry page's announcements, notes and open batches, public.
 * Every visitor of the entry page asks: the answer is kept in Redis for
 * a few seconds, and tools/heao-admin drops it when it publishes or
 * withdraws.  Without Redis the answer comes from PostgreSQL.
 */

ngx_int_t
ngx_http_heao_entry(ngx_http_request_t *r, ngx_http_heao_ctx_t *ctx)
{
    u_char      *p;
    json_t      *json;
    size_t       size, len[3];
    ngx_str_t    out, *v;
    const char  *argv[3];

    switch (ctx->step) {

    case NGX_HTTP_HEAO_ENTRY_CACHE:
        argv[0] = NGX_HTTP_HEAO_ENTRY_KEY;
        len[0] = sizeof(NGX_HTTP_HEAO_ENTRY_KEY) - 1;

        ctx->step = NGX_HTTP_HEAO_ENTRY_READ;

        return ngx_http_heao_redis_call(ctx, NGX_HTTP_HEAO_LUA_GET, 1, 1,
                                        argv, len);

    case NGX_HTTP_HEAO_ENTRY_READ:
        if (ctx->rc == NGX_OK && ctx->reply && ctx->reply->nelts) {
            v = ctx->reply->elts;

            if (v[0].len) {
                return ngx_http_heao_send_raw(r, NGX_HTTP_OK, &v[0]);
            }
        }

        ctx->step = NGX_HTTP_HEAO_ENTRY_DONE;

        return ngx_http_heao_pg_call(ctx, NGX_HTTP_HEAO_SQL_ENTRY, 0, NULL,
                                     NULL);

    default: /* NGX_HTTP_HEAO_ENTRY_DONE */
        json = ngx_http_heao_pg_json(r, ctx, "entry");
        if (json == NULL) {
            return ngx_http_heao_backend_error(r, ctx, "entry");
        }

        size = json_dumpb(json, NULL, 0, NGX_HTTP_HEAO_JSON_DUMP);

        out.data = ngx_pnalloc(r->pool, size + NGX_INT_T_LEN);
        if (out.data == NULL) {
            json_decref(json);
            return NGX_ERROR;
        }

        out.len = json_dumpb(json, (char *) out.data, size,
                             NGX_HTTP_HEAO_JSON_DUMP);
        json_decref(json);

        p = out.data + out.len;

        argv[0] = NGX_HTTP_HEAO_ENTRY_KEY;
        len[0] = sizeof(NGX_HTTP_HEAO_ENTRY_KEY) - 1;
        argv[1] = (char *) out.data;
        len[1] = out.len;
        argv[2] = (char *) p;
        len[2] = ngx_sprintf(p, "%d", NGX_HTTP_HEAO_ENTRY_TTL) - p;

        /* arguments are copied; no request is waiting for the reply */

        (void) ngx_http_heao_redis_script(ngx_http_heao_worker.redis,
                                          NGX_HTTP_HEAO_LUA_SET_EX, 1, 3,
                                          argv, len,
                                          ngx_http_heao_entry_stored, NULL,
                                          ngx_cycle->log);

        return ngx_http_heao_send_raw(r, NGX_HTTP_OK, &out);
    }
}


static void
ngx_http_heao_entry_stored(void *data, ngx_int_t rc, redisReply *reply)
{
    /* an answer not cached is read from PostgreSQL next time */
}


static ngx_int_t
ngx_http_heao_center_view(ngx_http_request_t *r, ngx_http_heao_ctx_t *ctx,
    const ngx_http_heao_center_view_t *v)
{
    json_t      *json, *error;
    ngx_int_t    rc;
    const char  *values[2];

    switch (ctx->step) {

    case NGX_HTTP_HEAO_CENTER_SESSION:
        ctx->step = NGX_HTTP_HEAO_CENTER_LOADED;

        rc = ngx_http_heao_session_load(r, ctx);
        if (rc != NGX_DECLINED) {
            return rc;
        }

        /* fall through */

    case NGX_HTTP_HEAO_CENTER_LOADED:
        rc = ngx_http_heao_session_loaded(r, ctx, 0);
        if (rc != NGX_OK) {
            return rc;
        }

        values[0] = (char *) ctx->session->candidate.data;

        if (v->arg != NGX_HTTP_HEAO_CENTER_NO_ARG) {
            if (!ngx_http_heao_center_arg_ok(&ctx->arg[0], v->arg)) {
                return ngx_http_heao_send_error(r, NGX_HTTP_NOT_FOUND,
                                                "not_found", NULL,
                                                v->not_found);
            }

            values[1] = ngx_pnalloc(r->pool, ctx->arg[0].len + 1);
            if (values[1] == NULL) {
                return NGX_ERROR;
            }

            ngx_cpystrn((u_char *) values[1], ctx->arg[0].data,
                        ctx->arg[0].len + 1);
        }

        ctx->step = NGX_HTTP_HEAO_CENTER_DONE;

        return ngx_http_heao_pg_call(ctx, v->stmt,
                                     v->arg ? 2 : 1, values, NULL);

    default: /* NGX_HTTP_HEAO_CENTER_DONE */
        if (v->not_found && ctx->rc == NGX_OK && ctx->reply
            && ((ngx_str_t *) ctx->reply->elts)[0].len == 0)
        {
            return ngx_http_heao_send_error(r, NGX_HTTP_NOT_FOUND,
                                            "not_found", NULL, v->not_found);
        }

        json = ngx_http_heao_pg_json(r, ctx, v->what);
        if (json == NULL) {
            return ngx_http_heao_backend_error(r, ctx, v->what);
        }

        error = json_object_get(json, "error");

        if (v->refused && json_is_string(error)) {
            if (json_object_set_new(json, "message",
                                    json_string(v->refused))
                != 0)
            {
                json_decref(json);
                return NGX_ERROR;
            }

            return ngx_http_heao_send_json(r, NGX_HTTP_FORBIDDEN, json);
        }

        return ngx_http_heao_send_json(r, NGX_HTTP_OK, json);
    }
}


static ngx_uint_t
ngx_http_heao_center_arg_ok(ngx_str_t *s, ngx_http_heao_center_arg_e arg)
{
    u_char  *p;

    if (arg == NGX_HTTP_HEAO_CENTER_INST
        && s->len != NGX_HTTP_HEAO_CENTER_INST_LEN)
    {
        return 0;
    }

    if (s->len == 0 || s->len > NGX_HTTP_HEAO_CENTER_BATCH_MAX) {
        return 0;
    }

    for (p = s->data; p < s->data + s->len; p++) {
        if (*p >= '0' && *p <= '9') {
            continue;
        }

        if (arg == NGX_HTTP_HEAO_CENTER_BATCH && *p >= 'A' && *p <= 'Z') {
            continue;
        }

        return 0;
    }

    return 1;
}
