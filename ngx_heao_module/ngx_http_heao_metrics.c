
/*
 * Copyright (C) heao developers
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_heao_module.h"
#include "ngx_http_heao_catalog.h"


/*
 * O2: counters in a shared memory zone, so that what every worker counted
 * adds up in one answer whichever worker serves the metrics location, and
 * gauges that each worker publishes in its own slot once a second.  The
 * log phase counts each API request by its action and status class; the
 * backend calls of requests feed the latency histograms.  O3: the access
 * log variables of an API request.
 */


#define NGX_HTTP_HEAO_METRICS_ZONE      "heao_metrics"
#define NGX_HTTP_HEAO_METRICS_WORKERS   64      /* slots of gauges */
#define NGX_HTTP_HEAO_METRICS_ROUTES    64      /* actions, with "unknown" */
#define NGX_HTTP_HEAO_METRICS_CLASSES   6       /* other, 1xx .. 5xx */
#define NGX_HTTP_HEAO_METRICS_BUCKETS   12
#define NGX_HTTP_HEAO_METRICS_PUBLISH   1000    /* gauges, msec */
#define NGX_HTTP_HEAO_MASK_DIGITS       8       /* of an exam number */


typedef struct {
    ngx_atomic_t                 bucket[NGX_HTTP_HEAO_METRICS_BUCKETS + 1];
    ngx_atomic_t                 sum;           /* msec */
    ngx_atomic_t                 failed[NGX_HTTP_HEAO_BACKEND_LAST];
} ngx_http_heao_histogram_t;


typedef struct {
    ngx_atomic_t                 pid;           /* 0: a free slot */
    ngx_atomic_t                 pg_open;
    ngx_atomic_t                 pg_busy;
    ngx_atomic_t                 pg_waiting;
    ngx_atomic_t                 redis_ready;
    ngx_atomic_t                 catalog_version;
    ngx_atomic_t                 thread_tasks;
    ngx_atomic_t                 replica_open;  /* O5 */
    ngx_atomic_t                 replica_busy;
    ngx_atomic_t                 replica_waiting;
} ngx_http_heao_gauges_t;


typedef struct {
    ngx_atomic_t                 requests[NGX_HTTP_HEAO_METRICS_ROUTES]
                                         [NGX_HTTP_HEAO_METRICS_CLASSES];
    ngx_atomic_t                 events[NGX_HTTP_HEAO_M_LAST];
    ngx_http_heao_histogram_t    backend[NGX_HTTP_HEAO_METRICS_BACKENDS];
    ngx_http_heao_gauges_t       workers[NGX_HTTP_HEAO_METRICS_WORKERS];
} ngx_http_heao_metrics_t;


static ngx_int_t ngx_http_heao_metrics_init_zone(ngx_shm_zone_t *shm_zone,
    void *data);
static ngx_int_t ngx_http_heao_metrics_log(ngx_http_request_t *r);
static ngx_int_t ngx_http_heao_metrics_handler(ngx_http_request_t *r);
static void ngx_http_heao_metrics_timer(ngx_event_t *ev);
static void ngx_http_heao_metrics_publish(void);
static u_char *ngx_http_heao_metrics_histogram(u_char *p, u_char *last,
    const char *name, ngx_http_heao_histogram_t *h);
static ngx_int_t ngx_http_heao_variable_action(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data);
static ngx_int_t ngx_http_heao_variable_candidate(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data);
static ngx_int_t ngx_http_heao_variable_result(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data);
static ngx_int_t ngx_http_heao_variable_backend_time(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data);


/* upper bounds of the latency buckets, msec */
static ngx_msec_t  ngx_http_heao_metrics_bounds[] = {
    1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000
};

static const char  *ngx_http_heao_failure_names[] = {
    "failed", "timeout", "busy"
};

static const char  *ngx_http_heao_class_labels[] = {
    "other", "1xx", "2xx", "3xx", "4xx", "5xx"
};


