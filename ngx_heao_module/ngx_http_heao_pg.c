
/*
 * Copyright (C) heao developers
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_event.h>
#include "ngx_http_heao_pg.h"


/*
 * After a connect fails no new connection is started for this long;
 * meanwhile a query that finds no open connection fails at once, and the
 * first query after it tries again.  Nothing reconnects on a timer.
 */
#define NGX_HTTP_HEAO_PG_BACKOFF      1000

/*
 * The server ends a statement this much before the pool would: its
 * error keeps the connection and proves the statement rolled back.
 */
#define NGX_HTTP_HEAO_PG_MARGIN       100

#define NGX_HTTP_HEAO_PG_DEFAULT_PORT 5432
#define NGX_HTTP_HEAO_PG_ERRLEN       512


typedef enum {
    NGX_HTTP_HEAO_PG_FREE = 0,
    NGX_HTTP_HEAO_PG_CONNECTING,
    NGX_HTTP_HEAO_PG_PREPARING,
    NGX_HTTP_HEAO_PG_IDLE,
    NGX_HTTP_HEAO_PG_BUSY
} ngx_http_heao_pg_state_e;


typedef enum {
    NGX_HTTP_HEAO_PG_OP_WAITING = 0,
    NGX_HTTP_HEAO_PG_OP_RUNNING,
    NGX_HTTP_HEAO_PG_OP_POSTED,
    NGX_HTTP_HEAO_PG_OP_DONE
} ngx_http_heao_pg_op_state_e;


typedef struct {
    ngx_queue_t                  queue;         /* in pool->idle */
    ngx_http_heao_pg_pool_t     *pool;
    PGconn                      *conn;
    ngx_connection_t            *c;
    ngx_http_heao_pg_op_t       *op;
    PGresult                    *res;           /* until the command ends */
    ngx_event_t                  timer;         /* connect or statement */
    ngx_uint_t                   uses;
    ngx_uint_t                   prepared;      /* warm-up results seen */
    ngx_uint_t                   synced;        /* warm-up syncs seen */
    ngx_uint_t                   generation;    /* of its prepared plans */
    ngx_http_heao_pg_state_e     state;
    unsigned                     flushing:1;    /* output pending */
} ngx_http_heao_pg_conn_t;


struct ngx_http_heao_pg_op_s {
    ngx_queue_t                  queue;         /* waiting or posted */
    ngx_http_heao_pg_pool_t     *pool;
    ngx_http_heao_pg_conn_t     *pc;
    ngx_http_heao_pg_handler_pt  handler;       /* NULL once detached */
    void                        *data;
    ngx_log_t                   *log;
    ngx_event_t                  ev;            /* queue timer, answer */
    ngx_int_t                    rc;            /* the posted answer */
    ngx_uint_t                   stmt;
    int                          nparams;
    char                       **values;
    ngx_http_heao_pg_op_state_e  state;
    unsigned                     retried:1;
    unsigned                     invalid:1;     /* no server may run it */
};


typedef struct {
    const char                  *key;
    const char                  *value;
    ngx_uint_t                   override;
} ngx_http_heao_pg_default_t;


struct ngx_http_heao_pg_pool_s {
    ngx_http_heao_pg_conf_t     *conf;
    ngx_log_t                   *log;
    ngx_http_heao_pg_conn_t     *conns;
    ngx_queue_t                  idle;
    ngx_queue_t                  waiting;
    ngx_queue_t                  posted;
    ngx_uint_t                   nopen;
    ngx_uint_t                   nidle;
    ngx_uint_t                   nconnecting;
    ngx_uint_t                   nwaiting;
    ngx_uint_t                   generation;    /* plans older are stale */
    ngx_msec_t                   retry_at;      /* the back-off ends */
    ngx_http_heao_pg_pool_t     *fallback;      /* of a replica: primary */
    unsigned                     backoff:1;
};


static ngx_int_t ngx_http_heao_pg_conf_set(ngx_conf_t *cf,
    const char **keywords, const char **values, ngx_uint_t *n,
    const char *key, const char *value, ngx_uint_t override);
static const char *ngx_http_heao_pg_conf_get(const char **keywords,
    const char **values, ngx_uint_t n, const char *key);
static char *ngx_http_heao_pg_resolve(ngx_conf_t *cf, const char *host);
static char *ngx_http_heao_pg_options(ngx_conf_t *cf,
    ngx_http_heao_pg_conf_t *pcf, const char *options);

static ngx_int_t ngx_http_heao_pg_connect(ngx_http_heao_pg_pool_t *pool);
static void ngx_http_heao_pg_connect_failed(ngx_http_heao_pg_conn_t *pc);
static ngx_int_t ngx_http_heao_pg_wrap(ngx_http_heao_pg_conn_t *pc);
static void ngx_http_heao_pg_unwrap(ngx_http_heao_pg_conn_t *pc);
static ngx_int_t ngx_http_heao_pg_set_events(ngx_http_heao_pg_conn_t *pc,
    ngx_uint_t rd, ngx_uint_t wr);
static ngx_int_t ngx_http_heao_pg_flush(ngx_http_heao_pg_conn_t *pc);
static void ngx_http_heao_pg_event_handler(ngx_event_t *ev);
static void ngx_http_heao_pg_poll(ngx_http_heao_pg_conn_t *pc);
static void ngx_http_heao_pg_prepare(ngx_http_heao_pg_conn_t *pc);
static void ngx_http_heao_pg_warm_up(ngx_http_heao_pg_conn_t *pc);
static void ngx_http_heao_pg_ready(ngx_http_heao_pg_conn_t *pc);
static void ngx_http_heao_pg_idle(ngx_http_heao_pg_conn_t *pc);
static void ngx_http_heao_pg_send(ngx_http_heao_pg_conn_t *pc,
    ngx_http_heao_pg_op_t *op);
static void ngx_http_heao_pg_broken(ngx_http_heao_pg_conn_t *pc);
static void ngx_http_heao_pg_process(ngx_http_heao_pg_conn_t *pc);
static void ngx_http_heao_pg_complete(ngx_http_heao_pg_conn_t *pc);
static void ngx_http_heao_pg_release(ngx_http_heao_pg_conn_t *pc);
static void ngx_http_heao_pg_close(ngx_http_heao_pg_conn_t *pc);
static void ngx_http_heao_pg_timeout_handler(ngx_event_t *ev);

static ngx_uint_t ngx_http_heao_pg_may_connect(ngx_http_heao_pg_pool_t *pool);
static void ngx_http_heao_pg_dispatch(ngx_http_heao_pg_pool_t *pool);
static void ngx_http_heao_pg_retry(ngx_http_heao_pg_op_t *op);
static void ngx_http_heao_pg_post(ngx_http_heao_pg_op_t *op, ngx_int_t rc);
static void ngx_http_heao_pg_op_handler(ngx_event_t *ev);
static ngx_int_t ngx_http_heao_pg_enqueue(ngx_http_heao_pg_pool_t *pool,
    ngx_http_heao_pg_op_t *op);
static ngx_uint_t ngx_http_heao_pg_fall_back(ngx_http_heao_pg_op_t *op,
    ngx_int_t rc, PGresult *res);
static void ngx_http_heao_pg_deliver(ngx_http_heao_pg_op_t *op, ngx_int_t rc,
    PGresult *res);

static ngx_uint_t ngx_http_heao_pg_stale_plan(PGresult *res);
static ngx_uint_t ngx_http_heao_pg_client_fault(const char *sqlstate);
static size_t ngx_http_heao_pg_text(u_char *buf, const char *s);
static size_t ngx_http_heao_pg_result_text(u_char *buf, const PGresult *res);
static void ngx_http_heao_pg_log_result(ngx_uint_t level, ngx_log_t *log,
    const char *what, const char *name, const PGresult *res);
static void ngx_http_heao_pg_log_conn(ngx_uint_t level, ngx_log_t *log,
    const char *what, PGconn *conn);
static ngx_log_t *ngx_http_heao_pg_log(ngx_http_heao_pg_conn_t *pc);
static void ngx_http_heao_pg_notice(void *arg, const PGresult *res);


