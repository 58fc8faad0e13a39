
/*
 * Copyright (C) heao developers
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/crypto.h>

#include "ngx_http_heao_module.h"


/*
 * A11: WeChat binding.  The page shows a QR code of the official
 * account's binding page (heao_wechat_bind_url) with a signed state:
 * "<candidate>.<expiry>.<HMAC>" keyed with heao_secret_file, kept in
 * Redis for 10 minutes.  The official account's server learns the
 * WeChat user's openid and calls POST /api/wechat/callback, signed with
 * the secret it shares with the portal (heao_wechat_secret_file):
 * HMAC-SHA256 of "timestamp\nnonce\nstate\nopenid".  A call more than 5
 * minutes off, a nonce seen before, or a state used or replaced is
 * refused; else the openid is bound and notices go to WeChat too (A12).
 */


#define NGX_HTTP_HEAO_WECHAT_PENDING    "heao:wb:"
#define NGX_HTTP_HEAO_WECHAT_NONCE      "heao:wn:"
#define NGX_HTTP_HEAO_WECHAT_TTL        600     /* seconds to scan */
#define NGX_HTTP_HEAO_WECHAT_SKEW       300     /* seconds off at most */
#define NGX_HTTP_HEAO_WECHAT_STATE_MAC  16      /* bytes of HMAC kept */
#define NGX_HTTP_HEAO_WECHAT_NONCE_MAX  64
#define NGX_HTTP_HEAO_WECHAT_OPENID_MIN 6
#define NGX_HTTP_HEAO_WECHAT_OPENID_MAX 64
#define NGX_HTTP_HEAO_WECHAT_STATE_MAX  80


typedef enum {
    NGX_HTTP_HEAO_WX_SESSION = 0,
    NGX_HTTP_HEAO_WX_LOADED,
    NGX_HTTP_HEAO_WX_STORED,
    NGX_HTTP_HEAO_WX_DONE
} ngx_http_heao_wechat_step_e;


typedef enum {
    NGX_HTTP_HEAO_CALLBACK_START = 0,
    NGX_HTTP_HEAO_CALLBACK_CLAIMED,
    NGX_HTTP_HEAO_CALLBACK_BOUND
} ngx_http_heao_callback_step_e;


static ngx_int_t ngx_http_heao_wechat_start(ngx_http_request_t *r,
    ngx_http_heao_ctx_t *ctx, ngx_uint_t post);
static ngx_int_t ngx_http_heao_wechat_key(ngx_http_request_t *r,
    ngx_str_t *candidate, ngx_str_t *key);
static ngx_int_t ngx_http_heao_wechat_state(ngx_http_request_t *r,
    ngx_str_t *candidate, time_t expires, ngx_str_t *state);
static ngx_int_t ngx_http_heao_wechat_link(ngx_http_request_t *r,
    ngx_str_t *state, ngx_str_t *link);
static ngx_int_t ngx_http_heao_wechat_hmac(ngx_http_request_t *r,
    ngx_str_t *key, u_char *msg, size_t len, u_char *mac);
static ngx_int_t ngx_http_heao_wechat_string(json_t *obj, const char *name,
    ngx_str_t *value, size_t min, size_t max);
static ngx_int_t ngx_http_heao_wechat_off(ngx_http_request_t *r);


/* GET /api/wechat: whether WeChat is bound */