static ngx_http_variable_t  ngx_http_heao_variables[] = {

    { ngx_string("heao_action"), NULL, ngx_http_heao_variable_action, 0,
      NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("heao_candidate"), NULL, ngx_http_heao_variable_candidate,
      0, NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("heao_result"), NULL, ngx_http_heao_variable_result, 0,
      NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("heao_backend_time"), NULL,
      ngx_http_heao_variable_backend_time, 0, NGX_HTTP_VAR_NOCACHEABLE, 0 },

      ngx_http_null_variable
};


static ngx_http_heao_metrics_t  *ngx_http_heao_metrics;
static ngx_http_heao_gauges_t   *ngx_http_heao_gauges;
static ngx_event_t               ngx_http_heao_metrics_event;

/* the timer's event data: nginx's debug log reads an fd from it */
static ngx_connection_t          ngx_http_heao_metrics_dummy;


ngx_int_t
ngx_http_heao_metrics_add_variables(ngx_conf_t *cf)
{
    ngx_http_variable_t  *var, *v;

    for (v = ngx_http_heao_variables; v->name.len; v++) {
        var = ngx_http_add_variable(cf, &v->name, v->flags);
        if (var == NULL) {
            return NGX_ERROR;
        }

        var->get_handler = v->get_handler;
        var->data = v->data;
    }

    return NGX_OK;
}


/* the zone and the log phase handler, when the module is in use */

ngx_int_t
ngx_http_heao_metrics_init_conf(ngx_conf_t *cf,
    ngx_http_heao_main_conf_t *hmcf)
{
    ngx_str_t                   name;
    ngx_http_handler_pt        *h;
    ngx_http_core_main_conf_t  *cmcf;

    if (ngx_http_heao_nroutes() >= NGX_HTTP_HEAO_METRICS_ROUTES) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "heao: too many routes for the metrics");
        return NGX_ERROR;
    }

    ngx_str_set(&name, NGX_HTTP_HEAO_METRICS_ZONE);

    hmcf->metrics_zone = ngx_shared_memory_add(cf, &name,
                             8 * ngx_pagesize
                             + sizeof(ngx_http_heao_metrics_t),
                             &ngx_http_heao_module);
    if (hmcf->metrics_zone == NULL) {
        return NGX_ERROR;
    }

    hmcf->metrics_zone->init = ngx_http_heao_metrics_init_zone;

    cmcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_core_module);

    h = ngx_array_push(&cmcf->phases[NGX_HTTP_LOG_PHASE].handlers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    *h = ngx_http_heao_metrics_log;

    return NGX_OK;
}


/* counters live on across reloads while the zone keeps its size */

static ngx_int_t
ngx_http_heao_metrics_init_zone(ngx_shm_zone_t *shm_zone, void *data)
{
    ngx_slab_pool_t  *shpool;

    if (data) {
        shm_zone->data = data;
        return NGX_OK;
    }

    shpool = (ngx_slab_pool_t *) shm_zone->shm.addr;

    if (shm_zone->shm.exists) {
        shm_zone->data = shpool->data;
        return NGX_OK;
    }

    shm_zone->data = ngx_slab_calloc(shpool, sizeof(ngx_http_heao_metrics_t));
    if (shm_zone->data == NULL) {
        return NGX_ERROR;
    }

    shpool->data = shm_zone->data;

    return NGX_OK;
}


/* a worker takes its slot of gauges and publishes them once a second */

ngx_int_t
ngx_http_heao_metrics_init_process(ngx_cycle_t *cycle,
    ngx_http_heao_main_conf_t *hmcf)
{
    ngx_event_t  *ev;

    if (hmcf->metrics_zone == NULL || hmcf->metrics_zone->data == NULL) {
        return NGX_OK;
    }

    ngx_http_heao_metrics = hmcf->metrics_zone->data;
    ngx_http_heao_gauges = &ngx_http_heao_metrics->workers[
                               ngx_worker % NGX_HTTP_HEAO_METRICS_WORKERS];

    ngx_memzero(ngx_http_heao_gauges, sizeof(ngx_http_heao_gauges_t));
    ngx_http_heao_gauges->pid = ngx_pid;

    ev = &ngx_http_heao_metrics_event;
    ev->handler = ngx_http_heao_metrics_timer;
    ev->log = cycle->log;
    ngx_http_heao_metrics_dummy.fd = (ngx_socket_t) -1;

    ev->data = &ngx_http_heao_metrics_dummy;
    ev->cancelable = 1;

    ngx_add_timer(ev, NGX_HTTP_HEAO_METRICS_PUBLISH);

    return NGX_OK;
}


