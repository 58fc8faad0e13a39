
/*
 * Copyright (C) heao developers
 */


#ifndef _NGX_HTTP_HEAO_PG_H_INCLUDED_
#define _NGX_HTTP_HEAO_PG_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <libpq-fe.h>


/*
 * A per-worker pool of non-blocking libpq connections driven by nginx
 * events.  Request code runs prepared statements by number and gets the
 * result in a callback; it never sees a connection.
 */


typedef struct ngx_http_heao_pg_pool_s  ngx_http_heao_pg_pool_t;
typedef struct ngx_http_heao_pg_op_s    ngx_http_heao_pg_op_t;


/*
 * rc is NGX_OK with a result whose status is PGRES_TUPLES_OK or
 * PGRES_COMMAND_OK; NGX_ERROR when the backend failed (res is the error
 * result when the server sent one, else NULL); NGX_BUSY when the wait
 * queue was full; NGX_AGAIN when the operation timed out, waiting for a
 * connection or for the result (res is the server's statement_timeout
 * error when the server ended the statement, so it surely rolled back;
 * NULL when the outcome is unknown).  res is valid only inside the call.
 * The handler is always called from the event loop, never from inside
 * ngx_http_heao_pg_query(), and the operation is freed once it returns.
 */
typedef void (*ngx_http_heao_pg_handler_pt)(void *data, ngx_int_t rc,
    PGresult *res);


typedef struct {
    const char                  *name;
    const char                  *sql;
    int                          nparams;
} ngx_http_heao_pg_stmt_t;


typedef struct {
    ngx_str_t                    conninfo;

    /* parsed by ngx_http_heao_pg_init_conf(), NULL terminated */
    const char                 **keywords;
    const char                 **values;

    ngx_uint_t                   size;          /* connections a worker */
    ngx_uint_t                   queue;         /* waiting operations */
    ngx_msec_t                   connect_timeout;
    ngx_msec_t                   query_timeout;
    ngx_msec_t                   queue_timeout;
    ngx_uint_t                   max_uses;      /* recycle after */

    ngx_http_heao_pg_stmt_t     *stmts;         /* prepared on connect */
    ngx_uint_t                   nstmts;

    const char                  *directive;     /* of conninfo, for errors */
} ngx_http_heao_pg_conf_t;


/*
 * Parses conninfo at configuration time: resolves a host name to a
 * numeric hostaddr and adds the options the pool relies on.
 */
char *ngx_http_heao_pg_init_conf(ngx_conf_t *cf,
    ngx_http_heao_pg_conf_t *pcf);

ngx_http_heao_pg_pool_t *ngx_http_heao_pg_pool_create(ngx_cycle_t *cycle,
    ngx_http_heao_pg_conf_t *pcf);
void ngx_http_heao_pg_pool_destroy(ngx_http_heao_pg_pool_t *pool);

/*
 * Runs statement "stmt" of the table with text parameters (a NULL value
 * is SQL NULL).  The parameters are copied.  Returns NULL when no memory
 * could be had; the handler is then never called.
 */
ngx_http_heao_pg_op_t *ngx_http_heao_pg_query(ngx_http_heao_pg_pool_t *pool,
    ngx_uint_t stmt, int nparams, const char *const *values,
    const int *lengths, ngx_http_heao_pg_handler_pt handler, void *data,
    ngx_log_t *log);

/*
 * Detaches the caller: the handler is not called.  A statement already
 * sent still completes, so a save in flight is committed; one still
 * waiting for a connection runs too.  Not to be called once the handler
 * has been called.
 */
void ngx_http_heao_pg_cancel(ngx_http_heao_pg_op_t *op);

/*
 * Makes pool a replica of fallback: an operation that fails on it for a
 * reason of the server runs again on fallback, its primary.
 */
void ngx_http_heao_pg_pool_fallback(ngx_http_heao_pg_pool_t *pool,
    ngx_http_heao_pg_pool_t *fallback);

/* connections open, busy, and operations waiting, for metrics */
void ngx_http_heao_pg_pool_stats(ngx_http_heao_pg_pool_t *pool,
    ngx_uint_t *open, ngx_uint_t *busy, ngx_uint_t *waiting);


#endif /* _NGX_HTTP_HEAO_PG_H_INCLUDED_ */
