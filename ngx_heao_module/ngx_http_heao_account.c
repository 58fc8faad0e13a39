
/*
 * Copyright (C) heao developers
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>
#include <openssl/crypto.h>

#include "ngx_http_heao_module.h"
#include "ngx_http_heao_kdf.h"


#define NGX_HTTP_HEAO_PASSWORD_MIN      8
#define NGX_HTTP_HEAO_PASSWORD_LEN      32
#define NGX_HTTP_HEAO_UTF8_MAX          4       /* bytes a character */
#define NGX_HTTP_HEAO_FAIL_PREFIX       "heao:lf:"


typedef enum {
    NGX_HTTP_HEAO_LOGIN_START = 0,
    NGX_HTTP_HEAO_LOGIN_GATE,
    NGX_HTTP_HEAO_LOGIN_LOOKUP,
    NGX_HTTP_HEAO_LOGIN_VERIFY,
    NGX_HTTP_HEAO_LOGIN_REHASH,
    NGX_HTTP_HEAO_LOGIN_STORE,
    NGX_HTTP_HEAO_LOGIN_SESSION,
    NGX_HTTP_HEAO_LOGIN_RESET,
    NGX_HTTP_HEAO_LOGIN_FAILED,
    NGX_HTTP_HEAO_LOGIN_TOTP,
    NGX_HTTP_HEAO_LOGIN_NOTICE
} ngx_http_heao_login_step_e;


typedef enum {
    NGX_HTTP_HEAO_PASSWORD_SESSION = 0,
    NGX_HTTP_HEAO_PASSWORD_LOADED,
    NGX_HTTP_HEAO_PASSWORD_HASH,
    NGX_HTTP_HEAO_PASSWORD_VERIFY,
    NGX_HTTP_HEAO_PASSWORD_DERIVE,
    NGX_HTTP_HEAO_PASSWORD_STORE,
    NGX_HTTP_HEAO_PASSWORD_SESSIONS,
    NGX_HTTP_HEAO_PASSWORD_RATED
} ngx_http_heao_password_step_e;


typedef struct {
    ngx_str_t                    exam_no;
    ngx_str_t                    id_no;
    ngx_str_t                    password;
    ngx_str_t                    keys[3];       /* counters, ticket */
    ngx_str_t                    candidate;
    ngx_str_t                    name;
    ngx_str_t                    hash;
    ngx_str_t                    profile;       /* JSON, for the rules */
    ngx_str_t                    totp_key;      /* hex, empty: not bound */
    ngx_str_t                    totp;          /* the code given */
    uint64_t                     totp_counter;
    unsigned                     known:1;       /* exam and ID numbers */
    unsigned                     must_change:1;
    unsigned                     totp_failed:1;
} ngx_http_heao_login_t;


typedef struct {
    ngx_str_t                    old;
    ngx_str_t                    new;
} ngx_http_heao_password_t;


static ngx_int_t ngx_http_heao_login_read(ngx_http_request_t *r,
    ngx_http_heao_ctx_t *ctx, ngx_http_heao_login_t *lg);
static ngx_int_t ngx_http_heao_login_locked(ngx_http_request_t *r,
    ngx_int_t seconds);
static ngx_int_t ngx_http_heao_login_counters(ngx_http_request_t *r,
    ngx_http_heao_ctx_t *ctx, ngx_uint_t script);
static ngx_int_t ngx_http_heao_login_lookup(ngx_http_request_t *r,
    ngx_http_heao_ctx_t *ctx, ngx_http_heao_login_t *lg);
static ngx_int_t ngx_http_heao_login_verified(ngx_http_request_t *r,
    ngx_http_heao_ctx_t *ctx, ngx_http_heao_login_t *lg);
static ngx_int_t ngx_http_heao_login_done(ngx_http_request_t *r,
    ngx_http_heao_ctx_t *ctx, ngx_http_heao_login_t *lg);


/*
 * A1: exam number, ID number, password and a captcha ticket.  Failures
 * are counted per exam number and per address before any hashing (A4);
 * the answer never says which field was wrong.
 */

