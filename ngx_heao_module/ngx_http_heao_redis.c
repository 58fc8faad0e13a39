
/*
 * Copyright (C) heao developers
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_event.h>
#include <ngx_sha1.h>
#include <hiredis/async.h>

#include "ngx_http_heao_redis.h"


#define NGX_HTTP_HEAO_REDIS_CONNECT_TIMEOUT  1000
#define NGX_HTTP_HEAO_REDIS_COMMAND_TIMEOUT  1000
#define NGX_HTTP_HEAO_REDIS_PING_INTERVAL    10000
#define NGX_HTTP_HEAO_REDIS_QUEUE            1024

#define NGX_HTTP_HEAO_REDIS_BACKOFF_MIN      100
#define NGX_HTTP_HEAO_REDIS_BACKOFF_MAX      2000

#define NGX_HTTP_HEAO_REDIS_SHA1_HEX         40
#define NGX_HTTP_HEAO_REDIS_SCRIPT_ARGS      3     /* EVALSHA sha nkeys */
#define NGX_HTTP_HEAO_REDIS_NO_SCRIPT        ((ngx_uint_t) -1)

/* handshake commands that are no script: op->script says which */
#define NGX_HTTP_HEAO_REDIS_ASK_SENTINEL     ((ngx_uint_t) -2)
#define NGX_HTTP_HEAO_REDIS_ROLE             ((ngx_uint_t) -3)

/* "ip:port" of the master a Sentinel named, "[...]" around IPv6 */
#define NGX_HTTP_HEAO_REDIS_ADDR_LEN         (NGX_SOCKADDR_STRLEN + 8)


typedef enum {
    NGX_HTTP_HEAO_REDIS_DISCONNECTED = 0,  /* the back-off timer runs */
    NGX_HTTP_HEAO_REDIS_CONNECTING,        /* connect(2) in progress */
    NGX_HTTP_HEAO_REDIS_HANDSHAKE,         /* AUTH, SELECT, SCRIPT LOAD */
    NGX_HTTP_HEAO_REDIS_READY,
    NGX_HTTP_HEAO_REDIS_CLOSED             /* the worker exits */
} ngx_http_heao_redis_state_t;


typedef enum {
    NGX_HTTP_HEAO_REDIS_OP_WAITING = 0,    /* queued until ready */
    NGX_HTTP_HEAO_REDIS_OP_SENT,           /* hiredis holds it */
    NGX_HTTP_HEAO_REDIS_OP_DONE,           /* failed, handler posted */
    NGX_HTTP_HEAO_REDIS_OP_FINISHED        /* handler running */
} ngx_http_heao_redis_op_state_t;


typedef enum {
    NGX_HTTP_HEAO_REDIS_OP_COMMAND = 0,
    NGX_HTTP_HEAO_REDIS_OP_SCRIPT,
    NGX_HTTP_HEAO_REDIS_OP_HANDSHAKE,      /* ours: AUTH, SELECT, LOAD */
    NGX_HTTP_HEAO_REDIS_OP_PING            /* ours */
} ngx_http_heao_redis_op_kind_t;


struct ngx_http_heao_redis_s {
    redisAsyncContext               *ac;
    ngx_connection_t                *conn;
    ngx_http_heao_redis_conf_t      *rcf;
    ngx_log_t                       *log;

    ngx_http_heao_redis_state_t      state;

    ngx_queue_t                      waiting;
    ngx_queue_t                      sent;
    ngx_queue_t                      done;
    ngx_uint_t                       nwaiting;
    ngx_uint_t                       nsent;      /* callers' ops in sent */
    ngx_uint_t                       handshake;  /* replies still due */

    u_char                          *shas;       /* hex SHA1 a script */
    ngx_msec_t                       backoff;

    ngx_event_t                      connect_timer;
    ngx_event_t                      backoff_timer;
    ngx_event_t                      ping_timer;
    ngx_event_t                      post;       /* calls done handlers */
    ngx_event_t                      hop;        /* Sentinel to master */

    unsigned                         writing:1;
    unsigned                         want_write:1;
    unsigned                         handshake_sent:1;
    unsigned                         dropping:1;
    unsigned                         broken:1;
    unsigned                         failed:1;
    unsigned                         closing:1;
    unsigned                         destroying:1;

    /*
     * where this connection goes: the configured address, a Sentinel
     * or the master a Sentinel named (O5)
     */
    ngx_str_t                        addr;
    u_char                          *host;      /* NUL terminated */
    ngx_int_t                        port;      /* 0 for a unix socket */

    ngx_uint_t                       sentinel;  /* the one to ask next */
    ngx_uint_t                       asked;     /* this round, failed */
    u_char                           master_host[NGX_SOCKADDR_STRLEN + 1];
    u_char                           master_addr[NGX_HTTP_HEAO_REDIS_ADDR_LEN];
    ngx_int_t                        master_port;

    unsigned                         asking:1;  /* this one is a Sentinel */
    unsigned                         ask_failed:1;  /* failed before it */
    unsigned                         master_known:1;
};


struct ngx_http_heao_redis_op_s {
    ngx_queue_t                      queue;
    ngx_http_heao_redis_t           *rd;

    ngx_http_heao_redis_handler_pt   handler;    /* NULL when cancelled */
    void                            *data;
    ngx_log_t                       *log;
    ngx_int_t                        rc;

    ngx_event_t                      timer;

    int                              argc;
    const char                     **argv;
    size_t                          *argvlen;
    ngx_uint_t                       script;

    ngx_http_heao_redis_op_state_t   state;
    ngx_http_heao_redis_op_kind_t    kind;

    unsigned                         internal:1; /* no caller waits */
    unsigned                         timedout:1;
    unsigned                         eval:1;
};


static redisAsyncContext *ngx_http_heao_redis_open(ngx_http_heao_redis_t *rd,
    ngx_socket_t *fd);
static void ngx_http_heao_redis_attach(ngx_http_heao_redis_t *rd,
    redisAsyncContext *ac);
static void ngx_http_heao_redis_connected(const redisAsyncContext *ac,
    int status);
static void ngx_http_heao_redis_add_read(void *privdata);
static void ngx_http_heao_redis_del_read(void *privdata);
static void ngx_http_heao_redis_add_write(void *privdata);
static void ngx_http_heao_redis_del_write(void *privdata);
static void ngx_http_heao_redis_cleanup(void *privdata);
static void ngx_http_heao_redis_reply(redisAsyncContext *ac, void *r,
    void *privdata);

static char *ngx_http_heao_redis_parse_addr(ngx_conf_t *cf,
    const char *directive, ngx_str_t *addr, ngx_str_t *host, ngx_int_t *port);
static void ngx_http_heao_redis_target(ngx_http_heao_redis_t *rd);
static void ngx_http_heao_redis_sentinel_reply(ngx_http_heao_redis_t *rd,
    redisReply *reply);
static ngx_uint_t ngx_http_heao_redis_hop(ngx_http_heao_redis_t *rd);
static void ngx_http_heao_redis_hop_handler(ngx_event_t *ev);
static void ngx_http_heao_redis_connect(ngx_http_heao_redis_t *rd);
static void ngx_http_heao_redis_close(ngx_http_heao_redis_t *rd);
static void ngx_http_heao_redis_disconnected(ngx_http_heao_redis_t *rd);
static void ngx_http_heao_redis_handshake(ngx_http_heao_redis_t *rd);
static void ngx_http_heao_redis_handshake_reply(ngx_http_heao_redis_t *rd,
    ngx_http_heao_redis_op_t *op, redisReply *reply);
static void ngx_http_heao_redis_set_ready(ngx_http_heao_redis_t *rd);
static void ngx_http_heao_redis_process(ngx_http_heao_redis_t *rd);

static ngx_http_heao_redis_op_t *ngx_http_heao_redis_alloc_op(
    ngx_http_heao_redis_t *rd, ngx_uint_t skip, size_t extra, int argc,
    const char **argv, const size_t *argvlen, ngx_log_t *log);
static void ngx_http_heao_redis_start(ngx_http_heao_redis_t *rd,
    ngx_http_heao_redis_op_t *op);
static ngx_int_t ngx_http_heao_redis_send(ngx_http_heao_redis_t *rd,
    ngx_http_heao_redis_op_t *op);
