
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
/* the catalog version the cached browse answers were read under (B6) */
#define NGX_HTTP_HEAO_BROWSE_EPOCH      "heao:be"
#define NGX_HTTP_HEAO_SECRET_MIN        32
#define NGX_HTTP_HEAO_EXAM_NO_LEN       14
#define NGX_HTTP_HEAO_ID_NO_LEN         18
#define NGX_HTTP_HEAO_CHECKSUM_LEN      20
#define NGX_HTTP_HEAO_TOTP_STEP         30      /* seconds, RFC 6238 */

/* nginx names no 422 */
#define NGX_HTTP_HEAO_UNPROCESSABLE     422

/*
 * the JSON the module writes: compact, a real to 15 significant digits
 * (DBL_DIG), which gives back the decimal PostgreSQL sent (634.6) where
 * jansson's 17 show the double's error (634.60000000000002)
 */
#define NGX_HTTP_HEAO_JSON_DUMP                                               \
    (JSON_COMPACT | JSON_REAL_PRECISION(15))


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
    NGX_HTTP_HEAO_SQL_SAVE_HISTORY,
    NGX_HTTP_HEAO_SQL_MAILBOX,
    NGX_HTTP_HEAO_SQL_MAILBOX_READ,
    NGX_HTTP_HEAO_SQL_ABANDON_CHECK,
    NGX_HTTP_HEAO_SQL_ABANDON,
    NGX_HTTP_HEAO_SQL_SCORE,
    NGX_HTTP_HEAO_SQL_EVALUATION,
    NGX_HTTP_HEAO_SQL_ARCHIVE,
    NGX_HTTP_HEAO_SQL_PLEDGES,
    NGX_HTTP_HEAO_SQL_PLEDGE,
    NGX_HTTP_HEAO_SQL_ADMISSIONS,
    NGX_HTTP_HEAO_SQL_ENTRY,
    NGX_HTTP_HEAO_SQL_PROOF_OF,
    NGX_HTTP_HEAO_SQL_RECOVER_LOOKUP,
    NGX_HTTP_HEAO_SQL_CODE_NOTICE,
    NGX_HTTP_HEAO_SQL_RESET_PASSWORD,
    NGX_HTTP_HEAO_SQL_PHONE_OF,
    NGX_HTTP_HEAO_SQL_SET_PHONE,
    NGX_HTTP_HEAO_SQL_VERIFY_INFO_CHECK,
    NGX_HTTP_HEAO_SQL_SET_VERIFY_INFO,
    NGX_HTTP_HEAO_SQL_LOGIN_NOTICE,
    NGX_HTTP_HEAO_SQL_EXAM_NO_LOOKUP,
    NGX_HTTP_HEAO_SQL_WECHAT_OF,
    NGX_HTTP_HEAO_SQL_WECHAT_BIND,
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
    NGX_HTTP_HEAO_LUA_RATE,
    NGX_HTTP_HEAO_LUA_BROWSE_PUT,
    NGX_HTTP_HEAO_LUA_BROWSE_FORGET,
    NGX_HTTP_HEAO_LUA_GET,
    NGX_HTTP_HEAO_LUA_BROWSE_EPOCH,
    NGX_HTTP_HEAO_LUA_TOTP_USE,
    NGX_HTTP_HEAO_LUA_SESSIONS_END,
    NGX_HTTP_HEAO_LUA_CODE_ISSUE,
    NGX_HTTP_HEAO_LUA_CODE_CHECK,
    NGX_HTTP_HEAO_LUA_HASH_PUT,
    NGX_HTTP_HEAO_LUA_HASH_GET,
    NGX_HTTP_HEAO_LUA_WECHAT_CLAIM,
    NGX_HTTP_HEAO_LUA_SESSION_BROWSE,
    NGX_HTTP_HEAO_LUA_LAST
} ngx_http_heao_lua_e;


typedef struct ngx_http_heao_ctx_s      ngx_http_heao_ctx_t;
typedef struct ngx_http_heao_catalog_s  ngx_http_heao_catalog_t;