ngx_int_t
ngx_http_heao_login(ngx_http_request_t *r, ngx_http_heao_ctx_t *ctx)
{
    ngx_int_t               rc;
    ngx_str_t              *v;
    ngx_http_heao_login_t  *lg;

    lg = ctx->data;

    switch (ctx->step) {

    case NGX_HTTP_HEAO_LOGIN_START:
        rc = ngx_http_heao_parse_body(r, ctx);
        if (rc != NGX_OK) {
            return rc;
        }

        lg = ngx_pcalloc(r->pool, sizeof(ngx_http_heao_login_t));
        if (lg == NULL) {
            return NGX_ERROR;
        }

        ctx->data = lg;

        rc = ngx_http_heao_login_read(r, ctx, lg);
        if (rc != NGX_OK) {
            return rc;
        }

        ctx->step = NGX_HTTP_HEAO_LOGIN_GATE;

        return ngx_http_heao_login_counters(r, ctx,
                                            NGX_HTTP_HEAO_LUA_LOGIN_GATE);

    case NGX_HTTP_HEAO_LOGIN_GATE:
        if (ctx->rc != NGX_OK || ctx->reply == NULL) {
            /* A4: without the counters nobody is let in */
            return ngx_http_heao_backend_error(r, ctx, "login limit");
        }

        v = ctx->reply->elts;

        if (v[0].len && v[0].data[0] == '-') {
            /* A2: no ticket, or one already used or expired */
            return ngx_http_heao_send_error(r, NGX_HTTP_BAD_REQUEST,
                                            "bad_field", "captcha_ticket",
                                            "图形验证已失效，"
                                            "请重新验证");
        }

        rc = ngx_atoi(v[0].data, v[0].len);

        if (rc > 0) {
            return ngx_http_heao_login_locked(r, rc);
        }

        ctx->step = NGX_HTTP_HEAO_LOGIN_LOOKUP;

        return ngx_http_heao_pg_call(ctx, NGX_HTTP_HEAO_SQL_LOGIN_LOOKUP, 1,
                                     (const char *const *) &lg->exam_no.data,
                                     NULL);

    case NGX_HTTP_HEAO_LOGIN_LOOKUP:
        if (ctx->rc != NGX_OK) {
            return ngx_http_heao_backend_error(r, ctx, "login lookup");
        }

        rc = ngx_http_heao_login_lookup(r, ctx, lg);
        if (rc != NGX_DONE) {
            return rc;
        }

        ctx->step = NGX_HTTP_HEAO_LOGIN_VERIFY;

        return NGX_DONE;

    case NGX_HTTP_HEAO_LOGIN_VERIFY:
        if (ctx->rc == NGX_ERROR) {
            return ngx_http_heao_backend_error(r, ctx, "password check");
        }

        if (ctx->rc != NGX_OK || !lg->known) {
            ctx->step = NGX_HTTP_HEAO_LOGIN_FAILED;
            return ngx_http_heao_login_counters(r, ctx,
                                               NGX_HTTP_HEAO_LUA_LOGIN_FAILED);
        }

        if (lg->totp_key.len == 0) {
            return ngx_http_heao_login_verified(r, ctx, lg);
        }

        /* A1, A3: a bound dynamic password is asked for too */

        if (lg->totp.len == 0) {
            return ngx_http_heao_send_error(r, NGX_HTTP_UNAUTHORIZED,
                                            "totp_required", "totp",
                                            "请输入动态密码");
        }

        rc = ngx_http_heao_totp_match(r, &lg->totp_key, &lg->totp,
                                      ctx->arrived, &lg->totp_counter);
        if (rc == NGX_ERROR) {
            return NGX_ERROR;
        }

        if (rc != NGX_OK) {
            lg->totp_failed = 1;
            ctx->step = NGX_HTTP_HEAO_LOGIN_FAILED;
            return ngx_http_heao_login_counters(r, ctx,
                                               NGX_HTTP_HEAO_LUA_LOGIN_FAILED);
        }

        ctx->step = NGX_HTTP_HEAO_LOGIN_TOTP;

        return ngx_http_heao_totp_use(r, ctx, &lg->candidate,
                                      lg->totp_counter);

    case NGX_HTTP_HEAO_LOGIN_TOTP:
        if (ctx->rc != NGX_OK || ctx->reply == NULL) {
            return ngx_http_heao_backend_error(r, ctx, "totp");
        }

        v = ctx->reply->elts;

        if (v[0].len != 1 || v[0].data[0] != '1') {
            /* a replayed code counts as a failure */
            lg->totp_failed = 1;
            ctx->step = NGX_HTTP_HEAO_LOGIN_FAILED;
            return ngx_http_heao_login_counters(r, ctx,
                                               NGX_HTTP_HEAO_LUA_LOGIN_FAILED);
        }

        return ngx_http_heao_login_verified(r, ctx, lg);

    case NGX_HTTP_HEAO_LOGIN_REHASH:
        if (ctx->rc != NGX_OK) {
            return ngx_http_heao_backend_error(r, ctx, "password hash");
        }

        ctx->step = NGX_HTTP_HEAO_LOGIN_STORE;

        {
            const char  *values[2];

            values[0] = (char *) lg->candidate.data;
            values[1] = (char *) ctx->result.data;

            return ngx_http_heao_pg_call(ctx, NGX_HTTP_HEAO_SQL_SET_PASSWORD,
                                         2, values, NULL);
        }

    case NGX_HTTP_HEAO_LOGIN_STORE:
        if (ctx->rc != NGX_OK) {
            /* the old hash still works: log in all the same */
            ngx_log_error(NGX_LOG_WARN, r->connection->log, 0,
                          "heao: storing a stronger password hash failed");
        }

        ctx->step = NGX_HTTP_HEAO_LOGIN_SESSION;

        return ngx_http_heao_session_create(r, ctx, &lg->candidate,
                                            &lg->exam_no, &lg->name,
                                            &lg->profile, lg->must_change);

    case NGX_HTTP_HEAO_LOGIN_SESSION:
        if (ctx->rc != NGX_OK) {
            return ngx_http_heao_backend_error(r, ctx, "session");
        }

        ctx->step = NGX_HTTP_HEAO_LOGIN_RESET;

        {
            size_t       len;
            const char  *key;

            key = (char *) lg->keys[0].data;
            len = lg->keys[0].len;

            return ngx_http_heao_redis_call(ctx, NGX_HTTP_HEAO_LUA_DEL, 1, 1,
                                            &key, &len);
        }

    case NGX_HTTP_HEAO_LOGIN_RESET:

        /* A12: the login notice to the bound channels */

        ctx->step = NGX_HTTP_HEAO_LOGIN_NOTICE;

        {
            const char  *values[3];

            values[0] = (char *) lg->candidate.data;

            if (ngx_http_heao_account_event(r, ctx, &values[1]) != NGX_OK) {
                return NGX_ERROR;
            }

            return ngx_http_heao_pg_call(ctx, NGX_HTTP_HEAO_SQL_LOGIN_NOTICE,
                                         3, values, NULL);
        }

    case NGX_HTTP_HEAO_LOGIN_NOTICE:
        if (ctx->rc != NGX_OK) {
            /* the session exists: the login stands without its notice */
            ngx_log_error(NGX_LOG_WARN, r->connection->log, 0,
                          "heao: the login notice could not be queued");
        }

        return ngx_http_heao_login_done(r, ctx, lg);

    default: /* NGX_HTTP_HEAO_LOGIN_FAILED */
        if (ctx->rc != NGX_OK) {
            return ngx_http_heao_backend_error(r, ctx, "login limit");
        }

        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "heao: login failed for %*s******",
                      (size_t) 8, lg->exam_no.data);

        if (lg->totp_failed) {
            return ngx_http_heao_send_error(r, NGX_HTTP_UNAUTHORIZED,
                                            "totp_failed", "totp",
                                            "动态密码不正确"
                                            "或已使用，"
                                            "请等待下一个"
                                            "动态密码");
        }

        return ngx_http_heao_send_error(r, NGX_HTTP_UNAUTHORIZED,
                                        "login_failed", NULL,
                                        "考生号、证件号码"
                                        "或密码不正确");
    }
}


