
/*
 * Copyright (C) heao developers
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_heao_module.h"
#include "ngx_http_heao_catalog.h"
#include "ngx_http_heao_rules.h"


#define NGX_HTTP_HEAO_UUID_LEN          36
#define NGX_HTTP_HEAO_DEVICE_MAX        200     /* of the User-Agent kept */
#define NGX_HTTP_HEAO_BROWSE_KEY        "heao:b:"
#define NGX_HTTP_HEAO_BROWSE_GEN        "heao:bg:"
#define NGX_HTTP_HEAO_BROWSE_TTL        300     /* seconds */
#define NGX_HTTP_HEAO_PLAN_PAGE         20      /* F18: institutions a page */
#define NGX_HTTP_HEAO_PLAN_PAGE_MAX     50
#define NGX_HTTP_HEAO_PLAN_PAGE_LAST    999999999   /* 9 digits */
#define NGX_HTTP_HEAO_PLAN_QUERY_MAX    64      /* bytes searched for */


/* the steps that every fill action shares */
typedef enum {
    NGX_HTTP_HEAO_FILL_CATALOG = 0,
    NGX_HTTP_HEAO_FILL_SESSION,
    NGX_HTTP_HEAO_FILL_STATE,
    NGX_HTTP_HEAO_FILL_DONE
} ngx_http_heao_fill_step_e;


typedef enum {
    NGX_HTTP_HEAO_BROWSE_SESSION = 0,
    NGX_HTTP_HEAO_BROWSE_CACHE,
    NGX_HTTP_HEAO_BROWSE_DONE
} ngx_http_heao_browse_step_e;


typedef struct {
    ngx_http_heao_batch_t       *batch;
    ngx_http_heao_profile_t      profile;
    json_t                      *state;
    ngx_str_t                    checksum;
} ngx_http_heao_fill_t;


static ngx_int_t ngx_http_heao_fill_start(ngx_http_request_t *r,
    ngx_http_heao_ctx_t *ctx, ngx_uint_t csrf);
static ngx_int_t ngx_http_heao_fill_window(ngx_http_request_t *r,
    ngx_http_heao_ctx_t *ctx, ngx_http_heao_batch_t *b);
static ngx_int_t ngx_http_heao_fill_profile(ngx_http_request_t *r,
    ngx_http_heao_ctx_t *ctx);
static ngx_int_t ngx_http_heao_fill_invalid(ngx_http_request_t *r,
    ngx_int_t rc, ngx_http_heao_app_t *app);
static ngx_int_t ngx_http_heao_no_change(ngx_http_request_t *r,
    json_t *state);
static void ngx_http_heao_fill_cleanup(void *data);
static ngx_array_t *ngx_http_heao_browse_keys(ngx_http_request_t *r,
    ngx_str_t *candidate);
static ngx_int_t ngx_http_heao_browse_call(ngx_http_request_t *r,
    ngx_http_heao_ctx_t *ctx, ngx_array_t *keys, ngx_uint_t script,
    ngx_str_t *args);
static ngx_int_t ngx_http_heao_browse_send(ngx_http_request_t *r,
    ngx_http_heao_ctx_t *ctx, ngx_array_t *keys, json_t *json);
static void ngx_http_heao_browse_stored(void *data, ngx_int_t rc,
    redisReply *reply);
static ngx_uint_t ngx_http_heao_valid_uuid(const char *s);
static char *ngx_http_heao_cstr(ngx_pool_t *pool, ngx_str_t *s);
static ngx_int_t ngx_http_heao_device(ngx_http_request_t *r,
    ngx_str_t *device);
static ngx_int_t ngx_http_heao_plan_start(ngx_http_request_t *r,
    ngx_http_heao_ctx_t *ctx);
static ngx_int_t ngx_http_heao_plan_args(ngx_http_request_t *r, ngx_str_t *q,
    ngx_int_t *page, ngx_int_t *size);
static ngx_uint_t ngx_http_heao_plan_match(ngx_http_heao_inst_t *in,
    ngx_str_t *q);
static ngx_uint_t ngx_http_heao_plan_choosable(
    ngx_http_heao_profile_t *profile, ngx_http_heao_inst_t *in,
    ngx_uint_t *plan, ngx_uint_t *majors);


static ngx_str_t  ngx_http_heao_reasons[][2] = {
    { ngx_string("too_soon"),
      ngx_string("距离上次保存志愿未满1小时，暂无法修改") },
    { ngx_string("final"),
      ngx_string("距离上次保存志愿须满1小时才能修改，"
                 "而本批次届时已截止，"
                 "已保存的志愿即为最终志愿") },
    { ngx_string("no_saves_left"),
      ngx_string("本批次志愿已保存3次，不能再修改") },
    { ngx_string("abandoned"),
      ngx_string("已放弃本批次志愿，不能再填报") },
    { ngx_string("closed"),
      ngx_string("本批次志愿填报已截止") },
    { ngx_string("not_open"),
      ngx_string("本批次志愿填报尚未开始") },
    { ngx_null_string, ngx_null_string }
};