/*
 * Always without GSS encryption, which would block on Kerberos; with TCP
 * keepalives; with an explicit sslmode and a name in pg_stat_activity
 * unless conninfo gives them.
 */

static ngx_http_heao_pg_default_t  ngx_http_heao_pg_defaults[] = {
    { "gssencmode", "disable", 1 },
    { "keepalives", "1", 1 },
    { "sslmode", "disable", 0 },
    { "application_name", "heao", 0 },
    { NULL, NULL, 0 }
};


/*
 * Turns the conninfo string into the keyword and value arrays given to
 * PQconnectStartParams(): a host name becomes a numeric hostaddr (libpq
 * would resolve it, blocking, in every worker) and the options the pool
 * relies on are added.
 */

char *
ngx_http_heao_pg_init_conf(ngx_conf_t *cf, ngx_http_heao_pg_conf_t *pcf)
{
    char                        *err, *conninfo, *addr, *options;
    size_t                       len;
    u_char                       buf[NGX_HTTP_HEAO_PG_ERRLEN];
    ngx_uint_t                   n, size;
    const char                  *host, *value, **keywords, **values;
    PQconninfoOption            *opts, *o;
    ngx_http_heao_pg_default_t  *d;

    conninfo = ngx_pnalloc(cf->pool, pcf->conninfo.len + 1);
    if (conninfo == NULL) {
        return NGX_CONF_ERROR;
    }

    (void) ngx_cpystrn((u_char *) conninfo, pcf->conninfo.data,
                       pcf->conninfo.len + 1);

    err = NULL;

    opts = PQconninfoParse(conninfo, &err);

    if (opts == NULL) {
        if (err) {
            len = ngx_http_heao_pg_text(buf, err);
            PQfreemem(err);

            /* the value is not logged: it may hold a password */

            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "heao pg: invalid conninfo in \"%s\" "
                               "directive: %*s", pcf->directive, len, buf);

        } else {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "heao pg: no memory to parse conninfo");
        }

        return NGX_CONF_ERROR;
    }

    /* hostaddr, options, the defaults and the closing NULL */

    size = 2 + sizeof(ngx_http_heao_pg_defaults)
               / sizeof(ngx_http_heao_pg_default_t);

    for (o = opts; o->keyword; o++) {
        if (o->val) {
            size++;
        }
    }

    keywords = ngx_pcalloc(cf->pool, size * sizeof(char *));
    values = ngx_pcalloc(cf->pool, size * sizeof(char *));

    if (keywords == NULL || values == NULL) {
        goto failed;
    }

    n = 0;

    for (o = opts; o->keyword; o++) {
        if (o->val == NULL) {
            continue;
        }

        if (ngx_http_heao_pg_conf_set(cf, keywords, values, &n, o->keyword,
                                      o->val, 1)
            != NGX_OK)
        {
            goto failed;
        }
    }

    PQconninfoFree(opts);
    opts = NULL;

    /* a unix socket path starts with a slash, an abstract one with "@" */

    host = ngx_http_heao_pg_conf_get(keywords, values, n, "host");

    if (host && host[0] != '\0' && host[0] != '/' && host[0] != '@'
        && ngx_http_heao_pg_conf_get(keywords, values, n, "hostaddr")
           == NULL)
    {
        addr = ngx_http_heao_pg_resolve(cf, host);
        if (addr == NULL) {
            return NGX_CONF_ERROR;
        }

        if (ngx_http_heao_pg_conf_set(cf, keywords, values, &n, "hostaddr",
                                      addr, 1)
            != NGX_OK)
        {
            return NGX_CONF_ERROR;
        }
    }

    value = ngx_http_heao_pg_conf_get(keywords, values, n, "options");

    options = ngx_http_heao_pg_options(cf, pcf, value);
    if (options == NGX_CONF_ERROR) {
        return NGX_CONF_ERROR;
    }

    if (options
        && ngx_http_heao_pg_conf_set(cf, keywords, values, &n, "options",
                                     options, 1)
           != NGX_OK)
    {
        return NGX_CONF_ERROR;
    }

    for (d = ngx_http_heao_pg_defaults; d->key; d++) {
        if (ngx_http_heao_pg_conf_set(cf, keywords, values, &n, d->key,
                                      d->value, d->override)
            != NGX_OK)
        {
            return NGX_CONF_ERROR;
        }
    }

    keywords[n] = NULL;
    values[n] = NULL;

    pcf->keywords = keywords;
    pcf->values = values;

    return NGX_CONF_OK;

failed:

    if (opts) {
        PQconninfoFree(opts);
    }

    return NGX_CONF_ERROR;
}


/*
 * Sets a keyword, copying the value into the configuration pool; an
 * existing keyword keeps its value unless override is set.
 */

static ngx_int_t
ngx_http_heao_pg_conf_set(ngx_conf_t *cf, const char **keywords,
    const char **values, ngx_uint_t *n, const char *key, const char *value,
    ngx_uint_t override)
{
    u_char      *p;
    size_t       len;
    ngx_uint_t   i;

    for (i = 0; i < *n; i++) {
        if (ngx_strcmp(keywords[i], key) == 0) {
            break;
        }
    }

    if (i < *n && !override) {
        return NGX_OK;
    }

    if (i == *n) {
        len = ngx_strlen(key) + 1;

        p = ngx_pnalloc(cf->pool, len);
        if (p == NULL) {
            return NGX_ERROR;
        }

        ngx_memcpy(p, key, len);

        keywords[i] = (char *) p;
        (*n)++;
    }

    len = ngx_strlen(value) + 1;

    p = ngx_pnalloc(cf->pool, len);
    if (p == NULL) {
        return NGX_ERROR;
    }

    ngx_memcpy(p, value, len);

    values[i] = (char *) p;

    return NGX_OK;
}


static const char *
ngx_http_heao_pg_conf_get(const char **keywords, const char **values,
    ngx_uint_t n, const char *key)
{
    ngx_uint_t  i;

    for (i = 0; i < n; i++) {
        if (ngx_strcmp(keywords[i], key) == 0) {
            return values[i];
        }
    }

    return NULL;
}


/*
 * Resolves a host name while the configuration is read; returns the
 * first address as text without a port, or NULL after logging.
 */

static char *
ngx_http_heao_pg_resolve(ngx_conf_t *cf, const char *host)
{
    u_char     *p;
    size_t      len;
    ngx_url_t   u;

    if (ngx_strchr(host, ',') != NULL) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "heao pg: more than one host in conninfo "
                           "is not supported");
        return NULL;
    }

    ngx_memzero(&u, sizeof(ngx_url_t));

    u.host.data = (u_char *) host;
    u.host.len = ngx_strlen(host);
    u.port = NGX_HTTP_HEAO_PG_DEFAULT_PORT;

    if (ngx_inet_resolve_host(cf->pool, &u) != NGX_OK || u.naddrs == 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "heao pg: cannot resolve \"%s\": %s", host,
                           u.err ? u.err : "no address");
        return NULL;
    }

    p = ngx_pnalloc(cf->pool, NGX_SOCKADDR_STRLEN + 1);
    if (p == NULL) {
        return NULL;
    }

    len = ngx_sock_ntop(u.addrs[0].sockaddr, u.addrs[0].socklen, p,
                        NGX_SOCKADDR_STRLEN, 0);
    p[len] = '\0';

    return (char *) p;
}


/*
 * Builds the backend options: the server ends a statement a little before
 * the pool gives up on it, and an idle transaction when the pool would.
 * Options given in conninfo come last, so they win.  Returns NULL when
 * nothing is to be added.
 */

