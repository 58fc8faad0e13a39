
/*
 * Copyright (C) heao developers
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>
#include <ngx_thread_pool.h>
#include <stdio.h>

#include "ngx_http_heao_module.h"
#include "ngx_http_heao_kdf.h"
#include "fuzz.h"


/*
 * The stand-ins the fuzz targets link with in place of nginx's core and
 * the module's backends (see fuzz.h).  What a target must never reach
 * aborts, naming itself, so that a path into a backend shows up as a
 * crash rather than as undefined behaviour.
 */


heao_fuzz_t                 heao_fuzz;

ngx_module_t                ngx_http_heao_module;
ngx_http_heao_worker_t      ngx_http_heao_worker;
volatile ngx_cycle_t       *ngx_cycle;
volatile ngx_msec_t         ngx_current_msec;
ngx_rbtree_t                ngx_event_timer_rbtree;
ngx_uint_t                  ngx_exiting;
sig_atomic_t                ngx_terminate;


static void *heao_fuzz_main_conf[1];
static void *heao_fuzz_ctx[1];


void
heao_fuzz_fail(const char *file, int line, const char *what)
{
    fprintf(stderr, "%s:%d: fuzz check failed: %s\n", file, line, what);
    abort();
}


static void
heao_fuzz_unreached(const char *name)
{
    fprintf(stderr, "fuzz: %s reached, which this target must not\n", name);
    abort();
}


/* the pool: one malloc per allocation, all freed with the pool */

ngx_pool_t *
ngx_create_pool(size_t size, ngx_log_t *log)
{
    ngx_pool_t  *p;

    p = calloc(1, sizeof(ngx_pool_t));
    if (p == NULL) {
        return NULL;
    }

    p->log = log;

    return p;
}


void
ngx_destroy_pool(ngx_pool_t *pool)
{
    ngx_pool_large_t    *l, *next;
    ngx_pool_cleanup_t  *c, *cn;

    for (c = pool->cleanup; c; c = cn) {
        cn = c->next;

        if (c->handler) {
            c->handler(c->data);
        }

        free(c->data);
        free(c);
    }

    for (l = pool->large; l; l = next) {
        next = l->next;
        free(l->alloc);
        free(l);
    }

    free(pool);
}


void *
ngx_palloc(ngx_pool_t *pool, size_t size)
{
    void              *p;
    ngx_pool_large_t  *l;

    p = malloc(size ? size : 1);
    l = malloc(sizeof(ngx_pool_large_t));

    if (p == NULL || l == NULL) {
        free(p);
        free(l);
        return NULL;
    }

    l->alloc = p;
    l->next = pool->large;
    pool->large = l;

    return p;
}


void *
ngx_pnalloc(ngx_pool_t *pool, size_t size)
{
    return ngx_palloc(pool, size);
}


void *
ngx_pcalloc(ngx_pool_t *pool, size_t size)
{
    void  *p;

    p = ngx_palloc(pool, size);
    if (p) {
        ngx_memzero(p, size);
    }

    return p;
}


ngx_int_t
ngx_pfree(ngx_pool_t *pool, void *p)
{
    return NGX_DECLINED;
}


ngx_pool_cleanup_t *
ngx_pool_cleanup_add(ngx_pool_t *p, size_t size)
{
    ngx_pool_cleanup_t  *c;

    c = calloc(1, sizeof(ngx_pool_cleanup_t));
    if (c == NULL) {
        return NULL;
    }

    if (size) {
        c->data = calloc(1, size);
        if (c->data == NULL) {
            free(c);
            return NULL;
        }
    }

    c->next = p->cleanup;
    p->cleanup = c;

    return c;
}


void *
ngx_alloc(size_t size, ngx_log_t *log)
{
    return malloc(size);
}


/* a log line is formatted, as nginx would, and dropped */

void
ngx_log_error_core(ngx_uint_t level, ngx_log_t *log, ngx_err_t err,
    const char *fmt, ...)
{
    u_char   line[NGX_MAX_ERROR_STR];
    va_list  args;

    va_start(args, fmt);
    (void) ngx_vslprintf(line, line + sizeof(line), fmt, args);
    va_end(args);
}


/* the request and what it answered */