static ngx_int_t
ngx_http_heao_login_read(ngx_http_request_t *r, ngx_http_heao_ctx_t *ctx,
    ngx_http_heao_login_t *lg)
{
    u_char                     *p;
    ngx_int_t                   rc;
    ngx_str_t                   ticket, *addr;
    ngx_uint_t                  i;
    ngx_http_heao_main_conf_t  *hmcf;

    hmcf = ngx_http_get_module_main_conf(r, ngx_http_heao_module);

    if (ngx_http_heao_field(ctx->body, "exam_no", &lg->exam_no) != NGX_OK
        || !ngx_http_heao_valid_exam_no(&lg->exam_no))
    {
        return ngx_http_heao_bad_field(r, "exam_no",
                                       "考生号应为14位数字");
    }

    if (ngx_http_heao_field(ctx->body, "id_no", &lg->id_no) != NGX_OK
        || !ngx_http_heao_valid_id_no(&lg->id_no))
    {
        return ngx_http_heao_bad_field(r, "id_no",
                                       "证件号码应为18位"
                                       "有效的居民身份证号码");
    }

    if (ngx_http_heao_field(ctx->body, "password", &lg->password) != NGX_OK
        || !ngx_http_heao_valid_password(&lg->password))
    {
        return ngx_http_heao_bad_field(r, "password",
                                       "登录密码应为8至32个字符");
    }

    rc = ngx_http_heao_totp_field(r, ctx->body, "totp", &lg->totp);
    if (rc == NGX_ERROR) {
        return ngx_http_heao_bad_field(r, "totp",
                                       "动态密码格式不正确");
    }

    ngx_str_set(&ticket, "-");

    if (hmcf->captcha) {
        if (ngx_http_heao_field(ctx->body, "captcha_ticket", &ticket)
            != NGX_OK
            || ticket.len != NGX_HTTP_HEAO_TOKEN_LEN)
        {
            return ngx_http_heao_bad_field(r, "captcha_ticket",
                                           "请先完成图形验证");
        }

        for (i = 0; i < ticket.len; i++) {
            if (!ngx_http_heao_token_char(ticket.data[i])) {
                return ngx_http_heao_bad_field(r, "captcha_ticket",
                                               "请先完成图形验证");
            }
        }
    }

    lg->keys[2].data = ngx_pnalloc(r->pool,
                                   sizeof(NGX_HTTP_HEAO_TICKET_PREFIX)
                                   + ticket.len);
    if (lg->keys[2].data == NULL) {
        return NGX_ERROR;
    }

    lg->keys[2].len = ngx_sprintf(lg->keys[2].data,
                                  NGX_HTTP_HEAO_TICKET_PREFIX "%V", &ticket)
                      - lg->keys[2].data;

    /* the check character is kept as an upper case X */

    p = ngx_pnalloc(r->pool, lg->id_no.len + 1);
    if (p == NULL) {
        return NGX_ERROR;
    }

    ngx_memcpy(p, lg->id_no.data, lg->id_no.len + 1);

    if (p[lg->id_no.len - 1] == 'x') {
        p[lg->id_no.len - 1] = 'X';
    }

    lg->id_no.data = p;

    addr = &r->connection->addr_text;

    for (i = 0; i < 2; i++) {
        p = ngx_pnalloc(r->pool, sizeof(NGX_HTTP_HEAO_FAIL_PREFIX) + 2
                                 + ngx_max(lg->exam_no.len, addr->len));
        if (p == NULL) {
            return NGX_ERROR;
        }

        lg->keys[i].data = p;
        lg->keys[i].len = (i == 0)
            ? ngx_sprintf(p, NGX_HTTP_HEAO_FAIL_PREFIX "e:%V", &lg->exam_no)
              - p
            : ngx_sprintf(p, NGX_HTTP_HEAO_FAIL_PREFIX "a:%V", addr) - p;
    }

    return NGX_OK;
}