ngx_int_t
ngx_http_heao_batches(ngx_http_request_t *r, ngx_http_heao_ctx_t *ctx)
{
    json_t                   *json, *list, *b;
    ngx_int_t                 rc;
    ngx_uint_t                i;
    ngx_http_heao_batch_t    *bt;
    ngx_http_heao_catalog_t  *cat;

    cat = ngx_http_heao_catalog_get(ctx, &rc);
    if (cat == NULL) {
        return rc == NGX_DONE ? rc
                              : ngx_http_heao_backend_error(r, ctx, "catalog");
    }

    list = json_array();
    json = json_pack("{s:I, s:o}", "now", (json_int_t) ngx_time(),
                     "batches", list);
    if (json == NULL) {
        return NGX_ERROR;
    }

    for (i = 0; i < cat->nbatches; i++) {
        bt = &cat->batches[i];

        /* B1: which candidate types fill it, for the home page (F9) */

        b = json_pack("{s:s%, s:s%, s:s%, s:I, s:I, s:b, s:o, s:O}",
                      "code", bt->code.data, bt->code.len,
                      "name", bt->name.data, bt->name.len,
                      "group", bt->group.data, bt->group.len,
                      "opens_at", (json_int_t) bt->opens,
                      "closes_at", (json_int_t) bt->closes,
                      "open", ngx_time() >= bt->opens
                              && ngx_time() < bt->closes,
                      "ctypes", ngx_http_heao_catalog_list_json(&bt->ctypes),
                      "shape", bt->shape);

        if (b == NULL || json_array_append_new(list, b) != 0) {
            json_decref(json);
            return NGX_ERROR;
        }
    }

    return ngx_http_heao_send_json(r, NGX_HTTP_OK, json);
}


/* F2: an institution's name and majors, as a code is typed */

ngx_int_t
ngx_http_heao_lookup(ngx_http_request_t *r, ngx_http_heao_ctx_t *ctx)
{
    ngx_int_t                 rc;
    ngx_http_heao_inst_t     *in;
    ngx_http_heao_batch_t    *b;
    ngx_http_heao_catalog_t  *cat;

    cat = ngx_http_heao_catalog_get(ctx, &rc);
    if (cat == NULL) {
        return rc == NGX_DONE ? rc
                              : ngx_http_heao_backend_error(r, ctx, "catalog");
    }

    b = ngx_http_heao_catalog_batch(cat, &ctx->arg[0]);
    if (b == NULL) {
        return ngx_http_heao_send_error(r, NGX_HTTP_NOT_FOUND, "not_found",
                                        "batch", "没有这个批次");
    }

    in = ngx_http_heao_catalog_inst(b, &ctx->arg[1]);
    if (in == NULL) {
        return ngx_http_heao_send_error(r, NGX_HTTP_NOT_FOUND, "not_found",
                                        "institution",
                                        "本批次没有这个院校代号");
    }

    if (ngx_http_heao_catalog_inst_json(cat, b, in) != NGX_OK) {
        return NGX_ERROR;
    }

    return ngx_http_heao_send_raw(r, NGX_HTTP_OK, &in->json);
}


/*
 * The catalog first (it may have to be loaded), then the session and the
 * body.  Returns NGX_OK when all are there, else NGX_DONE: it waits, or
 * it answered.
 */

static ngx_int_t
ngx_http_heao_fill_start(ngx_http_request_t *r, ngx_http_heao_ctx_t *ctx,
    ngx_uint_t csrf)
{
    ngx_int_t                 rc;
    ngx_http_heao_fill_t     *fl;
    ngx_http_cleanup_t       *cln;
    ngx_http_heao_catalog_t  *cat;

    if (ctx->step == NGX_HTTP_HEAO_FILL_CATALOG) {
        cat = ngx_http_heao_catalog_get(ctx, &rc);
        if (cat == NULL) {
            return rc == NGX_DONE
                   ? rc
                   : ngx_http_heao_answer(r,
                         ngx_http_heao_backend_error(r, ctx, "catalog"));
        }

        fl = ngx_pcalloc(r->pool, sizeof(ngx_http_heao_fill_t));
        if (fl == NULL) {
            return NGX_ERROR;
        }

        cln = ngx_http_cleanup_add(r, 0);
        if (cln == NULL) {
            return NGX_ERROR;
        }

        cln->handler = ngx_http_heao_fill_cleanup;
        cln->data = fl;

        ctx->data = fl;

        fl->batch = ngx_http_heao_catalog_batch(cat, &ctx->arg[0]);
        if (fl->batch == NULL) {
            return ngx_http_heao_answer(r,
                       ngx_http_heao_send_error(r, NGX_HTTP_NOT_FOUND,
                                                "not_found", "batch",
                                                "没有这个批次"));
        }

        ctx->step = NGX_HTTP_HEAO_FILL_SESSION;

        rc = ngx_http_heao_session_load(r, ctx);
        if (rc != NGX_DECLINED) {
            return rc;
        }
    }

    rc = ngx_http_heao_session_loaded(r, ctx, csrf);
    if (rc != NGX_OK) {
        return rc;
    }

    if (r->method == NGX_HTTP_POST) {
        return ngx_http_heao_parse_body(r, ctx);
    }

    return NGX_OK;
}


/*
 * F12a: the window is judged by when the request arrived.  Returns NGX_OK
 * inside it, else NGX_DONE once it answered 409.
 */

static ngx_int_t
ngx_http_heao_fill_window(ngx_http_request_t *r, ngx_http_heao_ctx_t *ctx,
    ngx_http_heao_batch_t *b)
{
    json_t  *state;

    if (ctx->arrived >= b->opens && ctx->arrived < b->closes) {
        return NGX_OK;
    }

    state = json_pack("{s:s}", "reason",
                      ctx->arrived < b->opens ? "not_open" : "closed");

    return ngx_http_heao_answer(r, ngx_http_heao_no_change(r, state));
}


/* F13: the notice accepted, a fill session starts from the last save */