void
ngx_http_heao_metrics_exit_process(void)
{
    if (ngx_http_heao_gauges
        && ngx_http_heao_gauges->pid == (ngx_atomic_uint_t) ngx_pid)
    {
        ngx_memzero(ngx_http_heao_gauges, sizeof(ngx_http_heao_gauges_t));
    }

    ngx_http_heao_gauges = NULL;
    ngx_http_heao_metrics = NULL;
}


static void
ngx_http_heao_metrics_timer(ngx_event_t *ev)
{
    ngx_http_heao_metrics_publish();

    if (!ngx_exiting) {
        ngx_add_timer(ev, NGX_HTTP_HEAO_METRICS_PUBLISH);
    }
}


/* a worker that a newer one replaced in its slot publishes no more */

static void
ngx_http_heao_metrics_publish(void)
{
    ngx_uint_t               open, busy, waiting;
    ngx_http_heao_gauges_t  *g;

    g = ngx_http_heao_gauges;

    if (g == NULL || g->pid != (ngx_atomic_uint_t) ngx_pid) {
        return;
    }

    if (ngx_http_heao_worker.pg) {
        ngx_http_heao_pg_pool_stats(ngx_http_heao_worker.pg, &open, &busy,
                                    &waiting);
        g->pg_open = open;
        g->pg_busy = busy;
        g->pg_waiting = waiting;
    }

    if (ngx_http_heao_worker.pg_replica) {
        ngx_http_heao_pg_pool_stats(ngx_http_heao_worker.pg_replica, &open,
                                    &busy, &waiting);
        g->replica_open = open;
        g->replica_busy = busy;
        g->replica_waiting = waiting;
    }

    if (ngx_http_heao_worker.redis) {
        g->redis_ready = ngx_http_heao_redis_ready(ngx_http_heao_worker.redis)
                         ? 1 : 0;
    }

    g->catalog_version = ngx_http_heao_catalog_loaded();
}


void
ngx_http_heao_metrics_count(ngx_http_heao_event_e event)
{
    if (ngx_http_heao_metrics) {
        (void) ngx_atomic_fetch_add(&ngx_http_heao_metrics->events[event], 1);
    }
}


void
ngx_http_heao_metrics_threads(ngx_atomic_int_t n)
{
    if (ngx_http_heao_gauges
        && ngx_http_heao_gauges->pid == (ngx_atomic_uint_t) ngx_pid)
    {
        (void) ngx_atomic_fetch_add(&ngx_http_heao_gauges->thread_tasks, n);
    }
}


/*
 * A backend call of a request is done: its time goes into the backend's
 * histogram and the request's backend time; rc is the backend's.
 */

void
ngx_http_heao_metrics_backend(ngx_http_heao_ctx_t *ctx, ngx_uint_t backend,
    ngx_int_t rc)
{
    ngx_uint_t                  i;
    ngx_msec_t                  ms;
    ngx_http_heao_histogram_t  *h;

    ms = ngx_current_msec - ctx->backend_start;
    ctx->backend_msec += ms;

    if (ngx_http_heao_metrics == NULL) {
        return;
    }

    h = &ngx_http_heao_metrics->backend[backend];

    for (i = 0; i < NGX_HTTP_HEAO_METRICS_BUCKETS; i++) {
        if (ms <= ngx_http_heao_metrics_bounds[i]) {
            break;
        }
    }

    (void) ngx_atomic_fetch_add(&h->bucket[i], 1);
    (void) ngx_atomic_fetch_add(&h->sum, ms);

    switch (rc) {

    case NGX_OK:
        break;

    case NGX_AGAIN:
        (void) ngx_atomic_fetch_add(&h->failed[NGX_HTTP_HEAO_BACKEND_TIMEOUT],
                                    1);
        break;

    case NGX_BUSY:
        (void) ngx_atomic_fetch_add(&h->failed[NGX_HTTP_HEAO_BACKEND_BUSY],
                                    1);
        break;

    default:
        (void) ngx_atomic_fetch_add(&h->failed[NGX_HTTP_HEAO_BACKEND_FAILED],
                                    1);
    }
}