static ngx_int_t ngx_http_heao_redis_send_internal(ngx_http_heao_redis_t *rd,
    ngx_http_heao_redis_op_kind_t kind, ngx_uint_t script, int argc,
    const char **argv, const size_t *argvlen);
static void ngx_http_heao_redis_fail(ngx_http_heao_redis_t *rd,
    ngx_http_heao_redis_op_t *op, ngx_int_t rc);
static void ngx_http_heao_redis_op_name(ngx_http_heao_redis_op_t *op,
    ngx_str_t *name);
static ngx_uint_t ngx_http_heao_redis_is_error(redisReply *reply,
    const char *code);

static void ngx_http_heao_redis_read_handler(ngx_event_t *rev);
static void ngx_http_heao_redis_write_handler(ngx_event_t *wev);
static void ngx_http_heao_redis_op_timeout(ngx_event_t *ev);
static void ngx_http_heao_redis_connect_timeout(ngx_event_t *ev);
static void ngx_http_heao_redis_retry(ngx_event_t *ev);
static void ngx_http_heao_redis_ping(ngx_event_t *ev);
static void ngx_http_heao_redis_deliver(ngx_event_t *ev);


/*
 * Checks rcf->addr, an IP literal with a port or "unix:" and a path, and
 * fills in host, port and the defaults of the settings left unset.
 * hiredis resolves names with a blocking getaddrinfo(): names are refused.
 */
char *
ngx_http_heao_redis_init_conf(ngx_conf_t *cf, ngx_http_heao_redis_conf_t *rcf)
{
    ngx_uint_t                   i;
    ngx_http_heao_redis_addr_t  *s;

    ngx_conf_init_msec_value(rcf->connect_timeout,
                             NGX_HTTP_HEAO_REDIS_CONNECT_TIMEOUT);
    ngx_conf_init_msec_value(rcf->command_timeout,
                             NGX_HTTP_HEAO_REDIS_COMMAND_TIMEOUT);
    ngx_conf_init_msec_value(rcf->ping_interval,
                             NGX_HTTP_HEAO_REDIS_PING_INTERVAL);
    ngx_conf_init_uint_value(rcf->queue, NGX_HTTP_HEAO_REDIS_QUEUE);
    ngx_conf_init_uint_value(rcf->db, 0);

    if (rcf->connect_timeout == 0 || rcf->command_timeout == 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid value \"0\" in \"%s\" directive, "
                           "it must not be zero",
                           rcf->connect_timeout == 0
                           ? "heao_redis_connect_timeout"
                           : "heao_redis_command_timeout");
        return NGX_CONF_ERROR;
    }

    if (rcf->queue == 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid value \"0\" in \"heao_redis_queue\" "
                           "directive, it must not be zero");
        return NGX_CONF_ERROR;
    }

    if (rcf->addr.len == 0 && rcf->sentinels == NULL) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "heao redis: no address given");
        return NGX_CONF_ERROR;
    }

    if (rcf->addr.len
        && ngx_http_heao_redis_parse_addr(cf, "heao_redis", &rcf->addr,
                                          &rcf->host, &rcf->port)
           != NGX_CONF_OK)
    {
        return NGX_CONF_ERROR;
    }

    if (rcf->sentinels == NULL) {
        return NGX_CONF_OK;
    }

    s = rcf->sentinels->elts;

    for (i = 0; i < rcf->sentinels->nelts; i++) {
        if (ngx_http_heao_redis_parse_addr(cf, "heao_redis_sentinel",
                                           &s[i].addr, &s[i].host,
                                           &s[i].port)
            != NGX_CONF_OK)
        {
            return NGX_CONF_ERROR;
        }
    }

    return NGX_CONF_OK;
}


/*
 * An IP literal with a port, or "unix:" and a path, into a NUL terminated
 * host and a port (0 for a unix socket); errors name the directive.
 */
static char *
ngx_http_heao_redis_parse_addr(ngx_conf_t *cf, const char *directive,
    ngx_str_t *addr, ngx_str_t *hostp, ngx_int_t *portp)
{
    u_char     *host, *p, *last;
    size_t      len;
    ngx_int_t   port;
#if (NGX_HAVE_INET6)
    u_char      buf[16];
#endif

    /* a unix socket */

    if (addr->len >= 5 && ngx_strncmp(addr->data, "unix:", 5) == 0) {

        len = addr->len - 5;

        if (len == 0) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "invalid value in \"%s\" directive: no path in "
                               "\"%V\"", directive, addr);
            return NGX_CONF_ERROR;
        }

#if (NGX_HAVE_UNIX_DOMAIN)
        if (len >= sizeof(((struct sockaddr_un *) 0)->sun_path)) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "invalid value in \"%s\" directive: path in "
                               "\"%V\" is too long", directive, addr);
            return NGX_CONF_ERROR;
        }
#else
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid value in \"%s\" directive: unix "
                           "sockets are not supported in \"%V\"",
                           directive, addr);
        return NGX_CONF_ERROR;
#endif

        host = ngx_pnalloc(cf->pool, len + 1);
        if (host == NULL) {
            return NGX_CONF_ERROR;
        }

        ngx_cpystrn(host, addr->data + 5, len + 1);

        hostp->data = host;
        hostp->len = len;
        *portp = 0;

        return NGX_CONF_OK;
    }

    /* an IP literal, "[...]" around an IPv6 one, then ":port" */

    last = addr->data + addr->len;

    for (p = last; p > addr->data; p--) {
        if (p[-1] == ':') {
            break;
        }
    }

    if (p == addr->data || p == last) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid value in \"%s\" directive: no port "
                           "in \"%V\"", directive, addr);
        return NGX_CONF_ERROR;
    }

    port = ngx_atoi(p, last - p);

    if (port < 1 || port > 65535) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid value in \"%s\" directive: invalid "
                           "port in \"%V\"", directive, addr);
        return NGX_CONF_ERROR;
    }

    host = addr->data;
    len = p - 1 - host;

    if (len > 2 && host[0] == '[' && host[len - 1] == ']') {
        host++;
        len -= 2;
    }

    if (len == 0) {
        goto not_ip;
    }

    if (ngx_inet_addr(host, len) == INADDR_NONE) {
#if (NGX_HAVE_INET6)
        if (ngx_inet6_addr(host, len, buf) != NGX_OK) {
            goto not_ip;
        }
#else
        goto not_ip;
#endif
    }

    hostp->data = ngx_pnalloc(cf->pool, len + 1);
    if (hostp->data == NULL) {
        return NGX_CONF_ERROR;
    }

    ngx_cpystrn(hostp->data, host, len + 1);
    hostp->len = len;
    *portp = port;

    return NGX_CONF_OK;

not_ip:

    ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                       "invalid value in \"%s\" directive: \"%V\" is "
                       "neither an IP address with a port nor \"unix:\" "
                       "with a path; names are not resolved",
                       directive, addr);
    return NGX_CONF_ERROR;
}


/*
 * Creates the worker's connection and starts connecting; call it in the
 * worker (init_process), never in the master.  NULL when no memory.
 */
ngx_http_heao_redis_t *
ngx_http_heao_redis_create(ngx_cycle_t *cycle, ngx_http_heao_redis_conf_t *rcf)
{
    u_char                  hash[20];
    ngx_uint_t              i;
    ngx_sha1_t              sha1;
    ngx_http_heao_redis_t  *rd;

    rd = ngx_calloc(sizeof(ngx_http_heao_redis_t), cycle->log);
    if (rd == NULL) {
        return NULL;
    }

    if (rcf->nscripts) {
        rd->shas = ngx_alloc(rcf->nscripts * NGX_HTTP_HEAO_REDIS_SHA1_HEX,
                             cycle->log);
        if (rd->shas == NULL) {
            ngx_free(rd);
            return NULL;
        }
    }

    /* EVALSHA names a script by the SHA1 of its body */

    for (i = 0; i < rcf->nscripts; i++) {
        ngx_sha1_init(&sha1);
        ngx_sha1_update(&sha1, rcf->scripts[i].body,
                        ngx_strlen(rcf->scripts[i].body));
        ngx_sha1_final(hash, &sha1);

        ngx_hex_dump(rd->shas + i * NGX_HTTP_HEAO_REDIS_SHA1_HEX, hash,
                     sizeof(hash));
    }

    rd->rcf = rcf;
    rd->log = cycle->log;

    ngx_queue_init(&rd->waiting);
    ngx_queue_init(&rd->sent);
    ngx_queue_init(&rd->done);

    rd->connect_timer.handler = ngx_http_heao_redis_connect_timeout;
    rd->connect_timer.data = rd;
    rd->connect_timer.log = rd->log;
    rd->connect_timer.cancelable = 1;

    rd->backoff_timer.handler = ngx_http_heao_redis_retry;
    rd->backoff_timer.data = rd;
    rd->backoff_timer.log = rd->log;
    rd->backoff_timer.cancelable = 1;

    rd->ping_timer.handler = ngx_http_heao_redis_ping;
    rd->ping_timer.data = rd;
    rd->ping_timer.log = rd->log;
    rd->ping_timer.cancelable = 1;

    rd->post.handler = ngx_http_heao_redis_deliver;
    rd->post.data = rd;
    rd->post.log = rd->log;

    rd->hop.handler = ngx_http_heao_redis_hop_handler;
    rd->hop.data = rd;
    rd->hop.log = rd->log;

    rd->state = NGX_HTTP_HEAO_REDIS_DISCONNECTED;

    ngx_http_heao_redis_connect(rd);

    return rd;
}