ngx_int_t
ngx_http_heao_begin(ngx_http_request_t *r, ngx_http_heao_ctx_t *ctx)
{
    time_t                  end;
    json_t                 *accept;
    ngx_int_t               rc;
    const char             *values[2];
    ngx_http_heao_fill_t   *fl;
    ngx_http_heao_batch_t  *b;

    ngx_http_heao_main_conf_t  *hmcf;

    fl = ctx->data;

    switch (ctx->step) {

    case NGX_HTTP_HEAO_FILL_CATALOG:
    case NGX_HTTP_HEAO_FILL_SESSION:
        rc = ngx_http_heao_fill_start(r, ctx, 1);
        if (rc != NGX_OK) {
            return rc;
        }

        fl = ctx->data;

        accept = json_object_get(ctx->body, "accept_notice");
        if (!json_is_true(accept)) {
            return ngx_http_heao_send_error(r, NGX_HTTP_BAD_REQUEST,
                                            "bad_field", "accept_notice",
                                            "请先阅读并同意"
                                            "志愿填报须知");
        }

        rc = ngx_http_heao_fill_window(r, ctx, fl->batch);
        if (rc != NGX_OK) {
            return rc;
        }

        /* F9: no fill session in a batch this type of candidate never fills */

        rc = ngx_http_heao_fill_profile(r, ctx);
        if (rc != NGX_OK) {
            return rc;
        }

        if (!ngx_http_heao_rules_may_fill(fl->batch, &fl->profile)) {
            return ngx_http_heao_send_error(r, NGX_HTTP_FORBIDDEN,
                                            "not_eligible", "batch",
                                            "您的考生类别不能填报"
                                            "本批次");
        }

        values[0] = (char *) ctx->session->candidate.data;
        values[1] = (char *) fl->batch->code.data;

        ctx->step = NGX_HTTP_HEAO_FILL_STATE;

        return ngx_http_heao_pg_call(ctx, NGX_HTTP_HEAO_SQL_FILL_STATE, 2,
                                     values, NULL);

    case NGX_HTTP_HEAO_FILL_STATE:
        fl->state = ngx_http_heao_pg_json(r, ctx, "fill state");
        if (fl->state == NULL) {
            return ngx_http_heao_backend_error(r, ctx, "fill state");
        }

        if (!json_is_null(json_object_get(fl->state, "reason"))) {
            rc = ngx_http_heao_no_change(r, fl->state);
            fl->state = NULL;
            return rc;
        }

        hmcf = ngx_http_get_module_main_conf(r, ngx_http_heao_module);
        b = fl->batch;

        end = ngx_min(ctx->arrived + (time_t) (hmcf->fill_timeout / 1000),
                      b->closes);

        if (json_object_set_new(fl->state, "fill_expires_at",
                                json_integer(end))
            != 0)
        {
            return NGX_ERROR;
        }

        ctx->step = NGX_HTTP_HEAO_FILL_DONE;

        return ngx_http_heao_session_set_fill(r, ctx, &b->code, end);

    default: /* NGX_HTTP_HEAO_FILL_DONE */
        if (ctx->rc != NGX_OK || ctx->reply == NULL) {
            return ngx_http_heao_backend_error(r, ctx, "fill session");
        }

        if (((ngx_str_t *) ctx->reply->elts)[0].data[0] != '1') {
            return ngx_http_heao_send_error(r, NGX_HTTP_UNAUTHORIZED,
                                            "unauthenticated", NULL,
                                            "登录已超时，"
                                            "请重新登录");
        }

        json_object_del(fl->state, "reason");

        rc = ngx_http_heao_send_json(r, NGX_HTTP_OK, fl->state);
        fl->state = NULL;

        return rc;
    }
}


/* F17: every rule, nothing saved */

ngx_int_t
ngx_http_heao_check(ngx_http_request_t *r, ngx_http_heao_ctx_t *ctx)
{
    ngx_int_t              rc;
    ngx_http_heao_app_t    app;
    ngx_http_heao_fill_t  *fl;

    rc = ngx_http_heao_fill_start(r, ctx, 1);
    if (rc != NGX_OK) {
        return rc;
    }

    fl = ctx->data;

    rc = ngx_http_heao_fill_profile(r, ctx);
    if (rc != NGX_OK) {
        return rc;
    }

    rc = ngx_http_heao_rules_check(r, fl->batch, &fl->profile,
                                   json_object_get(ctx->body, "application"),
                                   &app);
    if (rc != NGX_OK) {
        return ngx_http_heao_fill_invalid(r, rc, &app);
    }

    json_decref(app.errors);

    return ngx_http_heao_send_json(r, NGX_HTTP_OK,
                                   json_pack("{s:b}", "ok", 1));
}


/*
 * F12-F16: a checked application is saved by one statement, which keeps
 * the counter, the 60 minutes, the history and the mailbox in one
 * transaction; the answer waits for the commit (R3).
 */