/* the log phase: each API request by its action and status class */

static ngx_int_t
ngx_http_heao_metrics_log(ngx_http_request_t *r)
{
    ngx_uint_t            status, k;
    ngx_http_heao_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r, ngx_http_heao_module);

    if (ctx == NULL || ngx_http_heao_metrics == NULL) {
        return NGX_OK;
    }

    status = r->err_status ? r->err_status : r->headers_out.status;
    k = (status >= 100 && status < 600) ? status / 100 : 0;

    (void) ngx_atomic_fetch_add(
                             &ngx_http_heao_metrics->requests[ctx->route][k],
                             1);

    if (ctx->action == ngx_http_heao_login) {
        if (k == 2) {
            ngx_http_heao_metrics_count(NGX_HTTP_HEAO_M_LOGIN_OK);

        } else if (ctx->outcome.len == sizeof("login_failed") - 1
                   && ngx_strncmp(ctx->outcome.data, "login_failed",
                                  ctx->outcome.len) == 0)
        {
            ngx_http_heao_metrics_count(NGX_HTTP_HEAO_M_LOGIN_FAILED);

        } else if (ctx->outcome.len == sizeof("locked") - 1
                   && ngx_strncmp(ctx->outcome.data, "locked",
                                  ctx->outcome.len) == 0)
        {
            ngx_http_heao_metrics_count(NGX_HTTP_HEAO_M_LOGIN_LOCKED);
        }

    } else if (ctx->action == ngx_http_heao_save && k == 2) {
        ngx_http_heao_metrics_count(ctx->duplicate
                                    ? NGX_HTTP_HEAO_M_SAVE_DUPLICATE
                                    : NGX_HTTP_HEAO_M_SAVE);
    }

    return NGX_OK;
}


char *
ngx_http_heao_metrics_directive(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    ngx_http_core_loc_conf_t   *clcf;
    ngx_http_heao_main_conf_t  *hmcf;

    hmcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_heao_module);

    if (hmcf->pg.conninfo.len == 0) {
        return "requires \"heao_pg\" before it in the http block";
    }

    clcf = ngx_http_conf_get_module_loc_conf(cf, ngx_http_core_module);

    if (clcf->handler == ngx_http_heao_metrics_handler) {
        return "is duplicate";
    }

    clcf->handler = ngx_http_heao_metrics_handler;

    return NGX_CONF_OK;
}


#define ngx_http_heao_metrics_help(p, last, name, type, help)                 \
    ngx_slprintf(p, last, "# HELP " name " " help "\n# TYPE " name " "        \
                 type "\n")


/* the Prometheus text format, version 0.0.4 */