static char *
ngx_http_heao_pg_options(ngx_conf_t *cf, ngx_http_heao_pg_conf_t *pcf,
    const char *options)
{
    u_char      *p, *last;
    size_t       len;
    ngx_msec_t   timeout;

    if (pcf->query_timeout == 0 || pcf->query_timeout == NGX_CONF_UNSET_MSEC)
    {
        return NULL;
    }

    timeout = pcf->query_timeout;

    if (timeout > 2 * NGX_HTTP_HEAO_PG_MARGIN) {
        timeout -= NGX_HTTP_HEAO_PG_MARGIN;
    }

    len = sizeof("-c statement_timeout= "
                 "-c idle_in_transaction_session_timeout= ") - 1
          + 2 * NGX_INT_T_LEN + (options ? ngx_strlen(options) : 0) + 1;

    p = ngx_pnalloc(cf->pool, len);
    if (p == NULL) {
        return NGX_CONF_ERROR;
    }

    last = ngx_slprintf(p, p + len - 1,
                        "-c statement_timeout=%M "
                        "-c idle_in_transaction_session_timeout=%M%s%s",
                        timeout, pcf->query_timeout,
                        options ? " " : "", options ? options : "");
    *last = '\0';

    return (char *) p;
}


ngx_http_heao_pg_pool_t *
ngx_http_heao_pg_pool_create(ngx_cycle_t *cycle, ngx_http_heao_pg_conf_t *pcf)
{
    ngx_uint_t                i;
    ngx_http_heao_pg_conn_t  *pc;
    ngx_http_heao_pg_pool_t  *pool;

    if (pcf->size == 0 || pcf->keywords == NULL) {
        ngx_log_error(NGX_LOG_ALERT, cycle->log, 0,
                      "heao pg: pool is not configured");
        return NULL;
    }

    pool = ngx_calloc(sizeof(ngx_http_heao_pg_pool_t), cycle->log);
    if (pool == NULL) {
        return NULL;
    }

    pool->conns = ngx_calloc(pcf->size * sizeof(ngx_http_heao_pg_conn_t),
                             cycle->log);
    if (pool->conns == NULL) {
        ngx_free(pool);
        return NULL;
    }

    pool->conf = pcf;
    pool->log = cycle->log;

    ngx_queue_init(&pool->idle);
    ngx_queue_init(&pool->waiting);
    ngx_queue_init(&pool->posted);

    for (i = 0; i < pcf->size; i++) {
        pc = &pool->conns[i];

        pc->pool = pool;
        pc->timer.handler = ngx_http_heao_pg_timeout_handler;
        pc->timer.data = pc;
        pc->timer.log = pool->log;
    }

    return pool;
}


/*
 * Finishes every connection and frees every operation without calling
 * handlers: it runs when the worker exits, after the requests are gone.
 */

void
ngx_http_heao_pg_pool_destroy(ngx_http_heao_pg_pool_t *pool)
{
    ngx_uint_t                i;
    ngx_queue_t              *q;
    ngx_http_heao_pg_op_t    *op;
    ngx_http_heao_pg_conn_t  *pc;

    if (pool == NULL) {
        return;
    }

    while (!ngx_queue_empty(&pool->waiting)) {
        q = ngx_queue_head(&pool->waiting);
        ngx_queue_remove(q);

        op = ngx_queue_data(q, ngx_http_heao_pg_op_t, queue);

        if (op->ev.timer_set) {
            ngx_del_timer(&op->ev);
        }

        ngx_free(op);
    }

    while (!ngx_queue_empty(&pool->posted)) {
        q = ngx_queue_head(&pool->posted);
        ngx_queue_remove(q);

        op = ngx_queue_data(q, ngx_http_heao_pg_op_t, queue);

        if (op->ev.posted) {
            ngx_delete_posted_event(&op->ev);
        }

        ngx_free(op);
    }

    for (i = 0; i < pool->conf->size; i++) {
        pc = &pool->conns[i];

        if (pc->op) {
            ngx_free(pc->op);
            pc->op = NULL;
        }

        ngx_http_heao_pg_close(pc);
    }

    ngx_free(pool->conns);
    ngx_free(pool);
}


/*
 * Copies the parameters into an operation owned by the pool and runs it
 * on an idle connection, or queues it.  The handler is never called from
 * here: refusals and failures found now are answered from a posted event.
 */

ngx_http_heao_pg_op_t *
ngx_http_heao_pg_query(ngx_http_heao_pg_pool_t *pool, ngx_uint_t stmt,
    int nparams, const char *const *values, const int *lengths,
    ngx_http_heao_pg_handler_pt handler, void *data, ngx_log_t *log)
{
    int                       i;
    u_char                   *p;
    size_t                    size, len;
    ngx_uint_t                zero;
    ngx_http_heao_pg_op_t    *op;
    ngx_http_heao_pg_conf_t  *pcf;

    pcf = pool->conf;

    if (nparams < 0) {
        nparams = 0;
    }

    size = sizeof(ngx_http_heao_pg_op_t) + nparams * sizeof(char *);

    for (i = 0; i < nparams; i++) {
        if (values[i]) {
            len = lengths ? (size_t) lengths[i] : ngx_strlen(values[i]);
            size += len + 1;
        }
    }

    op = ngx_alloc(size, log);
    if (op == NULL) {
        return NULL;
    }

    ngx_memzero(op, sizeof(ngx_http_heao_pg_op_t));

    op->pool = pool;
    op->handler = handler;
    op->data = data;
    op->log = log;
    op->stmt = stmt;
    op->nparams = nparams;
    op->values = (char **) (op + 1);

    op->ev.handler = ngx_http_heao_pg_op_handler;
    op->ev.data = op;
    op->ev.log = log;

    /* text parameters travel NUL terminated, so a zero byte would cut one */

    zero = 0;
    p = (u_char *) (op->values + nparams);

    for (i = 0; i < nparams; i++) {
        if (values[i] == NULL) {
            op->values[i] = NULL;
            continue;
        }

        len = lengths ? (size_t) lengths[i] : ngx_strlen(values[i]);

        if (lengths && ngx_strlchr((u_char *) values[i],
                                   (u_char *) values[i] + len, '\0'))
        {
            zero = 1;
        }

        op->values[i] = (char *) p;
        p = ngx_cpymem(p, values[i], len);
        *p++ = '\0';
    }

    if (stmt >= pcf->nstmts || nparams != pcf->stmts[stmt].nparams) {
        ngx_log_error(NGX_LOG_ALERT, log, 0,
                      "heao pg: statement %ui called with %d parameters",
                      stmt, nparams);
        op->invalid = 1;
        ngx_http_heao_pg_post(op, NGX_ERROR);
        return op;
    }

    if (zero) {
        ngx_log_error(NGX_LOG_INFO, log, 0,
                      "heao pg: a parameter of statement \"%s\" "
                      "holds a zero byte", pcf->stmts[stmt].name);
        op->invalid = 1;
        ngx_http_heao_pg_post(op, NGX_ERROR);
        return op;
    }

    if (ngx_http_heao_pg_enqueue(pool, op) != NGX_OK) {
        ngx_http_heao_pg_post(op, NGX_BUSY);
    }

    return op;
}


/*
 * Queues an operation on a pool and serves the queue; NGX_BUSY, with the
 * operation untouched, when the wait queue is full.
 */

static ngx_int_t
ngx_http_heao_pg_enqueue(ngx_http_heao_pg_pool_t *pool,
    ngx_http_heao_pg_op_t *op)
{
    ngx_http_heao_pg_conf_t  *pcf;

    pcf = pool->conf;

    if (ngx_queue_empty(&pool->idle) && pool->nwaiting >= pcf->queue) {
        ngx_log_error(NGX_LOG_WARN, op->log, 0,
                      "heao pg: wait queue is full, statement \"%s\" "
                      "refused", pcf->stmts[op->stmt].name);
        return NGX_BUSY;
    }

    op->pool = pool;
    op->state = NGX_HTTP_HEAO_PG_OP_WAITING;

    ngx_queue_insert_tail(&pool->waiting, &op->queue);
    pool->nwaiting++;

    ngx_http_heao_pg_dispatch(pool);

    if (op->state == NGX_HTTP_HEAO_PG_OP_WAITING && pcf->queue_timeout) {
        ngx_add_timer(&op->ev, pcf->queue_timeout);
    }

    return NGX_OK;
}


