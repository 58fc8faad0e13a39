
/*
 * Copyright (C) heao developers
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_heao_catalog.h"


/* a failed load is not tried again for this long (R2: answer 503 fast) */
#define NGX_HTTP_HEAO_CATALOG_BACKOFF   1000

/*
 * B6: each version of the catalog is kept in Redis under its own key for
 * a day, as the rows PostgreSQL gave, so that of all the workers of all
 * the nodes one reads PostgreSQL and the others Redis; the lock says who
 */
#define NGX_HTTP_HEAO_CATALOG_KEY       "heao:catalog:"
#define NGX_HTTP_HEAO_CATALOG_LOCKED    ":lock"
#define NGX_HTTP_HEAO_CATALOG_TTL       "86400"
#define NGX_HTTP_HEAO_CATALOG_LOCK_TTL  "30"
#define NGX_HTTP_HEAO_CATALOG_MAGIC     "heao-catalog 1\n"
#define NGX_HTTP_HEAO_CATALOG_ROWS_MAX  1000000
#define NGX_HTTP_HEAO_BATCH_COLS        7
#define NGX_HTTP_HEAO_ENTRY_COLS        13


/*
 * Each worker keeps the whole catalog in memory (B6), so a lookup or a
 * check costs no round trip.  A timer asks PostgreSQL for the catalog's
 * version; when it moved, the catalog is read again and swapped in whole.
 */

typedef enum {
    NGX_HTTP_HEAO_CATALOG_IDLE = 0,
    NGX_HTTP_HEAO_CATALOG_VERSION,              /* PostgreSQL */
    NGX_HTTP_HEAO_CATALOG_CACHED,               /* Redis: the version's rows */
    NGX_HTTP_HEAO_CATALOG_LOCK,                 /* Redis: who reads them */
    NGX_HTTP_HEAO_CATALOG_BATCHES,              /* PostgreSQL */
    NGX_HTTP_HEAO_CATALOG_ENTRIES               /* PostgreSQL */
} ngx_http_heao_catalog_state_e;


/*
 * Rows of the catalog, from PostgreSQL or unpacked from Redis: each cell
 * NUL-terminated; SQL null is ngx_http_heao_catalog_null
 */
typedef struct {
    ngx_str_t                      *cells;      /* row after row */
    ngx_uint_t                      nrows;
    ngx_uint_t                      ncols;
} ngx_http_heao_rows_t;

#define ngx_http_heao_cell_str(res, i, c)                                     \
    (&(res)->cells[(ngx_uint_t) (i) * (res)->ncols + (c)])
#define ngx_http_heao_cell(res, i, c)                                         \
    ((char *) ngx_http_heao_cell_str(res, i, c)->data)
#define ngx_http_heao_cell_len(res, i, c)                                     \
    ngx_http_heao_cell_str(res, i, c)->len
#define ngx_http_heao_cell_null(res, i, c)                                    \
    (ngx_http_heao_cell_str(res, i, c)->data == ngx_http_heao_catalog_null)


typedef struct {
    ngx_http_heao_catalog_state_e   state;
    ngx_http_heao_catalog_t        *current;
    ngx_http_heao_catalog_t        *next;       /* being built */
    ngx_http_heao_pg_op_t          *op;
    ngx_http_heao_redis_op_t       *rop;        /* CACHED or LOCK */
    ngx_http_heao_redis_op_t       *sop;        /* storing a version */
    u_char                         *blob;       /* the version packed */
    size_t                          blob_len;
    size_t                          blob_size;
    ngx_uint_t                      store;      /* pack what is read */
    ngx_msec_t                      failed;     /* when a load last failed */
    ngx_msec_t                      refresh;
    ngx_event_t                     timer;
    ngx_queue_t                     waiting;
    ngx_log_t                      *log;
} ngx_http_heao_catalog_loader_t;


static void ngx_http_heao_catalog_start(ngx_http_heao_catalog_state_e state);
static void ngx_http_heao_catalog_timer(ngx_event_t *ev);
static void ngx_http_heao_catalog_result(void *data, ngx_int_t rc,
    PGresult *res);
static ngx_int_t ngx_http_heao_catalog_version(PGresult *res);
static ngx_int_t ngx_http_heao_catalog_batches(ngx_http_heao_rows_t *res);
static ngx_int_t ngx_http_heao_catalog_shape(ngx_http_heao_catalog_t *cat,
    ngx_http_heao_batch_t *b, const char *text);
static ngx_int_t ngx_http_heao_catalog_types(ngx_http_heao_catalog_t *cat,
    ngx_http_heao_batch_t *b, const char *text);
static ngx_int_t ngx_http_heao_catalog_entries(ngx_http_heao_rows_t *res);
static ngx_int_t ngx_http_heao_catalog_limits(ngx_pool_t *pool,
    ngx_http_heao_major_t *mj, const char *text);
static ngx_int_t ngx_http_heao_catalog_list(ngx_pool_t *pool, ngx_str_t *dst,
    json_t *list);
static json_t *ngx_http_heao_catalog_limits_json(ngx_http_heao_major_t *mj);
static ngx_int_t ngx_http_heao_catalog_string(ngx_pool_t *pool,
    ngx_str_t *dst, json_t *obj, const char *key);
static void ngx_http_heao_catalog_finish(ngx_int_t rc);
static void ngx_http_heao_catalog_free(ngx_http_heao_catalog_t *cat);
static void ngx_http_heao_catalog_cleanup(void *data);
static ngx_int_t ngx_http_heao_catalog_copy(ngx_pool_t *pool, ngx_str_t *dst,
    ngx_http_heao_rows_t *res, int row, int col);
static ngx_int_t ngx_http_heao_catalog_new(int64_t version);
static void ngx_http_heao_catalog_redis(ngx_http_heao_catalog_state_e state);
static void ngx_http_heao_catalog_cached(void *data, ngx_int_t rc,
    redisReply *reply);
static void ngx_http_heao_catalog_from_pg(ngx_uint_t store);
static void ngx_http_heao_catalog_swap(const char *from);
static void ngx_http_heao_catalog_epoch(int64_t version);
static void ngx_http_heao_catalog_epoch_moved(void *data, ngx_int_t rc,
    redisReply *reply);
static ngx_int_t ngx_http_heao_catalog_pg_rows(PGresult *res,
    ngx_http_heao_rows_t *rows);
static void ngx_http_heao_catalog_pack(ngx_http_heao_rows_t *rows);
static ngx_int_t ngx_http_heao_catalog_unpack(const char *str, size_t len);
static ngx_int_t ngx_http_heao_catalog_unpack_rows(u_char **pp, u_char *last,
    ngx_http_heao_rows_t *rows, ngx_uint_t ncols);
static void ngx_http_heao_catalog_store(void);
static void ngx_http_heao_catalog_stored(void *data, ngx_int_t rc,
    redisReply *reply);
static ngx_int_t ngx_http_heao_code(ngx_str_t *code, size_t len);


ngx_str_t  ngx_http_heao_class_names[] = {
    ngx_string("普通类"),
    ngx_string("较高学费类"),
    ngx_string("医护类"),
    ngx_string("农林矿类"),
    ngx_string("民族限定类")
};


static const char  *ngx_http_heao_class_keys[] = {
    "ordinary", "higher_tuition", "medical", "agri_mining", "ethnic"
};


static ngx_http_heao_catalog_loader_t  ngx_http_heao_catalog_loader;

static u_char  ngx_http_heao_catalog_null[] = "";