static ngx_int_t
ngx_http_heao_metrics_handler(ngx_http_request_t *r)
{
    u_char                   *p, *last;
    size_t                    size;
    ngx_int_t                 rc;
    ngx_buf_t                *b;
    ngx_str_t                 name, method;
    ngx_uint_t                i, k, n;
    ngx_chain_t               out;
    ngx_http_heao_gauges_t   *g;
    ngx_http_heao_metrics_t  *m;

    static const char  *events[] = {
        "heao_logins_total{result=\"ok\"}",
        "heao_logins_total{result=\"failed\"}",
        "heao_logins_total{result=\"locked\"}",
        "heao_saves_total{duplicate=\"false\"}",
        "heao_saves_total{duplicate=\"true\"}",
        "heao_catalog_lookups_total{cache=\"hit\"}",
        "heao_catalog_lookups_total{cache=\"miss\"}",
        "heao_thread_tasks_rejected_total"
    };

    static const struct {
        const char  *name;
        const char  *label;
        size_t       offset;
        const char  *help;
    } gauges[] = {
        { "heao_pg_connections", ",state=\"open\"",
          offsetof(ngx_http_heao_gauges_t, pg_open),
          "PostgreSQL connections of a worker, open and busy" },
        { "heao_pg_connections", ",state=\"busy\"",
          offsetof(ngx_http_heao_gauges_t, pg_busy), NULL },
        { "heao_pg_waiting", "",
          offsetof(ngx_http_heao_gauges_t, pg_waiting),
          "operations of a worker waiting for a PostgreSQL connection" },
        { "heao_redis_connected", "",
          offsetof(ngx_http_heao_gauges_t, redis_ready),
          "1 while a worker's Redis connection is ready" },
        { "heao_catalog_version", "",
          offsetof(ngx_http_heao_gauges_t, catalog_version),
          "version of the catalog a worker serves, 0 before it loaded" },
        { "heao_thread_tasks", "",
          offsetof(ngx_http_heao_gauges_t, thread_tasks),
          "thread pool tasks (hashes, captchas) a worker has in flight" },
        { "heao_pg_replica_connections", ",state=\"open\"",
          offsetof(ngx_http_heao_gauges_t, replica_open),
          "connections of a worker to the PostgreSQL replica, open and"
          " busy (0 without heao_pg_replica)" },
        { "heao_pg_replica_connections", ",state=\"busy\"",
          offsetof(ngx_http_heao_gauges_t, replica_busy), NULL },
        { "heao_pg_replica_waiting", "",
          offsetof(ngx_http_heao_gauges_t, replica_waiting),
          "reads of a worker waiting for a replica connection" }
    };

    if (!(r->method & (NGX_HTTP_GET|NGX_HTTP_HEAD))) {
        return NGX_HTTP_NOT_ALLOWED;
    }

    rc = ngx_http_discard_request_body(r);
    if (rc != NGX_OK) {
        return rc;
    }

    m = ngx_http_heao_metrics;
    if (m == NULL) {
        return NGX_HTTP_SERVICE_UNAVAILABLE;
    }

    ngx_http_heao_metrics_publish();

    n = ngx_http_heao_nroutes();

    size = 4096 + (n + 1) * NGX_HTTP_HEAO_METRICS_CLASSES * 128
           + NGX_HTTP_HEAO_METRICS_WORKERS * sizeof(gauges)
             / sizeof(gauges[0]) * 96 + sizeof(gauges) / sizeof(gauges[0])
             * 256;

    b = ngx_create_temp_buf(r->pool, size);
    if (b == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    p = b->pos;
    last = b->end;

    p = ngx_http_heao_metrics_help(p, last, "heao_requests_total", "counter",
                                   "API requests by action and status");

    for (i = 0; i <= n; i++) {
        ngx_http_heao_route_name(i, &name, &method);

        for (k = 0; k < NGX_HTTP_HEAO_METRICS_CLASSES; k++) {
            if ((k == 0 || k == 1) && m->requests[i][k] == 0) {
                continue;
            }

            p = ngx_slprintf(p, last,
                             "heao_requests_total{action=\"%V\","
                             "method=\"%V\",status=\"%s\"} %uA\n",
                             &name, &method,
                             ngx_http_heao_class_labels[k],
                             m->requests[i][k]);
        }
    }

    p = ngx_http_heao_metrics_help(p, last, "heao_errors_total", "counter",
                                   "API requests answered 5xx by action");

    for (i = 0; i <= n; i++) {
        ngx_http_heao_route_name(i, &name, &method);

        p = ngx_slprintf(p, last,
                         "heao_errors_total{action=\"%V\",method=\"%V\"}"
                         " %uA\n", &name, &method, m->requests[i][5]);
    }

    p = ngx_http_heao_metrics_help(p, last, "heao_logins_total", "counter",
                                   "logins by result (A1, A4)");
    p = ngx_slprintf(p, last, "%s %uA\n%s %uA\n%s %uA\n",
                     events[0], m->events[0], events[1], m->events[1],
                     events[2], m->events[2]);

    p = ngx_http_heao_metrics_help(p, last, "heao_saves_total", "counter",
                                   "acknowledged saves; duplicate: a retry"
                                   " answered from the history (F14)");
    p = ngx_slprintf(p, last, "%s %uA\n%s %uA\n",
                     events[3], m->events[3], events[4], m->events[4]);

    p = ngx_http_heao_metrics_help(p, last, "heao_catalog_lookups_total",
                                   "counter",
                                   "requests served from the worker's"
                                   " catalog (hit) or waiting for a load"
                                   " (miss)");
    p = ngx_slprintf(p, last, "%s %uA\n%s %uA\n",
                     events[5], m->events[5], events[6], m->events[6]);

    p = ngx_http_heao_metrics_help(p, last,
                                   "heao_thread_tasks_rejected_total",
                                   "counter",
                                   "tasks refused by a full thread pool"
                                   " queue");
    p = ngx_slprintf(p, last, "%s %uA\n", events[7], m->events[7]);

    p = ngx_http_heao_metrics_histogram(p, last, "pg",
                                        &m->backend[NGX_HTTP_HEAO_METRICS_PG]);
    p = ngx_http_heao_metrics_histogram(p, last, "redis",
                                     &m->backend[NGX_HTTP_HEAO_METRICS_REDIS]);

    for (k = 0; k < sizeof(gauges) / sizeof(gauges[0]); k++) {
        if (gauges[k].help) {
            p = ngx_slprintf(p, last, "# HELP %s %s\n# TYPE %s gauge\n",
                             gauges[k].name, gauges[k].help,
                             gauges[k].name);
        }

        for (i = 0; i < NGX_HTTP_HEAO_METRICS_WORKERS; i++) {
            g = &m->workers[i];

            if (g->pid == 0) {
                continue;
            }

            p = ngx_slprintf(p, last, "%s{worker=\"%ui\"%s} %uA\n",
                             gauges[k].name, i, gauges[k].label,
                             *(ngx_atomic_t *) ((u_char *) g
                                                + gauges[k].offset));
        }
    }

    b->last = p;
    b->last_buf = (r == r->main) ? 1 : 0;
    b->last_in_chain = 1;

    r->headers_out.status = NGX_HTTP_OK;
    r->headers_out.content_length_n = b->last - b->pos;
    ngx_str_set(&r->headers_out.content_type, "text/plain; version=0.0.4");
    r->headers_out.content_type_len = r->headers_out.content_type.len;
    ngx_str_set(&r->headers_out.charset, "utf-8");

    rc = ngx_http_send_header(r);

    if (rc == NGX_ERROR || rc > NGX_OK || r->header_only) {
        return rc;
    }

    out.buf = b;
    out.next = NULL;

    return ngx_http_output_filter(r, &out);
}


static u_char *
ngx_http_heao_metrics_histogram(u_char *p, u_char *last, const char *name,
    ngx_http_heao_histogram_t *h)
{
    ngx_uint_t         i;
    ngx_atomic_uint_t  total;

    p = ngx_slprintf(p, last,
                     "# HELP heao_%s_duration_seconds time of the %s calls"
                     " of requests\n"
                     "# TYPE heao_%s_duration_seconds histogram\n",
                     name, name, name);

    total = 0;

    for (i = 0; i < NGX_HTTP_HEAO_METRICS_BUCKETS; i++) {
        total += h->bucket[i];

        p = ngx_slprintf(p, last,
                         "heao_%s_duration_seconds_bucket{le=\"%M.%03M\"}"
                         " %uA\n", name,
                         ngx_http_heao_metrics_bounds[i] / 1000,
                         ngx_http_heao_metrics_bounds[i] % 1000, total);
    }

    total += h->bucket[i];

    p = ngx_slprintf(p, last,
                     "heao_%s_duration_seconds_bucket{le=\"+Inf\"} %uA\n"
                     "heao_%s_duration_seconds_sum %uA.%03uA\n"
                     "heao_%s_duration_seconds_count %uA\n",
                     name, total, name, h->sum / 1000, h->sum % 1000,
                     name, total);

    p = ngx_slprintf(p, last,
                     "# HELP heao_%s_failures_total %s calls of requests"
                     " that failed, timed out or found the queue full\n"
                     "# TYPE heao_%s_failures_total counter\n",
                     name, name, name);

    for (i = 0; i < NGX_HTTP_HEAO_BACKEND_LAST; i++) {
        p = ngx_slprintf(p, last,
                         "heao_%s_failures_total{reason=\"%s\"} %uA\n",
                         name, ngx_http_heao_failure_names[i],
                         h->failed[i]);
    }

    return p;
}


static ngx_int_t
ngx_http_heao_variable_action(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data)
{
    ngx_str_t             name, method;
    ngx_http_heao_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r, ngx_http_heao_module);
    if (ctx == NULL) {
        v->not_found = 1;
        return NGX_OK;
    }

    ngx_http_heao_route_name(ctx->route, &name, &method);

    v->len = name.len;
    v->valid = 1;
    v->no_cacheable = 1;
    v->not_found = 0;
    v->data = name.data;

    return NGX_OK;
}