ngx_int_t
ngx_http_heao_wechat_status(ngx_http_request_t *r, ngx_http_heao_ctx_t *ctx)
{
    ngx_int_t    rc;
    ngx_str_t   *v;
    const char  *values[1];

    switch (ctx->step) {

    case NGX_HTTP_HEAO_WX_SESSION:
    case NGX_HTTP_HEAO_WX_LOADED:
        rc = ngx_http_heao_wechat_start(r, ctx, 0);
        if (rc != NGX_OK) {
            return rc;
        }

        values[0] = (char *) ctx->session->candidate.data;
        ctx->step = NGX_HTTP_HEAO_WX_DONE;

        return ngx_http_heao_pg_call(ctx, NGX_HTTP_HEAO_SQL_WECHAT_OF, 1,
                                     values, NULL);

    default: /* NGX_HTTP_HEAO_WX_DONE */
        if (ctx->rc != NGX_OK || ctx->reply == NULL) {
            return ngx_http_heao_backend_error(r, ctx, "wechat");
        }

        v = ctx->reply->elts;

        return ngx_http_heao_send_json(r, NGX_HTTP_OK,
                   json_pack("{s:b}", "bound",
                             v[0].len && v[0].data[0] == 't'));
    }
}


/*
 * POST /api/wechat/begin {}: a new signed state for 10 minutes; the
 * answer has the link the QR code holds.
 */

ngx_int_t
ngx_http_heao_wechat_begin(ngx_http_request_t *r, ngx_http_heao_ctx_t *ctx)
{
    u_char      *p;
    size_t       len[3];
    ngx_int_t    rc;
    ngx_str_t    key, state, link;
    const char  *argv[3];

    switch (ctx->step) {

    case NGX_HTTP_HEAO_WX_SESSION:
    case NGX_HTTP_HEAO_WX_LOADED:
        rc = ngx_http_heao_wechat_start(r, ctx, 1);
        if (rc != NGX_OK) {
            return rc;
        }

        if (ngx_http_heao_wechat_key(r, &ctx->session->candidate, &key)
            != NGX_OK
            || ngx_http_heao_wechat_state(r, &ctx->session->candidate,
                                          ctx->arrived
                                          + NGX_HTTP_HEAO_WECHAT_TTL,
                                          &state)
               != NGX_OK)
        {
            return NGX_ERROR;
        }

        ctx->result = state;

        p = ngx_pnalloc(r->pool, NGX_INT_T_LEN);
        if (p == NULL) {
            return NGX_ERROR;
        }

        argv[0] = (char *) key.data;
        len[0] = key.len;
        argv[1] = (char *) state.data;
        len[1] = state.len;
        argv[2] = (char *) p;
        len[2] = ngx_sprintf(p, "%d", NGX_HTTP_HEAO_WECHAT_TTL) - p;

        ctx->step = NGX_HTTP_HEAO_WX_STORED;

        return ngx_http_heao_redis_call(ctx, NGX_HTTP_HEAO_LUA_SET_EX, 1, 3,
                                        argv, len);

    default: /* NGX_HTTP_HEAO_WX_STORED */
        if (ctx->rc != NGX_OK) {
            return ngx_http_heao_backend_error(r, ctx, "wechat");
        }

        if (ngx_http_heao_wechat_link(r, &ctx->result, &link) != NGX_OK) {
            return NGX_ERROR;
        }

        return ngx_http_heao_send_json(r, NGX_HTTP_OK,
                   json_pack("{s:s%, s:s, s:i}",
                             "link", link.data, link.len,
                             "qr", "/api/wechat/qr",
                             "expires_in", NGX_HTTP_HEAO_WECHAT_TTL));
    }
}


/* GET /api/wechat/qr: the link of the binding under way as a QR code */

