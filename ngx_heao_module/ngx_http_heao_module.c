
/*
 * Copyright (C) heao developers
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>
#include <ngx_thread_pool.h>

#include "ngx_http_heao_module.h"
#include "ngx_http_heao_catalog.h"
#include "ngx_http_heao_kdf.h"


/* how often the timer that keeps an exiting worker for a thread rearms */
#define NGX_HTTP_HEAO_THREAD_GUARD  60000


typedef struct {
    ngx_uint_t                   method;
    ngx_str_t                    path;          /* '*' stands for a segment */
    ngx_http_heao_action_pt      action;
} ngx_http_heao_route_t;


static ngx_int_t ngx_http_heao_handler(ngx_http_request_t *r);
static void ngx_http_heao_body_handler(ngx_http_request_t *r);
static ngx_int_t ngx_http_heao_route(ngx_http_request_t *r,
    ngx_http_heao_ctx_t *ctx);
static void ngx_http_heao_run(ngx_http_request_t *r, ngx_http_heao_ctx_t *ctx);
static void ngx_http_heao_cleanup(void *data);
static void ngx_http_heao_thread_resume(ngx_http_request_t *r);
static void ngx_http_heao_thread_guard(ngx_event_t *ev);
static ngx_uint_t ngx_http_heao_pg_may_be_stale(ngx_uint_t stmt);
static void ngx_http_heao_pg_done(void *data, ngx_int_t rc, PGresult *res);
static void ngx_http_heao_redis_done(void *data, ngx_int_t rc,
    redisReply *reply);

static ngx_int_t ngx_http_heao_preconfiguration(ngx_conf_t *cf);
static ngx_int_t ngx_http_heao_postconfiguration(ngx_conf_t *cf);
static void *ngx_http_heao_create_main_conf(ngx_conf_t *cf);
static char *ngx_http_heao_init_main_conf(ngx_conf_t *cf, void *conf);
static void *ngx_http_heao_create_loc_conf(ngx_conf_t *cf);
static char *ngx_http_heao_merge_loc_conf(ngx_conf_t *cf, void *parent,
    void *child);