ngx_int_t
ngx_http_heao_catalog_init(ngx_cycle_t *cycle,
    ngx_http_heao_main_conf_t *hmcf)
{
    ngx_http_heao_catalog_loader_t  *ld = &ngx_http_heao_catalog_loader;

    ngx_memzero(ld, sizeof(ngx_http_heao_catalog_loader_t));

    ngx_queue_init(&ld->waiting);

    ld->log = cycle->log;
    ld->refresh = hmcf->catalog_refresh;

    ld->timer.handler = ngx_http_heao_catalog_timer;
    ld->timer.data = ld;
    ld->timer.log = cycle->log;
    ld->timer.cancelable = 1;

    /* the first request loads it: connections are made lazily */

    return NGX_OK;
}


void
ngx_http_heao_catalog_done(void)
{
    ngx_http_heao_catalog_loader_t  *ld = &ngx_http_heao_catalog_loader;

    if (ld->timer.timer_set) {
        ngx_del_timer(&ld->timer);
    }

    if (ld->op) {
        ngx_http_heao_pg_cancel(ld->op);
        ld->op = NULL;
    }

    if (ld->rop) {
        ngx_http_heao_redis_cancel(ld->rop);
        ld->rop = NULL;
    }

    if (ld->sop) {
        ngx_http_heao_redis_cancel(ld->sop);
        ld->sop = NULL;
    }

    if (ld->blob) {
        ngx_free(ld->blob);
        ld->blob = NULL;
    }

    ngx_http_heao_catalog_free(ld->next);
    ld->next = NULL;

    if (ld->current && ld->current->refs == 0) {
        ngx_http_heao_catalog_free(ld->current);
    }

    ld->current = NULL;
}


ngx_http_heao_catalog_t *
ngx_http_heao_catalog_get(ngx_http_heao_ctx_t *ctx, ngx_int_t *rc)
{
    ngx_http_heao_catalog_loader_t  *ld = &ngx_http_heao_catalog_loader;

    if (ctx->catalog) {
        return ctx->catalog;
    }

    if (ld->current) {
        ngx_http_heao_metrics_count(NGX_HTTP_HEAO_M_CATALOG_HIT);
        ctx->catalog = ld->current;
        ctx->catalog->refs++;
        return ctx->catalog;
    }

    ngx_http_heao_metrics_count(NGX_HTTP_HEAO_M_CATALOG_MISS);

    if (ld->failed
        && ngx_current_msec - ld->failed < NGX_HTTP_HEAO_CATALOG_BACKOFF)
    {
        *rc = NGX_ERROR;
        return NULL;
    }

    if (ld->state == NGX_HTTP_HEAO_CATALOG_IDLE) {
        ngx_http_heao_catalog_start(NGX_HTTP_HEAO_CATALOG_VERSION);

        if (ld->state == NGX_HTTP_HEAO_CATALOG_IDLE) {
            *rc = NGX_ERROR;
            return NULL;
        }
    }

    ngx_queue_insert_tail(&ld->waiting, &ctx->queue);
    ctx->catalog_wait = 1;

    *rc = NGX_DONE;
    return NULL;
}


void
ngx_http_heao_catalog_forget(ngx_http_heao_ctx_t *ctx)
{
    ngx_http_heao_catalog_t  *cat;

    if (ctx->catalog_wait) {
        ngx_queue_remove(&ctx->queue);
        ctx->catalog_wait = 0;
    }

    cat = ctx->catalog;

    if (cat == NULL) {
        return;
    }

    ctx->catalog = NULL;

    if (--cat->refs == 0 && cat != ngx_http_heao_catalog_loader.current) {
        ngx_http_heao_catalog_free(cat);
    }
}


ngx_http_heao_batch_t *
ngx_http_heao_catalog_batch(ngx_http_heao_catalog_t *cat, ngx_str_t *code)
{
    ngx_uint_t  i;

    for (i = 0; i < cat->nbatches; i++) {
        if (cat->batches[i].code.len == code->len
            && ngx_strncmp(cat->batches[i].code.data, code->data, code->len)
               == 0)
        {
            return &cat->batches[i];
        }
    }

    return NULL;
}


ngx_http_heao_inst_t *
ngx_http_heao_catalog_inst(ngx_http_heao_batch_t *b, ngx_str_t *code)
{
    ngx_int_t  n;

    n = ngx_http_heao_code(code, 4);
    if (n == NGX_ERROR) {
        return NULL;
    }

    return b->inst[n];
}


ngx_http_heao_major_t *
ngx_http_heao_catalog_major(ngx_http_heao_inst_t *in, ngx_str_t *code)
{
    ngx_int_t  n;

    n = ngx_http_heao_code(code, 2);
    if (n == NGX_ERROR || in->index[n] == 0) {
        return NULL;
    }

    return &in->majors[in->index[n] - 1];
}


/* renders the lookup answer of an institution once (F2) */

ngx_int_t
ngx_http_heao_catalog_inst_json(ngx_http_heao_catalog_t *cat,
    ngx_http_heao_batch_t *b, ngx_http_heao_inst_t *in)
{
    size_t                  size;
    json_t                 *json, *majors, *m;
    ngx_uint_t              i;
    ngx_http_heao_major_t  *mj;

    if (in->json.len) {
        return NGX_OK;
    }

    majors = json_array();

    json = json_pack("{s:s%, s:s%, s:s%, s:o}",
                     "batch", b->code.data, b->code.len,
                     "code", in->code.data, in->code.len,
                     "name", in->name.data, in->name.len,
                     "majors", majors);
    if (json == NULL) {
        return NGX_ERROR;
    }

    for (i = 0; i < in->nmajors; i++) {
        mj = &in->majors[i];

        m = json_pack("{s:s%, s:s%, s:s, s:o}",
                      "code", mj->code.data, mj->code.len,
                      "name", mj->name.data, mj->name.len,
                      "class", ngx_http_heao_class_keys[mj->cls],
                      "restrictions", ngx_http_heao_catalog_limits_json(mj));

        if (m == NULL
            || (mj->group.len
                && json_object_set_new(m, "group",
                       json_stringn((char *) mj->group.data, mj->group.len))
                   != 0)
            || json_array_append_new(majors, m) != 0)
        {
            if (m) {
                json_decref(m);
            }

            json_decref(json);
            return NGX_ERROR;
        }
    }

    size = json_dumpb(json, NULL, 0, NGX_HTTP_HEAO_JSON_DUMP);

    in->json.data = ngx_pnalloc(cat->pool, size);
    if (in->json.data == NULL) {
        json_decref(json);
        return NGX_ERROR;
    }

    in->json.len = json_dumpb(json, (char *) in->json.data, size,
                              NGX_HTTP_HEAO_JSON_DUMP);
    json_decref(json);

    return NGX_OK;
}


/* F18: a major as the plan query lists it */

json_t *
ngx_http_heao_catalog_major_json(ngx_http_heao_major_t *mj)
{
    json_t  *m;

    m = json_pack("{s:s%, s:s%, s:s, s:I, s:I, s:I, s:o}",
                  "code", mj->code.data, mj->code.len,
                  "name", mj->name.data, mj->name.len,
                  "class", ngx_http_heao_class_keys[mj->cls],
                  "plan", (json_int_t) mj->plan,
                  "tuition", (json_int_t) mj->tuition,
                  "years", (json_int_t) mj->years,
                  "restrictions", ngx_http_heao_catalog_limits_json(mj));
    if (m == NULL) {
        return NULL;
    }

    if ((mj->group.len
         && json_object_set_new(m, "group",
                json_stringn((char *) mj->group.data, mj->group.len))
            != 0)
        || (mj->note.len
            && json_object_set_new(m, "note",
                   json_stringn((char *) mj->note.data, mj->note.len))
               != 0))
    {
        json_decref(m);
        return NULL;
    }

    return m;
}