ngx_int_t
ngx_http_heao_save(ngx_http_request_t *r, ngx_http_heao_ctx_t *ctx)
{
    u_char                 *p;
    time_t                  end;
    json_t                 *id;
    ngx_int_t               rc;
    ngx_str_t               canonical, summary, content, device;
    const char             *status, *values[9];
    ngx_array_t            *keys;
    ngx_http_heao_app_t     app;
    ngx_http_heao_fill_t   *fl;
    ngx_http_heao_batch_t  *b;

    if (ctx->step < NGX_HTTP_HEAO_FILL_STATE) {
        rc = ngx_http_heao_fill_start(r, ctx, 1);
        if (rc != NGX_OK) {
            return rc;
        }

        fl = ctx->data;
        b = fl->batch;

        id = json_object_get(ctx->body, "save_id");

        if (!json_is_string(id)
            || !ngx_http_heao_valid_uuid(json_string_value(id)))
        {
            return ngx_http_heao_send_error(r, NGX_HTTP_BAD_REQUEST,
                                            "bad_field", "save_id",
                                            "save_id应为UUID");
        }

        rc = ngx_http_heao_fill_window(r, ctx, b);
        if (rc != NGX_OK) {
            return rc;
        }

        end = ngx_http_heao_session_fill_end(ctx->session, &b->code);

        if (end == 0) {
            /* F13: no fill session was ever started, none ran out */
            return ngx_http_heao_send_error(r, NGX_HTTP_CONFLICT,
                                            "fill_not_begun", NULL,
                                            "尚未开始填报，请先阅读"
                                            "并同意志愿填报须知");
        }

        if (ctx->arrived > end) {
            return ngx_http_heao_send_error(r, NGX_HTTP_CONFLICT,
                                            "fill_expired", NULL,
                                            "本次填报时间已到，"
                                            "请重新进入填报页面");
        }

        rc = ngx_http_heao_fill_profile(r, ctx);
        if (rc != NGX_OK) {
            return rc;
        }

        rc = ngx_http_heao_rules_check(r, b, &fl->profile,
                                       json_object_get(ctx->body,
                                                       "application"),
                                       &app);
        if (rc != NGX_OK) {
            return ngx_http_heao_fill_invalid(r, rc, &app);
        }

        json_decref(app.errors);

        if (ngx_http_heao_rules_canonical(r, &app, &ctx->session->exam_no,
                                          &canonical, &summary, &content)
            != NGX_OK
            || ngx_http_heao_rules_checksum(r, &canonical, &fl->checksum)
               != NGX_OK)
        {
            return NGX_ERROR;
        }

        p = ngx_pnalloc(r->pool, NGX_TIME_T_LEN + 5);
        if (p == NULL) {
            return NGX_ERROR;
        }

        ngx_sprintf(p, "%T.%03M%Z", ctx->arrived, ctx->arrived_msec);

        if (ngx_http_heao_device(r, &device) != NGX_OK) {
            return NGX_ERROR;
        }

        /* libpq takes text parameters NUL terminated */

        values[0] = (char *) ctx->session->candidate.data;
        values[1] = (char *) b->code.data;
        values[2] = json_string_value(id);
        values[3] = (char *) content.data;
        values[4] = ngx_http_heao_cstr(r->pool, &summary);
        values[5] = (char *) fl->checksum.data;
        values[6] = (char *) p;
        values[7] = ngx_http_heao_cstr(r->pool, &r->connection->addr_text);
        values[8] = (char *) device.data;

        if (values[4] == NULL || values[7] == NULL || values[8] == NULL) {
            return NGX_ERROR;
        }

        ctx->step = NGX_HTTP_HEAO_FILL_STATE;

        return ngx_http_heao_pg_call(ctx, NGX_HTTP_HEAO_SQL_SAVE, 9, values,
                                     NULL);
    }

    fl = ctx->data;

    if (ctx->step == NGX_HTTP_HEAO_FILL_STATE) {
        fl->state = ngx_http_heao_pg_json(r, ctx, "save");
        if (fl->state == NULL) {
            return ngx_http_heao_backend_error(r, ctx, "save");
        }

        status = json_string_value(json_object_get(fl->state, "status"));

        if (status && ngx_strcmp(status, "bad_save_id") == 0) {
            /* a retry identifier that another candidate used */
            return ngx_http_heao_send_error(r, NGX_HTTP_BAD_REQUEST,
                                            "bad_field", "save_id",
                                            "save_id已被使用");
        }

        if (status == NULL || ngx_strcmp(status, "saved") != 0) {
            rc = ngx_http_heao_no_change(r, fl->state);
            fl->state = NULL;
            return rc;
        }

        keys = ngx_http_heao_browse_keys(r, &ctx->session->candidate);
        if (keys == NULL) {
            return NGX_ERROR;
        }

        /* the candidate's cached browse answer is stale from now on */

        ctx->step = NGX_HTTP_HEAO_FILL_DONE;

        return ngx_http_heao_browse_call(r, ctx, keys,
                                         NGX_HTTP_HEAO_LUA_BROWSE_FORGET, NULL);
    }

    /* NGX_HTTP_HEAO_FILL_DONE: committed, and the cached browse dropped */

    if (ctx->rc != NGX_OK) {
        /* committed all the same: the cache lives a few minutes at most */
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "heao: a cached browse answer could not be dropped");
    }

    ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                  "heao: saved batch \"%V\"", &fl->batch->code);

    json_object_del(fl->state, "status");

    if (json_object_set_new(fl->state, "saved", json_true()) != 0) {
        return NGX_ERROR;
    }

    rc = ngx_http_heao_send_json(r, NGX_HTTP_OK, fl->state);
    fl->state = NULL;

    return rc;
}


/*
 * V1: every group the candidate saved in, names joined in PostgreSQL.  The
 * answer is cached in Redis until the candidate's next save or the next
 * change of the catalog or of a window (B6), so that the rush's browsing
 * costs no PostgreSQL round trip.
 */

