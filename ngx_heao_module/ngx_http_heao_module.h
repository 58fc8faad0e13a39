
/*
 * Copyright (C) heao developers
 */


#ifndef _NGX_HTTP_HEAO_MODULE_H_INCLUDED_
#define _NGX_HTTP_HEAO_MODULE_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>
#include <ngx_thread_pool.h>
#include <jansson.h>

#include "ngx_http_heao_pg.h"
#include "ngx_http_heao_redis.h"


#define NGX_HTTP_HEAO_SID_BYTES         32
#define NGX_HTTP_HEAO_SID_LEN                                                 \
    ((NGX_HTTP_HEAO_SID_BYTES * 4 + 2) / 3)
#define NGX_HTTP_HEAO_CSRF_BYTES        24
#define NGX_HTTP_HEAO_TOKEN_BYTES       16      /* captcha ids, tickets */
#define NGX_HTTP_HEAO_TOKEN_LEN                                               \
    ((NGX_HTTP_HEAO_TOKEN_BYTES * 4 + 2) / 3)
#define NGX_HTTP_HEAO_TICKET_PREFIX     "heao:ct:"
#define NGX_HTTP_HEAO_SECRET_MIN        32
#define NGX_HTTP_HEAO_EXAM_NO_LEN       14
#define NGX_HTTP_HEAO_ID_NO_LEN         18
#define NGX_HTTP_HEAO_CHECKSUM_LEN      20
#define NGX_HTTP_HEAO_TOTP_STEP         30      /* seconds, RFC 6238 */

/* nginx names no 422 */
#define NGX_HTTP_HEAO_UNPROCESSABLE     422


/* prepared statements, in the order of ngx_http_heao_pg_stmts[] */
typedef enum {
    NGX_HTTP_HEAO_SQL_LOGIN_LOOKUP = 0,
    NGX_HTTP_HEAO_SQL_SET_PASSWORD,
    NGX_HTTP_HEAO_SQL_CATALOG_VERSION,
    NGX_HTTP_HEAO_SQL_CATALOG_BATCHES,
    NGX_HTTP_HEAO_SQL_CATALOG_ENTRIES,
    NGX_HTTP_HEAO_SQL_FILL_STATE,
    NGX_HTTP_HEAO_SQL_SAVE,
    NGX_HTTP_HEAO_SQL_BROWSE,
    NGX_HTTP_HEAO_SQL_TOTP_SECRET,
    NGX_HTTP_HEAO_SQL_TOTP_BIND,
    NGX_HTTP_HEAO_SQL_TOTP_UNBIND,
    NGX_HTTP_HEAO_SQL_PASSWORD_HASH,
    NGX_HTTP_HEAO_SQL_CHANGE_PASSWORD,
    NGX_HTTP_HEAO_SQL_LAST
} ngx_http_heao_sql_e;


/* Lua scripts, in the order of ngx_http_heao_redis_scripts[] */
typedef enum {
    NGX_HTTP_HEAO_LUA_SESSION_GET = 0,
    NGX_HTTP_HEAO_LUA_SESSION_CREATE,
    NGX_HTTP_HEAO_LUA_SESSION_HSET,
    NGX_HTTP_HEAO_LUA_DEL,
    NGX_HTTP_HEAO_LUA_LOGIN_GATE,
    NGX_HTTP_HEAO_LUA_LOGIN_FAILED,
    NGX_HTTP_HEAO_LUA_SET_EX,
    NGX_HTTP_HEAO_LUA_CAPTCHA_CHECK,
    NGX_HTTP_HEAO_LUA_GET,
    NGX_HTTP_HEAO_LUA_TOTP_USE,
    NGX_HTTP_HEAO_LUA_SESSIONS_END,
    NGX_HTTP_HEAO_LUA_LAST
} ngx_http_heao_lua_e;


typedef struct ngx_http_heao_ctx_s  ngx_http_heao_ctx_t;

/*
 * An action runs a request from step to step: it returns NGX_AGAIN while
 * a backend works for it (the backend's callback runs it again), or the
 * code to finalize the request with.
 */
typedef ngx_int_t (*ngx_http_heao_action_pt)(ngx_http_request_t *r,
    ngx_http_heao_ctx_t *ctx);