static void
ngx_http_heao_catalog_start(ngx_http_heao_catalog_state_e state)
{
    ngx_http_heao_catalog_loader_t  *ld = &ngx_http_heao_catalog_loader;

    ngx_uint_t  stmt;

    switch (state) {

    case NGX_HTTP_HEAO_CATALOG_VERSION:
        stmt = NGX_HTTP_HEAO_SQL_CATALOG_VERSION;
        break;

    case NGX_HTTP_HEAO_CATALOG_BATCHES:
        stmt = NGX_HTTP_HEAO_SQL_CATALOG_BATCHES;
        break;

    default: /* NGX_HTTP_HEAO_CATALOG_ENTRIES */
        stmt = NGX_HTTP_HEAO_SQL_CATALOG_ENTRIES;
        break;
    }

    ld->op = ngx_http_heao_pg_query(ngx_http_heao_worker.pg, stmt, 0, NULL,
                                    NULL, ngx_http_heao_catalog_result, ld,
                                    ld->log);
    if (ld->op == NULL) {
        ld->state = NGX_HTTP_HEAO_CATALOG_IDLE;
        return;
    }

    ld->state = state;
}


static void
ngx_http_heao_catalog_timer(ngx_event_t *ev)
{
    ngx_http_heao_catalog_loader_t  *ld = ev->data;

    if (ngx_exiting || ngx_terminate) {
        return;
    }

    if (ld->state == NGX_HTTP_HEAO_CATALOG_IDLE) {
        ngx_http_heao_catalog_start(NGX_HTTP_HEAO_CATALOG_VERSION);
    }

    if (ld->state == NGX_HTTP_HEAO_CATALOG_IDLE) {
        ngx_add_timer(&ld->timer, ld->refresh);
    }
}


static void
ngx_http_heao_catalog_result(void *data, ngx_int_t rc, PGresult *res)
{
    ngx_http_heao_catalog_loader_t  *ld = data;

    ngx_http_heao_rows_t  rows;

    ld->op = NULL;

    if (rc != NGX_OK) {
        ngx_log_error(NGX_LOG_ERR, ld->log, 0,
                      "heao catalog: loading failed");
        ngx_http_heao_catalog_finish(NGX_ERROR);
        return;
    }

    switch (ld->state) {

    case NGX_HTTP_HEAO_CATALOG_VERSION:
        rc = ngx_http_heao_catalog_version(res);

        if (rc == NGX_DECLINED) {
            /* unchanged */
            ngx_http_heao_catalog_finish(NGX_OK);
            return;
        }

        if (rc == NGX_OK) {
            /* B6: another worker or node may have read it already */
            ngx_http_heao_catalog_redis(NGX_HTTP_HEAO_CATALOG_CACHED);
            return;
        }

        break;

    case NGX_HTTP_HEAO_CATALOG_BATCHES:
        rc = ngx_http_heao_catalog_pg_rows(res, &rows);

        if (rc == NGX_OK) {
            rc = ngx_http_heao_catalog_batches(&rows);
            ngx_http_heao_catalog_pack(&rows);
            ngx_free(rows.cells);
        }

        if (rc == NGX_OK) {
            ngx_http_heao_catalog_start(NGX_HTTP_HEAO_CATALOG_ENTRIES);
        }

        break;

    default: /* NGX_HTTP_HEAO_CATALOG_ENTRIES */
        rc = ngx_http_heao_catalog_pg_rows(res, &rows);

        if (rc == NGX_OK) {
            rc = ngx_http_heao_catalog_entries(&rows);
            ngx_http_heao_catalog_pack(&rows);
            ngx_free(rows.cells);
        }

        if (rc == NGX_OK) {
            ngx_http_heao_catalog_store();
            ngx_http_heao_catalog_swap("postgresql");
            ngx_http_heao_catalog_finish(NGX_OK);
            return;
        }
    }

    if (rc != NGX_OK || ld->op == NULL) {
        ngx_http_heao_catalog_finish(NGX_ERROR);
    }
}


/* B6: the version's rows from Redis (CACHED), or the right to read them */

static void
ngx_http_heao_catalog_redis(ngx_http_heao_catalog_state_e state)
{
    ngx_http_heao_catalog_loader_t  *ld = &ngx_http_heao_catalog_loader;

    int          i, argc;
    u_char      *p;
    u_char       key[sizeof(NGX_HTTP_HEAO_CATALOG_KEY) + NGX_INT64_LEN
                     + sizeof(NGX_HTTP_HEAO_CATALOG_LOCKED)];
    size_t       lens[6];
    const char  *argv[6];

    p = ngx_sprintf(key, NGX_HTTP_HEAO_CATALOG_KEY "%L", ld->next->version);

    if (state == NGX_HTTP_HEAO_CATALOG_CACHED) {
        argc = 2;
        argv[0] = "GET";

    } else {
        p = ngx_cpymem(p, NGX_HTTP_HEAO_CATALOG_LOCKED,
                       sizeof(NGX_HTTP_HEAO_CATALOG_LOCKED) - 1);

        argc = 6;
        argv[0] = "SET";
        argv[2] = "1";
        argv[3] = "NX";
        argv[4] = "EX";
        argv[5] = NGX_HTTP_HEAO_CATALOG_LOCK_TTL;
    }

    argv[1] = (const char *) key;

    for (i = 0; i < argc; i++) {
        lens[i] = (i == 1) ? (size_t) (p - key) : ngx_strlen(argv[i]);
    }

    ld->state = state;
    ld->rop = ngx_http_heao_redis_command(ngx_http_heao_worker.redis, argc,
                                          argv, lens,
                                          ngx_http_heao_catalog_cached, ld,
                                          ld->log);
    if (ld->rop == NULL) {
        ngx_http_heao_catalog_from_pg(0);
    }
}


static void
ngx_http_heao_catalog_cached(void *data, ngx_int_t rc, redisReply *reply)
{
    ngx_http_heao_catalog_loader_t  *ld = data;

    ld->rop = NULL;

    if (ld->state == NGX_HTTP_HEAO_CATALOG_CACHED) {

        if (rc == NGX_OK && reply->type == REDIS_REPLY_STRING) {
            if (ngx_http_heao_catalog_unpack(reply->str, reply->len)
                == NGX_OK)
            {
                ngx_http_heao_catalog_swap("redis");
                ngx_http_heao_catalog_finish(NGX_OK);
                return;
            }

            ngx_log_error(NGX_LOG_ERR, ld->log, 0,
                          "heao catalog: version %L in redis is unreadable,"
                          " reading postgresql", ld->next->version);

            if (ngx_http_heao_catalog_new(ld->next->version) != NGX_OK) {
                ngx_http_heao_catalog_finish(NGX_ERROR);
                return;
            }

            ngx_http_heao_catalog_from_pg(1);
            return;
        }

        if (rc == NGX_OK && reply->type == REDIS_REPLY_NIL) {
            ngx_http_heao_catalog_redis(NGX_HTTP_HEAO_CATALOG_LOCK);
            return;
        }

        /* Redis is away: PostgreSQL alone */

        ngx_http_heao_catalog_from_pg(0);
        return;
    }

    /* NGX_HTTP_HEAO_CATALOG_LOCK */

    if (rc == NGX_OK && reply->type == REDIS_REPLY_STATUS) {
        ngx_http_heao_catalog_from_pg(1);
        return;
    }

    if (rc == NGX_OK && reply->type == REDIS_REPLY_NIL && ld->current) {

        /* another worker reads it: the current one serves until then */

        ngx_log_debug1(NGX_LOG_DEBUG_HTTP, ld->log, 0,
                       "heao catalog: version %L is being read elsewhere",
                       ld->next->version);

        ngx_http_heao_catalog_free(ld->next);
        ld->next = NULL;
        ngx_http_heao_catalog_finish(NGX_OK);
        return;
    }

    ngx_http_heao_catalog_from_pg(0);
}