ngx_int_t
ngx_http_heao_browse(ngx_http_request_t *r, ngx_http_heao_ctx_t *ctx)
{
    json_t        *json;
    ngx_int_t      rc;
    ngx_str_t     *v, *stamp, prefixes[3];
    const char    *values[1];
    ngx_array_t   *keys;

    keys = ctx->data;

    switch (ctx->step) {

    case NGX_HTTP_HEAO_BROWSE_SESSION:
        ctx->step = NGX_HTTP_HEAO_BROWSE_CACHE;

        /* the session and the cached answer in one round trip */

        ngx_str_set(&prefixes[0], NGX_HTTP_HEAO_BROWSE_KEY);
        ngx_str_set(&prefixes[1], NGX_HTTP_HEAO_BROWSE_GEN);
        ngx_str_set(&prefixes[2], NGX_HTTP_HEAO_BROWSE_EPOCH);

        rc = ngx_http_heao_session_load_with(r, ctx,
                                             NGX_HTTP_HEAO_LUA_SESSION_BROWSE,
                                             2, 3, prefixes);
        if (rc != NGX_DECLINED) {
            return rc;
        }

        /* fall through */

    case NGX_HTTP_HEAO_BROWSE_CACHE:
        rc = ngx_http_heao_session_loaded(r, ctx, 0);
        if (rc != NGX_OK) {
            return rc;
        }

        v = ctx->reply->elts;

        if (v[0].len) {
            return ngx_http_heao_send_raw(r, NGX_HTTP_OK, &v[0]);
        }

        keys = ngx_http_heao_browse_keys(r, &ctx->session->candidate);
        if (keys == NULL) {
            return NGX_ERROR;
        }

        stamp = ngx_array_push(keys);
        if (stamp == NULL) {
            return NGX_ERROR;
        }

        *stamp = v[1];

        if (stamp->len == 0) {
            /* no stamp read: nothing is stored */
            ngx_str_set(stamp, "-");
        }

        ctx->data = keys;

        values[0] = (char *) ctx->session->candidate.data;

        ctx->step = NGX_HTTP_HEAO_BROWSE_DONE;

        return ngx_http_heao_pg_call(ctx, NGX_HTTP_HEAO_SQL_BROWSE, 1,
                                     values, NULL);

    default: /* NGX_HTTP_HEAO_BROWSE_DONE */
        json = ngx_http_heao_pg_json(r, ctx, "browse");
        if (json == NULL) {
            return ngx_http_heao_backend_error(r, ctx, "browse");
        }

        return ngx_http_heao_browse_send(r, ctx, keys, json);
    }
}


/*
 * Moves the generation of the candidate's browse answer and drops it, for
 * a write other than a save (an abandon) after its commit; the action runs
 * again with ctx->rc.
 */

ngx_int_t
ngx_http_heao_browse_forget(ngx_http_request_t *r, ngx_http_heao_ctx_t *ctx)
{
    ngx_array_t  *keys;

    keys = ngx_http_heao_browse_keys(r, &ctx->session->candidate);
    if (keys == NULL) {
        return NGX_ERROR;
    }

    return ngx_http_heao_browse_call(r, ctx, keys,
                                     NGX_HTTP_HEAO_LUA_BROWSE_FORGET, NULL);
}


/* the cache key and the generation key of a candidate's browse answer */

static ngx_array_t *
ngx_http_heao_browse_keys(ngx_http_request_t *r, ngx_str_t *candidate)
{
    u_char       *p;
    ngx_str_t    *k;
    ngx_array_t  *keys;

    keys = ngx_array_create(r->pool, 3, sizeof(ngx_str_t));
    if (keys == NULL) {
        return NULL;
    }

    k = ngx_array_push_n(keys, 2);
    if (k == NULL) {
        return NULL;
    }

    p = ngx_pnalloc(r->pool, 2 * (sizeof(NGX_HTTP_HEAO_BROWSE_GEN)
                                  + candidate->len));
    if (p == NULL) {
        return NULL;
    }

    k[0].data = p;
    k[0].len = ngx_sprintf(p, NGX_HTTP_HEAO_BROWSE_KEY "%V", candidate) - p;
    p += k[0].len;

    k[1].data = p;
    k[1].len = ngx_sprintf(p, NGX_HTTP_HEAO_BROWSE_GEN "%V", candidate) - p;

    return keys;
}


/* runs a browse script over the two keys and the given arguments */

static ngx_int_t
ngx_http_heao_browse_call(ngx_http_request_t *r, ngx_http_heao_ctx_t *ctx,
    ngx_array_t *keys, ngx_uint_t script, ngx_str_t *args)
{
    ngx_str_t   *k;
    size_t       len[2];
    const char  *argv[2];

    k = keys->elts;

    argv[0] = (char *) k[0].data;
    len[0] = k[0].len;
    argv[1] = (char *) k[1].data;
    len[1] = k[1].len;

    return ngx_http_heao_redis_call(ctx, script, 2, 2, argv, len);
}


/*
 * Sends the browse answer, and stores it for the next browse unless a
 * save moved the generation or a catalog change the epoch meanwhile; the
 * store is not waited for.
 */