/*
 * A replica's reads go to its primary when they failed on it for a
 * reason of the server, not of the request: the replica may be down,
 * slow, or have cancelled the read for a conflict with recovery.
 */

void
ngx_http_heao_pg_pool_fallback(ngx_http_heao_pg_pool_t *pool,
    ngx_http_heao_pg_pool_t *fallback)
{
    pool->fallback = fallback;
}


/*
 * Detaches the caller.  An operation still waiting or running goes on, so
 * a save is committed whatever the client does; only its answer is
 * dropped.  Its log no longer points into the caller's memory.
 */

void
ngx_http_heao_pg_cancel(ngx_http_heao_pg_op_t *op)
{
    ngx_http_heao_pg_pool_t  *pool;

    pool = op->pool;

    switch (op->state) {

    case NGX_HTTP_HEAO_PG_OP_POSTED:
        ngx_delete_posted_event(&op->ev);
        ngx_queue_remove(&op->queue);
        ngx_free(op);
        return;

    case NGX_HTTP_HEAO_PG_OP_DONE:
        op->handler = NULL;
        return;

    default:
        op->handler = NULL;
        op->data = NULL;
        op->log = pool->log;
        op->ev.log = pool->log;
        return;
    }
}


void
ngx_http_heao_pg_pool_stats(ngx_http_heao_pg_pool_t *pool, ngx_uint_t *open,
    ngx_uint_t *busy, ngx_uint_t *waiting)
{
    *open = pool->nopen;
    *busy = pool->nopen - pool->nidle;
    *waiting = pool->nwaiting;
}


/*
 * Starts a connection in a free slot.  A failure found at once is logged
 * and starts the back-off; the caller goes on with the queue.
 */

static ngx_int_t
ngx_http_heao_pg_connect(ngx_http_heao_pg_pool_t *pool)
{
    PGconn                   *conn;
    ngx_uint_t                i;
    ngx_http_heao_pg_conn_t  *pc;
    ngx_http_heao_pg_conf_t  *pcf;

    pcf = pool->conf;
    pc = NULL;

    for (i = 0; i < pcf->size; i++) {
        if (pool->conns[i].state == NGX_HTTP_HEAO_PG_FREE) {
            pc = &pool->conns[i];
            break;
        }
    }

    if (pc == NULL) {
        return NGX_DECLINED;
    }

    ngx_log_debug0(NGX_LOG_DEBUG_EVENT, pool->log, 0, "heao pg: connect");

    conn = PQconnectStartParams(pcf->keywords, pcf->values, 0);

    if (conn == NULL) {
        ngx_log_error(NGX_LOG_ERR, pool->log, 0,
                      "heao pg: no memory for a connection");
        goto failed;
    }

    if (PQstatus(conn) == CONNECTION_BAD) {
        ngx_http_heao_pg_log_conn(NGX_LOG_ERR, pool->log, "cannot connect",
                                  conn);
        goto failed;
    }

    (void) PQsetNoticeReceiver(conn, ngx_http_heao_pg_notice, pc);

    pc->conn = conn;

    if (ngx_http_heao_pg_wrap(pc) != NGX_OK) {
        pc->conn = NULL;
        goto failed;
    }

    pc->state = NGX_HTTP_HEAO_PG_CONNECTING;
    pc->uses = 0;
    pc->flushing = 0;

    pool->nopen++;
    pool->nconnecting++;

    if (pcf->connect_timeout) {
        ngx_add_timer(&pc->timer, pcf->connect_timeout);
    }

    /* after the start libpq waits as if the poll had said "writing" */

    if (ngx_http_heao_pg_set_events(pc, 0, 1) != NGX_OK) {
        ngx_http_heao_pg_close(pc);
        goto backoff;
    }

    return NGX_OK;

failed:

    if (conn) {
        PQfinish(conn);
    }

backoff:

    pool->backoff = 1;
    pool->retry_at = ngx_current_msec + NGX_HTTP_HEAO_PG_BACKOFF;

    return NGX_ERROR;
}


/* closes a connection that never got ready, then fails or serves waiters */

static void
ngx_http_heao_pg_connect_failed(ngx_http_heao_pg_conn_t *pc)
{
    ngx_http_heao_pg_pool_t  *pool;

    pool = pc->pool;

    ngx_http_heao_pg_close(pc);

    pool->backoff = 1;
    pool->retry_at = ngx_current_msec + NGX_HTTP_HEAO_PG_BACKOFF;

    ngx_http_heao_pg_dispatch(pool);
}


static ngx_int_t
ngx_http_heao_pg_wrap(ngx_http_heao_pg_conn_t *pc)
{
    ngx_socket_t       fd;
    ngx_connection_t  *c;

    fd = PQsocket(pc->conn);

    if (fd == (ngx_socket_t) -1) {
        ngx_http_heao_pg_log_conn(NGX_LOG_ERR, pc->pool->log,
                                  "no socket", pc->conn);
        return NGX_ERROR;
    }

    c = ngx_get_connection(fd, pc->pool->log);
    if (c == NULL) {
        return NGX_ERROR;
    }

    c->data = pc;
    c->number = ngx_atomic_fetch_add(ngx_connection_counter, 1);

    c->read->handler = ngx_http_heao_pg_event_handler;
    c->write->handler = ngx_http_heao_pg_event_handler;
    c->read->log = pc->pool->log;
    c->write->log = pc->pool->log;

    pc->c = c;

    return NGX_OK;
}


/*
 * Gives the nginx connection back without closing the socket, which
 * belongs to libpq: PQfinish() closes it, and the kernel then drops it
 * from the event set, so the events are deleted as for a closed socket.
 */

static void
ngx_http_heao_pg_unwrap(ngx_http_heao_pg_conn_t *pc)
{
    ngx_connection_t  *c;

    c = pc->c;

    if (c->read->posted) {
        ngx_delete_posted_event(c->read);
    }

    if (c->write->posted) {
        ngx_delete_posted_event(c->write);
    }

    if (c->read->active) {
        (void) ngx_del_event(c->read, NGX_READ_EVENT, NGX_CLOSE_EVENT);
    }

    if (c->write->active) {
        (void) ngx_del_event(c->write, NGX_WRITE_EVENT, NGX_CLOSE_EVENT);
    }

    ngx_free_connection(c);

    c->fd = (ngx_socket_t) -1;
    c->idle = 0;

    pc->c = NULL;
}


/*
 * Registers level-triggered interest: libpq reads and writes only as much
 * as it wants, so an edge could be consumed with data left and no wake-up
 * would follow.  epoll re-registers the other direction with the flags of
 * the call, hence the same flags on every add and delete.
 */

static ngx_int_t
ngx_http_heao_pg_set_events(ngx_http_heao_pg_conn_t *pc, ngx_uint_t rd,
    ngx_uint_t wr)
{
    ngx_connection_t  *c;

    c = pc->c;

    /* a socket libpq closed may have a new owner: never touch it */

    if (PQsocket(pc->conn) != c->fd) {
        return NGX_ERROR;
    }

    if (rd && !c->read->active) {
        if (ngx_add_event(c->read, NGX_READ_EVENT, NGX_LEVEL_EVENT)
            != NGX_OK)
        {
            return NGX_ERROR;
        }

    } else if (!rd && c->read->active) {
        if (ngx_del_event(c->read, NGX_READ_EVENT, NGX_LEVEL_EVENT)
            != NGX_OK)
        {
            return NGX_ERROR;
        }
    }

    if (wr && !c->write->active) {
        if (ngx_add_event(c->write, NGX_WRITE_EVENT, NGX_LEVEL_EVENT)
            != NGX_OK)
        {
            return NGX_ERROR;
        }

    } else if (!wr && c->write->active) {
        if (ngx_del_event(c->write, NGX_WRITE_EVENT, NGX_LEVEL_EVENT)
            != NGX_OK)
        {
            return NGX_ERROR;
        }
    }

    return NGX_OK;
}


/* flushes output; write interest stays only while some is pending */