/*
 * An action runs a request from step to step: it returns NGX_DONE while
 * a backend works for it (the backend's callback runs it again) or once
 * a helper answered, else the code to finalize the request with.
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
    ngx_uint_t                   captcha_limit;
    ngx_msec_t                   captcha_window;
    ngx_flag_t                   secure_cookie;

    ngx_shm_zone_t              *metrics_zone;
    ngx_uint_t                   totp_digits;

    /* O5: reads that may be stale go to a streaming replica */
    ngx_http_heao_pg_conf_t      pg_replica;

    ngx_uint_t                   code_attempts; /* A8: a code's tries */
    ngx_uint_t                   code_sends;    /* codes sent a window */
    ngx_msec_t                   code_window;
    ngx_uint_t                   recover_limit; /* A8 per exam number */
    ngx_msec_t                   recover_window;
    ngx_uint_t                   recover_addr;  /* A8 per client address */

    ngx_str_t                    wechat_bind_url;   /* A11 */
    ngx_str_t                    wechat_secret;
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
    ngx_str_t                    profile;       /* JSON, F9 and F10 */
    time_t                       expires;       /* absolute lifetime */
    ngx_uint_t                   must_change;   /* A14: office password */
    ngx_array_t                  fills;         /* ngx_keyval_t: batch, end */
    ngx_uint_t                   skip;          /* script's own values */
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
    ngx_http_heao_catalog_t     *catalog;       /* held while it lives */
    ngx_event_t                  thread_guard;  /* while a thread works */

    unsigned                     catalog_wait:1;
    unsigned                     finalized:1;
    unsigned                     body_pooled:1; /* no json_decref() */

    /* for the metrics and the access log (O2, O3) */
    ngx_uint_t                   route;         /* index in the routes */
    ngx_str_t                    outcome;       /* "error" of the answer */
    ngx_str_t                    exam_no;       /* of the body, when any */
    ngx_msec_t                   backend_start;
    ngx_msec_t                   backend_msec;  /* all backend calls */
    unsigned                     duplicate:1;   /* a save retried */
};


extern ngx_module_t                   ngx_http_heao_module;
extern ngx_http_heao_redis_script_t   ngx_http_heao_redis_scripts[];


typedef struct {
    ngx_http_heao_pg_pool_t     *pg;
    ngx_http_heao_redis_t       *redis;
    ngx_http_heao_pg_pool_t     *pg_replica;    /* NULL: none */
} ngx_http_heao_worker_t;

extern ngx_http_heao_worker_t  ngx_http_heao_worker;


/* ngx_http_heao_module.c */
void ngx_http_heao_wake(ngx_http_heao_ctx_t *ctx);
ngx_int_t ngx_http_heao_pg_call(ngx_http_heao_ctx_t *ctx, ngx_uint_t stmt,
    int nparams, const char *const *values, const int *lengths);
ngx_int_t ngx_http_heao_redis_call(ngx_http_heao_ctx_t *ctx,
    ngx_uint_t script, int nkeys, int argc, const char **argv,
    const size_t *argvlen);
json_t *ngx_http_heao_pg_json(ngx_http_request_t *r,
    ngx_http_heao_ctx_t *ctx, const char *what);
ngx_int_t ngx_http_heao_backend_error(ngx_http_request_t *r,
    ngx_http_heao_ctx_t *ctx, const char *what);
ngx_int_t ngx_http_heao_thread_post(ngx_http_request_t *r,
    ngx_thread_pool_t *tp, ngx_thread_task_t *task, ngx_event_handler_pt done);
void ngx_http_heao_thread_finish(ngx_http_request_t *r);

/* ngx_http_heao_json.c */
void ngx_http_heao_json_init(void);
ngx_pool_t *ngx_http_heao_json_use(ngx_pool_t *pool);
ngx_int_t ngx_http_heao_send_json(ngx_http_request_t *r, ngx_uint_t status,
    json_t *json);
ngx_int_t ngx_http_heao_send_raw(ngx_http_request_t *r, ngx_uint_t status,
    ngx_str_t *json);
ngx_int_t ngx_http_heao_send_error(ngx_http_request_t *r, ngx_uint_t status,
    const char *error, const char *field, const char *message);
ngx_int_t ngx_http_heao_parse_body(ngx_http_request_t *r,
    ngx_http_heao_ctx_t *ctx);
ngx_int_t ngx_http_heao_no_fields(ngx_http_request_t *r,
    ngx_http_heao_ctx_t *ctx);
ngx_int_t ngx_http_heao_answer(ngx_http_request_t *r, ngx_int_t rc);
ngx_int_t ngx_http_heao_bad_field(ngx_http_request_t *r, const char *field,
    const char *message);

/* ngx_http_heao_session.c */
ngx_int_t ngx_http_heao_session_load(ngx_http_request_t *r,
    ngx_http_heao_ctx_t *ctx);
ngx_int_t ngx_http_heao_session_load_with(ngx_http_request_t *r,
    ngx_http_heao_ctx_t *ctx, ngx_uint_t script, ngx_uint_t skip,
    ngx_uint_t nargs, ngx_str_t *args);
ngx_int_t ngx_http_heao_session_loaded(ngx_http_request_t *r,
    ngx_http_heao_ctx_t *ctx, ngx_uint_t csrf);