static char *ngx_http_heao(ngx_conf_t *cf, ngx_command_t *cmd, void *conf);
static char *ngx_http_heao_kdf_pool(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_http_heao_conf_set_limit(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_http_heao_check_bounds(ngx_conf_t *cf, void *post,
    void *data);
static char *ngx_http_heao_redis_sentinel(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_http_heao_conf_set_num_slot(ngx_conf_t *cf,
    ngx_command_t *cmd, void *conf);
static char *ngx_http_heao_conf_set_msec_slot(ngx_conf_t *cf,
    ngx_command_t *cmd, void *conf);
static char *ngx_http_heao_conf_set_size_slot(ngx_conf_t *cf,
    ngx_command_t *cmd, void *conf);
static char *ngx_http_heao_conf_invalid(ngx_conf_t *cf, ngx_command_t *cmd,
    char *rv);
static ngx_int_t ngx_http_heao_conf_count(ngx_conf_t *cf, ngx_str_t *value,
    ngx_uint_t *n);
static ngx_int_t ngx_http_heao_conf_window(ngx_conf_t *cf, ngx_str_t *value,
    ngx_msec_t *ms);
static ngx_int_t ngx_http_heao_read_secret(ngx_conf_t *cf,
    ngx_http_heao_main_conf_t *hmcf);
static char *ngx_http_heao_init_replica_conf(ngx_conf_t *cf,
    ngx_http_heao_main_conf_t *hmcf);
static ngx_int_t ngx_http_heao_init_process(ngx_cycle_t *cycle);
static void ngx_http_heao_exit_process(ngx_cycle_t *cycle);


static ngx_conf_num_bounds_t  ngx_http_heao_pool_bounds = {
    ngx_http_heao_check_bounds, 1, 64
};

static ngx_conf_num_bounds_t  ngx_http_heao_queue_bounds = {
    ngx_http_heao_check_bounds, 0, 65536
};

static ngx_conf_num_bounds_t  ngx_http_heao_ops_bounds = {
    ngx_http_heao_check_bounds, 1, 16
};

static ngx_conf_num_bounds_t  ngx_http_heao_digits_bounds = {
    ngx_http_heao_check_bounds, 6, 8
};


/*
 * The limit directives: a count, a window and maybe a second count, each
 * argument in the field at its offset; "window" is the argument that is a
 * time.
 */

typedef struct {
    size_t      offset[3];
    ngx_uint_t  window;
} ngx_http_heao_limit_args_t;

#define ngx_http_heao_mcf(field)  offsetof(ngx_http_heao_main_conf_t, field)

static ngx_http_heao_limit_args_t  ngx_http_heao_login_limit_args = {
    { ngx_http_heao_mcf(login_failures), ngx_http_heao_mcf(login_window),
      ngx_http_heao_mcf(addr_failures) }, 2
};

static ngx_http_heao_limit_args_t  ngx_http_heao_captcha_limit_args = {
    { ngx_http_heao_mcf(captcha_limit), ngx_http_heao_mcf(captcha_window),
      0 }, 2
};

static ngx_http_heao_limit_args_t  ngx_http_heao_code_limit_args = {
    { ngx_http_heao_mcf(code_attempts), ngx_http_heao_mcf(code_sends),
      ngx_http_heao_mcf(code_window) }, 3
};

static ngx_http_heao_limit_args_t  ngx_http_heao_recover_limit_args = {
    { ngx_http_heao_mcf(recover_limit), ngx_http_heao_mcf(recover_window),
      ngx_http_heao_mcf(recover_addr) }, 2
};


static ngx_command_t  ngx_http_heao_commands[] = {

    { ngx_string("heao"),
      NGX_HTTP_LOC_CONF|NGX_CONF_NOARGS,
      ngx_http_heao,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("heao_pg"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_str_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_heao_main_conf_t, pg.conninfo),
      NULL },

    { ngx_string("heao_pg_pool_size"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_http_heao_conf_set_num_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_heao_main_conf_t, pg.size),
      &ngx_http_heao_pool_bounds },

    { ngx_string("heao_pg_queue"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_http_heao_conf_set_num_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_heao_main_conf_t, pg.queue),
      &ngx_http_heao_queue_bounds },

    { ngx_string("heao_pg_connect_timeout"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_http_heao_conf_set_msec_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_heao_main_conf_t, pg.connect_timeout),
      NULL },

    { ngx_string("heao_pg_query_timeout"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_http_heao_conf_set_msec_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_heao_main_conf_t, pg.query_timeout),
      NULL },

    { ngx_string("heao_pg_queue_timeout"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_http_heao_conf_set_msec_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_heao_main_conf_t, pg.queue_timeout),
      NULL },

    { ngx_string("heao_pg_max_uses"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_http_heao_conf_set_num_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_heao_main_conf_t, pg.max_uses),
      NULL },

    { ngx_string("heao_redis"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_str_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_heao_main_conf_t, redis.addr),
      NULL },

    { ngx_string("heao_redis_db"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_http_heao_conf_set_num_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_heao_main_conf_t, redis.db),
      NULL },

    { ngx_string("heao_redis_connect_timeout"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_http_heao_conf_set_msec_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_heao_main_conf_t, redis.connect_timeout),
      NULL },

    { ngx_string("heao_redis_command_timeout"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_http_heao_conf_set_msec_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_heao_main_conf_t, redis.command_timeout),
      NULL },

    { ngx_string("heao_redis_queue"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_http_heao_conf_set_num_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_heao_main_conf_t, redis.queue),
      &ngx_http_heao_queue_bounds },

    { ngx_string("heao_kdf_thread_pool"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_http_heao_kdf_pool,
      NGX_HTTP_MAIN_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("heao_kdf_opslimit"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_http_heao_conf_set_num_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_heao_main_conf_t, kdf_opslimit),
      &ngx_http_heao_ops_bounds },

    { ngx_string("heao_kdf_memlimit"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_http_heao_conf_set_size_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_heao_main_conf_t, kdf_memlimit),
      NULL },

    { ngx_string("heao_secret_file"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_str_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_heao_main_conf_t, secret_file),
      NULL },

    { ngx_string("heao_session_idle_timeout"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_http_heao_conf_set_msec_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_heao_main_conf_t, session_idle),
      NULL },

    { ngx_string("heao_session_lifetime"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_http_heao_conf_set_msec_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_heao_main_conf_t, session_lifetime),
      NULL },

    { ngx_string("heao_fill_timeout"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_http_heao_conf_set_msec_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_heao_main_conf_t, fill_timeout),
      NULL },

    { ngx_string("heao_catalog_refresh"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_http_heao_conf_set_msec_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_heao_main_conf_t, catalog_refresh),
      NULL },

    { ngx_string("heao_login_limit"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE3,
      ngx_http_heao_conf_set_limit,
      NGX_HTTP_MAIN_CONF_OFFSET,
      0,
      &ngx_http_heao_login_limit_args },

    { ngx_string("heao_max_body"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_http_heao_conf_set_size_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_heao_main_conf_t, max_body),
      NULL },

    { ngx_string("heao_captcha"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_FLAG,
      ngx_conf_set_flag_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_heao_main_conf_t, captcha),
      NULL },

    { ngx_string("heao_captcha_limit"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE2,
      ngx_http_heao_conf_set_limit,
      NGX_HTTP_MAIN_CONF_OFFSET,
      0,
      &ngx_http_heao_captcha_limit_args },

    { ngx_string("heao_secure_cookie"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_FLAG,
      ngx_conf_set_flag_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_heao_main_conf_t, secure_cookie),
      NULL },

    { ngx_string("heao_metrics"),
      NGX_HTTP_LOC_CONF|NGX_CONF_NOARGS,
      ngx_http_heao_metrics_directive,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("heao_totp_digits"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_http_heao_conf_set_num_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_heao_main_conf_t, totp_digits),
      &ngx_http_heao_digits_bounds },

    { ngx_string("heao_pg_replica"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_str_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_heao_main_conf_t, pg_replica.conninfo),
      NULL },

    { ngx_string("heao_pg_replica_pool_size"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_http_heao_conf_set_num_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_heao_main_conf_t, pg_replica.size),
      &ngx_http_heao_pool_bounds },

    { ngx_string("heao_redis_sentinel"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_2MORE,
      ngx_http_heao_redis_sentinel,
      NGX_HTTP_MAIN_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("heao_code_limit"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE3,
      ngx_http_heao_conf_set_limit,
      NGX_HTTP_MAIN_CONF_OFFSET,
      0,
      &ngx_http_heao_code_limit_args },

    { ngx_string("heao_recover_limit"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE3,
      ngx_http_heao_conf_set_limit,
      NGX_HTTP_MAIN_CONF_OFFSET,
      0,
      &ngx_http_heao_recover_limit_args },

    { ngx_string("heao_wechat_bind_url"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_str_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_heao_main_conf_t, wechat_bind_url),
      NULL },

    { ngx_string("heao_wechat_secret_file"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_http_heao_wechat_secret_file,
      NGX_HTTP_MAIN_CONF_OFFSET,
      0,
      NULL },

      ngx_null_command
};


static ngx_http_module_t  ngx_http_heao_module_ctx = {
    ngx_http_heao_preconfiguration,        /* preconfiguration */
    ngx_http_heao_postconfiguration,       /* postconfiguration */

    ngx_http_heao_create_main_conf,        /* create main configuration */
    ngx_http_heao_init_main_conf,          /* init main configuration */

    NULL,                                  /* create server configuration */
    NULL,                                  /* merge server configuration */

    ngx_http_heao_create_loc_conf,         /* create location configuration */
    ngx_http_heao_merge_loc_conf           /* merge location configuration */
};


ngx_module_t  ngx_http_heao_module = {
    NGX_MODULE_V1,
    &ngx_http_heao_module_ctx,             /* module context */
    ngx_http_heao_commands,                /* module directives */
    NGX_HTTP_MODULE,                       /* module type */
    NULL,                                  /* init master */
    NULL,                                  /* init module */
    ngx_http_heao_init_process,            /* init process */
    NULL,                                  /* init thread */
    NULL,                                  /* exit thread */
    ngx_http_heao_exit_process,            /* exit process */
    NULL,                                  /* exit master */
    NGX_MODULE_V1_PADDING
};


ngx_http_heao_worker_t  ngx_http_heao_worker;


static ngx_http_heao_pg_stmt_t  ngx_http_heao_pg_stmts[] = {

    { "heao_login_lookup",
      "select candidate_id, id_no, name, pw_hash, must_change, totp_secret,"
      " heao.candidate_profile(candidate_id) from heao.account_lookup($1)",
      1 },

    { "heao_set_password",
      "select heao.set_password_hash($1::bigint, $2)", 2 },

    { "heao_catalog_version",
      "select heao.catalog_version()", 0 },

    { "heao_catalog_batches",
      "select code, name, group_code, opens_at, closes_at, shape,"
      " candidate_types from heao.catalog_batches()", 0 },

    { "heao_catalog_entries",
      "select batch_code, inst_code, inst_name, major_code, major_name,"
      " major_class, restrictions, province, plan, tuition, years,"
      " major_group, note from heao.catalog_entries()", 0 },

    { "heao_fill_state",
      "select heao.fill_state($1::bigint, $2)", 2 },

    { "heao_save",
      "select heao.save_application($1::bigint, $2, $3::uuid, $4::jsonb,"
      " $5, $6, $7::double precision, $8, $9)", 9 },

    { "heao_browse",
      "select heao.browse($1::bigint)", 1 },

    { "heao_totp_secret",
      "select heao.totp_secret($1::bigint)", 1 },

    { "heao_totp_bind",
      "select heao.totp_bind($1::bigint, $2, $3::double precision, $4)",
      4 },

    { "heao_totp_unbind",
      "select heao.totp_unbind($1::bigint, $2::double precision, $3)", 3 },

    { "heao_password_hash",
      "select heao.password_hash($1::bigint)", 1 },

    { "heao_change_password",
      "select heao.change_password($1::bigint, $2, $3::double precision,"
      " $4)", 4 },

    { "heao_save_history",
      "select heao.save_history_of($1::bigint)", 1 },

    { "heao_mailbox",
      "select heao.mailbox_of($1::bigint)", 1 },

    { "heao_mailbox_read",
      "select heao.mailbox_read($1::bigint, $2::bigint)", 2 },

    { "heao_abandon_check",
      "select status, proof, totp_secret, verify_hash, sent_to"
      " from heao.abandon_check($1::bigint, $2, $3::double precision)", 3 },

    { "heao_abandon",
      "select heao.abandon_group($1::bigint, $2, $3::double precision, $4)",
      4 },

    { "heao_score",
      "select heao.score_of($1::bigint)", 1 },

    { "heao_evaluation",
      "select heao.evaluation_of($1::bigint)", 1 },

    { "heao_archive",
      "select heao.archive_of($1::bigint)", 1 },

    { "heao_pledges",
      "select heao.pledges_of($1::bigint)", 1 },

    { "heao_pledge",
      "select heao.pledge_of($1::bigint, $2)", 2 },

    { "heao_admissions",
      "select heao.admissions_of($1::bigint, $2)", 2 },

    { "heao_entry",
      "select heao.entry_page()", 0 },

    { "heao_proof_of",
      "select proof, totp_secret, verify_hash, sent_to"
      " from heao.proof_of($1::bigint)", 1 },

    { "heao_recover_lookup",
      "select candidate_id, proof, sent_to"
      " from heao.recover_lookup($1, $2, $3)", 3 },

    { "heao_code_notice",
      "select heao.code_notice($1::bigint, $2, $3, $4)", 4 },

    { "heao_reset_password",
      "select heao.reset_password($1::bigint, $2, $3::double precision,"
      " $4)", 4 },

    { "heao_phone_of",
      "select heao.phone_of($1::bigint)", 1 },

    { "heao_set_phone",
      "select heao.set_phone($1::bigint, $2, $3::double precision, $4)",
      4 },

    { "heao_verify_info_check",
      "select pw_hash, name from heao.verify_info_check($1::bigint)", 1 },

    { "heao_set_verify_info",
      "select heao.set_verify_info($1::bigint, $2, $3::double precision,"
      " $4)", 4 },

    { "heao_login_notice",
      "select heao.login_notice($1::bigint, $2::double precision, $3)", 3 },

    { "heao_exam_no_lookup",
      "select exam_no, reg_pw_hash from heao.exam_no_lookup($1, $2)", 2 },

    { "heao_wechat_of",
      "select heao.wechat_bound($1::bigint)", 1 },

    { "heao_wechat_bind",
      "select heao.wechat_bind($1::bigint, $2, $3::double precision, $4)",
      4 }
};


static ngx_http_heao_route_t  ngx_http_heao_routes[] = {

    { NGX_HTTP_GET, ngx_string("/api/session"), ngx_http_heao_whoami },
    { NGX_HTTP_POST, ngx_string("/api/login"), ngx_http_heao_login },
    { NGX_HTTP_POST, ngx_string("/api/logout"), ngx_http_heao_logout },
    { NGX_HTTP_GET, ngx_string("/api/batches"), ngx_http_heao_batches },
    { NGX_HTTP_GET, ngx_string("/api/catalog/*/*"), ngx_http_heao_lookup },
    { NGX_HTTP_POST, ngx_string("/api/fill/*/begin"), ngx_http_heao_begin },
    { NGX_HTTP_POST, ngx_string("/api/fill/*/check"), ngx_http_heao_check },
    { NGX_HTTP_POST, ngx_string("/api/fill/*/save"), ngx_http_heao_save },
    { NGX_HTTP_GET, ngx_string("/api/browse"), ngx_http_heao_browse },
    { NGX_HTTP_POST, ngx_string("/api/captcha"), ngx_http_heao_captcha_new },
    { NGX_HTTP_POST, ngx_string("/api/captcha/verify"),
      ngx_http_heao_captcha_verify },
    { NGX_HTTP_GET, ngx_string("/api/totp"), ngx_http_heao_totp_status },
    { NGX_HTTP_POST, ngx_string("/api/totp/begin"), ngx_http_heao_totp_begin },
    { NGX_HTTP_GET, ngx_string("/api/totp/qr"), ngx_http_heao_totp_qr },
    { NGX_HTTP_POST, ngx_string("/api/totp/confirm"),
      ngx_http_heao_totp_confirm },
    { NGX_HTTP_POST, ngx_string("/api/totp/unbind"),
      ngx_http_heao_totp_unbind },
    { NGX_HTTP_POST, ngx_string("/api/password"),
      ngx_http_heao_password_change },
    { NGX_HTTP_GET, ngx_string("/api/history"), ngx_http_heao_history },
    { NGX_HTTP_GET, ngx_string("/api/mailbox"), ngx_http_heao_mailbox },
    { NGX_HTTP_POST, ngx_string("/api/mailbox/*/read"),
      ngx_http_heao_mailbox_read },
    { NGX_HTTP_POST, ngx_string("/api/abandon/*"), ngx_http_heao_abandon },
    { NGX_HTTP_GET, ngx_string("/api/info/score"), ngx_http_heao_info_score },
    { NGX_HTTP_GET, ngx_string("/api/info/evaluation"),
      ngx_http_heao_info_evaluation },
    { NGX_HTTP_GET, ngx_string("/api/info/archive"),
      ngx_http_heao_info_archive },
    { NGX_HTTP_GET, ngx_string("/api/pledge"), ngx_http_heao_pledges },
    { NGX_HTTP_GET, ngx_string("/api/pledge/*"), ngx_http_heao_pledge },
    { NGX_HTTP_GET, ngx_string("/api/admissions/*"),
      ngx_http_heao_admissions },
    { NGX_HTTP_GET, ngx_string("/api/entry"), ngx_http_heao_entry },
    { NGX_HTTP_GET, ngx_string("/api/plan/*"), ngx_http_heao_plan },
    { NGX_HTTP_GET, ngx_string("/api/plan/*/*"), ngx_http_heao_plan_inst },
    { NGX_HTTP_POST, ngx_string("/api/code"), ngx_http_heao_code_send },
    { NGX_HTTP_POST, ngx_string("/api/recover/start"),
      ngx_http_heao_recover_start },
    { NGX_HTTP_POST, ngx_string("/api/recover/code"),
      ngx_http_heao_recover_code },
    { NGX_HTTP_POST, ngx_string("/api/recover/finish"),
      ngx_http_heao_recover_finish },
    { NGX_HTTP_POST, ngx_string("/api/phone"), ngx_http_heao_phone_set },
    { NGX_HTTP_POST, ngx_string("/api/verify-info"),
      ngx_http_heao_verify_info_set },
    { NGX_HTTP_POST, ngx_string("/api/recover/exam-no"),
      ngx_http_heao_recover_exam_no },
    { NGX_HTTP_GET, ngx_string("/api/wechat"), ngx_http_heao_wechat_status },
    { NGX_HTTP_POST, ngx_string("/api/wechat/begin"),
      ngx_http_heao_wechat_begin },
    { NGX_HTTP_GET, ngx_string("/api/wechat/qr"), ngx_http_heao_wechat_qr },
    { NGX_HTTP_POST, ngx_string("/api/wechat/unbind"),
      ngx_http_heao_wechat_unbind },
    { NGX_HTTP_POST, ngx_string("/api/wechat/callback"),
      ngx_http_heao_wechat_callback },
    { NGX_HTTP_GET, ngx_string("/api/proof"), ngx_http_heao_abandon_proof },
    { 0, ngx_null_string, NULL }
};


static ngx_int_t
ngx_http_heao_handler(ngx_http_request_t *r)
{
    ngx_int_t                   rc;
    ngx_http_cleanup_t         *cln;
    ngx_http_heao_ctx_t        *ctx;
    ngx_http_heao_main_conf_t  *hmcf;

    ctx = ngx_pcalloc(r->pool, sizeof(ngx_http_heao_ctx_t));
    if (ctx == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ctx->request = r;
    ctx->route = ngx_http_heao_nroutes();
    ctx->arrived = r->start_sec;
    ctx->arrived_msec = r->start_msec;

    cln = ngx_http_cleanup_add(r, 0);
    if (cln == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    cln->handler = ngx_http_heao_cleanup;
    cln->data = ctx;

    ngx_http_set_ctx(r, ctx, ngx_http_heao_module);

    rc = ngx_http_heao_route(r, ctx);

    if (rc == NGX_HTTP_NOT_ALLOWED) {
        ngx_http_discard_request_body(r);
        return ngx_http_heao_send_error(r, NGX_HTTP_NOT_ALLOWED, "method",
                                        NULL, "请求方法不被允许");
    }

    if (rc != NGX_OK) {
        ngx_http_discard_request_body(r);
        return ngx_http_heao_send_error(r, NGX_HTTP_NOT_FOUND, "not_found",
                                        NULL, "请求的接口不存在");
    }

    if (r->method != NGX_HTTP_POST) {
        ngx_http_discard_request_body(r);
        r->main->count++;
        ngx_http_heao_run(r, ctx);
        return NGX_DONE;
    }

    hmcf = ngx_http_get_module_main_conf(r, ngx_http_heao_module);

    if (r->headers_in.content_length_n > (off_t) hmcf->max_body) {
        ngx_http_discard_request_body(r);
        return ngx_http_heao_send_error(r, NGX_HTTP_REQUEST_ENTITY_TOO_LARGE,
                                        "too_large", NULL,
                                        "请求内容过大");
    }

    r->request_body_in_single_buf = 1;

    rc = ngx_http_read_client_request_body(r, ngx_http_heao_body_handler);
    if (rc >= NGX_HTTP_SPECIAL_RESPONSE) {
        return rc;
    }

    return NGX_DONE;
}


/* finds the action of the uri and method: NGX_OK, or 404 or 405 */

static ngx_int_t
ngx_http_heao_route(ngx_http_request_t *r, ngx_http_heao_ctx_t *ctx)
{
    u_char                 *p, *q, *end, *last;
    ngx_uint_t              n, methods;
    ngx_http_heao_route_t  *rt;

    methods = 0;

    for (rt = ngx_http_heao_routes; rt->action; rt++) {
        p = rt->path.data;
        end = p + rt->path.len;
        q = r->uri.data;
        last = q + r->uri.len;
        n = 0;

        while (p < end && q < last) {
            if (*p != '*') {
                if (*p++ != *q++) {
                    break;
                }

                continue;
            }

            ctx->arg[n].data = q;

            while (q < last && *q != '/') {
                q++;
            }

            ctx->arg[n].len = q - ctx->arg[n].data;

            if (ctx->arg[n].len == 0) {
                break;
            }

            n++;
            p++;
        }

        if (p != end || q != last) {
            continue;
        }

        if ((r->method & rt->method)
            || (r->method == NGX_HTTP_HEAD && rt->method == NGX_HTTP_GET))
        {
            ctx->action = rt->action;
            ctx->route = rt - ngx_http_heao_routes;
            return NGX_OK;
        }

        methods |= rt->method;
    }

    return methods ? NGX_HTTP_NOT_ALLOWED : NGX_HTTP_NOT_FOUND;
}


static void
ngx_http_heao_body_handler(ngx_http_request_t *r)
{
    ngx_http_heao_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r, ngx_http_heao_module);

    ngx_http_heao_run(r, ctx);
}


/* runs the action until it waits for a backend or is done */

static void
ngx_http_heao_run(ngx_http_request_t *r, ngx_http_heao_ctx_t *ctx)
{
    ngx_int_t    rc;
    ngx_pool_t  *last;

    /* the request's JSON lives in its pool (ngx_http_heao_json.c) */

    last = ngx_http_heao_json_use(r->pool);

    rc = ctx->action(r, ctx);

    (void) ngx_http_heao_json_use(last);

    if (rc == NGX_DONE) {
        return;
    }

    ctx->finalized = 1;
    ngx_http_finalize_request(r, rc);
}


void
ngx_http_heao_wake(ngx_http_heao_ctx_t *ctx)
{
    ngx_connection_t    *c;
    ngx_http_request_t  *r;

    r = ctx->request;
    c = r->connection;

    ngx_http_set_log_request(c->log, r);

    ngx_http_heao_run(r, ctx);
    ngx_http_run_posted_requests(c);
}


static void
ngx_http_heao_cleanup(void *data)
{
    ngx_http_heao_ctx_t  *ctx = data;

    if (ctx->pg_op) {
        ngx_http_heao_pg_cancel(ctx->pg_op);
        ctx->pg_op = NULL;
    }

    if (ctx->redis_op) {
        ngx_http_heao_redis_cancel(ctx->redis_op);
        ctx->redis_op = NULL;
    }

    ngx_http_heao_catalog_forget(ctx);

    if (ctx->body) {
        if (!ctx->body_pooled) {
            json_decref(ctx->body);
        }

        ctx->body = NULL;
    }
}


/*
 * Hands a task to a thread pool for the request.  The request is blocked
 * until the task is done, as the task lives in the request's pool; the
 * task's event handler stores the results and calls
 * ngx_http_heao_thread_finish(), which runs the action again.  Returns
 * NGX_DONE, or NGX_BUSY when the pool's queue is full.
 */

ngx_int_t
ngx_http_heao_thread_post(ngx_http_request_t *r, ngx_thread_pool_t *tp,
    ngx_thread_task_t *task, ngx_event_handler_pt done)
{
    ngx_http_heao_ctx_t  *ctx;

    task->event.data = r;
    task->event.handler = done;

    if (ngx_thread_task_post(tp, task) != NGX_OK) {
        ngx_http_heao_metrics_count(NGX_HTTP_HEAO_M_THREAD_REJECTED);
        return NGX_BUSY;
    }

    ngx_http_heao_metrics_threads(1);

    r->main->blocked++;
    r->aio = 1;
    r->write_event_handler = ngx_http_heao_thread_resume;

    /*
     * a shutting down worker exits as soon as no timer but cancelable
     * ones is left, and a request waiting for a thread has none (R4)
     */

    ctx = ngx_http_get_module_ctx(r, ngx_http_heao_module);

    ctx->thread_guard.handler = ngx_http_heao_thread_guard;
    ctx->thread_guard.data = r;
    ctx->thread_guard.log = r->connection->log;

    ngx_add_timer(&ctx->thread_guard, NGX_HTTP_HEAO_THREAD_GUARD);

    return NGX_DONE;
}


static void
ngx_http_heao_thread_guard(ngx_event_t *ev)
{
    ngx_add_timer(ev, NGX_HTTP_HEAO_THREAD_GUARD);
}


void
ngx_http_heao_thread_finish(ngx_http_request_t *r)
{
    ngx_connection_t     *c;
    ngx_http_heao_ctx_t  *ctx;

    c = r->connection;

    ngx_http_set_log_request(c->log, r);

    ctx = ngx_http_get_module_ctx(r, ngx_http_heao_module);

    if (ctx->thread_guard.timer_set) {
        ngx_del_timer(&ctx->thread_guard);
    }

    r->main->blocked--;
    r->aio = 0;

    ngx_http_heao_metrics_threads(-1);

    /* a request terminated meanwhile has its own write handler now */
    r->write_event_handler(r);

    ngx_http_run_posted_requests(c);
}


static void
ngx_http_heao_thread_resume(ngx_http_request_t *r)
{
    ngx_http_heao_ctx_t  *ctx;

    if (r->aio) {
        /* a write event while the thread still works */
        return;
    }

    r->write_event_handler = ngx_http_request_empty_handler;

    ctx = ngx_http_get_module_ctx(r, ngx_http_heao_module);

    ngx_http_heao_run(r, ctx);
}


/*
 * Runs a prepared statement for the request; the first row's values are
 * copied into ctx->reply (NULL for SQL NULL), ctx->rc says how it went.
 */

ngx_int_t
ngx_http_heao_pg_call(ngx_http_heao_ctx_t *ctx, ngx_uint_t stmt, int nparams,
    const char *const *values, const int *lengths)
{
    ngx_http_heao_pg_pool_t  *pool;

    ctx->rc = NGX_ERROR;
    ctx->reply = NULL;
    ctx->backend_start = ngx_current_msec;

    pool = ngx_http_heao_worker.pg;

    if (ngx_http_heao_worker.pg_replica
        && ngx_http_heao_pg_may_be_stale(stmt))
    {
        pool = ngx_http_heao_worker.pg_replica;
    }

    ctx->pg_op = ngx_http_heao_pg_query(pool, stmt,
                                        nparams, values, lengths,
                                        ngx_http_heao_pg_done, ctx,
                                        ctx->request->connection->log);
    if (ctx->pg_op == NULL) {
        return NGX_ERROR;
    }

    return NGX_DONE;
}


/*
 * O5: the statements whose answer may lag the primary by the replica's
 * replay delay.  Not login, the save path, sessions or anything a rule
 * counts on: only what a candidate reads to look back (the save
 * history, the mailbox), which shows the newest rows a moment later.
 */

static ngx_uint_t
ngx_http_heao_pg_may_be_stale(ngx_uint_t stmt)
{
    switch (stmt) {

    case NGX_HTTP_HEAO_SQL_SAVE_HISTORY:
    case NGX_HTTP_HEAO_SQL_MAILBOX:
        return 1;

    default:
        return 0;
    }
}


static void
ngx_http_heao_pg_done(void *data, ngx_int_t rc, PGresult *res)
{
    ngx_http_heao_ctx_t  *ctx = data;

    int                  i, n;
    char                *v;
    size_t               len;
    ngx_str_t           *s;
    ngx_http_request_t  *r;

    r = ctx->request;
    ctx->pg_op = NULL;
    ctx->rc = rc;

    ngx_http_heao_metrics_backend(ctx, NGX_HTTP_HEAO_METRICS_PG, rc);

    if (rc == NGX_OK && PQresultStatus(res) == PGRES_TUPLES_OK
        && PQntuples(res) > 0)
    {
        n = PQnfields(res);

        ctx->reply = ngx_array_create(r->pool, n, sizeof(ngx_str_t));
        if (ctx->reply == NULL) {
            ctx->rc = NGX_ERROR;
            goto done;
        }

        for (i = 0; i < n; i++) {
            s = ngx_array_push(ctx->reply);

            if (PQgetisnull(res, 0, i)) {
                ngx_str_null(s);
                continue;
            }

            v = PQgetvalue(res, 0, i);
            len = PQgetlength(res, 0, i);

            s->data = ngx_pnalloc(r->pool, len + 1);
            if (s->data == NULL) {
                ctx->rc = NGX_ERROR;
                goto done;
            }

            ngx_memcpy(s->data, v, len);
            s->data[len] = '\0';
            s->len = len;
        }
    }

done:

    ngx_http_heao_wake(ctx);
}


/*
 * The one JSON object that a statement of the request returned, or NULL
 * (with ctx->rc NGX_ERROR when the backend answered something else).
 */

json_t *
ngx_http_heao_pg_json(ngx_http_request_t *r, ngx_http_heao_ctx_t *ctx,
    const char *what)
{
    json_t     *json;
    ngx_str_t  *v;

    if (ctx->rc != NGX_OK || ctx->reply == NULL) {
        return NULL;
    }

    v = ctx->reply->elts;

    json = json_loadb((char *) v[0].data, v[0].len, 0, NULL);

    if (!json_is_object(json)) {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "heao: %s returned no object", what);

        if (json) {
            json_decref(json);
        }

        ctx->rc = NGX_ERROR;
        return NULL;
    }

    return json;
}


/*
 * Runs a script for the request; the reply (a bulk string, status,
 * integer, or an array of them) is copied into ctx->reply, NULL for nil.
 */

ngx_int_t
ngx_http_heao_redis_call(ngx_http_heao_ctx_t *ctx, ngx_uint_t script,
    int nkeys, int argc, const char **argv, const size_t *argvlen)
{
    ctx->rc = NGX_ERROR;
    ctx->reply = NULL;
    ctx->backend_start = ngx_current_msec;

    ctx->redis_op = ngx_http_heao_redis_script(ngx_http_heao_worker.redis,
                                               script, nkeys, argc, argv,
                                               argvlen,
                                               ngx_http_heao_redis_done, ctx,
                                               ctx->request->connection->log);
    if (ctx->redis_op == NULL) {
        return NGX_ERROR;
    }

    return NGX_DONE;
}


static void
ngx_http_heao_redis_done(void *data, ngx_int_t rc, redisReply *reply)
{
    ngx_http_heao_ctx_t  *ctx = data;

    size_t               i, n;
    ngx_str_t           *s;
    redisReply          *e, **elements;
    ngx_http_request_t  *r;

    r = ctx->request;
    ctx->redis_op = NULL;
    ctx->rc = rc;

    ngx_http_heao_metrics_backend(ctx, NGX_HTTP_HEAO_METRICS_REDIS, rc);

    if (rc != NGX_OK) {
        goto done;
    }

    if (reply->type == REDIS_REPLY_ERROR) {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "heao redis: script failed: %*s",
                      (size_t) reply->len, reply->str);
        ctx->rc = NGX_ERROR;
        goto done;
    }

    if (reply->type == REDIS_REPLY_NIL) {
        goto done;
    }

    if (reply->type == REDIS_REPLY_ARRAY) {
        n = reply->elements;
        elements = reply->element;

    } else {
        n = 1;
        elements = &reply;
    }

    ctx->reply = ngx_array_create(r->pool, n ? n : 1, sizeof(ngx_str_t));
    if (ctx->reply == NULL) {
        ctx->rc = NGX_ERROR;
        goto done;
    }

    for (i = 0; i < n; i++) {
        e = elements[i];
        s = ngx_array_push(ctx->reply);

        switch (e->type) {

        case REDIS_REPLY_STRING:
        case REDIS_REPLY_STATUS:
            s->data = ngx_pnalloc(r->pool, e->len + 1);
            if (s->data == NULL) {
                ctx->rc = NGX_ERROR;
                goto done;
            }

            ngx_memcpy(s->data, e->str, e->len);
            s->data[e->len] = '\0';
            s->len = e->len;
            break;

        case REDIS_REPLY_INTEGER:
            s->data = ngx_pnalloc(r->pool, NGX_INT64_LEN + 1);
            if (s->data == NULL) {
                ctx->rc = NGX_ERROR;
                goto done;
            }

            s->len = ngx_sprintf(s->data, "%L", (int64_t) e->integer)
                     - s->data;
            s->data[s->len] = '\0';
            break;

        default:
            ngx_str_null(s);
        }
    }

done:

    ngx_http_heao_wake(ctx);
}


/*
 * The routes by index, for the metrics and the access log: the path
 * without "/api/" and its "*" segments, "/" made "_" (/api/fill/<*>/save
 * is fill_save); index nroutes is the request that matched none.
 */

ngx_uint_t
ngx_http_heao_nroutes(void)
{
    return sizeof(ngx_http_heao_routes) / sizeof(ngx_http_heao_route_t) - 1;
}


void
ngx_http_heao_route_name(ngx_uint_t i, ngx_str_t *name, ngx_str_t *method)
{
    u_char                 *p, *q, *end;
    ngx_http_heao_route_t  *rt;

    static u_char  names[sizeof(ngx_http_heao_routes)
                         / sizeof(ngx_http_heao_route_t)][64];

    if (i >= ngx_http_heao_nroutes()) {
        ngx_str_set(name, "unknown");
        ngx_str_set(method, "-");
        return;
    }

    rt = &ngx_http_heao_routes[i];

    if (rt->method == NGX_HTTP_POST) {
        ngx_str_set(method, "POST");

    } else {
        ngx_str_set(method, "GET");
    }

    p = rt->path.data;
    end = p + rt->path.len;

    if (rt->path.len > sizeof("/api/") - 1
        && ngx_strncmp(p, "/api/", sizeof("/api/") - 1) == 0)
    {
        p += sizeof("/api/") - 1;
    }

    q = names[i];

    for ( /* void */ ; p < end && q < names[i] + sizeof(names[i]) - 1; p++) {
        if (*p == '*') {
            continue;
        }

        if (*p == '/') {
            if (q == names[i] || q[-1] == '_') {
                continue;
            }

            *q++ = '_';
            continue;
        }

        *q++ = *p;
    }

    if (q > names[i] && q[-1] == '_') {
        q--;
    }

    name->data = names[i];
    name->len = q - names[i];
}


/* answers a backend fault: 503 with a retry hint (R2) */

ngx_int_t
ngx_http_heao_backend_error(ngx_http_request_t *r, ngx_http_heao_ctx_t *ctx,
    const char *what)
{
    ngx_table_elt_t  *h;

    if (ctx->rc == NGX_BUSY) {
        ngx_log_error(NGX_LOG_WARN, r->connection->log, 0,
                      "heao: %s: backend queue is full", what);

    } else if (ctx->rc == NGX_AGAIN) {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "heao: %s: backend timed out", what);

    } else {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "heao: %s: backend failed", what);
    }

    h = ngx_list_push(&r->headers_out.headers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    h->hash = 1;
    ngx_str_set(&h->key, "Retry-After");
    ngx_str_set(&h->value, "5");

    return ngx_http_heao_send_error(r, NGX_HTTP_SERVICE_UNAVAILABLE,
                                    "unavailable", NULL,
                                    "系统繁忙，请稍后重试");
}


static ngx_int_t
ngx_http_heao_preconfiguration(ngx_conf_t *cf)
{
    /* before jansson allocates anything: its blocks say where they live */
    ngx_http_heao_json_init();

    return ngx_http_heao_metrics_add_variables(cf);
}


static ngx_int_t
ngx_http_heao_postconfiguration(ngx_conf_t *cf)
{
    ngx_http_heao_main_conf_t  *hmcf;

    hmcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_heao_module);

    if (hmcf->pg.conninfo.len == 0) {
        return NGX_OK;
    }

    return ngx_http_heao_metrics_init_conf(cf, hmcf);
}


static void *
ngx_http_heao_create_main_conf(ngx_conf_t *cf)
{
    ngx_http_heao_main_conf_t  *hmcf;

    hmcf = ngx_pcalloc(cf->pool, sizeof(ngx_http_heao_main_conf_t));
    if (hmcf == NULL) {
        return NULL;
    }

    /*
     * set by ngx_pcalloc():
     *
     *     hmcf->pg.conninfo = { 0, NULL };
     *     hmcf->redis.addr = { 0, NULL };
     *     hmcf->kdf_pool = NULL;
     *     hmcf->secret_file = { 0, NULL };
     *     hmcf->metrics_zone = NULL;
     */

    hmcf->pg.size = NGX_CONF_UNSET_UINT;
    hmcf->pg.queue = NGX_CONF_UNSET_UINT;
    hmcf->pg.connect_timeout = NGX_CONF_UNSET_MSEC;
    hmcf->pg.query_timeout = NGX_CONF_UNSET_MSEC;
    hmcf->pg.queue_timeout = NGX_CONF_UNSET_MSEC;
    hmcf->pg.max_uses = NGX_CONF_UNSET_UINT;

    hmcf->redis.db = NGX_CONF_UNSET_UINT;
    hmcf->redis.connect_timeout = NGX_CONF_UNSET_MSEC;
    hmcf->redis.command_timeout = NGX_CONF_UNSET_MSEC;
    hmcf->redis.ping_interval = NGX_CONF_UNSET_MSEC;
    hmcf->redis.queue = NGX_CONF_UNSET_UINT;

    hmcf->kdf_opslimit = NGX_CONF_UNSET_UINT;
    hmcf->kdf_memlimit = NGX_CONF_UNSET_SIZE;

    hmcf->session_idle = NGX_CONF_UNSET_MSEC;
    hmcf->session_lifetime = NGX_CONF_UNSET_MSEC;
    hmcf->fill_timeout = NGX_CONF_UNSET_MSEC;
    hmcf->catalog_refresh = NGX_CONF_UNSET_MSEC;

    hmcf->login_failures = NGX_CONF_UNSET_UINT;
    hmcf->login_window = NGX_CONF_UNSET_MSEC;
    hmcf->addr_failures = NGX_CONF_UNSET_UINT;

    hmcf->max_body = NGX_CONF_UNSET_SIZE;
    hmcf->captcha = NGX_CONF_UNSET;
    hmcf->captcha_limit = NGX_CONF_UNSET_UINT;
    hmcf->captcha_window = NGX_CONF_UNSET_MSEC;
    hmcf->secure_cookie = NGX_CONF_UNSET;
    hmcf->totp_digits = NGX_CONF_UNSET_UINT;
    hmcf->code_attempts = NGX_CONF_UNSET_UINT;
    hmcf->code_sends = NGX_CONF_UNSET_UINT;
    hmcf->code_window = NGX_CONF_UNSET_MSEC;
    hmcf->recover_limit = NGX_CONF_UNSET_UINT;
    hmcf->recover_window = NGX_CONF_UNSET_MSEC;
    hmcf->recover_addr = NGX_CONF_UNSET_UINT;

    hmcf->pg_replica.size = NGX_CONF_UNSET_UINT;

    return hmcf;
}


static char *
ngx_http_heao_init_main_conf(ngx_conf_t *cf, void *conf)
{
    ngx_http_heao_main_conf_t *hmcf = conf;

    char  *rv;

    ngx_conf_init_uint_value(hmcf->pg.size, 4);
    ngx_conf_init_uint_value(hmcf->pg.queue, 256);
    ngx_conf_init_msec_value(hmcf->pg.connect_timeout, 3000);
    ngx_conf_init_msec_value(hmcf->pg.query_timeout, 5000);
    ngx_conf_init_msec_value(hmcf->pg.queue_timeout, 2000);
    ngx_conf_init_uint_value(hmcf->pg.max_uses, 10000);

    hmcf->pg.stmts = ngx_http_heao_pg_stmts;
    hmcf->pg.nstmts = NGX_HTTP_HEAO_SQL_LAST;
    hmcf->pg.directive = "heao_pg";

    ngx_conf_init_uint_value(hmcf->redis.db, 0);
    ngx_conf_init_msec_value(hmcf->redis.connect_timeout, 1000);
    ngx_conf_init_msec_value(hmcf->redis.command_timeout, 1000);
    ngx_conf_init_msec_value(hmcf->redis.ping_interval, 5000);
    ngx_conf_init_uint_value(hmcf->redis.queue, 4096);

    hmcf->redis.scripts = ngx_http_heao_redis_scripts;
    hmcf->redis.nscripts = NGX_HTTP_HEAO_LUA_LAST;

    ngx_conf_init_uint_value(hmcf->kdf_opslimit, 2);
    ngx_conf_init_size_value(hmcf->kdf_memlimit, 19 * 1024 * 1024);

    ngx_conf_init_msec_value(hmcf->session_idle, 20 * 60 * 1000);
    ngx_conf_init_msec_value(hmcf->session_lifetime, 4 * 60 * 60 * 1000);
    ngx_conf_init_msec_value(hmcf->fill_timeout, 30 * 60 * 1000);
    ngx_conf_init_msec_value(hmcf->catalog_refresh, 5000);

    ngx_conf_init_uint_value(hmcf->login_failures, 5);
    ngx_conf_init_msec_value(hmcf->login_window, 15 * 60 * 1000);
    ngx_conf_init_uint_value(hmcf->addr_failures, 100);

    ngx_conf_init_size_value(hmcf->max_body, 16384);
    ngx_conf_init_value(hmcf->captcha, 1);
    ngx_conf_init_uint_value(hmcf->captcha_limit, 30);
    ngx_conf_init_msec_value(hmcf->captcha_window, 60 * 1000);
    ngx_conf_init_value(hmcf->secure_cookie, 0);
    ngx_conf_init_uint_value(hmcf->totp_digits, 8);
    ngx_conf_init_uint_value(hmcf->code_attempts, 5);
    ngx_conf_init_uint_value(hmcf->code_sends, 5);
    ngx_conf_init_msec_value(hmcf->code_window, 60 * 60 * 1000);
    ngx_conf_init_uint_value(hmcf->recover_limit, 10);
    ngx_conf_init_msec_value(hmcf->recover_window, 60 * 60 * 1000);
    ngx_conf_init_uint_value(hmcf->recover_addr, 200);

    if (hmcf->pg.conninfo.len == 0) {
        /* the module is loaded but not used */
        return NGX_CONF_OK;
    }

    if (hmcf->redis.addr.len == 0 && hmcf->redis.sentinels == NULL) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"heao_redis\" is required with \"heao_pg\""
                           " unless \"heao_redis_sentinel\" is given");
        return NGX_CONF_ERROR;
    }

    if (hmcf->redis.addr.len && hmcf->redis.sentinels) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"heao_redis\" and \"heao_redis_sentinel\""
                           " exclude each other");
        return NGX_CONF_ERROR;
    }

    if (hmcf->kdf_pool == NULL) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"heao_kdf_thread_pool\" is required"
                           " with \"heao_pg\"");
        return NGX_CONF_ERROR;
    }

    if (hmcf->kdf_memlimit < 8192) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid value \"%uz\" in \"heao_kdf_memlimit\""
                           " directive, it must be at least 8k",
                           hmcf->kdf_memlimit);
        return NGX_CONF_ERROR;
    }

    if (hmcf->session_idle > hmcf->session_lifetime) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"heao_session_idle_timeout\" must not exceed"
                           " \"heao_session_lifetime\"");
        return NGX_CONF_ERROR;
    }

    rv = ngx_http_heao_pg_init_conf(cf, &hmcf->pg);
    if (rv != NGX_CONF_OK) {
        return rv;
    }

    if (hmcf->pg_replica.conninfo.len) {
        rv = ngx_http_heao_init_replica_conf(cf, hmcf);
        if (rv != NGX_CONF_OK) {
            return rv;
        }

    } else if (hmcf->pg_replica.size != NGX_CONF_UNSET_UINT) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"heao_pg_replica_pool_size\" requires"
                           " \"heao_pg_replica\"");
        return NGX_CONF_ERROR;
    }

    rv = ngx_http_heao_redis_init_conf(cf, &hmcf->redis);
    if (rv != NGX_CONF_OK) {
        return rv;
    }

    if (ngx_http_heao_read_secret(cf, hmcf) != NGX_OK) {
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;
}