static ngx_int_t
ngx_http_heao_pg_flush(ngx_http_heao_pg_conn_t *pc)
{
    int  rc;

    rc = PQflush(pc->conn);

    if (rc == -1) {
        return NGX_ERROR;
    }

    pc->flushing = (rc == 1);

    return ngx_http_heao_pg_set_events(pc, 1, pc->flushing);
}


static void
ngx_http_heao_pg_event_handler(ngx_event_t *ev)
{
    ngx_connection_t         *c;
    ngx_http_heao_pg_conn_t  *pc;

    c = ev->data;
    pc = c->data;

    switch (pc->state) {

    case NGX_HTTP_HEAO_PG_CONNECTING:
        ngx_http_heao_pg_poll(pc);
        return;

    case NGX_HTTP_HEAO_PG_PREPARING:
        ngx_http_heao_pg_warm_up(pc);
        return;

    case NGX_HTTP_HEAO_PG_IDLE:
        ngx_http_heao_pg_idle(pc);
        return;

    case NGX_HTTP_HEAO_PG_BUSY:
        ngx_http_heao_pg_process(pc);
        return;

    default:
        return;
    }
}


/*
 * One step of PQconnectPoll().  The interest is dropped before the call
 * and registered afresh after it: libpq may close the socket and open
 * another one, possibly with the same number, which the event set would
 * not know about.
 */

static void
ngx_http_heao_pg_poll(ngx_http_heao_pg_conn_t *pc)
{
    ngx_socket_t               fd;
    PostgresPollingStatusType  rc;

    if (ngx_http_heao_pg_set_events(pc, 0, 0) != NGX_OK) {
        goto failed;
    }

    rc = PQconnectPoll(pc->conn);

    fd = PQsocket(pc->conn);

    if (fd != pc->c->fd) {
        ngx_http_heao_pg_unwrap(pc);

        if (rc == PGRES_POLLING_FAILED) {
            goto bad;
        }

        if (ngx_http_heao_pg_wrap(pc) != NGX_OK) {
            goto failed;
        }
    }

    switch (rc) {

    case PGRES_POLLING_READING:
        if (ngx_http_heao_pg_set_events(pc, 1, 0) != NGX_OK) {
            goto failed;
        }

        return;

    case PGRES_POLLING_WRITING:
        if (ngx_http_heao_pg_set_events(pc, 0, 1) != NGX_OK) {
            goto failed;
        }

        return;

    case PGRES_POLLING_OK:
        ngx_log_debug1(NGX_LOG_DEBUG_EVENT, pc->pool->log, 0,
                       "heao pg: connected, backend %d",
                       PQbackendPID(pc->conn));

        /*
         * connecting is non-blocking anyway; set later, as the call
         * clears the error text libpq began while starting the connect
         */

        if (PQsetnonblocking(pc->conn, 1) == -1) {
            goto bad;
        }

        ngx_http_heao_pg_prepare(pc);
        return;

    default:
        goto bad;
    }

bad:

    ngx_http_heao_pg_log_conn(NGX_LOG_ERR, pc->pool->log, "cannot connect",
                              pc->conn);

failed:

    ngx_http_heao_pg_connect_failed(pc);
}


/*
 * Sends every statement of the table to be prepared, in one pipelined
 * batch with a sync after each, so that a statement that does not
 * prepare does not abort the others: a query of it fails, the rest work.
 * The server infers the parameter types.
 */

static void
ngx_http_heao_pg_prepare(ngx_http_heao_pg_conn_t *pc)
{
    ngx_uint_t                i;
    ngx_http_heao_pg_stmt_t  *s;
    ngx_http_heao_pg_conf_t  *pcf;

    pcf = pc->pool->conf;

    pc->state = NGX_HTTP_HEAO_PG_PREPARING;
    pc->prepared = 0;
    pc->synced = 0;
    pc->generation = pc->pool->generation;

    if (pcf->nstmts == 0) {
        ngx_http_heao_pg_ready(pc);
        return;
    }

    if (!PQenterPipelineMode(pc->conn)) {
        goto failed;
    }

    for (i = 0; i < pcf->nstmts; i++) {
        s = &pcf->stmts[i];

        if (!PQsendPrepare(pc->conn, s->name, s->sql, 0, NULL)
            || !PQpipelineSync(pc->conn))
        {
            goto failed;
        }
    }

    if (ngx_http_heao_pg_flush(pc) != NGX_OK) {
        goto failed;
    }

    return;

failed:

    ngx_http_heao_pg_log_conn(NGX_LOG_ERR, pc->pool->log,
                              "cannot prepare statements", pc->conn);
    ngx_http_heao_pg_connect_failed(pc);
}


/*
 * Reads the warm-up results: per statement a result, the NULL that ends
 * it, and a sync.  The connection becomes idle after the last sync.
 */

static void
ngx_http_heao_pg_warm_up(ngx_http_heao_pg_conn_t *pc)
{
    PGresult                 *res;
    ngx_uint_t                nulls;
    ngx_http_heao_pg_pool_t  *pool;
    ngx_http_heao_pg_conf_t  *pcf;

    pool = pc->pool;
    pcf = pool->conf;

    if (pc->flushing && ngx_http_heao_pg_flush(pc) != NGX_OK) {
        goto failed;
    }

    if (!PQconsumeInput(pc->conn)) {
        goto failed;
    }

    nulls = 0;

    while (pc->synced < pcf->nstmts) {

        if (PQisBusy(pc->conn)) {
            goto wait;
        }

        res = PQgetResult(pc->conn);

        if (res == NULL) {

            /* ends one statement; twice in a row means more input is due */

            if (nulls++) {
                goto wait;
            }

            continue;
        }

        nulls = 0;

        switch (PQresultStatus(res)) {

        case PGRES_PIPELINE_SYNC:
            pc->synced++;
            break;

        case PGRES_COMMAND_OK:
            pc->prepared++;
            break;

        default:
            if (pc->prepared < pcf->nstmts) {
                ngx_http_heao_pg_log_result(NGX_LOG_ERR, pool->log,
                                            "did not prepare",
                                            pcf->stmts[pc->prepared].name,
                                            res);
            }

            pc->prepared++;
            break;
        }

        PQclear(res);
    }

    if (pc->flushing || !PQexitPipelineMode(pc->conn)) {
        goto failed;
    }

    ngx_log_debug1(NGX_LOG_DEBUG_EVENT, pool->log, 0,
                   "heao pg: %ui statements prepared", pc->prepared);

    ngx_http_heao_pg_ready(pc);

    return;

wait:

    /* libpq drops a broken connection and waits for nothing more */

    if (PQstatus(pc->conn) != CONNECTION_BAD) {
        return;
    }

failed:

    ngx_http_heao_pg_log_conn(NGX_LOG_ERR, pool->log,
                              "cannot prepare statements", pc->conn);
    ngx_http_heao_pg_connect_failed(pc);
}


/* the connection is up and warm: it serves the queue or waits idle */

static void
ngx_http_heao_pg_ready(ngx_http_heao_pg_conn_t *pc)
{
    ngx_http_heao_pg_pool_t  *pool;

    pool = pc->pool;

    pool->nconnecting--;
    pool->backoff = 0;

    if (pc->timer.timer_set) {
        ngx_del_timer(&pc->timer);
    }

    /* no longer connecting, not yet idle */
    pc->state = NGX_HTTP_HEAO_PG_BUSY;

    ngx_http_heao_pg_release(pc);
    ngx_http_heao_pg_dispatch(pool);
}


/*
 * An idle connection is readable when the server says goodbye (or sends
 * a notice), or when nginx asks idle connections to close on reload.
 */

static void
ngx_http_heao_pg_idle(ngx_http_heao_pg_conn_t *pc)
{
    ngx_http_heao_pg_pool_t  *pool;

    pool = pc->pool;

    if (pc->c->close) {
        ngx_log_debug0(NGX_LOG_DEBUG_EVENT, pool->log, 0,
                       "heao pg: closing idle connection");

        ngx_http_heao_pg_close(pc);
        ngx_http_heao_pg_dispatch(pool);
        return;
    }

    /*
     * PQconsumeInput() only reads; PQisBusy() parses what came, passing
     * a notice or the server's parting error to the notice receiver
     */

    if (PQconsumeInput(pc->conn)
        && !PQisBusy(pc->conn)
        && PQstatus(pc->conn) == CONNECTION_OK)
    {
        return;
    }

    ngx_http_heao_pg_log_conn(NGX_LOG_ERR, pool->log, "idle connection lost",
                              pc->conn);

    ngx_http_heao_pg_close(pc);
    ngx_http_heao_pg_dispatch(pool);
}