ngx_int_t
ngx_http_heao_wechat_qr(ngx_http_request_t *r, ngx_http_heao_ctx_t *ctx)
{
    size_t       len[1];
    ngx_int_t    rc;
    ngx_str_t   *v, key, link;
    const char  *argv[1];

    switch (ctx->step) {

    case NGX_HTTP_HEAO_WX_SESSION:
    case NGX_HTTP_HEAO_WX_LOADED:
        rc = ngx_http_heao_wechat_start(r, ctx, 0);
        if (rc != NGX_OK) {
            return rc;
        }

        if (ngx_http_heao_wechat_key(r, &ctx->session->candidate, &key)
            != NGX_OK)
        {
            return NGX_ERROR;
        }

        argv[0] = (char *) key.data;
        len[0] = key.len;

        ctx->step = NGX_HTTP_HEAO_WX_DONE;

        return ngx_http_heao_redis_call(ctx, NGX_HTTP_HEAO_LUA_GET, 1, 1,
                                        argv, len);

    default: /* NGX_HTTP_HEAO_WX_DONE */
        if (ctx->rc != NGX_OK) {
            return ngx_http_heao_backend_error(r, ctx, "wechat");
        }

        if (ctx->reply == NULL) {
            return ngx_http_heao_send_error(r, NGX_HTTP_NOT_FOUND,
                                            "not_found", NULL,
                                            "二维码已过期，"
                                            "请重新开始绑定");
        }

        v = ctx->reply->elts;

        if (ngx_http_heao_wechat_link(r, &v[0], &link) != NGX_OK) {
            return NGX_ERROR;
        }

        return ngx_http_heao_qr_png(r, &link);
    }
}


/* POST /api/wechat/unbind {}: notices no longer go to WeChat */

ngx_int_t
ngx_http_heao_wechat_unbind(ngx_http_request_t *r, ngx_http_heao_ctx_t *ctx)
{
    ngx_int_t    rc;
    const char  *values[4];

    switch (ctx->step) {

    case NGX_HTTP_HEAO_WX_SESSION:
    case NGX_HTTP_HEAO_WX_LOADED:
        rc = ngx_http_heao_wechat_start(r, ctx, 1);
        if (rc != NGX_OK) {
            return rc;
        }

        values[0] = (char *) ctx->session->candidate.data;
        values[1] = NULL;

        /* A12: the notice goes to the account unbound too */

        if (ngx_http_heao_account_event(r, ctx, &values[2]) != NGX_OK) {
            return NGX_ERROR;
        }

        ctx->step = NGX_HTTP_HEAO_WX_DONE;

        return ngx_http_heao_pg_call(ctx, NGX_HTTP_HEAO_SQL_WECHAT_BIND, 4,
                                     values, NULL);

    default: /* NGX_HTTP_HEAO_WX_DONE */
        if (ctx->rc != NGX_OK || ctx->reply == NULL) {
            return ngx_http_heao_backend_error(r, ctx, "wechat");
        }

        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "heao wechat: unbound for %*s******", (size_t) 8,
                      ctx->session->exam_no.data);

        return ngx_http_heao_send_json(r, NGX_HTTP_OK,
                                       json_pack("{s:b}", "bound", 0));
    }
}


/*
 * POST /api/wechat/callback {"state", "openid", "timestamp", "nonce",
 * "signature"}: the official account's server completes a binding.  No
 * session: the signature is the caller's proof.
 */