/*
 * Closes the connection and frees everything; handlers still pending are
 * not called.  For exit_process: never call it from a handler.
 */
void
ngx_http_heao_redis_destroy(ngx_http_heao_redis_t *rd)
{
    ngx_queue_t               *q;
    ngx_http_heao_redis_op_t  *op;

    if (rd == NULL) {
        return;
    }

    rd->destroying = 1;

    /* hiredis calls back each op it holds, which frees it, then cleanup */
    ngx_http_heao_redis_close(rd);

    while (!ngx_queue_empty(&rd->waiting)) {
        q = ngx_queue_head(&rd->waiting);
        ngx_queue_remove(q);

        op = ngx_queue_data(q, ngx_http_heao_redis_op_t, queue);

        if (op->timer.timer_set) {
            ngx_del_timer(&op->timer);
        }

        ngx_free(op);
    }

    while (!ngx_queue_empty(&rd->done)) {
        q = ngx_queue_head(&rd->done);
        ngx_queue_remove(q);
        ngx_free(ngx_queue_data(q, ngx_http_heao_redis_op_t, queue));
    }

    if (rd->connect_timer.timer_set) {
        ngx_del_timer(&rd->connect_timer);
    }

    if (rd->backoff_timer.timer_set) {
        ngx_del_timer(&rd->backoff_timer);
    }

    if (rd->ping_timer.timer_set) {
        ngx_del_timer(&rd->ping_timer);
    }

    if (rd->post.posted) {
        ngx_delete_posted_event(&rd->post);
    }

    if (rd->hop.posted) {
        ngx_delete_posted_event(&rd->hop);
    }

    if (rd->shas) {
        ngx_free(rd->shas);
    }

    ngx_free(rd);
}


ngx_http_heao_redis_op_t *
ngx_http_heao_redis_command(ngx_http_heao_redis_t *rd, int argc,
    const char **argv, const size_t *argvlen,
    ngx_http_heao_redis_handler_pt handler, void *data, ngx_log_t *log)
{
    ngx_http_heao_redis_op_t  *op;

    if (argc < 1) {
        ngx_log_error(NGX_LOG_ALERT, log, 0,
                      "heao redis: command without arguments");
        return NULL;
    }

    op = ngx_http_heao_redis_alloc_op(rd, 0, 0, argc, argv, argvlen, log);
    if (op == NULL) {
        return NULL;
    }

    op->kind = NGX_HTTP_HEAO_REDIS_OP_COMMAND;
    op->script = NGX_HTTP_HEAO_REDIS_NO_SCRIPT;
    op->handler = handler;
    op->data = data;

    ngx_http_heao_redis_start(rd, op);

    return op;
}


ngx_http_heao_redis_op_t *
ngx_http_heao_redis_script(ngx_http_heao_redis_t *rd, ngx_uint_t script,
    int nkeys, int argc, const char **argv, const size_t *argvlen,
    ngx_http_heao_redis_handler_pt handler, void *data, ngx_log_t *log)
{
    u_char                    *p, *last;
    ngx_http_heao_redis_op_t  *op;

    if (script >= rd->rcf->nscripts || nkeys < 0 || nkeys > argc) {
        ngx_log_error(NGX_LOG_ALERT, log, 0,
                      "heao redis: invalid script call");
        return NULL;
    }

    op = ngx_http_heao_redis_alloc_op(rd, NGX_HTTP_HEAO_REDIS_SCRIPT_ARGS,
                                      NGX_INT_T_LEN, argc, argv, argvlen, log);
    if (op == NULL) {
        return NULL;
    }

    /* the extra bytes follow the argument vectors */
    p = (u_char *) (op->argvlen + op->argc);
    last = ngx_sprintf(p, "%d", nkeys);

    op->argv[0] = "EVALSHA";
    op->argvlen[0] = sizeof("EVALSHA") - 1;
    op->argv[1] = (const char *) rd->shas
                  + script * NGX_HTTP_HEAO_REDIS_SHA1_HEX;
    op->argvlen[1] = NGX_HTTP_HEAO_REDIS_SHA1_HEX;
    op->argv[2] = (const char *) p;
    op->argvlen[2] = last - p;

    op->kind = NGX_HTTP_HEAO_REDIS_OP_SCRIPT;
    op->script = script;
    op->handler = handler;
    op->data = data;

    ngx_http_heao_redis_start(rd, op);

    return op;
}


/*
 * Detaches the caller from op; op is not to be used again.  A command
 * that hiredis holds stays until its reply comes, which is dropped.
 */
void
ngx_http_heao_redis_cancel(ngx_http_heao_redis_op_t *op)
{
    ngx_http_heao_redis_t  *rd;

    if (op == NULL) {
        return;
    }

    rd = op->rd;

    switch (op->state) {

    case NGX_HTTP_HEAO_REDIS_OP_WAITING:
        ngx_queue_remove(&op->queue);
        rd->nwaiting--;

        if (op->timer.timer_set) {
            ngx_del_timer(&op->timer);
        }

        ngx_free(op);
        return;

    case NGX_HTTP_HEAO_REDIS_OP_DONE:
        ngx_queue_remove(&op->queue);
        ngx_free(op);
        return;

    case NGX_HTTP_HEAO_REDIS_OP_SENT:
        op->handler = NULL;
        op->data = NULL;
        op->log = rd->log;
        return;

    default: /* NGX_HTTP_HEAO_REDIS_OP_FINISHED */
        return;
    }
}


ngx_uint_t
ngx_http_heao_redis_ready(ngx_http_heao_redis_t *rd)
{
    return rd->state == NGX_HTTP_HEAO_REDIS_READY;
}


/*
 * hiredis 0.14 glue: from here to the reply callback is all the code that
 * knows the version: how to connect, the hooks, the order in which it
 * frees a context.  0.14 has no timer hook, no async timeout and no
 * options struct, hence our timers; newer versions connect with
 * redisAsyncConnectWithOptions() and have a timer hook in ac->ev.
 */
static redisAsyncContext *
ngx_http_heao_redis_open(ngx_http_heao_redis_t *rd, ngx_socket_t *fd)
{
    redisAsyncContext  *ac;

    /* non-blocking; the host is an IP literal, so getaddrinfo() is too */

    if (rd->port == 0) {
        ac = redisAsyncConnectUnix((const char *) rd->host);

    } else {
        ac = redisAsyncConnect((const char *) rd->host, (int) rd->port);
    }

    if (ac == NULL) {
        ngx_log_error(NGX_LOG_ERR, rd->log, 0,
                      "heao redis: connect to \"%V\" failed: no memory",
                      &rd->addr);
        return NULL;
    }

    if (ac->err) {
        ngx_log_error(NGX_LOG_ERR, rd->log, 0,
                      "heao redis: connect to \"%V\" failed: %s",
                      &rd->addr, ac->errstr);

        /* no hooks yet: this only closes the socket */
        redisAsyncFree(ac);
        return NULL;
    }

    *fd = ac->c.fd;

    return ac;
}