/* A4: the lock time is told, in whole minutes */

static ngx_int_t
ngx_http_heao_login_locked(ngx_http_request_t *r, ngx_int_t seconds)
{
    u_char  *p;
    u_char   msg[128];

    ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                  "heao: login locked for %i s", seconds);

    p = ngx_sprintf(msg, "登录失败次数过多，请%i分钟后再试",
                    (seconds + 59) / 60);

    return ngx_http_heao_send_json(r, NGX_HTTP_TOO_MANY_REQUESTS,
                                   json_pack("{s:s, s:i, s:s%}",
                                             "error", "locked",
                                             "retry_after", (int) seconds,
                                             "message", msg,
                                             (size_t) (p - msg)));
}


/* runs the gate or the failure script over the counters and the ticket */

static ngx_int_t
ngx_http_heao_login_counters(ngx_http_request_t *r, ngx_http_heao_ctx_t *ctx,
    ngx_uint_t script)
{
    u_char                     *p;
    size_t                      len[7];
    ngx_uint_t                  i;
    const char                 *argv[7];
    ngx_http_heao_login_t      *lg;
    ngx_http_heao_main_conf_t  *hmcf;

    hmcf = ngx_http_get_module_main_conf(r, ngx_http_heao_module);
    lg = ctx->data;

    p = ngx_pnalloc(r->pool, 4 * NGX_INT_T_LEN);
    if (p == NULL) {
        return NGX_ERROR;
    }

    for (i = 0; i < 3; i++) {
        argv[i] = (char *) lg->keys[i].data;
        len[i] = lg->keys[i].len;
    }

    argv[3] = (char *) p;
    len[3] = ngx_sprintf(p, "%ui", hmcf->login_failures) - p;
    p += len[3];

    argv[4] = (char *) p;
    len[4] = ngx_sprintf(p, "%ui", hmcf->addr_failures) - p;
    p += len[4];

    argv[5] = (char *) p;
    len[5] = ngx_sprintf(p, "%M", hmcf->login_window / 1000) - p;

    argv[6] = hmcf->captcha ? "1" : "0";
    len[6] = 1;

    return ngx_http_heao_redis_call(ctx, script, 3, 7, argv, len);
}