ngx_int_t
ngx_http_heao_wechat_callback(ngx_http_request_t *r,
    ngx_http_heao_ctx_t *ctx)
{
    u_char                     *p, *dot1, *dot2, *last;
    u_char                      msg[512], mac[EVP_MAX_MD_SIZE];
    u_char                      hex[2 * EVP_MAX_MD_SIZE];
    size_t                      len[5];
    time_t                      ts, expires;
    json_t                     *jts;
    ngx_int_t                   rc;
    ngx_str_t                   state, openid, nonce, sig, cand, *v, key;
    ngx_str_t                  *kept;
    const char                 *argv[5], *values[4];
    ngx_http_heao_main_conf_t  *hmcf;

    hmcf = ngx_http_get_module_main_conf(r, ngx_http_heao_module);

    switch (ctx->step) {

    case NGX_HTTP_HEAO_CALLBACK_START:
        if (hmcf->wechat_secret.len == 0) {
            ngx_http_discard_request_body(r);
            return ngx_http_heao_wechat_off(r);
        }

        rc = ngx_http_heao_parse_body(r, ctx);
        if (rc != NGX_OK) {
            return rc;
        }

        if (ngx_http_heao_wechat_string(ctx->body, "state", &state, 1,
                                        NGX_HTTP_HEAO_WECHAT_STATE_MAX)
            != NGX_OK)
        {
            return ngx_http_heao_bad_field(r, "state", "state");
        }

        if (ngx_http_heao_wechat_string(ctx->body, "openid", &openid,
                                        NGX_HTTP_HEAO_WECHAT_OPENID_MIN,
                                        NGX_HTTP_HEAO_WECHAT_OPENID_MAX)
            != NGX_OK)
        {
            return ngx_http_heao_bad_field(r, "openid", "openid");
        }

        for (last = openid.data; last < openid.data + openid.len; last++) {
            if (!ngx_http_heao_token_char(*last)) {
                return ngx_http_heao_bad_field(r, "openid", "openid");
            }
        }

        if (ngx_http_heao_wechat_string(ctx->body, "nonce", &nonce, 1,
                                        NGX_HTTP_HEAO_WECHAT_NONCE_MAX)
            != NGX_OK)
        {
            return ngx_http_heao_bad_field(r, "nonce", "nonce");
        }

        if (ngx_http_heao_wechat_string(ctx->body, "signature", &sig, 64, 64)
            != NGX_OK)
        {
            return ngx_http_heao_bad_field(r, "signature", "signature");
        }

        jts = json_object_get(ctx->body, "timestamp");

        if (!json_is_integer(jts) || json_integer_value(jts) < 0) {
            return ngx_http_heao_bad_field(r, "timestamp", "timestamp");
        }

        ts = (time_t) json_integer_value(jts);

        /* the signature first: nothing else is told to a stranger */

        p = ngx_snprintf(msg, sizeof(msg), "%T\n%V\n%V\n%V", ts, &nonce,
                         &state, &openid);

        if (ngx_http_heao_wechat_hmac(r, &hmcf->wechat_secret, msg,
                                      p - msg, mac)
            != NGX_OK)
        {
            return NGX_ERROR;
        }

        ngx_hex_dump(hex, mac, 32);

        if (CRYPTO_memcmp(hex, sig.data, 64) != 0) {
            ngx_log_error(NGX_LOG_WARN, r->connection->log, 0,
                          "heao wechat: callback with a bad signature");
            return ngx_http_heao_send_error(r, NGX_HTTP_UNAUTHORIZED,
                                            "bad_signature", "signature",
                                            "签名不正确");
        }

        if (ts + NGX_HTTP_HEAO_WECHAT_SKEW < ctx->arrived
            || ts > ctx->arrived + NGX_HTTP_HEAO_WECHAT_SKEW)
        {
            ngx_log_error(NGX_LOG_WARN, r->connection->log, 0,
                          "heao wechat: stale callback, %T s off",
                          ctx->arrived - ts);
            return ngx_http_heao_send_error(r, NGX_HTTP_UNAUTHORIZED,
                                            "stale", "timestamp",
                                            "请求已过期");
        }

        /* the state: "<candidate>.<expiry>.<HMAC>" */

        last = state.data + state.len;
        dot1 = ngx_strlchr(state.data, last, '.');
        dot2 = dot1 ? ngx_strlchr(dot1 + 1, last, '.') : NULL;

        if (dot2 == NULL) {
            goto bad_state;
        }

        cand.data = state.data;
        cand.len = dot1 - state.data;

        if (ngx_atoi(cand.data, cand.len) <= 0) {
            goto bad_state;
        }

        expires = ngx_atotm(dot1 + 1, dot2 - dot1 - 1);

        if (expires == NGX_ERROR) {
            goto bad_state;
        }

        if (ngx_http_heao_wechat_state(r, &cand, expires, &key) != NGX_OK) {
            return NGX_ERROR;
        }

        if (key.len != state.len
            || CRYPTO_memcmp(key.data, state.data, state.len) != 0)
        {
            goto bad_state;
        }

        if (expires < ctx->arrived) {
            return ngx_http_heao_send_error(r, NGX_HTTP_CONFLICT,
                                            "state_expired", "state",
                                            "二维码已过期");
        }

        /* the nonce is remembered as long as a call may be in the skew */

        if (ngx_http_heao_wechat_key(r, &cand, &key) != NGX_OK) {
            return NGX_ERROR;
        }

        p = ngx_pnalloc(r->pool, sizeof(NGX_HTTP_HEAO_WECHAT_NONCE)
                                 + nonce.len + NGX_INT_T_LEN);
        if (p == NULL) {
            return NGX_ERROR;
        }

        argv[0] = (char *) key.data;
        len[0] = key.len;

        argv[1] = (char *) p;
        len[1] = ngx_sprintf(p, NGX_HTTP_HEAO_WECHAT_NONCE "%V", &nonce) - p;
        p += len[1];

        argv[2] = (char *) state.data;
        len[2] = state.len;

        argv[3] = (char *) p;
        len[3] = ngx_sprintf(p, "%d", 2 * NGX_HTTP_HEAO_WECHAT_SKEW) - p;

        kept = ngx_palloc(r->pool, 2 * sizeof(ngx_str_t));
        if (kept == NULL) {
            return NGX_ERROR;
        }

        kept[0] = cand;
        kept[1] = openid;
        ctx->data = kept;
        ctx->step = NGX_HTTP_HEAO_CALLBACK_CLAIMED;

        return ngx_http_heao_redis_call(ctx, NGX_HTTP_HEAO_LUA_WECHAT_CLAIM,
                                        2, 4, argv, len);

    case NGX_HTTP_HEAO_CALLBACK_CLAIMED:
        if (ctx->rc != NGX_OK || ctx->reply == NULL) {
            return ngx_http_heao_backend_error(r, ctx, "wechat");
        }

        v = ctx->reply->elts;

        if (v[0].len == 2) {
            ngx_log_error(NGX_LOG_WARN, r->connection->log, 0,
                          "heao wechat: replayed callback refused");
            return ngx_http_heao_send_error(r, NGX_HTTP_CONFLICT, "replayed",
                                            "nonce", "请求已处理");
        }

        if (v[0].data[0] != '1') {
            return ngx_http_heao_send_error(r, NGX_HTTP_CONFLICT,
                                            "state_expired", "state",
                                            "二维码已失效");
        }

        kept = ctx->data;

        p = ngx_pnalloc(r->pool, kept[0].len + kept[1].len + 2
                                 + NGX_TIME_T_LEN + 5);
        if (p == NULL) {
            return NGX_ERROR;
        }

        values[0] = (char *) p;
        p = ngx_cpymem(p, kept[0].data, kept[0].len);
        *p++ = '\0';
        values[1] = (char *) p;
        p = ngx_cpymem(p, kept[1].data, kept[1].len);
        *p++ = '\0';

        /*
         * A12: the notice of the binding has no address: the caller is
         * the official account's server, not the candidate's browser
         */

        values[2] = (char *) p;
        ngx_sprintf(p, "%T.%03M%Z", ctx->arrived, ctx->arrived_msec);
        values[3] = NULL;

        ctx->step = NGX_HTTP_HEAO_CALLBACK_BOUND;

        return ngx_http_heao_pg_call(ctx, NGX_HTTP_HEAO_SQL_WECHAT_BIND, 4,
                                     values, NULL);

    default: /* NGX_HTTP_HEAO_CALLBACK_BOUND */
        if (ctx->rc != NGX_OK || ctx->reply == NULL) {
            return ngx_http_heao_backend_error(r, ctx, "wechat bind");
        }

        v = ctx->reply->elts;

        if (v[0].len == 0 || v[0].data[0] != 't') {
            return ngx_http_heao_send_error(r, NGX_HTTP_NOT_FOUND,
                                            "not_found", "state",
                                            "考生不存在");
        }

        kept = ctx->data;

        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "heao wechat: bound candidate %V", &kept[0]);

        return ngx_http_heao_send_json(r, NGX_HTTP_OK,
                                       json_pack("{s:b}", "bound", 1));
    }