static void
ngx_http_heao_redis_attach(ngx_http_heao_redis_t *rd, redisAsyncContext *ac)
{
    ac->data = rd;

    ac->ev.data = rd;
    ac->ev.addRead = ngx_http_heao_redis_add_read;
    ac->ev.delRead = ngx_http_heao_redis_del_read;
    ac->ev.addWrite = ngx_http_heao_redis_add_write;
    ac->ev.delWrite = ngx_http_heao_redis_del_write;
    ac->ev.cleanup = ngx_http_heao_redis_cleanup;

    /* 0.14 learns of the connect from the first write event: this adds it */
    (void) redisAsyncSetConnectCallback(ac, ngx_http_heao_redis_connected);
}


/*
 * hiredis calls this from inside its write handler and goes on using the
 * context afterwards, so nothing here may free it: the handshake starts in
 * ngx_http_heao_redis_process() once hiredis returned.  A failed connect
 * is logged by the cleanup hook.
 */
static void
ngx_http_heao_redis_connected(const redisAsyncContext *ac, int status)
{
    ngx_http_heao_redis_t  *rd;

    rd = ac->data;

    if (status == REDIS_OK) {
        ngx_log_debug1(NGX_LOG_DEBUG_EVENT, rd->log, 0,
                       "heao redis: connected to \"%V\"", &rd->addr);

        rd->state = NGX_HTTP_HEAO_REDIS_HANDSHAKE;
    }
}


/*
 * The event hooks.  hiredis calls them again and again, so they check
 * first.  Events are level-triggered: hiredis reads 16k a call at most, an
 * edge would be lost with more pending.  The same flags go to every add
 * and delete, as epoll re-registers the other direction with them.
 */
static void
ngx_http_heao_redis_add_read(void *privdata)
{
    ngx_event_t            *rev;
    ngx_http_heao_redis_t  *rd;

    rd = privdata;
    rev = rd->conn->read;

    if (!rev->active
        && ngx_add_event(rev, NGX_READ_EVENT, NGX_LEVEL_EVENT) != NGX_OK)
    {
        rd->broken = 1;
    }
}


static void
ngx_http_heao_redis_del_read(void *privdata)
{
    ngx_event_t            *rev;
    ngx_http_heao_redis_t  *rd;

    rd = privdata;
    rev = rd->conn->read;

    if (rev->active
        && ngx_del_event(rev, NGX_READ_EVENT, NGX_LEVEL_EVENT) != NGX_OK)
    {
        rd->broken = 1;
    }
}


/*
 * A command was queued: rather than wait for epoll to say what is nearly
 * always true, post the write event, so that every command queued in this
 * turn of the event loop goes out in one write(2).  Only a connect or a
 * write that could not finish waits on the kernel.
 */
static void
ngx_http_heao_redis_add_write(void *privdata)
{
    ngx_event_t            *wev;
    ngx_http_heao_redis_t  *rd;

    rd = privdata;

    if (rd->writing) {
        rd->want_write = 1;
        return;
    }

    wev = rd->conn->write;

    if (wev->active || wev->posted) {
        return;
    }

    if (rd->state == NGX_HTTP_HEAO_REDIS_CONNECTING) {
        if (ngx_add_event(wev, NGX_WRITE_EVENT, NGX_LEVEL_EVENT) != NGX_OK) {
            rd->broken = 1;
        }

        return;
    }

    ngx_post_event(wev, &ngx_posted_events);
}


static void
ngx_http_heao_redis_del_write(void *privdata)
{
    ngx_event_t            *wev;
    ngx_http_heao_redis_t  *rd;

    rd = privdata;

    if (rd->writing) {
        rd->want_write = 0;
    }

    wev = rd->conn->write;

    if (wev->active
        && ngx_del_event(wev, NGX_WRITE_EVENT, NGX_LEVEL_EVENT) != NGX_OK)
    {
        rd->broken = 1;
    }
}


/*
 * hiredis calls this hook once whenever it frees a context, however the
 * end came: after it called back each command it held with no reply, and
 * just before it closes the socket.  So this is where every connection
 * ends.  The nginx connection is freed with fd -1: hiredis closes the
 * socket, and closing it here too could close a reused descriptor later.
 */
static void
ngx_http_heao_redis_cleanup(void *privdata)
{
    ngx_connection_t       *c;
    redisAsyncContext      *ac;
    ngx_http_heao_redis_t  *rd;

    rd = privdata;
    ac = rd->ac;
    c = rd->conn;

    if (!rd->dropping) {
        rd->failed = 1;

        ngx_log_error(NGX_LOG_ERR, rd->log, 0,
                      rd->state == NGX_HTTP_HEAO_REDIS_CONNECTING
                      ? "heao redis: connect to \"%V\" failed: %s"
                      : "heao redis: connection to \"%V\" lost: %s",
                      &rd->addr,
                      ac->err ? ac->errstr : "closed");
    }

    /* the close(2) that follows removes the socket from epoll */

    if (c->read->active) {
        (void) ngx_del_event(c->read, NGX_READ_EVENT, NGX_CLOSE_EVENT);
    }

    if (c->write->active) {
        (void) ngx_del_event(c->write, NGX_WRITE_EVENT, NGX_CLOSE_EVENT);
    }

    if (c->read->posted) {
        ngx_delete_posted_event(c->read);
    }

    if (c->write->posted) {
        ngx_delete_posted_event(c->write);
    }

    c->read->closed = 1;
    c->write->closed = 1;

    ngx_free_connection(c);

    c->fd = (ngx_socket_t) -1;

    rd->ac = NULL;
    rd->conn = NULL;
    rd->dropping = 0;

    ngx_http_heao_redis_disconnected(rd);
}


/*
 * hiredis calls this exactly once for each command: with its reply, or
 * with NULL while it frees the context.  Replies come in order.  No
 * caller's handler runs while the context is being freed: those ops are
 * failed through a posted event.
 */
static void
ngx_http_heao_redis_reply(redisAsyncContext *ac, void *r, void *privdata)
{
    redisReply                    *reply;
    const char                    *body;
    ngx_http_heao_redis_t         *rd;
    ngx_http_heao_redis_op_t      *op;
    ngx_http_heao_redis_script_t  *script;

    reply = r;
    op = privdata;
    rd = op->rd;

    if (reply != NULL
        && op->kind == NGX_HTTP_HEAO_REDIS_OP_SCRIPT
        && op->handler != NULL
        && !op->eval
        && ngx_http_heao_redis_is_error(reply, "NOSCRIPT"))
    {
        /* Redis lost its script cache: send the body; the timer runs on */

        script = &rd->rcf->scripts[op->script];
        body = script->body;

        ngx_log_debug1(NGX_LOG_DEBUG_EVENT, op->log, 0,
                       "heao redis: script \"%s\" by EVAL", script->name);

        op->eval = 1;
        op->argv[0] = "EVAL";
        op->argvlen[0] = sizeof("EVAL") - 1;
        op->argv[1] = body;
        op->argvlen[1] = ngx_strlen(body);

        if (redisAsyncCommandArgv(ac, ngx_http_heao_redis_reply, op,
                                  op->argc, op->argv, op->argvlen)
            == REDIS_OK)
        {
            return;
        }

        ngx_log_error(NGX_LOG_ERR, op->log, 0,
                      "heao redis: script \"%s\" could not be resent",
                      script->name);

        reply = NULL;
    }

    ngx_queue_remove(&op->queue);

    if (!op->internal) {
        rd->nsent--;
    }

    if (op->timer.timer_set) {
        ngx_del_timer(&op->timer);
    }

    if (reply == NULL) {

        if (!op->internal && !rd->destroying) {
            ngx_http_heao_redis_fail(rd, op,
                                     op->timedout ? NGX_AGAIN : NGX_ERROR);
            return;
        }

        ngx_free(op);
        return;
    }

    switch (op->kind) {

    case NGX_HTTP_HEAO_REDIS_OP_HANDSHAKE:
        ngx_http_heao_redis_handshake_reply(rd, op, reply);
        break;

    case NGX_HTTP_HEAO_REDIS_OP_PING:
        break;

    default:

        /* the master was demoted under us: find the new one */

        if (rd->rcf->sentinels && !rd->dropping
            && ngx_http_heao_redis_is_error(reply, "READONLY"))
        {
            ngx_log_error(NGX_LOG_ERR, rd->log, 0,
                          "heao redis: \"%V\" became a replica, asking "
                          "the Sentinels again", &rd->addr);
            rd->failed = 1;
            ngx_http_heao_redis_close(rd);
        }

        if (op->handler) {
            op->state = NGX_HTTP_HEAO_REDIS_OP_FINISHED;
            op->handler(op->data, NGX_OK, reply);
        }
    }

    ngx_free(op);
}