/* candidate_id, id_no, name, pw_hash, must_change, totp_secret, profile */

static ngx_int_t
ngx_http_heao_login_lookup(ngx_http_request_t *r, ngx_http_heao_ctx_t *ctx,
    ngx_http_heao_login_t *lg)
{
    ngx_str_t  *v, *hash;

    hash = NULL;

    if (ctx->reply && ctx->reply->nelts == 7) {
        v = ctx->reply->elts;

        lg->candidate = v[0];
        lg->name = v[2];
        lg->hash = v[3];
        lg->profile = v[6];
        lg->must_change = v[4].len && v[4].data[0] == 't';
        lg->totp_key = v[5];

        /* compare in constant time, and verify the hash all the same */

        lg->known = v[1].len == lg->id_no.len
                    && CRYPTO_memcmp(v[1].data, lg->id_no.data,
                                     lg->id_no.len) == 0;

        if (v[3].len) {
            hash = &lg->hash;
        }
    }

    return ngx_http_heao_kdf_verify(r, ctx, hash, &lg->password,
                                    "password check");
}


/* the candidate proved who they are: a stronger hash first if due */

static ngx_int_t
ngx_http_heao_login_verified(ngx_http_request_t *r, ngx_http_heao_ctx_t *ctx,
    ngx_http_heao_login_t *lg)
{
    if (!ngx_http_heao_kdf_needs_rehash(r, &lg->hash)) {
        ctx->step = NGX_HTTP_HEAO_LOGIN_SESSION;
        return ngx_http_heao_session_create(r, ctx, &lg->candidate,
                                            &lg->exam_no, &lg->name,
                                            &lg->profile, lg->must_change);
    }

    /* a hash weaker than the configured cost is replaced now */

    ctx->step = NGX_HTTP_HEAO_LOGIN_REHASH;

    return ngx_http_heao_kdf_hash(r, ctx, &lg->password, "password hash");
}


static ngx_int_t
ngx_http_heao_login_done(ngx_http_request_t *r, ngx_http_heao_ctx_t *ctx,
    ngx_http_heao_login_t *lg)
{
    json_t  *json;

    json = ngx_http_heao_session_json(ctx->session);
    if (json == NULL) {
        return NGX_ERROR;
    }

    if (json_object_set_new(json, "must_change_password",
                            json_boolean(lg->must_change))
        != 0)
    {
        json_decref(json);
        return NGX_ERROR;
    }

    ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                  "heao: login of %*s******", (size_t) 8, lg->exam_no.data);

    return ngx_http_heao_send_json(r, NGX_HTTP_OK, json);
}