/*
 * The replica's pool: its own conninfo and size, the primary's timeouts,
 * queue and statements (all are prepared there; only reads are sent).
 */

static char *
ngx_http_heao_init_replica_conf(ngx_conf_t *cf,
    ngx_http_heao_main_conf_t *hmcf)
{
    ngx_http_heao_pg_conf_t  *rcf;

    rcf = &hmcf->pg_replica;

    ngx_conf_init_uint_value(rcf->size, hmcf->pg.size);

    rcf->queue = hmcf->pg.queue;
    rcf->connect_timeout = hmcf->pg.connect_timeout;
    rcf->query_timeout = hmcf->pg.query_timeout;
    rcf->queue_timeout = hmcf->pg.queue_timeout;
    rcf->max_uses = hmcf->pg.max_uses;
    rcf->stmts = hmcf->pg.stmts;
    rcf->nstmts = hmcf->pg.nstmts;
    rcf->directive = "heao_pg_replica";

    return ngx_http_heao_pg_init_conf(cf, rcf);
}


/* the server secret of the checksums (F15), read once from a file */

static ngx_int_t
ngx_http_heao_read_secret(ngx_conf_t *cf, ngx_http_heao_main_conf_t *hmcf)
{
    u_char           *p, *last;
    ssize_t           n;
    ngx_fd_t          fd;
    ngx_file_info_t   fi;

    if (hmcf->secret_file.len == 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"heao_secret_file\" is required"
                           " with \"heao_pg\"");
        return NGX_ERROR;
    }

    if (ngx_conf_full_name(cf->cycle, &hmcf->secret_file, 0) != NGX_OK) {
        return NGX_ERROR;
    }

    fd = ngx_open_file(hmcf->secret_file.data, NGX_FILE_RDONLY,
                       NGX_FILE_OPEN, 0);
    if (fd == NGX_INVALID_FILE) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, ngx_errno,
                           ngx_open_file_n " \"%V\" failed",
                           &hmcf->secret_file);
        return NGX_ERROR;
    }

    if (ngx_fd_info(fd, &fi) == NGX_FILE_ERROR) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, ngx_errno,
                           ngx_fd_info_n " \"%V\" failed",
                           &hmcf->secret_file);
        goto failed;
    }

    if (ngx_file_size(&fi) > 4096) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "secret file \"%V\" is too large",
                           &hmcf->secret_file);
        goto failed;
    }

    p = ngx_pnalloc(cf->pool, 4096);
    if (p == NULL) {
        goto failed;
    }

    n = ngx_read_fd(fd, p, 4096);
    if (n == -1) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, ngx_errno,
                           ngx_read_fd_n " \"%V\" failed",
                           &hmcf->secret_file);
        goto failed;
    }

    last = p + n;

    while (last > p && (last[-1] == LF || last[-1] == CR
                        || last[-1] == ' '))
    {
        last--;
    }

    if (last - p < NGX_HTTP_HEAO_SECRET_MIN) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "secret file \"%V\" holds less than %d bytes",
                           &hmcf->secret_file, NGX_HTTP_HEAO_SECRET_MIN);
        goto failed;
    }

    hmcf->secret.data = p;
    hmcf->secret.len = last - p;

    ngx_close_file(fd);

    return NGX_OK;