/*
 * Where the next connection goes: the configured address; with
 * Sentinels the master one of them named, else the next Sentinel to ask.
 */
static void
ngx_http_heao_redis_target(ngx_http_heao_redis_t *rd)
{
    ngx_http_heao_redis_addr_t  *s;
    ngx_http_heao_redis_conf_t  *rcf;

    rcf = rd->rcf;

    if (rcf->sentinels == NULL) {
        rd->addr = rcf->addr;
        rd->host = rcf->host.data;
        rd->port = rcf->port;
        rd->asking = 0;
        return;
    }

    if (rd->master_known) {
        rd->addr.data = rd->master_addr;
        rd->addr.len = ngx_strlen(rd->master_addr);
        rd->host = rd->master_host;
        rd->port = rd->master_port;
        rd->asking = 0;
        return;
    }

    s = rcf->sentinels->elts;
    s = &s[rd->sentinel % rcf->sentinels->nelts];

    rd->addr = s->addr;
    rd->host = s->host.data;
    rd->port = s->port;

    if (!rd->asking) {
        rd->ask_failed = rd->failed;
    }

    rd->asking = 1;
}


/*
 * The answer to SENTINEL get-master-addr-by-name: the master's IP and
 * port, or nil when this Sentinel does not know the name.  Either way
 * the connection to the Sentinel closes; ngx_http_heao_redis_hop() then
 * goes to the master or to the next Sentinel.
 */
static void
ngx_http_heao_redis_sentinel_reply(ngx_http_heao_redis_t *rd,
    redisReply *reply)
{
    u_char      *p;
    ngx_int_t    port;
    redisReply  *ip, *pt;
#if (NGX_HAVE_INET6)
    u_char       buf[16];
#endif

    rd->handshake = 0;

    if (reply->type != REDIS_REPLY_ARRAY || reply->elements != 2
        || reply->element[0]->type != REDIS_REPLY_STRING
        || reply->element[1]->type != REDIS_REPLY_STRING)
    {
        ngx_log_error(NGX_LOG_ERR, rd->log, 0,
                      "heao redis: Sentinel \"%V\" names no master "
                      "\"%V\"", &rd->addr, &rd->rcf->master);
        goto failed;
    }

    ip = reply->element[0];
    pt = reply->element[1];

    port = ngx_atoi((u_char *) pt->str, pt->len);

    if (ip->len == 0 || ip->len > NGX_SOCKADDR_STRLEN
        || port < 1 || port > 65535)
    {
        goto invalid;
    }

    if (ngx_inet_addr((u_char *) ip->str, ip->len) == INADDR_NONE) {
#if (NGX_HAVE_INET6)
        if (ngx_inet6_addr((u_char *) ip->str, ip->len, buf) != NGX_OK) {
            goto invalid;
        }
#else
        goto invalid;
#endif
    }

    p = ngx_cpymem(rd->master_host, ip->str, ip->len);
    *p = '\0';

    p = ngx_snprintf(rd->master_addr, NGX_HTTP_HEAO_REDIS_ADDR_LEN - 1,
                     ngx_strlchr((u_char *) ip->str,
                                 (u_char *) ip->str + ip->len, ':')
                     ? "[%s]:%i" : "%s:%i",
                     rd->master_host, port);
    *p = '\0';

    rd->master_port = port;
    rd->master_known = 1;

    ngx_log_error(NGX_LOG_INFO, rd->log, 0,
                  "heao redis: Sentinel \"%V\" names \"%s\" the master "
                  "\"%V\"", &rd->addr, rd->master_addr, &rd->rcf->master);

    ngx_http_heao_redis_close(rd);
    return;

invalid:

    ngx_log_error(NGX_LOG_ERR, rd->log, 0,
                  "heao redis: Sentinel \"%V\" named an invalid address "
                  "for \"%V\"", &rd->addr, &rd->rcf->master);

failed:

    rd->failed = 1;
    ngx_http_heao_redis_close(rd);
}


/*
 * With Sentinels, a connection that ended decides the next one: after a
 * Sentinel answered, straight to the master, the commands waiting kept;
 * after a Sentinel failed, straight to the next one, once each a round;
 * after the master failed, it is forgotten, so that the reconnect asks
 * the Sentinels.  Returns 1 when the next connection is due at once (it
 * counts as connecting meanwhile), else the back-off follows.
 */
static ngx_uint_t
ngx_http_heao_redis_hop(ngx_http_heao_redis_t *rd)
{
    ngx_uint_t  n;

    n = rd->rcf->sentinels->nelts;

    if (!rd->asking) {
        if (rd->failed) {
            rd->master_known = 0;
        }

        return 0;
    }

    if (rd->closing || ngx_exiting || ngx_terminate) {
        rd->asking = 0;
        return 0;
    }

    if (rd->master_known) {
        rd->asking = 0;
        rd->asked = 0;

    } else {
        rd->sentinel = (rd->sentinel + 1) % n;

        if (++rd->asked >= n) {
            rd->asking = 0;
            rd->asked = 0;
            return 0;
        }

        /*
         * a Sentinel that is down fails no command: they wait for the
         * next one, unless a failure of Redis came before
         */

        rd->failed = rd->ask_failed;
    }

    /*
     * this runs inside hiredis freeing the old context, maybe inside our
     * write handler: the new connection starts from a posted event
     */

    rd->state = NGX_HTTP_HEAO_REDIS_CONNECTING;
    ngx_post_event(&rd->hop, &ngx_posted_events);

    return 1;
}


static void
ngx_http_heao_redis_hop_handler(ngx_event_t *ev)
{
    ngx_http_heao_redis_t  *rd;

    rd = ev->data;

    if (rd->state == NGX_HTTP_HEAO_REDIS_CONNECTING && rd->ac == NULL) {
        ngx_http_heao_redis_connect(rd);
    }
}


/*
 * Starts a connection; on failure the back-off timer tries again.  An
 * exiting worker connects only for a request it accepted before (R4),
 * and closes that connection again once nothing is in flight.
 */
static void
ngx_http_heao_redis_connect(ngx_http_heao_redis_t *rd)
{
    ngx_socket_t        fd;
    ngx_connection_t   *c;
    redisAsyncContext  *ac;

    if (ngx_terminate || rd->destroying) {
        rd->state = NGX_HTTP_HEAO_REDIS_CLOSED;
        return;
    }

    if (ngx_exiting) {
        rd->closing = 1;
    }

    ngx_http_heao_redis_target(rd);

    ngx_log_debug1(NGX_LOG_DEBUG_EVENT, rd->log, 0,
                   "heao redis: connecting to \"%V\"", &rd->addr);

    ac = ngx_http_heao_redis_open(rd, &fd);
    if (ac == NULL) {
        goto failed;
    }

    c = ngx_get_connection(fd, rd->log);
    if (c == NULL) {
        redisAsyncFree(ac);
        goto failed;
    }

    c->data = rd;
    c->read->handler = ngx_http_heao_redis_read_handler;
    c->write->handler = ngx_http_heao_redis_write_handler;
    c->read->log = rd->log;
    c->write->log = rd->log;
    c->number = ngx_atomic_fetch_add(ngx_connection_counter, 1);

    /* lets ngx_close_idle_connections() tell us the worker shuts down */
    c->idle = 1;

    rd->ac = ac;
    rd->conn = c;
    rd->state = NGX_HTTP_HEAO_REDIS_CONNECTING;

    ngx_http_heao_redis_attach(rd, ac);

    ngx_add_timer(&rd->connect_timer, rd->rcf->connect_timeout);

    if (rd->broken) {
        ngx_http_heao_redis_process(rd);
    }

    return;

failed:

    rd->failed = 1;
    ngx_http_heao_redis_disconnected(rd);
}


/*
 * Drops the connection on our own decision.  Inside a reply callback
 * hiredis frees the context once the callback returned; otherwise at once.
 * Either way the cleanup hook finishes the job.
 */
static void
ngx_http_heao_redis_close(ngx_http_heao_redis_t *rd)
{
    if (rd->ac == NULL || rd->dropping) {
        return;
    }

    rd->dropping = 1;

    redisAsyncFree(rd->ac);
}