/* reads the catalog from PostgreSQL; store: then keeps it in Redis */

static void
ngx_http_heao_catalog_from_pg(ngx_uint_t store)
{
    ngx_http_heao_catalog_loader_t  *ld = &ngx_http_heao_catalog_loader;

    ld->store = store;
    ld->blob_len = 0;

    ngx_http_heao_catalog_start(NGX_HTTP_HEAO_CATALOG_BATCHES);

    if (ld->state == NGX_HTTP_HEAO_CATALOG_IDLE) {
        ngx_http_heao_catalog_finish(NGX_ERROR);
    }
}


static void
ngx_http_heao_catalog_swap(const char *from)
{
    ngx_http_heao_catalog_loader_t  *ld = &ngx_http_heao_catalog_loader;

    /* requests still holding the old one free it when done */

    if (ld->current && ld->current->refs == 0) {
        ngx_http_heao_catalog_free(ld->current);
    }

    ld->current = ld->next;
    ld->next = NULL;

    ngx_log_error(NGX_LOG_NOTICE, ld->log, 0,
                  "heao catalog: version %L loaded from %s, %ui batches",
                  ld->current->version, from, ld->current->nbatches);

    ngx_http_heao_catalog_epoch(ld->current->version);
}


/*
 * B6: the cached browse answers name batches, windows, institutions and
 * majors; those read under an older catalog version are served no more.
 * tools/heao-admin moves the epoch at once after its own changes; this
 * catches any other change within heao_catalog_refresh.  Every worker
 * of every node sets the same version, so they need not agree on who.
 */

static void
ngx_http_heao_catalog_epoch(int64_t version)
{
    ngx_http_heao_catalog_loader_t  *ld = &ngx_http_heao_catalog_loader;

    u_char      *p;
    u_char       buf[NGX_INT64_LEN];
    size_t       lens[2];
    const char  *argv[2];

    p = ngx_sprintf(buf, "%L", version);

    argv[0] = NGX_HTTP_HEAO_BROWSE_EPOCH;
    lens[0] = sizeof(NGX_HTTP_HEAO_BROWSE_EPOCH) - 1;
    argv[1] = (const char *) buf;
    lens[1] = p - buf;

    /* the arguments are copied; nothing waits for the reply */

    if (ngx_http_heao_redis_script(ngx_http_heao_worker.redis,
                                   NGX_HTTP_HEAO_LUA_BROWSE_EPOCH, 1, 2,
                                   argv, lens,
                                   ngx_http_heao_catalog_epoch_moved, ld,
                                   ld->log)
        == NULL)
    {
        ngx_http_heao_catalog_epoch_moved(ld, NGX_ERROR, NULL);
    }
}


static void
ngx_http_heao_catalog_epoch_moved(void *data, ngx_int_t rc,
    redisReply *reply)
{
    ngx_http_heao_catalog_loader_t  *ld = data;

    if (rc != NGX_OK || reply->type == REDIS_REPLY_ERROR) {
        ngx_log_error(NGX_LOG_ERR, ld->log, 0,
                      "heao catalog: the epoch of the cached browse"
                      " answers was not moved");
    }
}


/* the rows of a result, pointing into it */

static ngx_int_t
ngx_http_heao_catalog_pg_rows(PGresult *res, ngx_http_heao_rows_t *rows)
{
    ngx_http_heao_catalog_loader_t  *ld = &ngx_http_heao_catalog_loader;

    int         i, j;
    ngx_str_t  *c;

    rows->nrows = PQntuples(res);
    rows->ncols = PQnfields(res);

    rows->cells = ngx_alloc(ngx_max(rows->nrows * rows->ncols, 1)
                            * sizeof(ngx_str_t), ld->log);
    if (rows->cells == NULL) {
        return NGX_ERROR;
    }

    c = rows->cells;

    for (i = 0; i < (int) rows->nrows; i++) {
        for (j = 0; j < (int) rows->ncols; j++, c++) {
            if (PQgetisnull(res, i, j)) {
                c->data = ngx_http_heao_catalog_null;
                c->len = 0;

            } else {
                c->data = (u_char *) PQgetvalue(res, i, j);
                c->len = PQgetlength(res, i, j);
            }
        }
    }

    return NGX_OK;
}


/*
 * B6: appends rows to the version's text for Redis: "nrows\tncols\n",
 * then the cells as COPY's text format writes them (\N for null, \t, \n,
 * \r and \\ escaped), a tab between cells and a newline after each row.
 * A failure drops the text: the version is then not kept in Redis.
 */

static void
ngx_http_heao_catalog_pack(ngx_http_heao_rows_t *rows)
{
    ngx_http_heao_catalog_loader_t  *ld = &ngx_http_heao_catalog_loader;

    u_char      *p, *q, *last, *nb;
    size_t       size;
    ngx_str_t   *c;
    ngx_uint_t   i, n;

    if (!ld->store) {
        return;
    }

    n = rows->nrows * rows->ncols;
    size = sizeof(NGX_HTTP_HEAO_CATALOG_MAGIC) + 2 * NGX_INT_T_LEN + 2;

    for (i = 0; i < n; i++) {
        size += 2 * rows->cells[i].len + 3;
    }

    if (ld->blob_len + size > ld->blob_size) {
        nb = ngx_alloc(ld->blob_len + size, ld->log);
        if (nb == NULL) {
            goto failed;
        }

        if (ld->blob) {
            ngx_memcpy(nb, ld->blob, ld->blob_len);
            ngx_free(ld->blob);
        }

        ld->blob = nb;
        ld->blob_size = ld->blob_len + size;
    }

    p = ld->blob + ld->blob_len;

    if (ld->blob_len == 0) {
        p = ngx_cpymem(p, NGX_HTTP_HEAO_CATALOG_MAGIC,
                       sizeof(NGX_HTTP_HEAO_CATALOG_MAGIC) - 1);
    }

    p = ngx_sprintf(p, "%ui\t%ui\n", rows->nrows, rows->ncols);

    for (i = 0; i < n; i++) {
        c = &rows->cells[i];

        if (c->data == ngx_http_heao_catalog_null) {
            *p++ = '\\';
            *p++ = 'N';

        } else {
            last = c->data + c->len;

            for (q = c->data; q < last; q++) {
                switch (*q) {

                case '\t':
                    *p++ = '\\';
                    *p++ = 't';
                    break;

                case '\n':
                    *p++ = '\\';
                    *p++ = 'n';
                    break;

                case '\r':
                    *p++ = '\\';
                    *p++ = 'r';
                    break;

                case '\\':
                    *p++ = '\\';
                    *p++ = '\\';
                    break;

                default:
                    *p++ = *q;
                }
            }
        }

        *p++ = (i % rows->ncols == rows->ncols - 1) ? '\n' : '\t';
    }

    ld->blob_len = p - ld->blob;

    return;

failed:

    ld->store = 0;
    ld->blob_len = 0;
}