bad_state:

    return ngx_http_heao_send_error(r, NGX_HTTP_BAD_REQUEST, "bad_field",
                                    "state", "state");
}


/* heao_wechat_secret_file path: the secret shared with the account */

char *
ngx_http_heao_wechat_secret_file(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    ngx_http_heao_main_conf_t *hmcf = conf;

    u_char     *p, *last;
    ssize_t     n;
    ngx_fd_t    fd;
    ngx_str_t  *value, name;

    if (hmcf->wechat_secret.data) {
        return "is duplicate";
    }

    value = cf->args->elts;
    name = value[1];

    if (ngx_conf_full_name(cf->cycle, &name, 0) != NGX_OK) {
        return NGX_CONF_ERROR;
    }

    fd = ngx_open_file(name.data, NGX_FILE_RDONLY, NGX_FILE_OPEN, 0);
    if (fd == NGX_INVALID_FILE) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, ngx_errno,
                           ngx_open_file_n " \"%V\" failed", &name);
        return NGX_CONF_ERROR;
    }

    p = ngx_pnalloc(cf->pool, 4096);
    if (p == NULL) {
        ngx_close_file(fd);
        return NGX_CONF_ERROR;
    }

    n = ngx_read_fd(fd, p, 4096);

    ngx_close_file(fd);

    if (n == -1) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, ngx_errno,
                           ngx_read_fd_n " \"%V\" failed", &name);
        return NGX_CONF_ERROR;
    }

    last = p + n;

    while (last > p && (last[-1] == LF || last[-1] == CR || last[-1] == ' '))
    {
        last--;
    }

    if (last - p < NGX_HTTP_HEAO_SECRET_MIN) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "secret file \"%V\" holds less than %d bytes",
                           &name, NGX_HTTP_HEAO_SECRET_MIN);
        return NGX_CONF_ERROR;
    }

    hmcf->wechat_secret.data = p;
    hmcf->wechat_secret.len = last - p;

    return NGX_CONF_OK;
}