ngx_int_t
ngx_http_heao_logout(ngx_http_request_t *r, ngx_http_heao_ctx_t *ctx)
{
    ngx_int_t  rc;

    switch (ctx->step) {

    case 0:
        ctx->step = 1;

        rc = ngx_http_heao_session_load(r, ctx);
        if (rc != NGX_DECLINED) {
            return rc;
        }

        /* fall through */

    case 1:
        rc = ngx_http_heao_session_loaded(r, ctx, 1);
        if (rc != NGX_OK) {
            return rc;
        }

        rc = ngx_http_heao_no_fields(r, ctx);
        if (rc != NGX_OK) {
            return rc;
        }

        ctx->step = 2;

        return ngx_http_heao_session_destroy(r, ctx);

    default:
        if (ctx->rc != NGX_OK) {
            return ngx_http_heao_backend_error(r, ctx, "logout");
        }

        return ngx_http_heao_send_json(r, NGX_HTTP_OK,
                                       json_pack("{s:b}", "ok", 1));
    }
}


ngx_int_t
ngx_http_heao_whoami(ngx_http_request_t *r, ngx_http_heao_ctx_t *ctx)
{
    json_t     *json;
    ngx_int_t   rc;

    if (ctx->step == 0) {
        ctx->step = 1;

        rc = ngx_http_heao_session_load(r, ctx);
        if (rc != NGX_DECLINED) {
            return rc;
        }
    }

    rc = ngx_http_heao_session_loaded(r, ctx, 0);
    if (rc != NGX_OK) {
        return rc;
    }

    json = ngx_http_heao_session_json(ctx->session);
    if (json == NULL) {
        return NGX_ERROR;
    }

    /* A14: the page sends the candidate to the password change */

    if (ctx->session->must_change
        && json_object_set_new(json, "must_change_password", json_true())
           != 0)
    {
        json_decref(json);
        return NGX_ERROR;
    }

    return ngx_http_heao_send_json(r, NGX_HTTP_OK, json);
}


/*
 * POST /api/password {"old_password", "new_password"}: the candidate's
 * own change (A14: the first thing after an office-set password).  The
 * new password meets the policy of SPEC 2; both hashes run in the
 * thread pool; every other session of the candidate ends (A5).
 */