/* the connection is gone: fail what waited for it, plan the next one */
static void
ngx_http_heao_redis_disconnected(ngx_http_heao_redis_t *rd)
{
    ngx_queue_t               *q;
    ngx_http_heao_redis_op_t  *op;

    if (rd->connect_timer.timer_set) {
        ngx_del_timer(&rd->connect_timer);
    }

    if (rd->ping_timer.timer_set) {
        ngx_del_timer(&rd->ping_timer);
    }

    rd->handshake = 0;
    rd->handshake_sent = 0;
    rd->broken = 0;

    if (rd->destroying) {
        rd->state = NGX_HTTP_HEAO_REDIS_CLOSED;
        return;
    }

    if (rd->rcf->sentinels && ngx_http_heao_redis_hop(rd)) {
        return;
    }

    while (!ngx_queue_empty(&rd->waiting)) {
        q = ngx_queue_head(&rd->waiting);
        ngx_queue_remove(q);
        rd->nwaiting--;

        op = ngx_queue_data(q, ngx_http_heao_redis_op_t, queue);
        ngx_http_heao_redis_fail(rd, op, NGX_ERROR);
    }

    if (rd->closing || ngx_exiting || ngx_terminate) {
        rd->state = NGX_HTTP_HEAO_REDIS_CLOSED;
        return;
    }

    rd->state = NGX_HTTP_HEAO_REDIS_DISCONNECTED;

    if (rd->backoff == 0) {
        rd->backoff = NGX_HTTP_HEAO_REDIS_BACKOFF_MIN;

    } else {
        rd->backoff = ngx_min(rd->backoff * 2, NGX_HTTP_HEAO_REDIS_BACKOFF_MAX);
    }

    ngx_add_timer(&rd->backoff_timer, rd->backoff);
}


/* pipelines AUTH, SELECT and a SCRIPT LOAD a script; ready when answered */
static void
ngx_http_heao_redis_handshake(ngx_http_heao_redis_t *rd)
{
    u_char                      *p, db[NGX_INT_T_LEN];
    size_t                       argvlen[3];
    ngx_uint_t                   i;
    const char                  *argv[3];
    ngx_http_heao_redis_conf_t  *rcf;

    rcf = rd->rcf;

    rd->handshake_sent = 1;

    if (rd->asking) {
        argv[0] = "SENTINEL";
        argvlen[0] = sizeof("SENTINEL") - 1;
        argv[1] = "get-master-addr-by-name";
        argvlen[1] = sizeof("get-master-addr-by-name") - 1;
        argv[2] = (const char *) rcf->master.data;
        argvlen[2] = rcf->master.len;

        if (ngx_http_heao_redis_send_internal(rd,
                                              NGX_HTTP_HEAO_REDIS_OP_HANDSHAKE,
                                              NGX_HTTP_HEAO_REDIS_ASK_SENTINEL,
                                              3, argv, argvlen)
            != NGX_OK)
        {
            goto failed;
        }

        return;
    }

    if (rcf->password.len) {
        argv[0] = "AUTH";
        argvlen[0] = sizeof("AUTH") - 1;
        argv[1] = (const char *) rcf->password.data;
        argvlen[1] = rcf->password.len;

        if (ngx_http_heao_redis_send_internal(rd,
                                              NGX_HTTP_HEAO_REDIS_OP_HANDSHAKE,
                                              NGX_HTTP_HEAO_REDIS_NO_SCRIPT,
                                              2, argv, argvlen)
            != NGX_OK)
        {
            goto failed;
        }
    }

    if (rcf->db) {
        p = ngx_sprintf(db, "%ui", rcf->db);

        argv[0] = "SELECT";
        argvlen[0] = sizeof("SELECT") - 1;
        argv[1] = (const char *) db;
        argvlen[1] = p - db;

        if (ngx_http_heao_redis_send_internal(rd,
                                              NGX_HTTP_HEAO_REDIS_OP_HANDSHAKE,
                                              NGX_HTTP_HEAO_REDIS_NO_SCRIPT,
                                              2, argv, argvlen)
            != NGX_OK)
        {
            goto failed;
        }
    }

    /* a master a Sentinel named may have been demoted since */

    if (rcf->sentinels) {
        argv[0] = "ROLE";
        argvlen[0] = sizeof("ROLE") - 1;

        if (ngx_http_heao_redis_send_internal(rd,
                                              NGX_HTTP_HEAO_REDIS_OP_HANDSHAKE,
                                              NGX_HTTP_HEAO_REDIS_ROLE,
                                              1, argv, argvlen)
            != NGX_OK)
        {
            goto failed;
        }
    }

    for (i = 0; i < rcf->nscripts; i++) {
        argv[0] = "SCRIPT";
        argvlen[0] = sizeof("SCRIPT") - 1;
        argv[1] = "LOAD";
        argvlen[1] = sizeof("LOAD") - 1;
        argv[2] = rcf->scripts[i].body;
        argvlen[2] = ngx_strlen(rcf->scripts[i].body);

        if (ngx_http_heao_redis_send_internal(rd,
                                              NGX_HTTP_HEAO_REDIS_OP_HANDSHAKE,
                                              i, 3, argv, argvlen)
            != NGX_OK)
        {
            goto failed;
        }
    }

    if (rd->handshake == 0) {
        ngx_http_heao_redis_set_ready(rd);
    }

    return;

failed:

    rd->failed = 1;
    ngx_http_heao_redis_close(rd);
}


/*
 * A handshake reply.  -LOADING means Redis is not ready yet: drop and
 * retry.  A script that does not load is logged and the connection kept:
 * its calls get the error, the other scripts work.
 */
static void
ngx_http_heao_redis_handshake_reply(ngx_http_heao_redis_t *rd,
    ngx_http_heao_redis_op_t *op, redisReply *reply)
{
    u_char     *sha;
    ngx_str_t   name;

    if (rd->dropping) {
        return;
    }

    if (op->script == NGX_HTTP_HEAO_REDIS_ASK_SENTINEL) {
        ngx_http_heao_redis_sentinel_reply(rd, reply);
        return;
    }

    if (op->script == NGX_HTTP_HEAO_REDIS_ROLE) {

        if (reply->type != REDIS_REPLY_ARRAY || reply->elements == 0
            || reply->element[0]->type != REDIS_REPLY_STRING
            || reply->element[0]->len != sizeof("master") - 1
            || ngx_strncmp(reply->element[0]->str, "master",
                           sizeof("master") - 1) != 0)
        {
            ngx_log_error(NGX_LOG_ERR, rd->log, 0,
                          "heao redis: \"%V\" is not a master, asking "
                          "the Sentinels again", &rd->addr);
            goto failed;
        }

        if (--rd->handshake == 0) {
            ngx_http_heao_redis_set_ready(rd);
        }

        return;
    }

    if (reply->type == REDIS_REPLY_ERROR) {

        if (ngx_http_heao_redis_is_error(reply, "LOADING")) {
            ngx_log_error(NGX_LOG_ERR, rd->log, 0,
                          "heao redis: \"%V\" is loading its data, "
                          "not ready", &rd->addr);
            goto failed;
        }

        if (op->script != NGX_HTTP_HEAO_REDIS_NO_SCRIPT) {
            ngx_log_error(NGX_LOG_ERR, rd->log, 0,
                          "heao redis: script \"%s\" not loaded: %*s",
                          rd->rcf->scripts[op->script].name,
                          reply->len, reply->str);

        } else {
            ngx_http_heao_redis_op_name(op, &name);

            ngx_log_error(NGX_LOG_ERR, rd->log, 0,
                          "heao redis: %V on \"%V\" failed: %*s",
                          &name, &rd->addr, reply->len, reply->str);
            goto failed;
        }

    } else if (op->script != NGX_HTTP_HEAO_REDIS_NO_SCRIPT) {
        sha = rd->shas + op->script * NGX_HTTP_HEAO_REDIS_SHA1_HEX;

        if (reply->type != REDIS_REPLY_STRING
            || reply->len != NGX_HTTP_HEAO_REDIS_SHA1_HEX
            || ngx_strncmp(reply->str, sha, NGX_HTTP_HEAO_REDIS_SHA1_HEX) != 0)
        {
            ngx_log_error(NGX_LOG_ALERT, rd->log, 0,
                          "heao redis: script \"%s\" loaded under "
                          "another SHA1", rd->rcf->scripts[op->script].name);
        }
    }

    if (--rd->handshake == 0) {
        ngx_http_heao_redis_set_ready(rd);
    }

    return;

failed:

    rd->failed = 1;
    ngx_http_heao_redis_close(rd);
}