void
heao_fuzz_request(const u_char *body, size_t len, size_t split)
{
    u_char               *copy;
    ngx_buf_t            *b;
    ngx_log_t            *log;
    ngx_pool_t           *pool;
    ngx_chain_t          *cl, **ll;
    ngx_table_elt_t      *type;
    ngx_connection_t     *c;
    ngx_http_request_t   *r;
    ngx_http_heao_ctx_t  *ctx;

    log = calloc(1, sizeof(ngx_log_t));
    log->log_level = NGX_LOG_DEBUG;

    pool = ngx_create_pool(1024, log);
    r = ngx_pcalloc(pool, sizeof(ngx_http_request_t));
    c = ngx_pcalloc(pool, sizeof(ngx_connection_t));
    ctx = ngx_pcalloc(pool, sizeof(ngx_http_heao_ctx_t));
    type = ngx_pcalloc(pool, sizeof(ngx_table_elt_t));
    r->request_body = ngx_pcalloc(pool, sizeof(ngx_http_request_body_t));

    heao_fuzz_assert(r && c && ctx && type && r->request_body);

    c->log = log;
    c->pool = pool;
    ngx_str_set(&c->addr_text, "127.0.0.1");

    r->pool = pool;
    r->connection = c;
    r->main = r;
    r->method = NGX_HTTP_POST;
    r->main_conf = heao_fuzz_main_conf;
    r->ctx = heao_fuzz_ctx;

    heao_fuzz_main_conf[0] = &heao_fuzz.hmcf;

    /* the directives' defaults, unless the target set its own */

    if (heao_fuzz.hmcf.max_body == 0) {
        heao_fuzz.hmcf.max_body = 16384;
    }

    if (heao_fuzz.hmcf.totp_digits == 0) {
        heao_fuzz.hmcf.totp_digits = 8;
    }
    heao_fuzz_ctx[0] = ctx;

    ngx_str_set(&type->value, "application/json; charset=utf-8");
    r->headers_in.content_type = type;

    /* the body in one or two buffers, each a malloc of its exact size */

    if (split > len) {
        split = len;
    }

    ll = &r->request_body->bufs;

    while (len) {
        copy = ngx_pnalloc(pool, split ? split : len);
        b = ngx_calloc_buf(pool);
        cl = ngx_pcalloc(pool, sizeof(ngx_chain_t));
        heao_fuzz_assert(copy && b && cl);

        ngx_memcpy(copy, body, split ? split : len);
        b->pos = copy;
        b->last = copy + (split ? split : len);
        b->memory = 1;

        cl->buf = b;
        cl->next = NULL;
        *ll = cl;
        ll = &cl->next;

        body += b->last - b->pos;
        len -= b->last - b->pos;
        split = 0;
    }

    ctx->request = r;

    heao_fuzz.r = r;
    heao_fuzz.ctx = ctx;
    heao_fuzz.status = 0;
    heao_fuzz.body.len = 0;
    heao_fuzz.body.data = NULL;
    heao_fuzz.finalized = HEAO_FUZZ_NOT_FINALIZED;
    heao_fuzz.redis_calls = 0;
}


void
heao_fuzz_done(void)
{
    ngx_log_t  *log;

    if (heao_fuzz.ctx->body) {
        json_decref(heao_fuzz.ctx->body);
    }

    log = heao_fuzz.r->connection->log;
    ngx_destroy_pool(heao_fuzz.r->pool);
    free(log);

    heao_fuzz.r = NULL;
    heao_fuzz.ctx = NULL;
}


json_t *
heao_fuzz_answer(void)
{
    json_t  *json;

    heao_fuzz_assert(heao_fuzz.status != 0);

    json = json_loadb((char *) heao_fuzz.body.data, heao_fuzz.body.len, 0,
                      NULL);
    heao_fuzz_assert(json_is_object(json));

    return json;
}


ngx_int_t
ngx_http_send_header(ngx_http_request_t *r)
{
    heao_fuzz_assert(heao_fuzz.status == 0);

    heao_fuzz.status = r->headers_out.status;

    return NGX_OK;
}