/* O3: the first 8 digits of the exam number, the rest masked */

static ngx_int_t
ngx_http_heao_variable_candidate(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data)
{
    u_char               *p;
    ngx_str_t            *exam_no;
    ngx_http_heao_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r, ngx_http_heao_module);

    exam_no = NULL;

    /* a session that a login created refers to the freed request body */

    if (ctx && ctx->exam_no.len) {
        exam_no = &ctx->exam_no;

    } else if (ctx && ctx->session && ctx->session->exam_no.len) {
        exam_no = &ctx->session->exam_no;
    }

    if (exam_no == NULL || exam_no->len != NGX_HTTP_HEAO_EXAM_NO_LEN) {
        v->not_found = 1;
        return NGX_OK;
    }

    p = ngx_pnalloc(r->pool, NGX_HTTP_HEAO_EXAM_NO_LEN);
    if (p == NULL) {
        return NGX_ERROR;
    }

    ngx_memcpy(p, exam_no->data, NGX_HTTP_HEAO_MASK_DIGITS);
    ngx_memset(p + NGX_HTTP_HEAO_MASK_DIGITS, '*',
               NGX_HTTP_HEAO_EXAM_NO_LEN - NGX_HTTP_HEAO_MASK_DIGITS);

    v->len = NGX_HTTP_HEAO_EXAM_NO_LEN;
    v->valid = 1;
    v->no_cacheable = 1;
    v->not_found = 0;
    v->data = p;

    return NGX_OK;
}