/*
 * Runs an operation on an idle connection.  A failure here is handled
 * without calling anyone's handler: the caller may be
 * ngx_http_heao_pg_query() itself.
 */

static void
ngx_http_heao_pg_send(ngx_http_heao_pg_conn_t *pc, ngx_http_heao_pg_op_t *op)
{
    ngx_http_heao_pg_pool_t  *pool;
    ngx_http_heao_pg_conf_t  *pcf;

    pool = pc->pool;
    pcf = pool->conf;

    ngx_queue_remove(&pc->queue);
    pool->nidle--;

    pc->state = NGX_HTTP_HEAO_PG_BUSY;
    pc->c->idle = 0;
    pc->op = op;
    pc->uses++;

    op->state = NGX_HTTP_HEAO_PG_OP_RUNNING;
    op->pc = pc;

    ngx_log_debug2(NGX_LOG_DEBUG_EVENT, op->log, 0,
                   "heao pg: statement \"%s\" on backend %d",
                   pcf->stmts[op->stmt].name, PQbackendPID(pc->conn));

    if (pcf->query_timeout) {
        ngx_add_timer(&pc->timer, pcf->query_timeout);
    }

    /* nothing complete reached the server until the flush ends */

    pc->flushing = 1;

    if (!PQsendQueryPrepared(pc->conn, pcf->stmts[op->stmt].name,
                             op->nparams, (const char *const *) op->values,
                             NULL, NULL, 0)
        || ngx_http_heao_pg_flush(pc) != NGX_OK)
    {
        ngx_http_heao_pg_broken(pc);
    }
}


/*
 * The connection broke with no result.  While output was pending the
 * server cannot have run the statement (it runs nothing before the Sync
 * that ends the message), so the operation is retried once on another
 * connection; otherwise it fails.  Never calls a handler.
 */

static void
ngx_http_heao_pg_broken(ngx_http_heao_pg_conn_t *pc)
{
    size_t                    len;
    u_char                    buf[NGX_HTTP_HEAO_PG_ERRLEN];
    ngx_uint_t                retry;
    ngx_http_heao_pg_op_t    *op;

    op = pc->op;

    pc->op = NULL;
    op->pc = NULL;

    retry = pc->flushing && !op->retried;

    len = ngx_http_heao_pg_text(buf, PQerrorMessage(pc->conn));

    ngx_log_error(NGX_LOG_ERR, op->log, 0,
                  "heao pg: statement \"%s\" failed%s: %*s",
                  pc->pool->conf->stmts[op->stmt].name,
                  retry ? ", retrying" : "", len, buf);

    ngx_http_heao_pg_close(pc);

    if (retry) {
        ngx_http_heao_pg_retry(op);

    } else {
        ngx_http_heao_pg_post(op, NGX_ERROR);
    }
}


/* reads the result of a running statement */

static void
ngx_http_heao_pg_process(ngx_http_heao_pg_conn_t *pc)
{
    PGresult                 *res;
    ngx_http_heao_pg_op_t    *op;
    ngx_http_heao_pg_pool_t  *pool;

    pool = pc->pool;

    if (pc->flushing && ngx_http_heao_pg_flush(pc) != NGX_OK) {
        goto broken;
    }

    if (!PQconsumeInput(pc->conn)) {
        goto broken;
    }

    /* PQgetResult() blocks while PQisBusy() says so */

    for ( ;; ) {

        if (PQisBusy(pc->conn)) {

            /* libpq drops a broken connection and waits for nothing more */

            if (PQstatus(pc->conn) == CONNECTION_BAD) {
                goto broken;
            }

            return;
        }

        res = PQgetResult(pc->conn);

        if (res == NULL) {
            break;
        }

        if (pc->res) {
            PQclear(pc->res);
        }

        pc->res = res;
    }

    ngx_http_heao_pg_complete(pc);

    return;

broken:

    if (pc->res == NULL) {
        ngx_http_heao_pg_broken(pc);
        ngx_http_heao_pg_dispatch(pool);
        return;
    }

    /* the server said why before the connection broke: pass that on */

    op = pc->op;
    res = pc->res;

    pc->op = NULL;
    pc->res = NULL;
    op->pc = NULL;

    ngx_http_heao_pg_log_result(NGX_LOG_ERR, op->log, "failed",
                                pool->conf->stmts[op->stmt].name, res);

    ngx_http_heao_pg_close(pc);
    ngx_http_heao_pg_dispatch(pool);

    ngx_http_heao_pg_deliver(op, NGX_ERROR, res);
    PQclear(res);
}


/*
 * The statement ended.  The connection is put back (or closed) and the
 * queue served before the handler runs, so that whatever the handler
 * does finds the pool in order.
 */

static void
ngx_http_heao_pg_complete(ngx_http_heao_pg_conn_t *pc)
{
    PGresult                 *res;
    ngx_int_t                 rc;
    ngx_log_t                *log;
    const char               *name, *sqlstate;
    ngx_http_heao_pg_op_t    *op;
    ngx_http_heao_pg_pool_t  *pool;

    pool = pc->pool;
    op = pc->op;
    res = pc->res;

    pc->op = NULL;
    pc->res = NULL;
    op->pc = NULL;

    if (pc->timer.timer_set) {
        ngx_del_timer(&pc->timer);
    }

    log = op->log;
    name = pool->conf->stmts[op->stmt].name;

    switch (res ? PQresultStatus(res) : PGRES_FATAL_ERROR) {

    case PGRES_TUPLES_OK:
    case PGRES_COMMAND_OK:
        rc = NGX_OK;
        break;

    case PGRES_FATAL_ERROR:
        rc = NGX_ERROR;

        if (res == NULL) {
            ngx_log_error(NGX_LOG_ERR, log, 0,
                          "heao pg: statement \"%s\" gave no result", name);
            break;
        }

        /*
         * after DDL the server refuses a prepared plan of another shape;
         * every connection prepared before holds the same plan, so the
         * retry goes to a new one and the old ones are not reused
         */

        if (ngx_http_heao_pg_stale_plan(res) && !op->retried) {
            ngx_log_error(NGX_LOG_WARN, log, 0,
                          "heao pg: plan of statement \"%s\" is stale, "
                          "retrying on a new connection", name);

            PQclear(res);

            if (pc->generation == pool->generation) {
                pool->generation++;

                while (!ngx_queue_empty(&pool->idle)) {
                    ngx_http_heao_pg_close(
                        ngx_queue_data(ngx_queue_head(&pool->idle),
                                       ngx_http_heao_pg_conn_t, queue));
                }
            }

            ngx_http_heao_pg_close(pc);
            ngx_http_heao_pg_retry(op);
            ngx_http_heao_pg_dispatch(pool);
            return;
        }

        sqlstate = PQresultErrorField(res, PG_DIAG_SQLSTATE);

        /* statement_timeout: the server ended it and rolled it back */

        if (sqlstate && ngx_strcmp(sqlstate, "57014") == 0) {
            ngx_log_error(NGX_LOG_ERR, log, 0,
                          "heao pg: statement \"%s\" timed out "
                          "on the server", name);
            rc = NGX_AGAIN;
            break;
        }

        ngx_http_heao_pg_log_result(ngx_http_heao_pg_client_fault(sqlstate)
                                    ? NGX_LOG_INFO : NGX_LOG_ERR,
                                    log, "failed", name, res);
        break;

    default:
        rc = NGX_ERROR;
        ngx_log_error(NGX_LOG_ERR, log, 0,
                      "heao pg: statement \"%s\" gave unexpected %s", name,
                      PQresStatus(PQresultStatus(res)));
        break;
    }

    ngx_http_heao_pg_release(pc);
    ngx_http_heao_pg_dispatch(pool);

    ngx_http_heao_pg_deliver(op, rc, res);

    if (res) {
        PQclear(res);
    }
}