failed:

    ngx_close_file(fd);

    return NGX_ERROR;
}


static void *
ngx_http_heao_create_loc_conf(ngx_conf_t *cf)
{
    ngx_http_heao_loc_conf_t  *hlcf;

    hlcf = ngx_pcalloc(cf->pool, sizeof(ngx_http_heao_loc_conf_t));
    if (hlcf == NULL) {
        return NULL;
    }

    hlcf->enable = NGX_CONF_UNSET;

    return hlcf;
}


static char *
ngx_http_heao_merge_loc_conf(ngx_conf_t *cf, void *parent, void *child)
{
    ngx_http_heao_loc_conf_t *prev = parent;
    ngx_http_heao_loc_conf_t *conf = child;

    ngx_conf_merge_value(conf->enable, prev->enable, 0);

    return NGX_CONF_OK;
}


static char *
ngx_http_heao(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_heao_loc_conf_t *hlcf = conf;

    ngx_http_core_loc_conf_t   *clcf;
    ngx_http_heao_main_conf_t  *hmcf;

    if (hlcf->enable != NGX_CONF_UNSET) {
        return "is duplicate";
    }

    hlcf->enable = 1;

    hmcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_heao_module);

    if (hmcf->pg.conninfo.len == 0) {
        return "requires \"heao_pg\" before it in the http block";
    }

    clcf = ngx_http_conf_get_module_loc_conf(cf, ngx_http_core_module);
    clcf->handler = ngx_http_heao_handler;

    return NGX_CONF_OK;
}


