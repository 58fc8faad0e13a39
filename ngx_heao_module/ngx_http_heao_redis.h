
/*
 * Copyright (C) heao developers
 */


#ifndef _NGX_HTTP_HEAO_REDIS_H_INCLUDED_
#define _NGX_HTTP_HEAO_REDIS_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <hiredis/hiredis.h>


/*
 * One hiredis async connection a worker, driven by nginx events; replies
 * come back in order, so every command of the worker pipelines on it.
 */


typedef struct ngx_http_heao_redis_s     ngx_http_heao_redis_t;
typedef struct ngx_http_heao_redis_op_s  ngx_http_heao_redis_op_t;


/*
 * rc is NGX_OK with a reply (which may be a Redis error reply: check
 * reply->type); NGX_ERROR when Redis is not reachable or the connection
 * broke; NGX_AGAIN on timeout.  reply is valid only inside the call.
 */
typedef void (*ngx_http_heao_redis_handler_pt)(void *data, ngx_int_t rc,
    redisReply *reply);


typedef struct {
    const char                  *name;
    const char                  *body;          /* Lua source */
} ngx_http_heao_redis_script_t;


typedef struct {
    ngx_str_t                    addr;          /* "ip:port" or "unix:path" */
    ngx_str_t                    host;          /* NUL terminated */
    ngx_int_t                    port;          /* 0 for a unix socket */
} ngx_http_heao_redis_addr_t;


typedef struct {
    ngx_str_t                    addr;          /* "ip:port" or "unix:path" */
    ngx_str_t                    password;      /* empty: no AUTH */
    ngx_uint_t                   db;

    /* parsed by ngx_http_heao_redis_init_conf() */
    ngx_str_t                    host;          /* IP literal or path */
    ngx_int_t                    port;          /* 0 for a unix socket */

    ngx_msec_t                   connect_timeout;
    ngx_msec_t                   command_timeout;
    ngx_msec_t                   ping_interval;
    ngx_uint_t                   queue;         /* commands in flight */

    ngx_http_heao_redis_script_t *scripts;      /* loaded on connect */
    ngx_uint_t                   nscripts;

    /* O5: ask these Sentinels for the master "master"; NULL: addr */
    ngx_array_t                 *sentinels;     /* redis_addr_t */
    ngx_str_t                    master;
} ngx_http_heao_redis_conf_t;


char *ngx_http_heao_redis_init_conf(ngx_conf_t *cf,
    ngx_http_heao_redis_conf_t *rcf);

ngx_http_heao_redis_t *ngx_http_heao_redis_create(ngx_cycle_t *cycle,
    ngx_http_heao_redis_conf_t *rcf);
void ngx_http_heao_redis_destroy(ngx_http_heao_redis_t *rd);

/* the arguments are copied; NULL when no memory: the handler is not called */
ngx_http_heao_redis_op_t *ngx_http_heao_redis_command(
    ngx_http_heao_redis_t *rd, int argc, const char **argv,
    const size_t *argvlen, ngx_http_heao_redis_handler_pt handler,
    void *data, ngx_log_t *log);

/*
 * Runs script "script" of the table by EVALSHA, falling back to EVAL when
 * Redis lost its script cache; argv holds the keys, then the arguments.
 */
ngx_http_heao_redis_op_t *ngx_http_heao_redis_script(
    ngx_http_heao_redis_t *rd, ngx_uint_t script, int nkeys, int argc,
    const char **argv, const size_t *argvlen,
    ngx_http_heao_redis_handler_pt handler, void *data, ngx_log_t *log);

/* detaches the caller: the handler is not called */
void ngx_http_heao_redis_cancel(ngx_http_heao_redis_op_t *op);

/* 1 when connected and ready (handshake done) */
ngx_uint_t ngx_http_heao_redis_ready(ngx_http_heao_redis_t *rd);


#endif /* _NGX_HTTP_HEAO_REDIS_H_INCLUDED_ */