ngx_int_t
ngx_http_output_filter(ngx_http_request_t *r, ngx_chain_t *in)
{
    ngx_str_t  *s;

    s = &heao_fuzz.body;

    s->len = in->buf->last - in->buf->pos;
    s->data = ngx_pnalloc(r->pool, s->len);
    heao_fuzz_assert(s->data);
    ngx_memcpy(s->data, in->buf->pos, s->len);

    return NGX_OK;
}


void
ngx_http_finalize_request(ngx_http_request_t *r, ngx_int_t rc)
{
    heao_fuzz_assert(heao_fuzz.finalized == HEAO_FUZZ_NOT_FINALIZED);

    heao_fuzz.finalized = rc;
}


/* Redis: the call is recorded for the target to check */

ngx_int_t
ngx_http_heao_redis_call(ngx_http_heao_ctx_t *ctx, ngx_uint_t script,
    int nkeys, int argc, const char **argv, const size_t *argvlen)
{
    int  i;

    heao_fuzz_assert(argc >= nkeys && argc <= 8);

    heao_fuzz.redis_script = script;
    heao_fuzz.redis_argc = argc;
    heao_fuzz.redis_calls++;

    for (i = 0; i < argc; i++) {
        heao_fuzz.redis_argv[i].data = ngx_pnalloc(ctx->request->pool,
                                                   argvlen[i]);
        heao_fuzz_assert(heao_fuzz.redis_argv[i].data);
        ngx_memcpy(heao_fuzz.redis_argv[i].data, argv[i], argvlen[i]);
        heao_fuzz.redis_argv[i].len = argvlen[i];
    }

    return NGX_DONE;
}


ngx_int_t
ngx_http_heao_random_token(ngx_http_request_t *r, size_t bytes,
    ngx_str_t *out)
{
    out->len = (bytes * 4 + 2) / 3;
    out->data = ngx_pnalloc(r->pool, out->len);
    if (out->data == NULL) {
        return NGX_ERROR;
    }

    ngx_memset(out->data, 'T', out->len);

    return NGX_OK;
}


/* what no target reaches */

ngx_int_t
ngx_http_heao_pg_call(ngx_http_heao_ctx_t *ctx, ngx_uint_t stmt,
    int nparams, const char *const *values, const int *lengths)
{
    heao_fuzz_unreached("ngx_http_heao_pg_call");
    return NGX_ERROR;
}


ngx_int_t
ngx_http_heao_backend_error(ngx_http_request_t *r, ngx_http_heao_ctx_t *ctx,
    const char *what)
{
    heao_fuzz_unreached("ngx_http_heao_backend_error");
    return NGX_ERROR;
}


ngx_int_t
ngx_http_heao_kdf_verify(ngx_http_request_t *r, ngx_http_heao_ctx_t *ctx,
    ngx_str_t *hash, ngx_str_t *password, const char *what)
{
    heao_fuzz_unreached("ngx_http_heao_kdf_verify");
    return NGX_ERROR;
}


ngx_int_t
ngx_http_heao_kdf_hash(ngx_http_request_t *r, ngx_http_heao_ctx_t *ctx,
    ngx_str_t *password, const char *what)
{
    heao_fuzz_unreached("ngx_http_heao_kdf_hash");
    return NGX_ERROR;
}


ngx_uint_t
ngx_http_heao_kdf_needs_rehash(ngx_http_request_t *r, ngx_str_t *hash)
{
    heao_fuzz_unreached("ngx_http_heao_kdf_needs_rehash");
    return 0;
}


ngx_int_t
ngx_http_heao_session_load(ngx_http_request_t *r, ngx_http_heao_ctx_t *ctx)
{
    heao_fuzz_unreached("ngx_http_heao_session_load");
    return NGX_ERROR;
}


ngx_int_t
ngx_http_heao_session_loaded(ngx_http_request_t *r, ngx_http_heao_ctx_t *ctx,
    ngx_uint_t csrf)
{
    heao_fuzz_unreached("ngx_http_heao_session_loaded");
    return NGX_ERROR;
}


ngx_int_t
ngx_http_heao_session_create(ngx_http_request_t *r, ngx_http_heao_ctx_t *ctx,
    ngx_str_t *candidate, ngx_str_t *exam_no, ngx_str_t *name,
    ngx_str_t *profile, ngx_uint_t must_change)
{
    heao_fuzz_unreached("ngx_http_heao_session_create");
    return NGX_ERROR;
}