ngx_int_t ngx_http_heao_session_create(ngx_http_request_t *r,
    ngx_http_heao_ctx_t *ctx, ngx_str_t *candidate, ngx_str_t *exam_no,
    ngx_str_t *name, ngx_str_t *profile, ngx_uint_t must_change);
ngx_int_t ngx_http_heao_session_end_others(ngx_http_request_t *r,
    ngx_http_heao_ctx_t *ctx, ngx_str_t *candidate);
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
ngx_int_t ngx_http_heao_history(ngx_http_request_t *r,
    ngx_http_heao_ctx_t *ctx);
ngx_int_t ngx_http_heao_mailbox(ngx_http_request_t *r,
    ngx_http_heao_ctx_t *ctx);
ngx_int_t ngx_http_heao_mailbox_read(ngx_http_request_t *r,
    ngx_http_heao_ctx_t *ctx);
ngx_int_t ngx_http_heao_abandon(ngx_http_request_t *r,
    ngx_http_heao_ctx_t *ctx);
ngx_int_t ngx_http_heao_info_score(ngx_http_request_t *r,
    ngx_http_heao_ctx_t *ctx);
ngx_int_t ngx_http_heao_info_evaluation(ngx_http_request_t *r,
    ngx_http_heao_ctx_t *ctx);
ngx_int_t ngx_http_heao_info_archive(ngx_http_request_t *r,
    ngx_http_heao_ctx_t *ctx);
ngx_int_t ngx_http_heao_pledges(ngx_http_request_t *r,
    ngx_http_heao_ctx_t *ctx);
ngx_int_t ngx_http_heao_pledge(ngx_http_request_t *r,
    ngx_http_heao_ctx_t *ctx);
ngx_int_t ngx_http_heao_admissions(ngx_http_request_t *r,
    ngx_http_heao_ctx_t *ctx);
ngx_int_t ngx_http_heao_entry(ngx_http_request_t *r,
    ngx_http_heao_ctx_t *ctx);
ngx_int_t ngx_http_heao_plan(ngx_http_request_t *r, ngx_http_heao_ctx_t *ctx);
ngx_int_t ngx_http_heao_plan_inst(ngx_http_request_t *r,
    ngx_http_heao_ctx_t *ctx);
ngx_int_t ngx_http_heao_code_send(ngx_http_request_t *r,
    ngx_http_heao_ctx_t *ctx);
ngx_int_t ngx_http_heao_recover_start(ngx_http_request_t *r,
    ngx_http_heao_ctx_t *ctx);
ngx_int_t ngx_http_heao_recover_code(ngx_http_request_t *r,
    ngx_http_heao_ctx_t *ctx);
ngx_int_t ngx_http_heao_recover_finish(ngx_http_request_t *r,
    ngx_http_heao_ctx_t *ctx);
ngx_int_t ngx_http_heao_phone_set(ngx_http_request_t *r,
    ngx_http_heao_ctx_t *ctx);
ngx_int_t ngx_http_heao_verify_info_set(ngx_http_request_t *r,
    ngx_http_heao_ctx_t *ctx);
ngx_int_t ngx_http_heao_recover_exam_no(ngx_http_request_t *r,
    ngx_http_heao_ctx_t *ctx);
ngx_int_t ngx_http_heao_wechat_status(ngx_http_request_t *r,
    ngx_http_heao_ctx_t *ctx);
ngx_int_t ngx_http_heao_wechat_begin(ngx_http_request_t *r,
    ngx_http_heao_ctx_t *ctx);
ngx_int_t ngx_http_heao_wechat_qr(ngx_http_request_t *r,
    ngx_http_heao_ctx_t *ctx);
ngx_int_t ngx_http_heao_wechat_unbind(ngx_http_request_t *r,
    ngx_http_heao_ctx_t *ctx);
ngx_int_t ngx_http_heao_wechat_callback(ngx_http_request_t *r,
    ngx_http_heao_ctx_t *ctx);
ngx_int_t ngx_http_heao_abandon_proof(ngx_http_request_t *r,
    ngx_http_heao_ctx_t *ctx);
char *ngx_http_heao_wechat_secret_file(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);

/*
 * ngx_http_heao_account.c: the formats of SPEC 2, 1 when the text holds
 * one; they call nothing but nginx's string functions (t/fuzz reads them)
 */
ngx_uint_t ngx_http_heao_valid_exam_no(ngx_str_t *s);
ngx_uint_t ngx_http_heao_valid_id_no(ngx_str_t *s);
ngx_uint_t ngx_http_heao_valid_password(ngx_str_t *s);
ngx_uint_t ngx_http_heao_password_policy(ngx_str_t *s);
ngx_int_t ngx_http_heao_field(json_t *body, const char *name,
    ngx_str_t *value);