static char *
ngx_http_heao_kdf_pool(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_heao_main_conf_t *hmcf = conf;

    ngx_str_t  *value;

    if (hmcf->kdf_pool) {
        return "is duplicate";
    }

    value = cf->args->elts;

    hmcf->kdf_pool = ngx_thread_pool_add(cf, &value[1]);
    if (hmcf->kdf_pool == NULL) {
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;
}


/* like nginx's own bounds check, but naming the directive and the value */

static char *
ngx_http_heao_check_bounds(ngx_conf_t *cf, void *post, void *data)
{
    ngx_conf_num_bounds_t  *bounds = post;
    ngx_int_t              *np = data;

    ngx_str_t  *value;

    if (*np >= bounds->low && *np <= bounds->high) {
        return NGX_CONF_OK;
    }

    value = cf->args->elts;

    ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                       "invalid value \"%V\" in \"%V\" directive, "
                       "it must be between %i and %i",
                       &value[1], &value[0], bounds->low, bounds->high);

    return NGX_CONF_ERROR;
}


/*
 * heao_login_limit, heao_captcha_limit, heao_code_limit and
 * heao_recover_limit: each argument to its field, as cmd->post says
 */

static char *
ngx_http_heao_conf_set_limit(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    u_char  *p = conf;

    u_char                      *field;
    ngx_int_t                    rc;
    ngx_str_t                   *value;
    ngx_uint_t                   i;
    ngx_http_heao_limit_args_t  *args = cmd->post;

    if (*(ngx_uint_t *) (p + args->offset[0]) != NGX_CONF_UNSET_UINT) {
        return "is duplicate";
    }

    value = cf->args->elts;

    for (i = 1; i < cf->args->nelts; i++) {
        field = p + args->offset[i - 1];

        rc = (i == args->window)
             ? ngx_http_heao_conf_window(cf, &value[i], (ngx_msec_t *) field)
             : ngx_http_heao_conf_count(cf, &value[i], (ngx_uint_t *) field);

        if (rc != NGX_OK) {
            return NGX_CONF_ERROR;
        }
    }

    return NGX_CONF_OK;
}