ngx_int_t
ngx_http_heao_session_end_others(ngx_http_request_t *r,
    ngx_http_heao_ctx_t *ctx, ngx_str_t *candidate)
{
    heao_fuzz_unreached("ngx_http_heao_session_end_others");
    return NGX_ERROR;
}


ngx_int_t
ngx_http_heao_session_destroy(ngx_http_request_t *r, ngx_http_heao_ctx_t *ctx)
{
    heao_fuzz_unreached("ngx_http_heao_session_destroy");
    return NGX_ERROR;
}


json_t *
ngx_http_heao_session_json(ngx_http_heao_session_t *s)
{
    heao_fuzz_unreached("ngx_http_heao_session_json");
    return NULL;
}


ngx_int_t
ngx_http_heao_thread_post(ngx_http_request_t *r, ngx_thread_pool_t *tp,
    ngx_thread_task_t *task, ngx_event_handler_pt done)
{
    heao_fuzz_unreached("ngx_http_heao_thread_post");
    return NGX_ERROR;
}


void
ngx_http_heao_thread_finish(ngx_http_request_t *r)
{
    heao_fuzz_unreached("ngx_http_heao_thread_finish");
}


ngx_thread_task_t *
ngx_thread_task_alloc(ngx_pool_t *pool, size_t size)
{
    heao_fuzz_unreached("ngx_thread_task_alloc");
    return NULL;
}


void
ngx_http_heao_metrics_count(ngx_http_heao_event_e event)
{
    heao_fuzz_unreached("ngx_http_heao_metrics_count");
}


ngx_http_heao_pg_op_t *
ngx_http_heao_pg_query(ngx_http_heao_pg_pool_t *pool, ngx_uint_t stmt,
    int nparams, const char *const *values, const int *lengths,
    ngx_http_heao_pg_handler_pt handler, void *data, ngx_log_t *log)
{
    heao_fuzz_unreached("ngx_http_heao_pg_query");
    return NULL;
}


void
ngx_http_heao_pg_cancel(ngx_http_heao_pg_op_t *op)
{
    heao_fuzz_unreached("ngx_http_heao_pg_cancel");
}


void
ngx_http_heao_wake(ngx_http_heao_ctx_t *ctx)
{
    heao_fuzz_unreached("ngx_http_heao_wake");
}


void
ngx_rbtree_insert(ngx_rbtree_t *tree, ngx_rbtree_node_t *node)
{
    heao_fuzz_unreached("ngx_rbtree_insert");
}


void
ngx_rbtree_delete(ngx_rbtree_t *tree, ngx_rbtree_node_t *node)
{
    heao_fuzz_unreached("ngx_rbtree_delete");
}


ngx_http_heao_redis_op_t *
ngx_http_heao_redis_command(ngx_http_heao_redis_t *rd, int argc,
    const char **argv, const size_t *argvlen,
    ngx_http_heao_redis_handler_pt handler, void *data, ngx_log_t *log)
{
    heao_fuzz_unreached("ngx_http_heao_redis_command");
    return NULL;
}


ngx_http_heao_redis_op_t *
ngx_http_heao_redis_script(ngx_http_heao_redis_t *rd, ngx_uint_t script,
    int nkeys, int argc, const char **argv, const size_t *argvlen,
    ngx_http_heao_redis_handler_pt handler, void *data, ngx_log_t *log)
{
    heao_fuzz_unreached("ngx_http_heao_redis_script");
    return NULL;
}


void
ngx_http_heao_redis_cancel(ngx_http_heao_redis_op_t *op)
{
    heao_fuzz_unreached("ngx_http_heao_redis_cancel");
}


ngx_int_t
ngx_http_heao_account_rate(ngx_http_request_t *r, ngx_http_heao_ctx_t *ctx,
    const char *what)
{
    heao_fuzz_unreached("ngx_http_heao_account_rate");
    return NGX_ERROR;
}


ngx_int_t
ngx_http_heao_account_rated(ngx_http_request_t *r, ngx_http_heao_ctx_t *ctx)
{
    heao_fuzz_unreached("ngx_http_heao_account_rated");
    return NGX_ERROR;
}