/*
 * Parks a connection whose command ended, or finishes it: only a healthy
 * connection outside a transaction with nothing pending is reused.
 */

static void
ngx_http_heao_pg_release(ngx_http_heao_pg_conn_t *pc)
{
    ngx_http_heao_pg_pool_t  *pool;
    ngx_http_heao_pg_conf_t  *pcf;

    pool = pc->pool;
    pcf = pool->conf;

    if (PQstatus(pc->conn) != CONNECTION_OK
        || PQtransactionStatus(pc->conn) != PQTRANS_IDLE
        || PQisBusy(pc->conn)
        || pc->flushing)
    {
        ngx_log_debug0(NGX_LOG_DEBUG_EVENT, pool->log, 0,
                       "heao pg: connection not reusable");
        goto close;
    }

    if (pc->generation != pool->generation) {
        ngx_log_debug0(NGX_LOG_DEBUG_EVENT, pool->log, 0,
                       "heao pg: connection has stale plans");
        goto close;
    }

    if (pcf->max_uses && pc->uses >= pcf->max_uses) {
        ngx_log_debug1(NGX_LOG_DEBUG_EVENT, pool->log, 0,
                       "heao pg: connection recycled after %ui uses",
                       pc->uses);
        goto close;
    }

    /* an exiting worker keeps a connection only for waiting operations */

    if ((ngx_exiting || ngx_terminate) && ngx_queue_empty(&pool->waiting)) {
        goto close;
    }

    if (ngx_http_heao_pg_set_events(pc, 1, 0) != NGX_OK) {
        goto close;
    }

    pc->state = NGX_HTTP_HEAO_PG_IDLE;
    pc->c->idle = 1;

    ngx_queue_insert_head(&pool->idle, &pc->queue);
    pool->nidle++;

    return;

close:

    ngx_http_heao_pg_close(pc);
}


/* finishes the connection of a slot; its operation was taken off before */

static void
ngx_http_heao_pg_close(ngx_http_heao_pg_conn_t *pc)
{
    ngx_http_heao_pg_pool_t  *pool;

    pool = pc->pool;

    switch (pc->state) {

    case NGX_HTTP_HEAO_PG_FREE:
        return;

    case NGX_HTTP_HEAO_PG_CONNECTING:
    case NGX_HTTP_HEAO_PG_PREPARING:
        pool->nconnecting--;
        break;

    case NGX_HTTP_HEAO_PG_IDLE:
        ngx_queue_remove(&pc->queue);
        pool->nidle--;
        break;

    default:
        break;
    }

    pool->nopen--;

    if (pc->timer.timer_set) {
        ngx_del_timer(&pc->timer);
    }

    pc->timer.timedout = 0;

    if (pc->c) {
        ngx_http_heao_pg_unwrap(pc);
    }

    if (pc->res) {
        PQclear(pc->res);
        pc->res = NULL;
    }

    if (pc->conn) {
        PQfinish(pc->conn);
        pc->conn = NULL;
    }

    pc->state = NGX_HTTP_HEAO_PG_FREE;
    pc->flushing = 0;
    pc->uses = 0;
}


/*
 * A connect or a statement took too long.  libpq 15 has no non-blocking
 * cancel, so the connection is closed; the server's statement_timeout
 * ends whatever it still runs.
 */

static void
ngx_http_heao_pg_timeout_handler(ngx_event_t *ev)
{
    ngx_http_heao_pg_op_t    *op;
    ngx_http_heao_pg_conn_t  *pc;
    ngx_http_heao_pg_pool_t  *pool;

    pc = ev->data;
    pool = pc->pool;

    ev->timedout = 0;

    if (pc->state != NGX_HTTP_HEAO_PG_BUSY) {
        ngx_log_error(NGX_LOG_ERR, pool->log, 0,
                      "heao pg: connect timed out");
        ngx_http_heao_pg_connect_failed(pc);
        return;
    }

    op = pc->op;

    pc->op = NULL;
    op->pc = NULL;

    ngx_log_error(NGX_LOG_ERR, op->log, 0,
                  "heao pg: statement \"%s\" timed out",
                  pool->conf->stmts[op->stmt].name);

    ngx_http_heao_pg_close(pc);
    ngx_http_heao_pg_post(op, NGX_AGAIN);
    ngx_http_heao_pg_dispatch(pool);
}


/*
 * No connects during the back-off, nor once the worker terminates.  An
 * exiting worker still connects: only dispatch() asks, for an operation
 * of a request it accepted before (R4); release() closes the connection
 * once nothing waits.
 */

static ngx_uint_t
ngx_http_heao_pg_may_connect(ngx_http_heao_pg_pool_t *pool)
{
    if (ngx_terminate) {
        return 0;
    }

    if (pool->backoff) {
        if ((ngx_msec_int_t) (pool->retry_at - ngx_current_msec) > 0) {
            return 0;
        }

        pool->backoff = 0;
    }

    return 1;
}


/*
 * Gives waiting operations idle connections and starts connects for the
 * rest, one a waiter, up to the pool size.  When no connection is open
 * and none may be started, the waiters fail.  Never calls a handler.
 */

static void
ngx_http_heao_pg_dispatch(ngx_http_heao_pg_pool_t *pool)
{
    ngx_queue_t              *q;
    ngx_http_heao_pg_op_t    *op;
    ngx_http_heao_pg_conn_t  *pc;

    while (!ngx_queue_empty(&pool->waiting)) {

        if (!ngx_queue_empty(&pool->idle)) {
            q = ngx_queue_head(&pool->idle);
            pc = ngx_queue_data(q, ngx_http_heao_pg_conn_t, queue);

            q = ngx_queue_head(&pool->waiting);
            ngx_queue_remove(q);
            pool->nwaiting--;

            op = ngx_queue_data(q, ngx_http_heao_pg_op_t, queue);

            if (op->ev.timer_set) {
                ngx_del_timer(&op->ev);
            }

            ngx_http_heao_pg_send(pc, op);
            continue;
        }

        if (pool->nconnecting >= pool->nwaiting
            || pool->nopen >= pool->conf->size
            || !ngx_http_heao_pg_may_connect(pool))
        {
            break;
        }

        if (ngx_http_heao_pg_connect(pool) == NGX_DECLINED) {
            break;
        }
    }

    if (pool->nopen || ngx_queue_empty(&pool->waiting)) {
        return;
    }

    ngx_log_debug1(NGX_LOG_DEBUG_EVENT, pool->log, 0,
                   "heao pg: no connection, %ui operations fail",
                   pool->nwaiting);

    while (!ngx_queue_empty(&pool->waiting)) {
        q = ngx_queue_head(&pool->waiting);
        ngx_queue_remove(q);
        pool->nwaiting--;

        op = ngx_queue_data(q, ngx_http_heao_pg_op_t, queue);

        ngx_http_heao_pg_post(op, NGX_ERROR);
    }
}


/* queues an operation again, first in line */

static void
ngx_http_heao_pg_retry(ngx_http_heao_pg_op_t *op)
{
    ngx_http_heao_pg_pool_t  *pool;

    pool = op->pool;

    op->retried = 1;
    op->state = NGX_HTTP_HEAO_PG_OP_WAITING;

    ngx_queue_insert_head(&pool->waiting, &op->queue);
    pool->nwaiting++;

    if (pool->conf->queue_timeout) {
        ngx_add_timer(&op->ev, pool->conf->queue_timeout);
    }
}


/*
 * Answers an operation, taken off the queues, without a result from a
 * posted event: the handler always runs from the event loop, never
 * inside the caller.
 */

static void
ngx_http_heao_pg_post(ngx_http_heao_pg_op_t *op, ngx_int_t rc)
{
    ngx_http_heao_pg_pool_t  *pool;

    pool = op->pool;

    if (op->ev.timer_set) {
        ngx_del_timer(&op->ev);
    }

    op->state = NGX_HTTP_HEAO_PG_OP_POSTED;
    op->rc = rc;

    ngx_queue_insert_tail(&pool->posted, &op->queue);
    ngx_post_event(&op->ev, &ngx_posted_events);
}