/* when and from where a change came, for its notice (A12) */
ngx_int_t ngx_http_heao_account_event(ngx_http_request_t *r,
    ngx_http_heao_ctx_t *ctx, const char **values);

/* ngx_http_heao_recover.c: verification codes (A8, A9, V3) */
#define NGX_HTTP_HEAO_CODE_LEN          6
#define NGX_HTTP_HEAO_CODE_TTL          300     /* seconds, A8 */
ngx_int_t ngx_http_heao_code_field(json_t *obj, const char *name,
    ngx_str_t *code);
ngx_int_t ngx_http_heao_code_check(ngx_http_request_t *r,
    ngx_http_heao_ctx_t *ctx, const char *purpose, ngx_str_t *candidate,
    ngx_str_t *extra, ngx_str_t *code);
ngx_int_t ngx_http_heao_account_rate(ngx_http_request_t *r,
    ngx_http_heao_ctx_t *ctx, const char *what);
ngx_int_t ngx_http_heao_account_rated(ngx_http_request_t *r,
    ngx_http_heao_ctx_t *ctx);

/* ngx_http_heao_fill.c: after a write that changes what browse shows */
ngx_int_t ngx_http_heao_browse_forget(ngx_http_request_t *r,
    ngx_http_heao_ctx_t *ctx);

/* ngx_http_heao_totp.c */
ngx_int_t ngx_http_heao_totp_match(ngx_http_request_t *r, ngx_str_t *hexkey,
    ngx_str_t *code, time_t now, uint64_t *counter);
ngx_int_t ngx_http_heao_totp_use(ngx_http_request_t *r,
    ngx_http_heao_ctx_t *ctx, ngx_str_t *candidate, uint64_t counter);
ngx_int_t ngx_http_heao_totp_field(ngx_http_request_t *r, json_t *body,
    const char *name, ngx_str_t *code);
ngx_int_t ngx_http_heao_qr_png(ngx_http_request_t *r, ngx_str_t *text);


/* ngx_http_heao_metrics.c: events counted for O2 */
typedef enum {
    NGX_HTTP_HEAO_M_LOGIN_OK = 0,
    NGX_HTTP_HEAO_M_LOGIN_FAILED,
    NGX_HTTP_HEAO_M_LOGIN_LOCKED,
    NGX_HTTP_HEAO_M_SAVE,
    NGX_HTTP_HEAO_M_SAVE_DUPLICATE,
    NGX_HTTP_HEAO_M_CATALOG_HIT,
    NGX_HTTP_HEAO_M_CATALOG_MISS,
    NGX_HTTP_HEAO_M_THREAD_REJECTED,
    NGX_HTTP_HEAO_M_LAST
} ngx_http_heao_event_e;

/* how a backend call failed */
typedef enum {
    NGX_HTTP_HEAO_BACKEND_FAILED = 0,
    NGX_HTTP_HEAO_BACKEND_TIMEOUT,
    NGX_HTTP_HEAO_BACKEND_BUSY,
    NGX_HTTP_HEAO_BACKEND_LAST
} ngx_http_heao_backend_e;

#define NGX_HTTP_HEAO_METRICS_PG        0
#define NGX_HTTP_HEAO_METRICS_REDIS     1
#define NGX_HTTP_HEAO_METRICS_BACKENDS  2

ngx_int_t ngx_http_heao_metrics_add_variables(ngx_conf_t *cf);
ngx_int_t ngx_http_heao_metrics_init_conf(ngx_conf_t *cf,
    ngx_http_heao_main_conf_t *hmcf);
ngx_int_t ngx_http_heao_metrics_init_process(ngx_cycle_t *cycle,
    ngx_http_heao_main_conf_t *hmcf);
void ngx_http_heao_metrics_exit_process(void);
char *ngx_http_heao_metrics_directive(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
void ngx_http_heao_metrics_count(ngx_http_heao_event_e event);
void ngx_http_heao_metrics_threads(ngx_atomic_int_t n);
void ngx_http_heao_metrics_backend(ngx_http_heao_ctx_t *ctx,
    ngx_uint_t backend, ngx_int_t rc);

/* ngx_http_heao_module.c: the routes, by index; nroutes is "unknown" */
ngx_uint_t ngx_http_heao_nroutes(void);
void ngx_http_heao_route_name(ngx_uint_t i, ngx_str_t *name,
    ngx_str_t *method);


#endif /* _NGX_HTTP_HEAO_MODULE_H_INCLUDED_ */