ngx_int_t
ngx_http_heao_password_change(ngx_http_request_t *r,
    ngx_http_heao_ctx_t *ctx)
{
    ngx_int_t                  rc;
    ngx_str_t                 *v;
    const char                *values[4];
    ngx_http_heao_password_t  *pw;

    pw = ctx->data;

    switch (ctx->step) {

    case NGX_HTTP_HEAO_PASSWORD_SESSION:
        ctx->step = NGX_HTTP_HEAO_PASSWORD_LOADED;

        rc = ngx_http_heao_session_load(r, ctx);
        if (rc != NGX_DECLINED) {
            return rc;
        }

        /* fall through */

    case NGX_HTTP_HEAO_PASSWORD_LOADED:
        rc = ngx_http_heao_session_loaded(r, ctx, 1);
        if (rc != NGX_OK) {
            return rc;
        }

        rc = ngx_http_heao_parse_body(r, ctx);
        if (rc != NGX_OK) {
            return rc;
        }

        pw = ngx_pcalloc(r->pool, sizeof(ngx_http_heao_password_t));
        if (pw == NULL) {
            return NGX_ERROR;
        }

        ctx->data = pw;

        if (ngx_http_heao_field(ctx->body, "old_password", &pw->old)
            != NGX_OK
            || !ngx_http_heao_valid_password(&pw->old))
        {
            return ngx_http_heao_bad_field(r, "old_password",
                                           "请输入原密码");
        }

        if (ngx_http_heao_field(ctx->body, "new_password", &pw->new)
            != NGX_OK
            || !ngx_http_heao_password_policy(&pw->new))
        {
            return ngx_http_heao_bad_field(r, "new_password",
                                           "新密码应为8至32个字符，"
                                           "须同时包含字母、"
                                           "数字和符号");
        }

        if (pw->new.len == pw->old.len
            && ngx_memcmp(pw->new.data, pw->old.data, pw->new.len) == 0)
        {
            return ngx_http_heao_bad_field(r, "new_password",
                                           "新密码不能与原密码相同");
        }

        /* A4: the old password is not to be guessed here either */

        ctx->step = NGX_HTTP_HEAO_PASSWORD_RATED;

        return ngx_http_heao_account_rate(r, ctx, "pw");

    case NGX_HTTP_HEAO_PASSWORD_RATED:
        rc = ngx_http_heao_account_rated(r, ctx);
        if (rc != NGX_OK) {
            return rc;
        }

        values[0] = (char *) ctx->session->candidate.data;
        ctx->step = NGX_HTTP_HEAO_PASSWORD_HASH;

        return ngx_http_heao_pg_call(ctx, NGX_HTTP_HEAO_SQL_PASSWORD_HASH, 1,
                                     values, NULL);

    case NGX_HTTP_HEAO_PASSWORD_HASH:
        if (ctx->rc != NGX_OK || ctx->reply == NULL) {
            return ngx_http_heao_backend_error(r, ctx, "password");
        }

        v = ctx->reply->elts;
        ctx->step = NGX_HTTP_HEAO_PASSWORD_VERIFY;

        return ngx_http_heao_kdf_verify(r, ctx, v[0].len ? &v[0] : NULL,
                                        &pw->old, "password check");

    case NGX_HTTP_HEAO_PASSWORD_VERIFY:
        if (ctx->rc == NGX_ERROR) {
            return ngx_http_heao_backend_error(r, ctx, "password check");
        }

        if (ctx->rc != NGX_OK) {
            ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                          "heao: password change with a wrong password"
                          " for %*s******", (size_t) 8,
                          ctx->session->exam_no.data);

            return ngx_http_heao_send_error(r, NGX_HTTP_BAD_REQUEST,
                                            "wrong_password", "old_password",
                                            "原密码不正确");
        }

        ctx->step = NGX_HTTP_HEAO_PASSWORD_DERIVE;

        return ngx_http_heao_kdf_hash(r, ctx, &pw->new, "password hash");

    case NGX_HTTP_HEAO_PASSWORD_DERIVE:
        if (ctx->rc != NGX_OK) {
            return ngx_http_heao_backend_error(r, ctx, "password hash");
        }

        values[0] = (char *) ctx->session->candidate.data;
        values[1] = (char *) ctx->result.data;

        /* A12: the notice is written with the change */

        if (ngx_http_heao_account_event(r, ctx, &values[2]) != NGX_OK) {
            return NGX_ERROR;
        }

        ctx->step = NGX_HTTP_HEAO_PASSWORD_STORE;

        return ngx_http_heao_pg_call(ctx, NGX_HTTP_HEAO_SQL_CHANGE_PASSWORD,
                                     4, values, NULL);

    case NGX_HTTP_HEAO_PASSWORD_STORE:
        if (ctx->rc != NGX_OK || ctx->reply == NULL) {
            return ngx_http_heao_backend_error(r, ctx, "password store");
        }

        ctx->step = NGX_HTTP_HEAO_PASSWORD_SESSIONS;

        return ngx_http_heao_session_end_others(r, ctx,
                                                &ctx->session->candidate);

    default: /* NGX_HTTP_HEAO_PASSWORD_SESSIONS */
        if (ctx->rc != NGX_OK) {
            /* the password changed: the answer must say so all the same */
            ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                          "heao: ending the other sessions failed");
        }

        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "heao: password changed for %*s******", (size_t) 8,
                      ctx->session->exam_no.data);

        return ngx_http_heao_send_json(r, NGX_HTTP_OK,
                                       json_pack("{s:b}", "ok", 1));
    }
}


/* 14 digits, the year first, then the province code 41 */

ngx_uint_t
ngx_http_heao_valid_exam_no(ngx_str_t *s)
{
    size_t  i;

    if (s->len != NGX_HTTP_HEAO_EXAM_NO_LEN) {
        return 0;
    }

    for (i = 0; i < s->len; i++) {
        if (s->data[i] < '0' || s->data[i] > '9') {
            return 0;
        }
    }

    return s->data[2] == '4' && s->data[3] == '1';
}


/* GB 11643: 17 digits, a real birth date, an ISO 7064 MOD 11-2 check */