static ngx_int_t
ngx_http_heao_browse_send(ngx_http_request_t *r, ngx_http_heao_ctx_t *ctx,
    ngx_array_t *keys, json_t *json)
{
    u_char       *p;
    size_t        size, len[6];
    ngx_str_t     out, *k;
    const char   *argv[6];

    size = json_dumpb(json, NULL, 0, NGX_HTTP_HEAO_JSON_DUMP);

    out.data = ngx_pnalloc(r->pool, size);
    if (out.data == NULL) {
        json_decref(json);
        return NGX_ERROR;
    }

    out.len = json_dumpb(json, (char *) out.data, size,
                         NGX_HTTP_HEAO_JSON_DUMP);
    json_decref(json);

    k = keys->elts;

    if (k[2].data[0] != '-') {
        p = ngx_pnalloc(r->pool, NGX_INT_T_LEN);
        if (p == NULL) {
            return NGX_ERROR;
        }

        argv[0] = (char *) k[0].data;
        len[0] = k[0].len;
        argv[1] = (char *) k[1].data;
        len[1] = k[1].len;
        argv[2] = NGX_HTTP_HEAO_BROWSE_EPOCH;
        len[2] = sizeof(NGX_HTTP_HEAO_BROWSE_EPOCH) - 1;
        argv[3] = (char *) k[2].data;
        len[3] = k[2].len;
        argv[4] = (char *) out.data;
        len[4] = out.len;
        argv[5] = (char *) p;
        len[5] = ngx_sprintf(p, "%d", NGX_HTTP_HEAO_BROWSE_TTL) - p;

        /* arguments are copied; no request is waiting for the reply */

        (void) ngx_http_heao_redis_script(ngx_http_heao_worker.redis,
                                          NGX_HTTP_HEAO_LUA_BROWSE_PUT, 3, 6,
                                          argv, len,
                                          ngx_http_heao_browse_stored, NULL,
                                          ngx_cycle->log);
    }

    return ngx_http_heao_send_raw(r, NGX_HTTP_OK, &out);
}


static void
ngx_http_heao_browse_stored(void *data, ngx_int_t rc, redisReply *reply)
{
    /* a browse answer not cached is read from PostgreSQL next time */
}


/*
 * The candidate's profile from the session (F9, F10).  A session that
 * holds none was made before profiles were kept: the candidate logs in
 * again.  Returns NGX_OK, NGX_DONE once it answered 401, or NGX_ERROR.
 */

static ngx_int_t
ngx_http_heao_fill_profile(ngx_http_request_t *r, ngx_http_heao_ctx_t *ctx)
{
    ngx_int_t              rc;
    ngx_http_heao_fill_t  *fl;

    fl = ctx->data;

    rc = ngx_http_heao_rules_profile(r, &ctx->session->profile,
                                     &fl->profile);

    if (rc == NGX_DECLINED) {
        return ngx_http_heao_answer(r,
                   ngx_http_heao_send_error(r, NGX_HTTP_UNAUTHORIZED,
                                            "unauthenticated", NULL,
                                            "登录已超时，"
                                            "请重新登录"));
    }

    return rc;
}


static ngx_int_t
ngx_http_heao_fill_invalid(ngx_http_request_t *r, ngx_int_t rc,
    ngx_http_heao_app_t *app)
{
    if (rc == NGX_ABORT) {
        return ngx_http_heao_send_error(r, NGX_HTTP_BAD_REQUEST, "bad_field",
                                        (char *) app->field.data,
                                        app->message);
    }

    if (rc != NGX_DECLINED) {
        if (app->errors) {
            json_decref(app->errors);
        }

        return NGX_ERROR;
    }

    return ngx_http_heao_send_json(r, NGX_HTTP_HEAO_UNPROCESSABLE,
               json_pack("{s:s, s:s, s:o}",
                         "error", "invalid_application",
                         "message", "志愿信息有误，请按提示修改",
                         "errors", app->errors));
}


/* F12: why no change is possible now, and when it will be */

static ngx_int_t
ngx_http_heao_no_change(ngx_http_request_t *r, json_t *state)
{
    json_t      *json, *next;
    ngx_str_t   *rs;
    const char  *reason;

    if (state == NULL) {
        return NGX_ERROR;
    }

    reason = json_string_value(json_object_get(state, "reason"));
    if (reason == NULL) {
        reason = json_string_value(json_object_get(state, "status"));
    }

    for (rs = ngx_http_heao_reasons[0]; rs[0].len; rs += 2) {
        if (reason && ngx_strcmp(reason, rs[0].data) == 0) {
            break;
        }
    }

    if (rs[0].len == 0) {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "heao: unknown save status \"%s\"",
                      reason ? reason : "");
        json_decref(state);
        return NGX_ERROR;
    }

    next = json_object_get(state, "next_change_at");

    json = json_pack("{s:s, s:s%, s:s%, s:O}",
                     "error", "no_change",
                     "reason", rs[0].data, rs[0].len,
                     "message", rs[1].data, rs[1].len,
                     "next_change_at", next ? next : json_null());

    json_decref(state);

    return ngx_http_heao_send_json(r, NGX_HTTP_CONFLICT, json);
}


static void
ngx_http_heao_fill_cleanup(void *data)
{
    ngx_http_heao_fill_t  *fl = data;

    if (fl->state) {
        json_decref(fl->state);
        fl->state = NULL;
    }
}


/* 8-4-4-4-12 hex digits */

static ngx_uint_t
ngx_http_heao_valid_uuid(const char *s)
{
    ngx_uint_t  i;

    for (i = 0; i < NGX_HTTP_HEAO_UUID_LEN; i++) {
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (s[i] != '-') {
                return 0;
            }

            continue;
        }

        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')
              || (s[i] >= 'A' && s[i] <= 'F')))
        {
            return 0;
        }
    }

    return s[i] == '\0';
}


static char *
ngx_http_heao_cstr(ngx_pool_t *pool, ngx_str_t *s)
{
    u_char  *p;

    p = ngx_pnalloc(pool, s->len + 1);
    if (p == NULL) {
        return NULL;
    }

    if (s->len) {
        ngx_memcpy(p, s->data, s->len);
    }

    p[s->len] = '\0';

    return (char *) p;
}


/*
 * The device of the save history (F14): the User-Agent as valid UTF-8
 * that PostgreSQL accepts, cut at a character, controls and bytes that
 * are not UTF-8 shown as "?"; NUL terminated.
 */