/* builds ld->next from the text Redis kept; NGX_ERROR if it is unreadable */

static ngx_int_t
ngx_http_heao_catalog_unpack(const char *str, size_t len)
{
    ngx_http_heao_catalog_loader_t  *ld = &ngx_http_heao_catalog_loader;

    u_char                *buf, *p, *last;
    ngx_int_t              rc;
    ngx_http_heao_rows_t   rows;

    if (len < sizeof(NGX_HTTP_HEAO_CATALOG_MAGIC) - 1
        || ngx_strncmp(str, NGX_HTTP_HEAO_CATALOG_MAGIC,
                       sizeof(NGX_HTTP_HEAO_CATALOG_MAGIC) - 1)
           != 0)
    {
        return NGX_ERROR;
    }

    /* unescaped in place: the reply is valid only during the callback */

    buf = ngx_alloc(len, ld->log);
    if (buf == NULL) {
        return NGX_ERROR;
    }

    ngx_memcpy(buf, str, len);

    p = buf + sizeof(NGX_HTTP_HEAO_CATALOG_MAGIC) - 1;
    last = buf + len;
    rows.cells = NULL;

    rc = ngx_http_heao_catalog_unpack_rows(&p, last, &rows,
                                           NGX_HTTP_HEAO_BATCH_COLS);
    if (rc == NGX_OK) {
        rc = ngx_http_heao_catalog_batches(&rows);
    }

    if (rows.cells) {
        ngx_free(rows.cells);
        rows.cells = NULL;
    }

    if (rc == NGX_OK) {
        rc = ngx_http_heao_catalog_unpack_rows(&p, last, &rows,
                                               NGX_HTTP_HEAO_ENTRY_COLS);
    }

    if (rc == NGX_OK) {
        rc = ngx_http_heao_catalog_entries(&rows);
    }

    if (rc == NGX_OK && p != last) {
        rc = NGX_ERROR;
    }

    if (rows.cells) {
        ngx_free(rows.cells);
    }

    ngx_free(buf);

    return rc;
}


/* one table of the text of ngx_http_heao_catalog_pack(), at least ncols */

static ngx_int_t
ngx_http_heao_catalog_unpack_rows(u_char **pp, u_char *last,
    ngx_http_heao_rows_t *rows, ngx_uint_t ncols)
{
    ngx_http_heao_catalog_loader_t  *ld = &ngx_http_heao_catalog_loader;

    u_char      *p, *q, *w, *start, sep;
    ngx_int_t    nr, nc;
    ngx_str_t   *c;
    ngx_uint_t   i, n, null;

    p = *pp;

    q = ngx_strlchr(p, last, '\t');
    if (q == NULL) {
        return NGX_ERROR;
    }

    nr = ngx_atoi(p, q - p);
    p = q + 1;

    q = ngx_strlchr(p, last, '\n');
    if (q == NULL) {
        return NGX_ERROR;
    }

    nc = ngx_atoi(p, q - p);
    p = q + 1;

    if (nr == NGX_ERROR || nr > NGX_HTTP_HEAO_CATALOG_ROWS_MAX
        || nc < (ngx_int_t) ncols || nc > 64)
    {
        return NGX_ERROR;
    }

    rows->nrows = nr;
    rows->ncols = nc;
    n = rows->nrows * rows->ncols;

    rows->cells = ngx_alloc(ngx_max(n, 1) * sizeof(ngx_str_t), ld->log);
    if (rows->cells == NULL) {
        return NGX_ERROR;
    }

    for (i = 0; i < n; i++) {
        c = &rows->cells[i];
        start = p;
        w = p;
        null = 0;

        while (p < last && *p != '\t' && *p != '\n') {

            if (*p != '\\') {
                *w++ = *p++;
                continue;
            }

            if (p + 1 == last) {
                return NGX_ERROR;
            }

            switch (p[1]) {

            case 't':
                *w++ = '\t';
                break;

            case 'n':
                *w++ = '\n';
                break;

            case 'r':
                *w++ = '\r';
                break;

            case '\\':
                *w++ = '\\';
                break;

            case 'N':
                null = 1;
                break;

            default:
                return NGX_ERROR;
            }

            p += 2;
        }

        if (p == last) {
            return NGX_ERROR;
        }

        sep = *p++;

        if (sep != ((i % rows->ncols == rows->ncols - 1) ? '\n' : '\t')
            || (null && w != start))
        {
            return NGX_ERROR;
        }

        *w = '\0';

        if (null) {
            c->data = ngx_http_heao_catalog_null;
            c->len = 0;

        } else {
            c->data = start;
            c->len = w - start;
        }
    }

    *pp = p;

    return NGX_OK;
}


/* B6: keeps the version read from PostgreSQL in Redis for the others */

static void
ngx_http_heao_catalog_store(void)
{
    ngx_http_heao_catalog_loader_t  *ld = &ngx_http_heao_catalog_loader;

    u_char      *p;
    u_char       key[sizeof(NGX_HTTP_HEAO_CATALOG_KEY) + NGX_INT64_LEN];
    size_t       lens[5];
    const char  *argv[5];

    if (!ld->store || ld->blob_len == 0) {
        return;
    }

    p = ngx_sprintf(key, NGX_HTTP_HEAO_CATALOG_KEY "%L", ld->next->version);

    argv[0] = "SET";
    argv[1] = (const char *) key;
    argv[2] = (const char *) ld->blob;
    argv[3] = "EX";
    argv[4] = NGX_HTTP_HEAO_CATALOG_TTL;

    lens[0] = 3;
    lens[1] = p - key;
    lens[2] = ld->blob_len;
    lens[3] = 2;
    lens[4] = sizeof(NGX_HTTP_HEAO_CATALOG_TTL) - 1;

    if (ld->sop) {
        ngx_http_heao_redis_cancel(ld->sop);
    }

    /* the arguments are copied: the text can go */

    ld->sop = ngx_http_heao_redis_command(ngx_http_heao_worker.redis, 5, argv,
                                          lens, ngx_http_heao_catalog_stored,
                                          ld, ld->log);

    ngx_free(ld->blob);
    ld->blob = NULL;
    ld->blob_len = 0;
    ld->blob_size = 0;
    ld->store = 0;
}


static void
ngx_http_heao_catalog_stored(void *data, ngx_int_t rc, redisReply *reply)
{
    ngx_http_heao_catalog_loader_t  *ld = data;

    ld->sop = NULL;

    if (rc != NGX_OK || reply->type == REDIS_REPLY_ERROR) {
        ngx_log_error(NGX_LOG_ERR, ld->log, 0,
                      "heao catalog: keeping the catalog in redis failed");
    }
}


/* NGX_DECLINED when the version is the one loaded */

static ngx_int_t
ngx_http_heao_catalog_version(PGresult *res)
{
    ngx_http_heao_catalog_loader_t  *ld = &ngx_http_heao_catalog_loader;

    int64_t  version;

    if (PQntuples(res) != 1 || PQgetisnull(res, 0, 0)) {
        ngx_log_error(NGX_LOG_ERR, ld->log, 0,
                      "heao catalog: no catalog version");
        return NGX_ERROR;
    }

    version = ngx_atoof((u_char *) PQgetvalue(res, 0, 0),
                        PQgetlength(res, 0, 0));

    if (ld->current && ld->current->version == version) {
        return NGX_DECLINED;
    }

    return ngx_http_heao_catalog_new(version);
}