/* the handshake is done: send what waited, start pinging */
static void
ngx_http_heao_redis_set_ready(ngx_http_heao_redis_t *rd)
{
    ngx_queue_t               *q;
    ngx_http_heao_redis_op_t  *op;

    if (rd->connect_timer.timer_set) {
        ngx_del_timer(&rd->connect_timer);
    }

    if (rd->failed) {
        ngx_log_error(NGX_LOG_NOTICE, rd->log, 0,
                      "heao redis: \"%V\" ready again", &rd->addr);
    }

    rd->state = NGX_HTTP_HEAO_REDIS_READY;
    rd->failed = 0;
    rd->backoff = 0;

    while (!ngx_queue_empty(&rd->waiting)) {
        q = ngx_queue_head(&rd->waiting);
        ngx_queue_remove(q);
        rd->nwaiting--;

        op = ngx_queue_data(q, ngx_http_heao_redis_op_t, queue);

        if (ngx_http_heao_redis_send(rd, op) != NGX_OK) {
            ngx_http_heao_redis_fail(rd, op, NGX_ERROR);
        }
    }

    if (rd->rcf->ping_interval) {
        ngx_add_timer(&rd->ping_timer, rd->rcf->ping_interval);
    }
}


/*
 * What is left to do once hiredis returned, as hiredis may not free its
 * context from inside its hooks or its connect callback.
 */
static void
ngx_http_heao_redis_process(ngx_http_heao_redis_t *rd)
{
    if (rd->broken) {
        ngx_log_error(NGX_LOG_ERR, rd->log, 0,
                      "heao redis: events of the connection to \"%V\" "
                      "could not be set", &rd->addr);
        rd->failed = 1;
        ngx_http_heao_redis_close(rd);
        return;
    }

    if (rd->state == NGX_HTTP_HEAO_REDIS_HANDSHAKE && !rd->handshake_sent) {
        ngx_http_heao_redis_handshake(rd);

        if (rd->ac == NULL) {
            return;
        }
    }

    if (rd->closing
        && ngx_queue_empty(&rd->sent)
        && ngx_queue_empty(&rd->waiting))
    {
        ngx_log_debug0(NGX_LOG_DEBUG_EVENT, rd->log, 0,
                       "heao redis: closing idle connection");

        ngx_http_heao_redis_close(rd);
    }
}


/*
 * Allocates an op with "skip" empty leading arguments, "extra" bytes after
 * the vectors and a copy of the caller's arguments.  The op belongs to
 * the connection, not to the caller's pool: hiredis holds it as privdata.
 */
static ngx_http_heao_redis_op_t *
ngx_http_heao_redis_alloc_op(ngx_http_heao_redis_t *rd, ngx_uint_t skip,
    size_t extra, int argc, const char **argv, const size_t *argvlen,
    ngx_log_t *log)
{
    int                        i;
    u_char                    *p;
    size_t                     size, len;
    ngx_uint_t                 n;
    ngx_http_heao_redis_op_t  *op;

    n = skip + argc;

    size = sizeof(ngx_http_heao_redis_op_t)
           + n * (sizeof(char *) + sizeof(size_t)) + extra;

    for (i = 0; i < argc; i++) {
        size += argvlen ? argvlen[i] : ngx_strlen(argv[i]);
    }

    op = ngx_alloc(size, log);
    if (op == NULL) {
        return NULL;
    }

    ngx_memzero(op, sizeof(ngx_http_heao_redis_op_t));

    op->rd = rd;
    op->log = log;

    op->argc = (int) n;
    op->argv = (const char **) (op + 1);
    op->argvlen = (size_t *) (op->argv + n);

    p = (u_char *) (op->argvlen + n) + extra;

    for (i = 0; i < argc; i++) {
        len = argvlen ? argvlen[i] : ngx_strlen(argv[i]);

        op->argv[skip + i] = (const char *) p;
        op->argvlen[skip + i] = len;

        p = ngx_cpymem(p, argv[i], len);
    }

    op->timer.handler = ngx_http_heao_redis_op_timeout;
    op->timer.data = op;
    op->timer.log = rd->log;

    return op;
}


/*
 * Sends a caller's op, queues it while a connection is being made, or
 * fails it through the posted event: the handler never runs from here.
 * While a reconnect follows a failure, nothing waits: Redis is down.
 */
static void
ngx_http_heao_redis_start(ngx_http_heao_redis_t *rd,
    ngx_http_heao_redis_op_t *op)
{
    switch (rd->state) {

    case NGX_HTTP_HEAO_REDIS_READY:

        if (rd->dropping) {
            break;
        }

        if (rd->nwaiting + rd->nsent >= rd->rcf->queue) {
            goto overflow;
        }

        if (ngx_http_heao_redis_send(rd, op) != NGX_OK) {
            break;
        }

        return;

    case NGX_HTTP_HEAO_REDIS_CONNECTING:
    case NGX_HTTP_HEAO_REDIS_HANDSHAKE:

        if (rd->failed) {
            break;
        }

        if (rd->nwaiting + rd->nsent >= rd->rcf->queue) {
            goto overflow;
        }

        op->state = NGX_HTTP_HEAO_REDIS_OP_WAITING;
        ngx_queue_insert_tail(&rd->waiting, &op->queue);
        rd->nwaiting++;

        ngx_add_timer(&op->timer, rd->rcf->command_timeout);

        return;

    case NGX_HTTP_HEAO_REDIS_CLOSED:

        /*
         * ngx_close_idle_connections() closed the connection of an
         * exiting worker: a request it accepted before still gets one
         */

        if (!ngx_exiting || ngx_terminate || rd->destroying) {
            break;
        }

        rd->failed = 0;
        ngx_http_heao_redis_connect(rd);

        if (rd->state != NGX_HTTP_HEAO_REDIS_CONNECTING || rd->failed) {
            break;
        }

        op->state = NGX_HTTP_HEAO_REDIS_OP_WAITING;
        ngx_queue_insert_tail(&rd->waiting, &op->queue);
        rd->nwaiting++;

        ngx_add_timer(&op->timer, rd->rcf->command_timeout);

        return;

    default: /* disconnected: the back-off timer runs */
        break;
    }

    ngx_log_debug0(NGX_LOG_DEBUG_EVENT, op->log, 0,
                   "heao redis: not connected");

    ngx_http_heao_redis_fail(rd, op, NGX_ERROR);
    return;

overflow:

    ngx_log_error(NGX_LOG_ERR, op->log, 0,
                  "heao redis: %ui commands in flight already",
                  rd->nwaiting + rd->nsent);

    ngx_http_heao_redis_fail(rd, op, NGX_ERROR);
}


static ngx_int_t
ngx_http_heao_redis_send(ngx_http_heao_redis_t *rd,
    ngx_http_heao_redis_op_t *op)
{
    if (redisAsyncCommandArgv(rd->ac, ngx_http_heao_redis_reply, op,
                              op->argc, op->argv, op->argvlen)
        != REDIS_OK)
    {
        ngx_log_error(NGX_LOG_ERR, op->log, 0,
                      "heao redis: command for \"%V\" could not be queued",
                      &rd->addr);
        return NGX_ERROR;
    }

    op->state = NGX_HTTP_HEAO_REDIS_OP_SENT;
    ngx_queue_insert_tail(&rd->sent, &op->queue);

    if (!op->internal) {
        rd->nsent++;
    }

    if (!op->timer.timer_set) {
        ngx_add_timer(&op->timer, rd->rcf->command_timeout);
    }

    return NGX_OK;
}