/*
 * heao_redis_sentinel <master name> <address> ...: the Sentinels that
 * name the Redis master (O5); addresses are checked with heao_redis's
 */

static char *
ngx_http_heao_redis_sentinel(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_heao_main_conf_t *hmcf = conf;

    ngx_str_t                   *value;
    ngx_uint_t                   i;
    ngx_http_heao_redis_addr_t  *a;

    if (hmcf->redis.sentinels) {
        return "is duplicate";
    }

    value = cf->args->elts;

    if (value[1].len == 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid value \"%V\" in \"%V\" directive,"
                           " the master's name is empty",
                           &value[1], &value[0]);
        return NGX_CONF_ERROR;
    }

    hmcf->redis.master = value[1];

    hmcf->redis.sentinels = ngx_array_create(cf->pool, cf->args->nelts - 2,
                                         sizeof(ngx_http_heao_redis_addr_t));
    if (hmcf->redis.sentinels == NULL) {
        return NGX_CONF_ERROR;
    }

    for (i = 2; i < cf->args->nelts; i++) {
        a = ngx_array_push(hmcf->redis.sentinels);
        if (a == NULL) {
            return NGX_CONF_ERROR;
        }

        ngx_memzero(a, sizeof(ngx_http_heao_redis_addr_t));
        a->addr = value[i];
    }

    return NGX_CONF_OK;
}