/* an empty catalog of the version as ld->next, to be built */

static ngx_int_t
ngx_http_heao_catalog_new(int64_t version)
{
    ngx_http_heao_catalog_loader_t  *ld = &ngx_http_heao_catalog_loader;

    ngx_pool_t               *pool;
    ngx_pool_cleanup_t       *cln;
    ngx_http_heao_catalog_t  *cat;

    pool = ngx_create_pool(16384, ld->log);
    if (pool == NULL) {
        return NGX_ERROR;
    }

    cat = ngx_pcalloc(pool, sizeof(ngx_http_heao_catalog_t));
    if (cat == NULL) {
        ngx_destroy_pool(pool);
        return NGX_ERROR;
    }

    cat->pool = pool;
    cat->version = version;

    cln = ngx_pool_cleanup_add(pool, 0);
    if (cln == NULL) {
        ngx_destroy_pool(pool);
        return NGX_ERROR;
    }

    cln->handler = ngx_http_heao_catalog_cleanup;
    cln->data = cat;

    ngx_http_heao_catalog_free(ld->next);
    ld->next = cat;

    return NGX_OK;
}


/* code, name, group_code, opens_at, closes_at, shape, candidate_types */

static ngx_int_t
ngx_http_heao_catalog_batches(ngx_http_heao_rows_t *res)
{
    ngx_http_heao_catalog_loader_t  *ld = &ngx_http_heao_catalog_loader;

    int                       i, n;
    ngx_pool_t               *pool;
    ngx_http_heao_batch_t    *b;
    ngx_http_heao_catalog_t  *cat;

    cat = ld->next;
    pool = cat->pool;
    n = (int) res->nrows;

    cat->batches = ngx_pcalloc(pool, (n ? n : 1)
                                     * sizeof(ngx_http_heao_batch_t));
    if (cat->batches == NULL) {
        return NGX_ERROR;
    }

    for (i = 0; i < n; i++) {
        b = &cat->batches[i];

        if (ngx_http_heao_catalog_copy(pool, &b->code, res, i, 0) != NGX_OK
            || ngx_http_heao_catalog_copy(pool, &b->name, res, i, 1)
               != NGX_OK
            || ngx_http_heao_catalog_copy(pool, &b->group, res, i, 2)
               != NGX_OK)
        {
            return NGX_ERROR;
        }

        b->opens = ngx_atotm((u_char *) ngx_http_heao_cell(res, i, 3),
                             ngx_http_heao_cell_len(res, i, 3));
        b->closes = ngx_atotm((u_char *) ngx_http_heao_cell(res, i, 4),
                              ngx_http_heao_cell_len(res, i, 4));

        if (b->opens == NGX_ERROR || b->closes == NGX_ERROR) {
            ngx_log_error(NGX_LOG_ERR, ld->log, 0,
                          "heao catalog: batch \"%V\" has no window",
                          &b->code);
            return NGX_ERROR;
        }

        if (ngx_http_heao_catalog_shape(cat, b, ngx_http_heao_cell(res, i, 5))
            != NGX_OK)
        {
            ngx_log_error(NGX_LOG_ERR, ld->log, 0,
                          "heao catalog: batch \"%V\" has a bad shape",
                          &b->code);
            return NGX_ERROR;
        }

        if (ngx_http_heao_catalog_types(cat, b, ngx_http_heao_cell(res, i, 6))
            != NGX_OK)
        {
            ngx_log_error(NGX_LOG_ERR, ld->log, 0,
                          "heao catalog: batch \"%V\" has bad candidate"
                          " types", &b->code);
            return NGX_ERROR;
        }

        b->inst = ngx_pcalloc(pool, NGX_HTTP_HEAO_INST_CODES
                                    * sizeof(ngx_http_heao_inst_t *));
        if (b->inst == NULL) {
            return NGX_ERROR;
        }

        cat->nbatches++;
    }

    return NGX_OK;
}


/* {"sections": [{"title", "kind", "slots", "majors", "adjust"}, ...]} */

static ngx_int_t
ngx_http_heao_catalog_shape(ngx_http_heao_catalog_t *cat,
    ngx_http_heao_batch_t *b, const char *text)
{
    size_t                    i;
    json_t                   *sections, *s, *kind, *title;
    json_int_t                slots, places;
    ngx_http_heao_section_t  *sec;

    b->shape = json_loads(text, 0, NULL);
    if (b->shape == NULL) {
        return NGX_ERROR;
    }

    sections = json_object_get(b->shape, "sections");
    if (!json_is_array(sections) || json_array_size(sections) == 0) {
        return NGX_ERROR;
    }

    b->nsections = json_array_size(sections);
    b->sections = ngx_pcalloc(cat->pool,
                              b->nsections * sizeof(ngx_http_heao_section_t));
    if (b->sections == NULL) {
        return NGX_ERROR;
    }

    json_array_foreach(sections, i, s) {
        sec = &b->sections[i];

        title = json_object_get(s, "title");
        kind = json_object_get(s, "kind");
        slots = json_integer_value(json_object_get(s, "slots"));
        places = json_integer_value(json_object_get(s, "majors"));

        if (!json_is_string(title) || !json_is_string(kind)
            || slots < 1 || slots > 64 || places < 0 || places > 16)
        {
            return NGX_ERROR;
        }

        sec->title.len = json_string_length(title);
        sec->title.data = ngx_pnalloc(cat->pool, sec->title.len);
        if (sec->title.data == NULL) {
            return NGX_ERROR;
        }

        ngx_memcpy(sec->title.data, json_string_value(title),
                   sec->title.len);

        sec->slots = slots;
        sec->places = places;
        sec->parallel = ngx_strcmp(json_string_value(kind), "parallel") == 0;
        sec->adjust = json_is_true(json_object_get(s, "adjust"));
        sec->adjust_group = json_is_true(json_object_get(s, "adjust_group"));
    }

    b->plan_query = json_is_true(json_object_get(b->shape, "plan_query"));

    return NGX_OK;
}


/* {"sections": [...]} ends; the candidate types as a JSON array */

static ngx_int_t
ngx_http_heao_catalog_types(ngx_http_heao_catalog_t *cat,
    ngx_http_heao_batch_t *b, const char *text)
{
    json_t     *list;
    ngx_int_t   rc;

    list = json_loads(text, 0, NULL);
    if (list == NULL) {
        return NGX_ERROR;
    }

    rc = ngx_http_heao_catalog_list(cat->pool, &b->ctypes, list);

    json_decref(list);

    return rc;
}


/*
 * batch_code, inst_code, inst_name, major_code, major_name, major_class,
 * restrictions, province, plan, tuition, years, major_group, note
 */