/* sends one of our own commands, which no caller waits for */
static ngx_int_t
ngx_http_heao_redis_send_internal(ngx_http_heao_redis_t *rd,
    ngx_http_heao_redis_op_kind_t kind, ngx_uint_t script, int argc,
    const char **argv, const size_t *argvlen)
{
    ngx_http_heao_redis_op_t  *op;

    op = ngx_http_heao_redis_alloc_op(rd, 0, 0, argc, argv, argvlen, rd->log);
    if (op == NULL) {
        return NGX_ERROR;
    }

    op->kind = kind;
    op->script = script;
    op->internal = 1;
    op->timer.cancelable = 1;

    if (ngx_http_heao_redis_send(rd, op) != NGX_OK) {
        ngx_free(op);
        return NGX_ERROR;
    }

    if (kind == NGX_HTTP_HEAO_REDIS_OP_HANDSHAKE) {
        rd->handshake++;
    }

    return NGX_OK;
}


/* queues op to have its handler called with rc from the posted event */
static void
ngx_http_heao_redis_fail(ngx_http_heao_redis_t *rd,
    ngx_http_heao_redis_op_t *op, ngx_int_t rc)
{
    if (op->timer.timer_set) {
        ngx_del_timer(&op->timer);
    }

    if (op->handler == NULL) {
        ngx_free(op);
        return;
    }

    op->rc = rc;
    op->state = NGX_HTTP_HEAO_REDIS_OP_DONE;
    ngx_queue_insert_tail(&rd->done, &op->queue);

    if (!rd->post.posted) {
        ngx_post_event(&rd->post, &ngx_posted_events);
    }
}


/* the script's or the command's name, for logs: never an argument */
static void
ngx_http_heao_redis_op_name(ngx_http_heao_redis_op_t *op, ngx_str_t *name)
{
    const char  *s;

    if (op->kind == NGX_HTTP_HEAO_REDIS_OP_SCRIPT) {
        s = op->rd->rcf->scripts[op->script].name;

        name->data = (u_char *) s;
        name->len = ngx_strlen(s);
        return;
    }

    name->data = (u_char *) op->argv[0];
    name->len = op->argvlen[0];
}


/* 1 if reply is an error reply whose code (its first word) is "code" */
static ngx_uint_t
ngx_http_heao_redis_is_error(redisReply *reply, const char *code)
{
    size_t  len;

    if (reply->type != REDIS_REPLY_ERROR) {
        return 0;
    }

    len = ngx_strlen(code);

    return reply->len >= len
           && ngx_strncmp(reply->str, code, len) == 0
           && (reply->len == len || reply->str[len] == ' ');
}


/*
 * The read handler.  ngx_close_idle_connections() calls it with c->close
 * when the worker shuts down: the connection closes once nothing is in
 * flight.  Remember what is needed first: the read may free both the
 * context and c.
 */
static void
ngx_http_heao_redis_read_handler(ngx_event_t *rev)
{
    ngx_connection_t       *c;
    redisAsyncContext      *ac;
    ngx_http_heao_redis_t  *rd;

    c = rev->data;
    rd = c->data;
    ac = rd->ac;

    if (c->close) {
        c->close = 0;
        rd->closing = 1;
        ngx_http_heao_redis_process(rd);
        return;
    }

    redisAsyncHandleRead(ac);

    if (rd->ac != ac) {
        return;
    }

    ngx_http_heao_redis_process(rd);
}


static void
ngx_http_heao_redis_write_handler(ngx_event_t *wev)
{
    ngx_connection_t       *c;
    redisAsyncContext      *ac;
    ngx_http_heao_redis_t  *rd;

    c = wev->data;
    rd = c->data;
    ac = rd->ac;

    rd->writing = 1;
    rd->want_write = 0;

    redisAsyncHandleWrite(ac);

    rd->writing = 0;

    if (rd->ac != ac) {
        return;
    }

    /* the write could not finish: now wait for the kernel */

    if (rd->want_write
        && !wev->active
        && ngx_add_event(wev, NGX_WRITE_EVENT, NGX_LEVEL_EVENT) != NGX_OK)
    {
        rd->broken = 1;
    }

    ngx_http_heao_redis_process(rd);
}


/*
 * A command timed out.  Sent, it makes the connection useless, as the
 * replies are ordered: drop it; the op gets NGX_AGAIN, the others in
 * flight NGX_ERROR.  Still waiting for a connection, it gets NGX_AGAIN.
 */
static void
ngx_http_heao_redis_op_timeout(ngx_event_t *ev)
{
    ngx_str_t                  name;
    ngx_queue_t               *q;
    ngx_http_heao_redis_t     *rd;
    ngx_http_heao_redis_op_t  *op, *o;

    op = ev->data;
    rd = op->rd;

    ngx_http_heao_redis_op_name(op, &name);

    if (op->state == NGX_HTTP_HEAO_REDIS_OP_WAITING) {
        ngx_log_error(NGX_LOG_ERR, op->log, 0,
                      "heao redis: \"%V\" timed out waiting for a connection "
                      "to \"%V\"", &name, &rd->addr);

        ngx_queue_remove(&op->queue);
        rd->nwaiting--;

        ngx_http_heao_redis_fail(rd, op, NGX_AGAIN);
        return;
    }

    ngx_log_error(NGX_LOG_ERR, op->log, 0,
                  "heao redis: \"%V\" timed out on \"%V\"",
                  &name, &rd->addr);

    op->timedout = 1;
    rd->failed = 1;

    /* the ops whose time is up as well get NGX_AGAIN too */

    for (q = ngx_queue_head(&rd->sent);
         q != ngx_queue_sentinel(&rd->sent);
         q = ngx_queue_next(q))
    {
        o = ngx_queue_data(q, ngx_http_heao_redis_op_t, queue);

        if (o->timer.timer_set
            && (ngx_msec_int_t) (o->timer.timer.key - ngx_current_msec) <= 0)
        {
            o->timedout = 1;
        }
    }

    ngx_http_heao_redis_close(rd);
}


static void
ngx_http_heao_redis_connect_timeout(ngx_event_t *ev)
{
    ngx_http_heao_redis_t  *rd;

    rd = ev->data;

    ngx_log_error(NGX_LOG_ERR, rd->log, 0,
                  rd->state == NGX_HTTP_HEAO_REDIS_CONNECTING
                  ? "heao redis: connect to \"%V\" timed out"
                  : "heao redis: handshake with \"%V\" timed out",
                  &rd->addr);

    rd->failed = 1;

    ngx_http_heao_redis_close(rd);
}


static void
ngx_http_heao_redis_retry(ngx_event_t *ev)
{
    ngx_http_heao_redis_t  *rd;

    rd = ev->data;

    if (rd->state != NGX_HTTP_HEAO_REDIS_DISCONNECTED) {
        return;
    }

    /* never a reconnect in the background while the worker exits */

    if (ngx_exiting || ngx_terminate) {
        rd->state = NGX_HTTP_HEAO_REDIS_CLOSED;
        return;
    }

    ngx_http_heao_redis_connect(rd);
}


/*
 * PINGs an idle connection, so that a peer gone silent is noticed by the
 * PING's timeout; a busy one has its commands' timeouts for that.
 */
static void
ngx_http_heao_redis_ping(ngx_event_t *ev)
{
    ngx_http_heao_redis_t  *rd;

    static const char    *argv[] = { "PING" };
    static const size_t   argvlen[] = { sizeof("PING") - 1 };

    rd = ev->data;

    if (rd->state != NGX_HTTP_HEAO_REDIS_READY || rd->closing) {
        return;
    }

    if (ngx_queue_empty(&rd->sent)
        && ngx_http_heao_redis_send_internal(rd, NGX_HTTP_HEAO_REDIS_OP_PING,
                                             NGX_HTTP_HEAO_REDIS_NO_SCRIPT,
                                             1, argv, argvlen)
           != NGX_OK)
    {
        rd->failed = 1;
        ngx_http_heao_redis_close(rd);
        return;
    }

    ngx_add_timer(ev, rd->rcf->ping_interval);
}


/* calls the handlers of failed and timed out ops, outside any caller */
static void
ngx_http_heao_redis_deliver(ngx_event_t *ev)
{
    ngx_queue_t               *q;
    ngx_http_heao_redis_t     *rd;
    ngx_http_heao_redis_op_t  *op;

    rd = ev->data;

    while (!ngx_queue_empty(&rd->done)) {
        q = ngx_queue_head(&rd->done);
        ngx_queue_remove(q);

        op = ngx_queue_data(q, ngx_http_heao_redis_op_t, queue);
        op->state = NGX_HTTP_HEAO_REDIS_OP_FINISHED;

        op->handler(op->data, op->rc, NULL);

        ngx_free(op);
    }
}