/*
 * nginx's own slots, with a refusal that names the value as well as the
 * directive (O1): "invalid value "5q" in "heao_max_body" directive"
 */

static char *
ngx_http_heao_conf_set_num_slot(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    return ngx_http_heao_conf_invalid(cf, cmd,
                                      ngx_conf_set_num_slot(cf, cmd, conf));
}


static char *
ngx_http_heao_conf_set_msec_slot(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    return ngx_http_heao_conf_invalid(cf, cmd,
                                      ngx_conf_set_msec_slot(cf, cmd, conf));
}


static char *
ngx_http_heao_conf_set_size_slot(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    return ngx_http_heao_conf_invalid(cf, cmd,
                                      ngx_conf_set_size_slot(cf, cmd, conf));
}


static char *
ngx_http_heao_conf_invalid(ngx_conf_t *cf, ngx_command_t *cmd, char *rv)
{
    ngx_str_t  *value;

    if (rv == NGX_CONF_OK || rv == NGX_CONF_ERROR
        || ngx_strcmp(rv, "is duplicate") == 0)
    {
        return rv;
    }

    value = cf->args->elts;

    ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                       "invalid value \"%V\" in \"%V\" directive%s",
                       &value[1], &cmd->name,
                       ngx_strcmp(rv, "invalid number") == 0
                       ? ", it must be a number" : "");

    return NGX_CONF_ERROR;
}