static ngx_int_t
ngx_http_heao_catalog_entries(ngx_http_heao_rows_t *res)
{
    ngx_http_heao_catalog_loader_t  *ld = &ngx_http_heao_catalog_loader;

    int                       i, j, n;
    ngx_int_t                 code, mcode;
    ngx_str_t                 s;
    ngx_uint_t                k, cls;
    ngx_pool_t               *pool;
    ngx_http_heao_inst_t     *in;
    ngx_http_heao_batch_t    *b;
    ngx_http_heao_major_t    *mj;
    ngx_http_heao_catalog_t  *cat;

    cat = ld->next;
    pool = cat->pool;
    n = (int) res->nrows;
    b = NULL;

    for (i = 0; i < n; i = j) {

        s.data = (u_char *) ngx_http_heao_cell(res, i, 0);
        s.len = ngx_http_heao_cell_len(res, i, 0);

        if (b == NULL || b->code.len != s.len
            || ngx_strncmp(b->code.data, s.data, s.len) != 0)
        {
            b = ngx_http_heao_catalog_batch(cat, &s);
            if (b == NULL) {
                ngx_log_error(NGX_LOG_ERR, ld->log, 0,
                              "heao catalog: unknown batch \"%V\"", &s);
                return NGX_ERROR;
            }
        }

        s.data = (u_char *) ngx_http_heao_cell(res, i, 1);
        s.len = ngx_http_heao_cell_len(res, i, 1);

        code = ngx_http_heao_code(&s, 4);
        if (code == NGX_ERROR || b->inst[code]) {
            ngx_log_error(NGX_LOG_ERR, ld->log, 0,
                          "heao catalog: bad or repeated institution \"%V\""
                          " in batch \"%V\"", &s, &b->code);
            return NGX_ERROR;
        }

        /* the rows of one institution follow each other */

        for (j = i; j < n; j++) {
            if (ngx_strcmp(ngx_http_heao_cell(res, j, 0),
                           ngx_http_heao_cell(res, i, 0))
                != 0
                || ngx_strcmp(ngx_http_heao_cell(res, j, 1),
                              ngx_http_heao_cell(res, i, 1))
                   != 0)
            {
                break;
            }
        }

        in = ngx_pcalloc(pool, sizeof(ngx_http_heao_inst_t));
        if (in == NULL) {
            return NGX_ERROR;
        }

        in->majors = ngx_pcalloc(pool, (j - i) * sizeof(ngx_http_heao_major_t));
        if (in->majors == NULL) {
            return NGX_ERROR;
        }

        if (ngx_http_heao_catalog_copy(pool, &in->code, res, i, 1) != NGX_OK
            || ngx_http_heao_catalog_copy(pool, &in->name, res, i, 2)
               != NGX_OK
            || ngx_http_heao_catalog_copy(pool, &in->province, res, i, 7)
               != NGX_OK)
        {
            return NGX_ERROR;
        }

        for (k = i; k < (ngx_uint_t) j; k++) {
            if (ngx_http_heao_cell_null(res, k, 3)) {
                continue;
            }

            s.data = (u_char *) ngx_http_heao_cell(res, k, 3);
            s.len = ngx_http_heao_cell_len(res, k, 3);

            mcode = ngx_http_heao_code(&s, 2);
            if (mcode == NGX_ERROR || in->index[mcode]) {
                ngx_log_error(NGX_LOG_ERR, ld->log, 0,
                              "heao catalog: bad or repeated major \"%V\""
                              " of \"%V\"", &s, &in->code);
                return NGX_ERROR;
            }

            for (cls = 0; cls < NGX_HTTP_HEAO_CLASS_LAST; cls++) {
                if (ngx_strcmp(ngx_http_heao_cell(res, k, 5),
                               ngx_http_heao_class_keys[cls]) == 0)
                {
                    break;
                }
            }

            if (cls == NGX_HTTP_HEAO_CLASS_LAST) {
                ngx_log_error(NGX_LOG_ERR, ld->log, 0,
                              "heao catalog: major \"%V\" of \"%V\" has"
                              " an unknown class", &s, &in->code);
                return NGX_ERROR;
            }

            mj = &in->majors[in->nmajors++];
            mj->cls = cls;

            if (ngx_http_heao_catalog_limits(pool, mj,
                                             ngx_http_heao_cell(res, k, 6))
                != NGX_OK)
            {
                ngx_log_error(NGX_LOG_ERR, ld->log, 0,
                              "heao catalog: major \"%V\" of \"%V\" has"
                              " bad restrictions", &s, &in->code);
                return NGX_ERROR;
            }

            if (ngx_http_heao_catalog_copy(pool, &mj->code, res, k, 3)
                != NGX_OK
                || ngx_http_heao_catalog_copy(pool, &mj->name, res, k, 4)
                   != NGX_OK
                || ngx_http_heao_catalog_copy(pool, &mj->group, res, k, 11)
                   != NGX_OK
                || ngx_http_heao_catalog_copy(pool, &mj->note, res, k, 12)
                   != NGX_OK)
            {
                return NGX_ERROR;
            }

            mj->plan = ngx_atoi((u_char *) ngx_http_heao_cell(res, k, 8),
                                ngx_http_heao_cell_len(res, k, 8));
            mj->tuition = ngx_atoi((u_char *) ngx_http_heao_cell(res, k, 9),
                                   ngx_http_heao_cell_len(res, k, 9));
            mj->years = ngx_atoi((u_char *) ngx_http_heao_cell(res, k, 10),
                                 ngx_http_heao_cell_len(res, k, 10));

            if (mj->plan == (ngx_uint_t) NGX_ERROR
                || mj->tuition == (ngx_uint_t) NGX_ERROR
                || mj->years == (ngx_uint_t) NGX_ERROR)
            {
                ngx_log_error(NGX_LOG_ERR, ld->log, 0,
                              "heao catalog: major \"%V\" of \"%V\" has"
                              " a bad plan, tuition or years",
                              &s, &in->code);
                return NGX_ERROR;
            }

            in->index[mcode] = (u_char) in->nmajors;
        }

        b->inst[code] = in;
        b->ninst++;
    }

    /* F18: each batch's institutions in code order, for the plan query */

    for (i = 0; i < (int) cat->nbatches; i++) {
        b = &cat->batches[i];

        b->list = ngx_palloc(pool, (b->ninst ? b->ninst : 1)
                                   * sizeof(ngx_http_heao_inst_t *));
        if (b->list == NULL) {
            return NGX_ERROR;
        }

        k = 0;

        for (code = 0; code < NGX_HTTP_HEAO_INST_CODES; code++) {
            if (b->inst[code]) {
                b->list[k++] = b->inst[code];
            }
        }
    }

    return NGX_OK;
}


/* B5: a major's restrictions from their JSON; none leaves mj->limits NULL */

static ngx_int_t
ngx_http_heao_catalog_limits(ngx_pool_t *pool, ngx_http_heao_major_t *mj,
    const char *text)
{
    json_t                  *json, *age, *v;
    json_int_t               n;
    ngx_http_heao_limits_t  *lm;

    if (text[0] == '\0' || ngx_strcmp(text, "{}") == 0) {
        return NGX_OK;
    }

    json = json_loads(text, 0, NULL);
    if (!json_is_object(json)) {
        goto failed;
    }

    lm = ngx_pcalloc(pool, sizeof(ngx_http_heao_limits_t));
    if (lm == NULL) {
        goto failed;
    }

    if (ngx_http_heao_catalog_string(pool, &lm->gender, json, "gender")
        != NGX_OK
        || ngx_http_heao_catalog_string(pool, &lm->track, json, "track")
           != NGX_OK
        || ngx_http_heao_catalog_string(pool, &lm->language, json,
                                        "language")
           != NGX_OK
        || ngx_http_heao_catalog_string(pool, &lm->qualification, json,
                                        "qualification")
           != NGX_OK
        || ngx_http_heao_catalog_string(pool, &lm->directed, json,
                                        "directed")
           != NGX_OK)
    {
        goto failed;
    }

    v = json_object_get(json, "ethnicities");
    if (v && ngx_http_heao_catalog_list(pool, &lm->ethnicities, v) != NGX_OK)
    {
        goto failed;
    }

    v = json_object_get(json, "ethnicities_except");
    if (v && ngx_http_heao_catalog_list(pool, &lm->refused, v) != NGX_OK) {
        goto failed;
    }

    age = json_object_get(json, "max_age");

    if (age) {
        n = json_integer_value(json_object_get(age, "age"));

        if (n < 1 || n > 99
            || ngx_http_heao_catalog_string(pool, &lm->age_on, age, "on")
               != NGX_OK
            || lm->age_on.len != sizeof("YYYY-MM-DD") - 1)
        {
            goto failed;
        }

        lm->max_age = n;
    }

    mj->limits = lm;
    json_decref(json);

    return NGX_OK;

failed:

    if (json) {
        json_decref(json);
    }

    return NGX_ERROR;
}