static ngx_int_t
ngx_http_heao_device(ngx_http_request_t *r, ngx_str_t *device)
{
    u_char    *p, *q, *last, *start;
    uint32_t   u;

    device->data = ngx_pnalloc(r->pool, NGX_HTTP_HEAO_DEVICE_MAX + 1);
    if (device->data == NULL) {
        return NGX_ERROR;
    }

    q = device->data;

    if (r->headers_in.user_agent) {
        p = r->headers_in.user_agent->value.data;
        last = p + ngx_min(r->headers_in.user_agent->value.len,
                           NGX_HTTP_HEAO_DEVICE_MAX);

        while (p < last) {
            start = p;

            if (*p < 0x80) {
                *q++ = (*p >= 0x20 && *p != 0x7f) ? *p : '?';
                p++;
                continue;
            }

            u = ngx_utf8_decode(&p, last - p);

            if (u == 0xfffffffe) {
                /* a character cut by the limit */
                break;
            }

            if (u > 0x10ffff || (u >= 0xd800 && u <= 0xdfff)) {
                *q++ = '?';
                p = start + 1;
                continue;
            }

            q = ngx_cpymem(q, start, p - start);
        }
    }

    *q = '\0';
    device->len = q - device->data;

    return NGX_OK;
}


/*
 * F18: the plan query of a batch that offers it (对口, 专升本,
 * 征集).  The batch's institutions that this candidate may choose,
 * searched by code, name or province and paged; answered from the
 * worker's catalog.
 */

ngx_int_t
ngx_http_heao_plan(ngx_http_request_t *r, ngx_http_heao_ctx_t *ctx)
{
    json_t                 *json, *list, *it;
    ngx_int_t               rc, page, size;
    ngx_str_t               q;
    ngx_uint_t              i, total, from, plan, majors;
    ngx_http_heao_inst_t   *in;
    ngx_http_heao_fill_t   *fl;
    ngx_http_heao_batch_t  *b;

    rc = ngx_http_heao_plan_start(r, ctx);
    if (rc != NGX_OK) {
        return rc;
    }

    fl = ctx->data;
    b = fl->batch;

    rc = ngx_http_heao_plan_args(r, &q, &page, &size);
    if (rc != NGX_OK) {
        return rc;
    }

    list = json_array();
    json = json_pack("{s:s%, s:s%, s:I, s:I, s:o}",
                     "batch", b->code.data, b->code.len,
                     "query", q.data, q.len,
                     "page", (json_int_t) page, "size", (json_int_t) size,
                     "institutions", list);
    if (json == NULL) {
        return NGX_ERROR;
    }

    /* a page past the last is empty: no batch has more pages than codes */

    total = 0;
    from = (ngx_uint_t) ((ngx_min(page, NGX_HTTP_HEAO_INST_CODES + 1) - 1)
                         * size);

    for (i = 0; i < b->ninst; i++) {
        in = b->list[i];

        if (!ngx_http_heao_plan_match(in, &q)
            || !ngx_http_heao_plan_choosable(&fl->profile, in, &plan,
                                             &majors))
        {
            continue;
        }

        if (total++ < from || total > from + (ngx_uint_t) size) {
            continue;
        }

        it = json_pack("{s:s%, s:s%, s:s%, s:I, s:I}",
                       "code", in->code.data, in->code.len,
                       "name", in->name.data, in->name.len,
                       "province", in->province.data, in->province.len,
                       "plan", (json_int_t) plan,
                       "majors", (json_int_t) majors);

        if (it == NULL || json_array_append_new(list, it) != 0) {
            json_decref(json);
            return NGX_ERROR;
        }
    }

    if (json_object_set_new(json, "total", json_integer(total)) != 0
        || json_object_set_new(json, "pages",
                               json_integer((total + size - 1) / size))
           != 0)
    {
        json_decref(json);
        return NGX_ERROR;
    }

    return ngx_http_heao_send_json(r, NGX_HTTP_OK, json);
}


/* F18: opening an institution lists the majors this candidate may choose */

ngx_int_t
ngx_http_heao_plan_inst(ngx_http_request_t *r, ngx_http_heao_ctx_t *ctx)
{
    json_t                 *json, *list, *m;
    ngx_int_t               rc;
    ngx_uint_t              i, plan, majors;
    ngx_http_heao_inst_t   *in;
    ngx_http_heao_fill_t   *fl;
    ngx_http_heao_major_t  *mj;
    ngx_http_heao_batch_t  *b;

    rc = ngx_http_heao_plan_start(r, ctx);
    if (rc != NGX_OK) {
        return rc;
    }

    fl = ctx->data;
    b = fl->batch;

    in = ngx_http_heao_catalog_inst(b, &ctx->arg[1]);

    if (in == NULL
        || !ngx_http_heao_plan_choosable(&fl->profile, in, &plan, &majors))
    {
        return ngx_http_heao_send_error(r, NGX_HTTP_NOT_FOUND, "not_found",
                                        "institution",
                                        "本批次没有您可以填报的"
                                        "这个院校代号");
    }

    list = json_array();
    json = json_pack("{s:s%, s:s%, s:s%, s:s%, s:I, s:o}",
                     "batch", b->code.data, b->code.len,
                     "code", in->code.data, in->code.len,
                     "name", in->name.data, in->name.len,
                     "province", in->province.data, in->province.len,
                     "plan", (json_int_t) plan,
                     "majors", list);
    if (json == NULL) {
        return NGX_ERROR;
    }

    for (i = 0; i < in->nmajors; i++) {
        mj = &in->majors[i];

        if (!ngx_http_heao_rules_may_choose(&fl->profile, mj)) {
            continue;
        }

        m = ngx_http_heao_catalog_major_json(mj);

        if (m == NULL || json_array_append_new(list, m) != 0) {
            json_decref(json);
            return NGX_ERROR;
        }
    }

    return ngx_http_heao_send_json(r, NGX_HTTP_OK, json);
}