/* the session (with the CSRF token and the body for a POST) */

static ngx_int_t
ngx_http_heao_wechat_start(ngx_http_request_t *r, ngx_http_heao_ctx_t *ctx,
    ngx_uint_t post)
{
    ngx_int_t                   rc;
    ngx_http_heao_main_conf_t  *hmcf;

    if (ctx->step == NGX_HTTP_HEAO_WX_SESSION) {
        ctx->step = NGX_HTTP_HEAO_WX_LOADED;

        rc = ngx_http_heao_session_load(r, ctx);
        if (rc != NGX_DECLINED) {
            return rc;
        }
    }

    rc = ngx_http_heao_session_loaded(r, ctx, post);
    if (rc != NGX_OK) {
        return rc;
    }

    hmcf = ngx_http_get_module_main_conf(r, ngx_http_heao_module);

    if (hmcf->wechat_bind_url.len == 0 || hmcf->wechat_secret.len == 0) {
        return ngx_http_heao_answer(r, ngx_http_heao_wechat_off(r));
    }

    if (post) {
        return ngx_http_heao_parse_body(r, ctx);
    }

    return NGX_OK;
}


static ngx_int_t
ngx_http_heao_wechat_off(ngx_http_request_t *r)
{
    return ngx_http_heao_send_error(r, NGX_HTTP_NOT_FOUND, "not_found", NULL,
                                    "未开通微信绑定");
}