/* the queue timer of a waiting operation, or a posted answer */

static void
ngx_http_heao_pg_op_handler(ngx_event_t *ev)
{
    ngx_int_t                 rc;
    ngx_http_heao_pg_op_t    *op;
    ngx_http_heao_pg_pool_t  *pool;

    op = ev->data;
    pool = op->pool;

    ngx_queue_remove(&op->queue);

    if (ev->timedout) {
        ev->timedout = 0;
        pool->nwaiting--;

        ngx_log_error(NGX_LOG_ERR, op->log, 0,
                      "heao pg: no connection for statement \"%s\" in time",
                      pool->conf->stmts[op->stmt].name);

        rc = NGX_AGAIN;

    } else {
        rc = op->rc;
    }

    ngx_http_heao_pg_deliver(op, rc, NULL);
}


/*
 * Moves a failed operation of a replica's pool to its primary's pool:
 * 1 when it went (the handler is called later, from there), else 0.
 */

static ngx_uint_t
ngx_http_heao_pg_fall_back(ngx_http_heao_pg_op_t *op, ngx_int_t rc,
    PGresult *res)
{
    ngx_http_heao_pg_pool_t  *pool;

    pool = op->pool;

    if (rc == NGX_OK || pool->fallback == NULL || op->handler == NULL
        || op->invalid)
    {
        return 0;
    }

    if (res && ngx_http_heao_pg_client_fault(
                   PQresultErrorField(res, PG_DIAG_SQLSTATE)))
    {
        return 0;
    }

    ngx_log_error(NGX_LOG_WARN, op->log, 0,
                  "heao pg: replica failed statement \"%s\", "
                  "running it on the primary",
                  pool->conf->stmts[op->stmt].name);

    op->pc = NULL;
    op->retried = 0;

    if (op->ev.timer_set) {
        ngx_del_timer(&op->ev);
    }

    op->ev.timedout = 0;

    if (ngx_http_heao_pg_enqueue(pool->fallback, op) != NGX_OK) {
        return 0;
    }

    return 1;
}


/* calls the handler, unless detached, and frees the operation */

static void
ngx_http_heao_pg_deliver(ngx_http_heao_pg_op_t *op, ngx_int_t rc,
    PGresult *res)
{
    if (ngx_http_heao_pg_fall_back(op, rc, res)) {
        return;
    }

    op->state = NGX_HTTP_HEAO_PG_OP_DONE;

    if (op->handler) {
        op->handler(op->data, rc, res);
    }

    ngx_free(op);
}


/*
 * "cached plan must not change result type": the message is translated,
 * the code is too general, the function that raises it is neither.
 */

static ngx_uint_t
ngx_http_heao_pg_stale_plan(PGresult *res)
{
    const char  *sqlstate, *func;

    sqlstate = PQresultErrorField(res, PG_DIAG_SQLSTATE);
    func = PQresultErrorField(res, PG_DIAG_SOURCE_FUNCTION);

    return sqlstate && func
           && ngx_strcmp(sqlstate, "0A000") == 0
           && ngx_strcmp(func, "RevalidateCachedQuery") == 0;
}


/*
 * Errors a client causes: bad data (22), a broken constraint (23), or
 * an exception raised in PL/pgSQL (P0).
 */

static ngx_uint_t
ngx_http_heao_pg_client_fault(const char *sqlstate)
{
    if (sqlstate == NULL) {
        return 0;
    }

    return ngx_strncmp(sqlstate, "22", 2) == 0
           || ngx_strncmp(sqlstate, "23", 2) == 0
           || ngx_strncmp(sqlstate, "P0", 2) == 0;
}


/*
 * Copies a message of libpq onto one line: its newlines and tabs become
 * one space, the trailing newline goes.
 */

static size_t
ngx_http_heao_pg_text(u_char *buf, const char *s)
{
    u_char  ch;
    size_t  n;

    n = 0;

    for ( /* void */ ; *s && n < NGX_HTTP_HEAO_PG_ERRLEN; s++) {
        ch = (u_char) *s;

        if (ch < 0x20 || ch == ' ') {
            if (n == 0 || buf[n - 1] == ' ') {
                continue;
            }

            ch = ' ';
        }

        buf[n++] = ch;
    }

    while (n && buf[n - 1] == ' ') {
        n--;
    }

    return n;
}


/*
 * The primary message of an error or notice.  Data errors (22) and raised
 * exceptions (P0) may quote a parameter, so their text is withheld.
 */

static size_t
ngx_http_heao_pg_result_text(u_char *buf, const PGresult *res)
{
    const char  *sqlstate, *msg;

    sqlstate = PQresultErrorField(res, PG_DIAG_SQLSTATE);

    if (sqlstate
        && (ngx_strncmp(sqlstate, "22", 2) == 0
            || ngx_strncmp(sqlstate, "P0", 2) == 0))
    {
        return ngx_http_heao_pg_text(buf, "message withheld");
    }

    msg = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);

    if (msg == NULL) {
        msg = PQresultErrorMessage(res);
    }

    return ngx_http_heao_pg_text(buf, msg);
}


static void
ngx_http_heao_pg_log_result(ngx_uint_t level, ngx_log_t *log,
    const char *what, const char *name, const PGresult *res)
{
    size_t       len;
    u_char       buf[NGX_HTTP_HEAO_PG_ERRLEN];
    const char  *sqlstate;

    if (log->log_level < level) {
        return;
    }

    len = ngx_http_heao_pg_result_text(buf, res);
    sqlstate = PQresultErrorField(res, PG_DIAG_SQLSTATE);

    ngx_log_error(level, log, 0,
                  "heao pg: statement \"%s\" %s: %*s (sqlstate %s)",
                  name, what, len, buf, sqlstate ? sqlstate : "none");
}


static void
ngx_http_heao_pg_log_conn(ngx_uint_t level, ngx_log_t *log,
    const char *what, PGconn *conn)
{
    size_t  len;
    u_char  buf[NGX_HTTP_HEAO_PG_ERRLEN];

    len = ngx_http_heao_pg_text(buf, PQerrorMessage(conn));

    ngx_log_error(level, log, 0, "heao pg: %s: %*s", what, len, buf);
}


/* the log of the running operation (the cycle's once detached) */

static ngx_log_t *
ngx_http_heao_pg_log(ngx_http_heao_pg_conn_t *pc)
{
    return pc->op ? pc->op->log : pc->pool->log;
}


/*
 * Notices and warnings of the server, and an error it sends to an idle
 * connection before closing it, come here instead of libpq's stderr.
 */

static void
ngx_http_heao_pg_notice(void *arg, const PGresult *res)
{
    size_t                    len;
    u_char                    buf[NGX_HTTP_HEAO_PG_ERRLEN];
    ngx_uint_t                level;
    const char               *severity, *sqlstate;
    ngx_http_heao_pg_conn_t  *pc;

    pc = arg;

    severity = PQresultErrorField(res, PG_DIAG_SEVERITY_NONLOCALIZED);

    if (severity == NULL) {
        level = NGX_LOG_INFO;

    } else if (ngx_strcmp(severity, "WARNING") == 0) {
        level = NGX_LOG_WARN;

    } else if (ngx_strcmp(severity, "ERROR") == 0
               || ngx_strcmp(severity, "FATAL") == 0
               || ngx_strcmp(severity, "PANIC") == 0)
    {
        level = NGX_LOG_ERR;

    } else {
        level = NGX_LOG_INFO;
    }

    len = ngx_http_heao_pg_result_text(buf, res);
    sqlstate = PQresultErrorField(res, PG_DIAG_SQLSTATE);

    ngx_log_error(level, ngx_http_heao_pg_log(pc), 0,
                  "heao pg: server says: %*s (sqlstate %s)", len, buf,
                  sqlstate ? sqlstate : "none");
}