typedef struct {
    ngx_http_heao_pg_conf_t      pg;
    ngx_http_heao_redis_conf_t   redis;

    ngx_thread_pool_t           *kdf_pool;
    ngx_uint_t                   kdf_opslimit;
    size_t                       kdf_memlimit;

    ngx_str_t                    secret_file;
    ngx_str_t                    secret;

    ngx_msec_t                   session_idle;
    ngx_msec_t                   session_lifetime;
    ngx_msec_t                   fill_timeout;
    ngx_msec_t                   catalog_refresh;

    ngx_uint_t                   login_failures;
    ngx_msec_t                   login_window;
    ngx_uint_t                   addr_failures;

    size_t                       max_body;
    ngx_flag_t                   captcha;
    ngx_flag_t                   secure_cookie;

    ngx_uint_t                   totp_digits;
} ngx_http_heao_main_conf_t;


typedef struct {
    ngx_flag_t                   enable;
} ngx_http_heao_loc_conf_t;


/* the session of the request, as Redis holds it */
typedef struct {
    ngx_str_t                    key;           /* Redis key, hashed sid */
    ngx_str_t                    candidate;     /* candidate id, decimal */
    ngx_str_t                    exam_no;
    ngx_str_t                    name;
    ngx_str_t                    csrf;
    time_t                       expires;       /* absolute lifetime */
    ngx_uint_t                   must_change;   /* A14: office password */
    ngx_array_t                  fills;         /* ngx_keyval_t: batch, end */
} ngx_http_heao_session_t;


struct ngx_http_heao_ctx_s {
    ngx_http_request_t          *request;
    ngx_http_heao_action_pt      action;
    ngx_uint_t                   step;

    ngx_str_t                    arg[2];        /* from the uri */

    json_t                      *body;          /* parsed request body */
    ngx_http_heao_session_t     *session;
    time_t                       arrived;       /* when the request came */
    ngx_msec_t                   arrived_msec;

    ngx_http_heao_pg_op_t       *pg_op;
    ngx_http_heao_redis_op_t    *redis_op;
    ngx_int_t                    rc;            /* of the last backend call */
    ngx_str_t                    result;        /* copied backend answer */
    ngx_array_t                 *reply;         /* ngx_str_t, copied */

    void                        *data;          /* the action's own state */
    ngx_queue_t                  queue;         /* waiting for the catalog */

    unsigned                     catalog_wait:1;
    unsigned                     finalized:1;
};


extern ngx_module_t                   ngx_http_heao_module;
extern ngx_http_heao_redis_script_t   ngx_http_heao_redis_scripts[];


typedef struct {
    ngx_http_heao_pg_pool_t     *pg;
    ngx_http_heao_redis_t       *redis;
} ngx_http_heao_worker_t;

extern ngx_http_heao_worker_t  ngx_http_heao_worker;


/* ngx_http_heao_module.c */
void ngx_http_heao_wake(ngx_http_heao_ctx_t *ctx);
ngx_int_t ngx_http_heao_pg_call(ngx_http_heao_ctx_t *ctx, ngx_uint_t stmt,
    int nparams, const char *const *values, const int *lengths);
ngx_int_t ngx_http_heao_redis_call(ngx_http_heao_ctx_t *ctx,
    ngx_uint_t script, int nkeys, int argc, const char **argv,
    const size_t *argvlen);
ngx_int_t ngx_http_heao_backend_error(ngx_http_request_t *r,
    ngx_http_heao_ctx_t *ctx, const char *what);
ngx_int_t ngx_http_heao_thread_post(ngx_http_request_t *r,
    ngx_thread_pool_t *tp, ngx_thread_task_t *task, ngx_event_handler_pt done);
void ngx_http_heao_thread_finish(ngx_http_request_t *r);

/* ngx_http_heao_json.c */
ngx_int_t ngx_http_heao_send_json(ngx_http_request_t *r, ngx_uint_t status,
    json_t *json);
ngx_int_t ngx_http_heao_send_raw(ngx_http_request_t *r, ngx_uint_t status,
    ngx_str_t *json);
ngx_int_t ngx_http_heao_send_error(ngx_http_request_t *r, ngx_uint_t status,
    const char *error, const char *field, const char *message);
ngx_int_t ngx_http_heao_parse_body(ngx_http_request_t *r,
    ngx_http_heao_ctx_t *ctx);
ngx_int_t ngx_http_heao_answer(ngx_http_request_t *r, ngx_int_t rc);
ngx_int_t ngx_http_heao_bad_field(ngx_http_request_t *r, const char *field,
    const char *message);
json_t *ngx_http_heao_json_str(ngx_str_t *s);

/* ngx_http_heao_session.c */
ngx_int_t ngx_http_heao_session_load(ngx_http_request_t *r,
    ngx_http_heao_ctx_t *ctx);
ngx_int_t ngx_http_heao_session_loaded(ngx_http_request_t *r,
    ngx_http_heao_ctx_t *ctx, ngx_uint_t csrf);