/* B5: a major's restrictions as the catalog gave them, for the pages */

static json_t *
ngx_http_heao_catalog_limits_json(ngx_http_heao_major_t *mj)
{
    json_t                  *json;
    ngx_str_t               *v, *vals[5];
    ngx_uint_t               i;
    ngx_http_heao_limits_t  *lm;

    static const char  *keys[] = { "gender", "track", "language",
                                   "qualification", "directed" };

    json = json_object();
    lm = mj->limits;

    if (json == NULL || lm == NULL) {
        return json;
    }

    vals[0] = &lm->gender;
    vals[1] = &lm->track;
    vals[2] = &lm->language;
    vals[3] = &lm->qualification;
    vals[4] = &lm->directed;

    for (i = 0; i < 5; i++) {
        v = vals[i];

        if (v->len
            && json_object_set_new(json, keys[i],
                                   json_stringn((char *) v->data, v->len))
               != 0)
        {
            goto failed;
        }
    }

    if ((lm->ethnicities.len
         && json_object_set_new(json, "ethnicities",
                    ngx_http_heao_catalog_list_json(&lm->ethnicities))
            != 0)
        || (lm->refused.len
            && json_object_set_new(json, "ethnicities_except",
                       ngx_http_heao_catalog_list_json(&lm->refused))
               != 0)
        || (lm->max_age
            && json_object_set_new(json, "max_age",
                   json_pack("{s:i, s:s%}", "age", (int) lm->max_age,
                             "on", lm->age_on.data, lm->age_on.len))
               != 0))
    {
        goto failed;
    }

    return json;

failed:

    json_decref(json);
    return NULL;
}


/* a ",a,b," list as a JSON array */

json_t *
ngx_http_heao_catalog_list_json(ngx_str_t *list)
{
    u_char  *v, *end, *comma;
    json_t  *json;

    json = json_array();
    if (json == NULL) {
        return NULL;
    }

    v = list->data + 1;
    end = list->data + list->len;

    while (v < end) {
        comma = ngx_strlchr(v, end, ',');
        if (comma == NULL) {
            break;
        }

        if (json_array_append_new(json,
                                  json_stringn((char *) v, comma - v))
            != 0)
        {
            json_decref(json);
            return NULL;
        }

        v = comma + 1;
    }

    return json;
}


/* a JSON array of strings as ",a,b,", so that ",x," finds a member */

static ngx_int_t
ngx_http_heao_catalog_list(ngx_pool_t *pool, ngx_str_t *dst, json_t *list)
{
    u_char  *p;
    size_t   i, len;
    json_t  *v;

    if (!json_is_array(list)) {
        return NGX_ERROR;
    }

    len = 1;

    json_array_foreach(list, i, v) {
        if (!json_is_string(v)) {
            return NGX_ERROR;
        }

        len += json_string_length(v) + 1;
    }

    p = ngx_pnalloc(pool, len);
    if (p == NULL) {
        return NGX_ERROR;
    }

    dst->data = p;
    *p++ = ',';

    json_array_foreach(list, i, v) {
        p = ngx_cpymem(p, json_string_value(v), json_string_length(v));
        *p++ = ',';
    }

    dst->len = p - dst->data;

    return NGX_OK;
}


/* an optional string member; a member of another type is an error */

static ngx_int_t
ngx_http_heao_catalog_string(ngx_pool_t *pool, ngx_str_t *dst, json_t *obj,
    const char *key)
{
    json_t  *v;

    v = json_object_get(obj, key);

    if (v == NULL) {
        return NGX_OK;
    }

    if (!json_is_string(v)) {
        return NGX_ERROR;
    }

    dst->len = json_string_length(v);
    dst->data = ngx_pnalloc(pool, dst->len);
    if (dst->data == NULL) {
        return NGX_ERROR;
    }

    ngx_memcpy(dst->data, json_string_value(v), dst->len);

    return NGX_OK;
}


static void
ngx_http_heao_catalog_finish(ngx_int_t rc)
{
    ngx_http_heao_catalog_loader_t  *ld = &ngx_http_heao_catalog_loader;

    ngx_queue_t          *q;
    ngx_http_heao_ctx_t  *ctx;

    ld->state = NGX_HTTP_HEAO_CATALOG_IDLE;

    if (rc != NGX_OK) {
        ngx_http_heao_catalog_free(ld->next);
        ld->next = NULL;
        ld->failed = ngx_current_msec ? ngx_current_msec : 1;

    } else {
        ld->failed = 0;
    }

    if (!ld->timer.timer_set && !ngx_exiting && !ngx_terminate) {
        ngx_add_timer(&ld->timer, ld->refresh);
    }

    while (!ngx_queue_empty(&ld->waiting)) {
        q = ngx_queue_head(&ld->waiting);
        ngx_queue_remove(q);

        ctx = ngx_queue_data(q, ngx_http_heao_ctx_t, queue);
        ctx->catalog_wait = 0;

        ngx_http_heao_wake(ctx);
    }
}


static void
ngx_http_heao_catalog_free(ngx_http_heao_catalog_t *cat)
{
    if (cat) {
        ngx_destroy_pool(cat->pool);
    }
}


static void
ngx_http_heao_catalog_cleanup(void *data)
{
    ngx_http_heao_catalog_t  *cat = data;

    ngx_uint_t  i;

    for (i = 0; i < cat->nbatches; i++) {
        if (cat->batches[i].shape) {
            json_decref(cat->batches[i].shape);
        }
    }
}


static ngx_int_t
ngx_http_heao_catalog_copy(ngx_pool_t *pool, ngx_str_t *dst,
    ngx_http_heao_rows_t *res, int row, int col)
{
    dst->len = ngx_http_heao_cell_len(res, row, col);

    dst->data = ngx_pnalloc(pool, dst->len + 1);
    if (dst->data == NULL) {
        return NGX_ERROR;
    }

    ngx_memcpy(dst->data, ngx_http_heao_cell(res, row, col), dst->len + 1);

    return NGX_OK;
}


/* the value of a code of exactly len digits, leading zeros kept apart */

static ngx_int_t
ngx_http_heao_code(ngx_str_t *code, size_t len)
{
    size_t     i;
    ngx_int_t  n;

    if (code->len != len) {
        return NGX_ERROR;
    }

    n = 0;

    for (i = 0; i < len; i++) {
        if (code->data[i] < '0' || code->data[i] > '9') {
            return NGX_ERROR;
        }

        n = n * 10 + code->data[i] - '0';
    }

    return n;
}


int64_t
ngx_http_heao_catalog_loaded(void)
{
    ngx_http_heao_catalog_loader_t  *ld = &ngx_http_heao_catalog_loader;

    return ld->current ? ld->current->version : 0;
}