static ngx_int_t
ngx_http_heao_variable_result(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data)
{
    ngx_http_heao_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r, ngx_http_heao_module);
    if (ctx == NULL) {
        v->not_found = 1;
        return NGX_OK;
    }

    v->valid = 1;
    v->no_cacheable = 1;
    v->not_found = 0;

    if (ctx->outcome.len) {
        v->len = ctx->outcome.len;
        v->data = ctx->outcome.data;

    } else if (ctx->duplicate) {
        v->len = sizeof("duplicate") - 1;
        v->data = (u_char *) "duplicate";

    } else if (r->headers_out.status >= NGX_HTTP_OK
               && r->headers_out.status < NGX_HTTP_SPECIAL_RESPONSE)
    {
        v->len = sizeof("ok") - 1;
        v->data = (u_char *) "ok";

    } else {
        v->not_found = 1;
    }

    return NGX_OK;
}


static ngx_int_t
ngx_http_heao_variable_backend_time(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data)
{
    u_char               *p;
    ngx_http_heao_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r, ngx_http_heao_module);
    if (ctx == NULL) {
        v->not_found = 1;
        return NGX_OK;
    }

    p = ngx_pnalloc(r->pool, NGX_TIME_T_LEN + 4);
    if (p == NULL) {
        return NGX_ERROR;
    }

    v->len = ngx_sprintf(p, "%M.%03M", ctx->backend_msec / 1000,
                         ctx->backend_msec % 1000)
             - p;
    v->valid = 1;
    v->no_cacheable = 1;
    v->not_found = 0;
    v->data = p;

    return NGX_OK;
}