ngx_int_t ngx_http_heao_session_create(ngx_http_request_t *r,
    ngx_http_heao_ctx_t *ctx, ngx_str_t *candidate, ngx_str_t *exam_no,
    ngx_str_t *name, ngx_uint_t must_change);
ngx_int_t ngx_http_heao_session_end_others(ngx_http_request_t *r,
    ngx_http_heao_ctx_t *ctx, ngx_str_t *candidate);
ngx_int_t ngx_http_heao_session_created(ngx_http_request_t *r,
    ngx_http_heao_ctx_t *ctx);
ngx_int_t ngx_http_heao_session_destroy(ngx_http_request_t *r,
    ngx_http_heao_ctx_t *ctx);
ngx_int_t ngx_http_heao_session_set_fill(ngx_http_request_t *r,
    ngx_http_heao_ctx_t *ctx, ngx_str_t *batch, time_t end);
time_t ngx_http_heao_session_fill_end(ngx_http_heao_session_t *s,
    ngx_str_t *batch);
json_t *ngx_http_heao_session_json(ngx_http_heao_session_t *s);
ngx_int_t ngx_http_heao_random_token(ngx_http_request_t *r, size_t bytes,
    ngx_str_t *out);

/* a character of base64url, the alphabet of identifiers and tickets */
#define ngx_http_heao_token_char(c)                                           \
    (((c) >= 'A' && (c) <= 'Z') || ((c) >= 'a' && (c) <= 'z')                 \
     || ((c) >= '0' && (c) <= '9') || (c) == '-' || (c) == '_')

/* handlers, one file per area */
ngx_int_t ngx_http_heao_login(ngx_http_request_t *r, ngx_http_heao_ctx_t *ctx);
ngx_int_t ngx_http_heao_logout(ngx_http_request_t *r,
    ngx_http_heao_ctx_t *ctx);
ngx_int_t ngx_http_heao_whoami(ngx_http_request_t *r,
    ngx_http_heao_ctx_t *ctx);
ngx_int_t ngx_http_heao_batches(ngx_http_request_t *r,
    ngx_http_heao_ctx_t *ctx);
ngx_int_t ngx_http_heao_lookup(ngx_http_request_t *r,
    ngx_http_heao_ctx_t *ctx);
ngx_int_t ngx_http_heao_begin(ngx_http_request_t *r,
    ngx_http_heao_ctx_t *ctx);
ngx_int_t ngx_http_heao_check(ngx_http_request_t *r,
    ngx_http_heao_ctx_t *ctx);
ngx_int_t ngx_http_heao_save(ngx_http_request_t *r, ngx_http_heao_ctx_t *ctx);
ngx_int_t ngx_http_heao_browse(ngx_http_request_t *r,
    ngx_http_heao_ctx_t *ctx);
ngx_int_t ngx_http_heao_captcha_new(ngx_http_request_t *r,
    ngx_http_heao_ctx_t *ctx);
ngx_int_t ngx_http_heao_captcha_verify(ngx_http_request_t *r,
    ngx_http_heao_ctx_t *ctx);
ngx_int_t ngx_http_heao_totp_status(ngx_http_request_t *r,
    ngx_http_heao_ctx_t *ctx);
ngx_int_t ngx_http_heao_totp_begin(ngx_http_request_t *r,
    ngx_http_heao_ctx_t *ctx);
ngx_int_t ngx_http_heao_totp_qr(ngx_http_request_t *r,
    ngx_http_heao_ctx_t *ctx);
ngx_int_t ngx_http_heao_totp_confirm(ngx_http_request_t *r,
    ngx_http_heao_ctx_t *ctx);
ngx_int_t ngx_http_heao_totp_unbind(ngx_http_request_t *r,
    ngx_http_heao_ctx_t *ctx);
ngx_int_t ngx_http_heao_password_change(ngx_http_request_t *r,
    ngx_http_heao_ctx_t *ctx);

/* ngx_http_heao_totp.c */
ngx_int_t ngx_http_heao_totp_match(ngx_http_request_t *r, ngx_str_t *hexkey,
    ngx_str_t *code, time_t now, uint64_t *counter);
ngx_int_t ngx_http_heao_totp_use(ngx_http_request_t *r,
    ngx_http_heao_ctx_t *ctx, ngx_str_t *candidate, uint64_t counter);
ngx_int_t ngx_http_heao_totp_field(ngx_http_request_t *r, json_t *body,
    const char *name, ngx_str_t *code);


#endif /* _NGX_HTTP_HEAO_MODULE_H_INCLUDED_ */