ngx_uint_t
ngx_http_heao_valid_id_no(ngx_str_t *s)
{
    u_char      *d, c;
    ngx_uint_t   i, sum, year, month, day, mdays;

    static ngx_uint_t  weights[] = {
        7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2
    };
    static u_char      checks[] = "10X98765432";
    static ngx_uint_t  days[] = {
        31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31
    };

    if (s->len != NGX_HTTP_HEAO_ID_NO_LEN) {
        return 0;
    }

    d = s->data;
    sum = 0;

    for (i = 0; i < 17; i++) {
        if (d[i] < '0' || d[i] > '9') {
            return 0;
        }

        sum += (d[i] - '0') * weights[i];
    }

    c = (d[17] == 'x') ? 'X' : d[17];

    if (c != checks[sum % 11]) {
        return 0;
    }

    year = (d[6] - '0') * 1000 + (d[7] - '0') * 100 + (d[8] - '0') * 10
           + (d[9] - '0');
    month = (d[10] - '0') * 10 + (d[11] - '0');
    day = (d[12] - '0') * 10 + (d[13] - '0');

    if (year < 1900 || month < 1 || month > 12 || day < 1) {
        return 0;
    }

    mdays = days[month - 1];

    if (month == 2
        && ((year % 4 == 0 && year % 100 != 0) || year % 400 == 0))
    {
        mdays = 29;
    }

    return day <= mdays;
}


/*
 * The length only, in characters (SPEC 2), not bytes: a password set
 * before the policy may hold CJK characters.  The policy itself is
 * checked where a password is set (A8).  jansson lets in valid UTF-8
 * only.
 */

ngx_uint_t
ngx_http_heao_valid_password(ngx_str_t *s)
{
    size_t  n;

    if (s->len < NGX_HTTP_HEAO_PASSWORD_MIN
        || s->len > NGX_HTTP_HEAO_PASSWORD_LEN * NGX_HTTP_HEAO_UTF8_MAX)
    {
        return 0;
    }

    n = ngx_utf8_length(s->data, s->len);

    return n >= NGX_HTTP_HEAO_PASSWORD_MIN
           && n <= NGX_HTTP_HEAO_PASSWORD_LEN;
}


/* SPEC 2: 8 to 32 visible ASCII characters, letters, digits, a symbol */

ngx_uint_t
ngx_http_heao_password_policy(ngx_str_t *s)
{
    u_char      c;
    size_t      i;
    ngx_uint_t  letter, digit, symbol;

    if (s->len < NGX_HTTP_HEAO_PASSWORD_MIN
        || s->len > NGX_HTTP_HEAO_PASSWORD_LEN)
    {
        return 0;
    }

    letter = 0;
    digit = 0;
    symbol = 0;

    for (i = 0; i < s->len; i++) {
        c = s->data[i];

        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) {
            letter = 1;

        } else if (c >= '0' && c <= '9') {
            digit = 1;

        } else if (c > 0x20 && c < 0x7f) {
            symbol = 1;

        } else {
            return 0;
        }
    }

    return letter && digit && symbol;
}


/* a string member of a JSON object: NGX_OK, else NGX_DECLINED */

ngx_int_t
ngx_http_heao_field(json_t *body, const char *name, ngx_str_t *value)
{
    json_t  *v;

    v = json_object_get(body, name);

    if (!json_is_string(v)) {
        return NGX_DECLINED;
    }

    value->data = (u_char *) json_string_value(v);
    value->len = json_string_length(v);

    return NGX_OK;
}


/*
 * When and from where a change of the account came, as the functions
 * that store it and write its notice (A12) take them, NUL terminated:
 * the arrival in epoch seconds with milliseconds into values[0], the
 * client address into values[1]
 */

ngx_int_t
ngx_http_heao_account_event(ngx_http_request_t *r, ngx_http_heao_ctx_t *ctx,
    const char **values)
{
    u_char  *p;

    p = ngx_pnalloc(r->pool, NGX_TIME_T_LEN + 5
                             + r->connection->addr_text.len + 1);
    if (p == NULL) {
        return NGX_ERROR;
    }

    values[0] = (char *) p;
    p = ngx_sprintf(p, "%T.%03M%Z", ctx->arrived, ctx->arrived_msec);

    values[1] = (char *) p;
    *ngx_cpymem(p, r->connection->addr_text.data,
                r->connection->addr_text.len) = '\0';

    return NGX_OK;
}