/*
 * The catalog, the session and the profile of a plan query; the batch
 * must offer it and take this candidate's type.  NGX_OK, or NGX_DONE: it
 * waits, or it answered.
 */

static ngx_int_t
ngx_http_heao_plan_start(ngx_http_request_t *r, ngx_http_heao_ctx_t *ctx)
{
    ngx_int_t              rc;
    ngx_http_heao_fill_t  *fl;

    rc = ngx_http_heao_fill_start(r, ctx, 0);
    if (rc != NGX_OK) {
        return rc;
    }

    fl = ctx->data;

    if (!fl->batch->plan_query) {
        return ngx_http_heao_answer(r,
                   ngx_http_heao_send_error(r, NGX_HTTP_NOT_FOUND,
                                            "not_found", "batch",
                                            "本批次不提供计划查询"));
    }

    rc = ngx_http_heao_fill_profile(r, ctx);
    if (rc != NGX_OK) {
        return rc;
    }

    if (!ngx_http_heao_rules_may_fill(fl->batch, &fl->profile)) {
        return ngx_http_heao_answer(r,
                   ngx_http_heao_send_error(r, NGX_HTTP_FORBIDDEN,
                                            "not_eligible", "batch",
                                            "您的考生类别不能填报"
                                            "本批次"));
    }

    return NGX_OK;
}


/* q (up to 64 bytes), page (from 1) and size (1 to 50, 20 if not given) */

static ngx_int_t
ngx_http_heao_plan_args(ngx_http_request_t *r, ngx_str_t *q, ngx_int_t *page,
    ngx_int_t *size)
{
    u_char     *dst, *src, *last;
    uint32_t    u;
    ngx_str_t   v;

    *page = 1;
    *size = NGX_HTTP_HEAO_PLAN_PAGE;
    ngx_str_set(q, "");

    if (ngx_http_arg(r, (u_char *) "q", 1, &v) == NGX_OK && v.len) {
        if (v.len > 3 * NGX_HTTP_HEAO_PLAN_QUERY_MAX) {
            goto bad_q;
        }

        q->data = ngx_pnalloc(r->pool, v.len);
        if (q->data == NULL) {
            return NGX_ERROR;
        }

        dst = q->data;
        src = v.data;

        ngx_unescape_uri(&dst, &src, v.len, NGX_UNESCAPE_URI);

        q->len = dst - q->data;

        if (q->len > NGX_HTTP_HEAO_PLAN_QUERY_MAX) {
            goto bad_q;
        }

        /* R1: the query goes back in the answer, so it is UTF-8 */

        src = q->data;
        last = q->data + q->len;

        while (src < last) {
            if (*src < 0x20 || *src == 0x7f) {
                goto bad_q;
            }

            if (*src < 0x80) {
                src++;
                continue;
            }

            u = ngx_utf8_decode(&src, last - src);

            if (u > 0x10ffff || (u >= 0xd800 && u <= 0xdfff)) {
                goto bad_q;
            }
        }
    }

    if (ngx_http_arg(r, (u_char *) "page", 4, &v) == NGX_OK) {
        *page = ngx_atoi(v.data, v.len);

        if (*page < 1 || *page > NGX_HTTP_HEAO_PLAN_PAGE_LAST) {
            return ngx_http_heao_bad_field(r, "page",
                                           "页码应为不超过9位的"
                                           "正整数");
        }
    }

    if (ngx_http_arg(r, (u_char *) "size", 4, &v) == NGX_OK) {
        *size = ngx_atoi(v.data, v.len);

        if (*size < 1 || *size > NGX_HTTP_HEAO_PLAN_PAGE_MAX) {
            return ngx_http_heao_bad_field(r, "size",
                                           "每页条数应为1到50");
        }
    }

    return NGX_OK;

bad_q:

    return ngx_http_heao_bad_field(r, "q",
                                   "查询内容应为不超过64字节的"
                                   "文字");
}


/* the code begins with q, or the name or the province holds it */

static ngx_uint_t
ngx_http_heao_plan_match(ngx_http_heao_inst_t *in, ngx_str_t *q)
{
    if (q->len == 0) {
        return 1;
    }

    if (q->len <= in->code.len
        && ngx_strncmp(in->code.data, q->data, q->len) == 0)
    {
        return 1;
    }

    return ngx_strlcasestrn(in->name.data, in->name.data + in->name.len,
                            q->data, q->len - 1)
           != NULL
           || ngx_strlcasestrn(in->province.data,
                               in->province.data + in->province.len,
                               q->data, q->len - 1)
              != NULL;
}


/*
 * F9 for the plan query: an institution with majors is listed when this
 * candidate may choose one of them (their plan added up); one without
 * (专升本 lists institutions only) always is.
 */

static ngx_uint_t
ngx_http_heao_plan_choosable(ngx_http_heao_profile_t *profile,
    ngx_http_heao_inst_t *in, ngx_uint_t *plan, ngx_uint_t *majors)
{
    ngx_uint_t              i;
    ngx_http_heao_major_t  *mj;

    *plan = 0;
    *majors = 0;

    for (i = 0; i < in->nmajors; i++) {
        mj = &in->majors[i];

        if (ngx_http_heao_rules_may_choose(profile, mj)) {
            *plan += mj->plan;
            (*majors)++;
        }
    }

    return in->nmajors == 0 || *majors > 0;
}