static ngx_int_t
ngx_http_heao_wechat_key(ngx_http_request_t *r, ngx_str_t *candidate,
    ngx_str_t *key)
{
    key->data = ngx_pnalloc(r->pool, sizeof(NGX_HTTP_HEAO_WECHAT_PENDING)
                                     + candidate->len);
    if (key->data == NULL) {
        return NGX_ERROR;
    }

    key->len = ngx_sprintf(key->data, NGX_HTTP_HEAO_WECHAT_PENDING "%V",
                           candidate)
               - key->data;

    return NGX_OK;
}


/* "<candidate>.<expiry>.<hex HMAC of both, keyed with heao_secret_file>" */

static ngx_int_t
ngx_http_heao_wechat_state(ngx_http_request_t *r, ngx_str_t *candidate,
    time_t expires, ngx_str_t *state)
{
    u_char                     *p;
    u_char                      msg[64], mac[EVP_MAX_MD_SIZE];
    ngx_http_heao_main_conf_t  *hmcf;

    hmcf = ngx_http_get_module_main_conf(r, ngx_http_heao_module);

    if (candidate->len > 20) {
        return NGX_ERROR;
    }

    p = ngx_sprintf(msg, "wxbind:%V.%T", candidate, expires);

    if (ngx_http_heao_wechat_hmac(r, &hmcf->secret, msg, p - msg, mac)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    state->data = ngx_pnalloc(r->pool, candidate->len + NGX_TIME_T_LEN + 2
                                       + 2 * NGX_HTTP_HEAO_WECHAT_STATE_MAC
                                       + 1);
    if (state->data == NULL) {
        return NGX_ERROR;
    }

    p = ngx_sprintf(state->data, "%V.%T.", candidate, expires);
    p = ngx_hex_dump(p, mac, NGX_HTTP_HEAO_WECHAT_STATE_MAC);
    *p = '\0';

    state->len = p - state->data;

    return NGX_OK;
}


/* heao_wechat_bind_url with "state=" appended */

static ngx_int_t
ngx_http_heao_wechat_link(ngx_http_request_t *r, ngx_str_t *state,
    ngx_str_t *link)
{
    ngx_http_heao_main_conf_t  *hmcf;

    hmcf = ngx_http_get_module_main_conf(r, ngx_http_heao_module);

    link->data = ngx_pnalloc(r->pool, hmcf->wechat_bind_url.len
                                      + sizeof("?state=") + state->len);
    if (link->data == NULL) {
        return NGX_ERROR;
    }

    link->len = ngx_sprintf(link->data, "%V%sstate=%V",
                            &hmcf->wechat_bind_url,
                            ngx_strlchr(hmcf->wechat_bind_url.data,
                                        hmcf->wechat_bind_url.data
                                        + hmcf->wechat_bind_url.len, '?')
                            ? "&" : "?",
                            state)
                - link->data;

    return NGX_OK;
}


static ngx_int_t
ngx_http_heao_wechat_hmac(ngx_http_request_t *r, ngx_str_t *key, u_char *msg,
    size_t len, u_char *mac)
{
    unsigned int  n;

    if (HMAC(EVP_sha256(), key->data, (int) key->len, msg, len, mac, &n)
        == NULL)
    {
        ngx_log_error(NGX_LOG_ALERT, r->connection->log, 0,
                      "heao wechat: HMAC() failed");
        return NGX_ERROR;
    }

    return NGX_OK;
}


/* a string of visible ASCII of min to max bytes */

static ngx_int_t
ngx_http_heao_wechat_string(json_t *obj, const char *name, ngx_str_t *value,
    size_t min, size_t max)
{
    size_t   i;
    json_t  *v;

    v = json_object_get(obj, name);

    if (!json_is_string(v)) {
        return NGX_DECLINED;
    }

    value->data = (u_char *) json_string_value(v);
    value->len = json_string_length(v);

    if (value->len < min || value->len > max) {
        return NGX_DECLINED;
    }

    for (i = 0; i < value->len; i++) {
        if (value->data[i] <= 0x20 || value->data[i] >= 0x7f) {
            return NGX_DECLINED;
        }
    }

    return NGX_OK;
}