/* a count of a limit: a whole number above zero */

static ngx_int_t
ngx_http_heao_conf_count(ngx_conf_t *cf, ngx_str_t *value, ngx_uint_t *n)
{
    ngx_int_t   v;
    ngx_str_t  *args;

    v = ngx_atoi(value->data, value->len);

    if (v <= 0) {
        args = cf->args->elts;
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid value \"%V\" in \"%V\" directive",
                           value, &args[0]);
        return NGX_ERROR;
    }

    *n = v;

    return NGX_OK;
}


/* the window of a limit: a time of a second or more */

static ngx_int_t
ngx_http_heao_conf_window(ngx_conf_t *cf, ngx_str_t *value, ngx_msec_t *ms)
{
    ngx_str_t  *args;

    *ms = ngx_parse_time(value, 0);

    if (*ms == (ngx_msec_t) NGX_ERROR || *ms < 1000) {
        args = cf->args->elts;
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid value \"%V\" in \"%V\" directive",
                           value, &args[0]);
        return NGX_ERROR;
    }

    return NGX_OK;
}


/* backends connect lazily, in workers only */

static ngx_int_t
ngx_http_heao_init_process(ngx_cycle_t *cycle)
{
    ngx_http_conf_ctx_t        *ctx;
    ngx_http_heao_main_conf_t  *hmcf;

    if (ngx_process != NGX_PROCESS_WORKER
        && ngx_process != NGX_PROCESS_SINGLE)
    {
        return NGX_OK;
    }

    ctx = (ngx_http_conf_ctx_t *) cycle->conf_ctx[ngx_http_module.index];
    if (ctx == NULL) {
        return NGX_OK;
    }

    hmcf = ctx->main_conf[ngx_http_heao_module.ctx_index];

    if (hmcf->pg.conninfo.len == 0) {
        return NGX_OK;
    }

    ngx_http_heao_worker.pg = ngx_http_heao_pg_pool_create(cycle, &hmcf->pg);
    if (ngx_http_heao_worker.pg == NULL) {
        return NGX_ERROR;
    }

    if (hmcf->pg_replica.conninfo.len) {
        ngx_http_heao_worker.pg_replica =
                   ngx_http_heao_pg_pool_create(cycle, &hmcf->pg_replica);
        if (ngx_http_heao_worker.pg_replica == NULL) {
            return NGX_ERROR;
        }

        ngx_http_heao_pg_pool_fallback(ngx_http_heao_worker.pg_replica,
                                       ngx_http_heao_worker.pg);
    }

    ngx_http_heao_worker.redis = ngx_http_heao_redis_create(cycle,
                                                            &hmcf->redis);
    if (ngx_http_heao_worker.redis == NULL) {
        return NGX_ERROR;
    }

    if (ngx_http_heao_kdf_init(cycle, hmcf) != NGX_OK) {
        return NGX_ERROR;
    }

    if (ngx_http_heao_metrics_init_process(cycle, hmcf) != NGX_OK) {
        return NGX_ERROR;
    }

    return ngx_http_heao_catalog_init(cycle, hmcf);
}


static void
ngx_http_heao_exit_process(ngx_cycle_t *cycle)
{
    ngx_http_heao_metrics_exit_process();
    ngx_http_heao_catalog_done();

    if (ngx_http_heao_worker.redis) {
        ngx_http_heao_redis_destroy(ngx_http_heao_worker.redis);
        ngx_http_heao_worker.redis = NULL;
    }

    if (ngx_http_heao_worker.pg_replica) {
        ngx_http_heao_pg_pool_destroy(ngx_http_heao_worker.pg_replica);
        ngx_http_heao_worker.pg_replica = NULL;
    }

    if (ngx_http_heao_worker.pg) {
        ngx_http_heao_pg_pool_destroy(ngx_http_heao_worker.pg);
        ngx_http_heao_worker.pg = NULL;
    }
}
