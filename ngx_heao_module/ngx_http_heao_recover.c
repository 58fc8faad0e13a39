
/*
 * Copyright (C) heao developers
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>
#include <openssl/rand.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

#include "ngx_http_heao_module.h"
#include "ngx_http_heao_kdf.h"


#define NGX_HTTP_HEAO_CODE_PREFIX       "heao:vc:"
#define NGX_HTTP_HEAO_CODE_SENDS        "heao:vs:"
#define NGX_HTTP_HEAO_CODE_GAP          60      /* seconds between codes */
#define NGX_HTTP_HEAO_CODE_SPACE        1000000
#define NGX_HTTP_HEAO_RECOVER_PREFIX    "heao:rt:"
#define NGX_HTTP_HEAO_RECOVER_LIMITS    "heao:rl:"
#define NGX_HTTP_HEAO_RECOVER_TTL       600     /* seconds, a reset token */
#define NGX_HTTP_HEAO_ACCOUNT_RATE      "heao:ar:"
#define NGX_HTTP_HEAO_ACCOUNT_LIMIT     5       /* password checks */
#define NGX_HTTP_HEAO_ACCOUNT_WINDOW    900     /* seconds */
#define NGX_HTTP_HEAO_PHONE_LEN         11
#define NGX_HTTP_HEAO_NAME_MAX          80      /* bytes, 20 CJK and · */
#define NGX_HTTP_HEAO_NAME_MIN          2       /* characters, SPEC 2 */
#define NGX_HTTP_HEAO_NAME_CHARS        24      /* 20 and the ·s */
#define NGX_HTTP_HEAO_SERIAL_MIN        6       /* 报名序号, A7 */
#define NGX_HTTP_HEAO_SERIAL_MAX        20
#define NGX_HTTP_HEAO_VERIFY_MAX        15      /* characters, SPEC 2 */
#define NGX_HTTP_HEAO_PASSWORD_MIN      8
#define NGX_HTTP_HEAO_PASSWORD_LEN      32


/*
 * A verification code (A8, A9, V3): 6 digits made here, sent through the
 * outbox, kept in Redis only as an HMAC (keyed with heao_secret_file) of
 * the purpose, the candidate, the address it went to and the code, for 5
 * minutes, with a number of tries.  The code itself is never logged.
 */
typedef struct {
    const char                  *purpose;
    ngx_str_t                    candidate;
    ngx_str_t                    extra;         /* the new phone, A9 */
    u_char                       code[NGX_HTTP_HEAO_CODE_LEN + 1];
} ngx_http_heao_code_t;


typedef enum {
    NGX_HTTP_HEAO_SEND_SESSION = 0,
    NGX_HTTP_HEAO_SEND_LOADED,
    NGX_HTTP_HEAO_SEND_CHECKED,
    NGX_HTTP_HEAO_SEND_ISSUED,
    NGX_HTTP_HEAO_SEND_NOTICED
} ngx_http_heao_send_step_e;


typedef enum {
    NGX_HTTP_HEAO_RECOVER_START = 0,
    NGX_HTTP_HEAO_RECOVER_GATE,
    NGX_HTTP_HEAO_RECOVER_LOOKUP,
    NGX_HTTP_HEAO_RECOVER_FAILED,
    NGX_HTTP_HEAO_RECOVER_TOKEN,
    NGX_HTTP_HEAO_RECOVER_ISSUED,
    NGX_HTTP_HEAO_RECOVER_NOTICED
} ngx_http_heao_recover_step_e;


typedef enum {
    NGX_HTTP_HEAO_FINISH_START = 0,
    NGX_HTTP_HEAO_FINISH_TOKEN,
    NGX_HTTP_HEAO_FINISH_GATE,
    NGX_HTTP_HEAO_FINISH_PROOF,
    NGX_HTTP_HEAO_FINISH_CHECKED,
    NGX_HTTP_HEAO_FINISH_TOTP_USED,
    NGX_HTTP_HEAO_FINISH_FAILED,
    NGX_HTTP_HEAO_FINISH_HASHED,
    NGX_HTTP_HEAO_FINISH_STORED,
    NGX_HTTP_HEAO_FINISH_SESSIONS,
    NGX_HTTP_HEAO_FINISH_DONE
} ngx_http_heao_finish_step_e;


typedef enum {
    NGX_HTTP_HEAO_RESEND_START = 0,
    NGX_HTTP_HEAO_RESEND_TOKEN,
    NGX_HTTP_HEAO_RESEND_ISSUED,
    NGX_HTTP_HEAO_RESEND_NOTICED
} ngx_http_heao_resend_step_e;


typedef enum {
    NGX_HTTP_HEAO_EXAM_NO_START = 0,
    NGX_HTTP_HEAO_EXAM_NO_GATE,
    NGX_HTTP_HEAO_EXAM_NO_LOOKUP,
    NGX_HTTP_HEAO_EXAM_NO_VERIFIED,
    NGX_HTTP_HEAO_EXAM_NO_FAILED
} ngx_http_heao_exam_no_step_e;


typedef enum {
    NGX_HTTP_HEAO_PHONE_SESSION = 0,
    NGX_HTTP_HEAO_PHONE_LOADED,
    NGX_HTTP_HEAO_PHONE_OLD,
    NGX_HTTP_HEAO_PHONE_OLD_CHECKED,
    NGX_HTTP_HEAO_PHONE_NEW_CHECKED,
    NGX_HTTP_HEAO_PHONE_STORED
} ngx_http_heao_phone_step_e;


typedef enum {
    NGX_HTTP_HEAO_VINFO_SESSION = 0,
    NGX_HTTP_HEAO_VINFO_LOADED,
    NGX_HTTP_HEAO_VINFO_RATE,
    NGX_HTTP_HEAO_VINFO_CHECK,
    NGX_HTTP_HEAO_VINFO_VERIFIED,
    NGX_HTTP_HEAO_VINFO_HASHED,
    NGX_HTTP_HEAO_VINFO_STORED
} ngx_http_heao_vinfo_step_e;


typedef struct {
    ngx_http_heao_code_t         code;
    ngx_str_t                    exam_no;
    ngx_str_t                    id_no;
    ngx_str_t                    name;
    ngx_str_t                    keys[3];       /* exam, address, ticket */
    ngx_str_t                    token;         /* A8: the reset's token */
    ngx_str_t                    token_key;
    ngx_str_t                    proof;         /* totp, sms, wechat, ... */
    ngx_str_t                    sent_to;
    ngx_str_t                    type;          /* of the proof given */
    ngx_str_t                    value;
    ngx_str_t                    password;
    ngx_str_t                    phone;
    ngx_str_t                    old_code;
    ngx_str_t                    serial;        /* A7: 报名序号 */
    uint64_t                     counter;       /* TOTP step used */
    ngx_int_t                    wait;          /* seconds, code not sent */
} ngx_http_heao_recover_t;


static ngx_int_t ngx_http_heao_code_hmac(ngx_http_request_t *r,
    const char *purpose, ngx_str_t *candidate, ngx_str_t *extra,
    ngx_str_t *code, ngx_str_t *out);
static ngx_int_t ngx_http_heao_code_key(ngx_http_request_t *r,
    const char *prefix, const char *purpose, ngx_str_t *candidate,
    ngx_str_t *out);
static ngx_int_t ngx_http_heao_code_issue(ngx_http_request_t *r,
    ngx_http_heao_ctx_t *ctx, ngx_http_heao_code_t *cd);
static ngx_int_t ngx_http_heao_code_notice(ngx_http_request_t *r,
    ngx_http_heao_ctx_t *ctx, ngx_http_heao_code_t *cd);
static ngx_int_t ngx_http_heao_code_wait(ngx_http_request_t *r,
    ngx_int_t seconds);
static ngx_int_t ngx_http_heao_code_issued(ngx_http_request_t *r,
    ngx_http_heao_ctx_t *ctx);
static ngx_int_t ngx_http_heao_recover_read(ngx_http_request_t *r,
    ngx_http_heao_ctx_t *ctx, ngx_http_heao_recover_t *rv);
static ngx_int_t ngx_http_heao_recover_ticket(ngx_http_request_t *r,
    ngx_http_heao_ctx_t *ctx, ngx_http_heao_recover_t *rv);
static ngx_int_t ngx_http_heao_exam_no_read(ngx_http_request_t *r,
    ngx_http_heao_ctx_t *ctx, ngx_http_heao_recover_t *rv);
static ngx_int_t ngx_http_heao_recover_begin(ngx_http_request_t *r,
    ngx_http_heao_ctx_t *ctx);
static ngx_int_t ngx_http_heao_recover_gated(ngx_http_request_t *r,
    ngx_http_heao_ctx_t *ctx);
static ngx_int_t ngx_http_heao_recover_limits(ngx_http_request_t *r,
    ngx_http_heao_ctx_t *ctx, ngx_http_heao_recover_t *rv,
    ngx_uint_t script, ngx_uint_t ticket);
static ngx_int_t ngx_http_heao_recover_token(ngx_http_request_t *r,
    ngx_http_heao_ctx_t *ctx, ngx_http_heao_recover_t *rv);
static ngx_int_t ngx_http_heao_recover_get(ngx_http_request_t *r,
    ngx_http_heao_ctx_t *ctx, ngx_http_heao_recover_t *rv);
static ngx_int_t ngx_http_heao_recover_got(ngx_http_request_t *r,
    ngx_http_heao_ctx_t *ctx, ngx_http_heao_recover_t *rv);
static ngx_int_t ngx_http_heao_recover_sent(ngx_http_request_t *r,
    ngx_http_heao_ctx_t *ctx, ngx_http_heao_recover_t *rv,
    ngx_uint_t with_token);
static ngx_uint_t ngx_http_heao_valid_name(ngx_str_t *s);
static ngx_uint_t ngx_http_heao_valid_phone(ngx_str_t *s);
static ngx_uint_t ngx_http_heao_valid_verify_info(ngx_str_t *s);
static ngx_uint_t ngx_http_heao_is(ngx_str_t *s, const char *text);


/*
 * POST /api/code {"purpose", "phone"}: a code for a logged-in candidate:
 * "abandon" (V3, by WeChat or SMS as A8 orders them), "phone_old" (A9,
 * to the phone on file), "phone_new" (A9, to the number being added).
 */

ngx_int_t
ngx_http_heao_code_send(ngx_http_request_t *r, ngx_http_heao_ctx_t *ctx)
{
    ngx_int_t                 rc;
    ngx_str_t                *v, purpose;
    const char               *values[1];
    ngx_http_heao_recover_t  *rv;

    rv = ctx->data;

    switch (ctx->step) {

    case NGX_HTTP_HEAO_SEND_SESSION:
        ctx->step = NGX_HTTP_HEAO_SEND_LOADED;

        rc = ngx_http_heao_session_load(r, ctx);
        if (rc != NGX_DECLINED) {
            return rc;
        }

        /* fall through */

    case NGX_HTTP_HEAO_SEND_LOADED:
        rc = ngx_http_heao_session_loaded(r, ctx, 1);
        if (rc != NGX_OK) {
            return rc;
        }

        rc = ngx_http_heao_recover_begin(r, ctx);
        if (rc != NGX_OK) {
            return rc;
        }

        rv = ctx->data;
        rv->code.candidate = ctx->session->candidate;

        if (ngx_http_heao_field(ctx->body, "purpose", &purpose) != NGX_OK) {
            purpose.len = 0;
        }

        if (ngx_http_heao_is(&purpose, "abandon")) {
            rv->code.purpose = "abandon";
            values[0] = (char *) rv->code.candidate.data;
            ctx->step = NGX_HTTP_HEAO_SEND_CHECKED;

            return ngx_http_heao_pg_call(ctx, NGX_HTTP_HEAO_SQL_PROOF_OF, 1,
                                         values, NULL);
        }

        if (ngx_http_heao_is(&purpose, "phone_old")) {
            rv->code.purpose = "phone_old";
            values[0] = (char *) rv->code.candidate.data;
            ctx->step = NGX_HTTP_HEAO_SEND_CHECKED;

            return ngx_http_heao_pg_call(ctx, NGX_HTTP_HEAO_SQL_PHONE_OF, 1,
                                         values, NULL);
        }

        if (!ngx_http_heao_is(&purpose, "phone_new")) {
            return ngx_http_heao_bad_field(r, "purpose",
                                           "验证码用途不正确");
        }

        if (ngx_http_heao_field(ctx->body, "phone", &rv->phone) != NGX_OK
            || !ngx_http_heao_valid_phone(&rv->phone))
        {
            return ngx_http_heao_bad_field(r, "phone",
                                           "手机号码应为11位数字");
        }

        rv->code.purpose = "phone_new";
        rv->code.extra = rv->phone;
        ctx->step = NGX_HTTP_HEAO_SEND_ISSUED;

        return ngx_http_heao_code_issue(r, ctx, &rv->code);

    case NGX_HTTP_HEAO_SEND_CHECKED:
        if (ctx->rc != NGX_OK) {
            return ngx_http_heao_backend_error(r, ctx, "code");
        }

        v = ctx->reply ? ctx->reply->elts : NULL;

        if (rv->code.purpose[0] == 'p') {
            if (v == NULL || v[0].len == 0) {
                return ngx_http_heao_send_error(r, NGX_HTTP_CONFLICT,
                                                "no_phone", NULL,
                                                "尚未登记手机号码");
            }

        } else if (v == NULL || ctx->reply->nelts < 4
                   || !(ngx_http_heao_is(&v[0], "sms")
                        || ngx_http_heao_is(&v[0], "wechat")))
        {
            /* V3 asks for a code only where A8's order says so */
            return ngx_http_heao_send_error(r, NGX_HTTP_CONFLICT,
                                            "no_channel", NULL,
                                            "未绑定微信或手机，"
                                            "请按页面提示验证身份");
        }

        ctx->step = NGX_HTTP_HEAO_SEND_ISSUED;

        return ngx_http_heao_code_issue(r, ctx, &rv->code);

    case NGX_HTTP_HEAO_SEND_ISSUED:
        rc = ngx_http_heao_code_issued(r, ctx);
        if (rc != NGX_OK) {
            return rc;
        }

        ctx->step = NGX_HTTP_HEAO_SEND_NOTICED;

        return ngx_http_heao_code_notice(r, ctx, &rv->code);

    default: /* NGX_HTTP_HEAO_SEND_NOTICED */
        if (ctx->rc != NGX_OK) {
            return ngx_http_heao_backend_error(r, ctx, "code");
        }

        v = ctx->reply ? ctx->reply->elts : NULL;

        if (v == NULL || v[0].len == 0) {
            return ngx_http_heao_send_error(r, NGX_HTTP_CONFLICT,
                                            "no_channel", NULL,
                                            "未绑定微信或手机");
        }

        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "heao code: %s code queued to %V for %*s******",
                      rv->code.purpose, &v[0], (size_t) 8,
                      ctx->session->exam_no.data);

        return ngx_http_heao_send_json(r, NGX_HTTP_OK,
                   json_pack("{s:s%, s:i}", "channel", v[0].data, v[0].len,
                             "expires_in", NGX_HTTP_HEAO_CODE_TTL));
    }
}


/*
 * A8, first step: exam number, ID number, name and a captcha ticket.
 * Attempts that match nobody are counted per exam number and per address
 * (heao_recover_limit).  The answer names the proof to give and carries
 * a token for the next steps; a code is sent at once when the proof is
 * one.
 */

ngx_int_t
ngx_http_heao_recover_start(ngx_http_request_t *r, ngx_http_heao_ctx_t *ctx)
{
    ngx_int_t                 rc;
    ngx_str_t                *v;
    const char               *values[3];
    ngx_http_heao_recover_t  *rv;

    rv = ctx->data;

    switch (ctx->step) {

    case NGX_HTTP_HEAO_RECOVER_START:
        rc = ngx_http_heao_recover_begin(r, ctx);
        if (rc != NGX_OK) {
            return rc;
        }

        rv = ctx->data;

        rc = ngx_http_heao_recover_read(r, ctx, rv);
        if (rc != NGX_OK) {
            return rc;
        }

        ctx->step = NGX_HTTP_HEAO_RECOVER_GATE;

        return ngx_http_heao_recover_limits(r, ctx, rv,
                                            NGX_HTTP_HEAO_LUA_LOGIN_GATE, 1);

    case NGX_HTTP_HEAO_RECOVER_GATE:
        rc = ngx_http_heao_recover_gated(r, ctx);
        if (rc != NGX_DECLINED) {
            return rc;
        }

        values[0] = (char *) rv->exam_no.data;
        values[1] = (char *) rv->id_no.data;
        values[2] = (char *) rv->name.data;

        ctx->step = NGX_HTTP_HEAO_RECOVER_LOOKUP;

        return ngx_http_heao_pg_call(ctx, NGX_HTTP_HEAO_SQL_RECOVER_LOOKUP, 3,
                                     values, NULL);

    case NGX_HTTP_HEAO_RECOVER_LOOKUP:
        if (ctx->rc != NGX_OK) {
            return ngx_http_heao_backend_error(r, ctx, "recover lookup");
        }

        if (ctx->reply == NULL || ctx->reply->nelts < 3) {
            ctx->step = NGX_HTTP_HEAO_RECOVER_FAILED;
            return ngx_http_heao_recover_limits(r, ctx, rv,
                                               NGX_HTTP_HEAO_LUA_LOGIN_FAILED,
                                               0);
        }

        v = ctx->reply->elts;

        rv->code.candidate = v[0];
        rv->code.purpose = "reset";
        rv->proof = v[1];
        rv->sent_to = v[2];

        if (ngx_http_heao_is(&rv->proof, "none")) {
            return ngx_http_heao_send_error(r, NGX_HTTP_CONFLICT, "no_proof",
                                            NULL,
                                            "无法在线重置密码，"
                                            "请本人持准考证和"
                                            "身份证到招生考试"
                                            "机构重置");
        }

        ctx->step = NGX_HTTP_HEAO_RECOVER_TOKEN;

        return ngx_http_heao_recover_token(r, ctx, rv);

    case NGX_HTTP_HEAO_RECOVER_FAILED:
        if (ctx->rc != NGX_OK) {
            return ngx_http_heao_backend_error(r, ctx, "recover limit");
        }

        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "heao recover: no match for %*s******", (size_t) 8,
                      rv->exam_no.data);

        return ngx_http_heao_send_error(r, NGX_HTTP_BAD_REQUEST,
                                        "not_matched", NULL,
                                        "考生号、证件号码"
                                        "或姓名不正确");

    case NGX_HTTP_HEAO_RECOVER_TOKEN:
        if (ctx->rc != NGX_OK) {
            return ngx_http_heao_backend_error(r, ctx, "recover token");
        }

        if (!ngx_http_heao_is(&rv->proof, "sms")
            && !ngx_http_heao_is(&rv->proof, "wechat"))
        {
            return ngx_http_heao_recover_sent(r, ctx, rv, 1);
        }

        ctx->step = NGX_HTTP_HEAO_RECOVER_ISSUED;

        return ngx_http_heao_code_issue(r, ctx, &rv->code);

    case NGX_HTTP_HEAO_RECOVER_ISSUED:
        if (ctx->rc != NGX_OK || ctx->reply == NULL) {
            return ngx_http_heao_backend_error(r, ctx, "code");
        }

        v = ctx->reply->elts;
        rc = ngx_atoi(v[0].data, v[0].len);

        if (rc != 0) {
            /* a code sent a moment ago still works: the page waits */
            rv->wait = rc;
            return ngx_http_heao_recover_sent(r, ctx, rv, 1);
        }

        ctx->step = NGX_HTTP_HEAO_RECOVER_NOTICED;

        return ngx_http_heao_code_notice(r, ctx, &rv->code);

    default: /* NGX_HTTP_HEAO_RECOVER_NOTICED */
        if (ctx->rc != NGX_OK || ctx->reply == NULL) {
            return ngx_http_heao_backend_error(r, ctx, "code");
        }

        return ngx_http_heao_recover_sent(r, ctx, rv, 1);
    }
}


/* POST /api/recover/code {"token"}: A8, the code again */

ngx_int_t
ngx_http_heao_recover_code(ngx_http_request_t *r, ngx_http_heao_ctx_t *ctx)
{
    ngx_int_t                 rc;
    ngx_http_heao_recover_t  *rv;

    rv = ctx->data;

    switch (ctx->step) {

    case NGX_HTTP_HEAO_RESEND_START:
        rc = ngx_http_heao_recover_begin(r, ctx);
        if (rc != NGX_OK) {
            return rc;
        }

        rv = ctx->data;
        ctx->step = NGX_HTTP_HEAO_RESEND_TOKEN;

        return ngx_http_heao_recover_get(r, ctx, rv);

    case NGX_HTTP_HEAO_RESEND_TOKEN:
        rc = ngx_http_heao_recover_got(r, ctx, rv);
        if (rc != NGX_OK) {
            return rc;
        }

        if (!ngx_http_heao_is(&rv->proof, "sms")
            && !ngx_http_heao_is(&rv->proof, "wechat"))
        {
            return ngx_http_heao_send_error(r, NGX_HTTP_CONFLICT,
                                            "no_channel", NULL,
                                            "本次验证无需验证码");
        }

        ctx->step = NGX_HTTP_HEAO_RESEND_ISSUED;

        return ngx_http_heao_code_issue(r, ctx, &rv->code);

    case NGX_HTTP_HEAO_RESEND_ISSUED:
        rc = ngx_http_heao_code_issued(r, ctx);
        if (rc != NGX_OK) {
            return rc;
        }

        ctx->step = NGX_HTTP_HEAO_RESEND_NOTICED;

        return ngx_http_heao_code_notice(r, ctx, &rv->code);

    default: /* NGX_HTTP_HEAO_RESEND_NOTICED */
        if (ctx->rc != NGX_OK || ctx->reply == NULL) {
            return ngx_http_heao_backend_error(r, ctx, "code");
        }

        return ngx_http_heao_recover_sent(r, ctx, rv, 0);
    }
}


/*
 * POST /api/recover/finish {"token", "proof", "new_password"}: A8, the
 * proof the start asked for, then the new password; every session of the
 * candidate ends.  Wrong proofs count against the exam number and the
 * address as failed starts do.
 */

ngx_int_t
ngx_http_heao_recover_finish(ngx_http_request_t *r, ngx_http_heao_ctx_t *ctx)
{
    json_t                   *proof, *value;
    ngx_int_t                 rc;
    ngx_str_t                *v;
    const char               *values[4];
    ngx_http_heao_recover_t  *rv;

    rv = ctx->data;

    switch (ctx->step) {

    case NGX_HTTP_HEAO_FINISH_START:
        rc = ngx_http_heao_recover_begin(r, ctx);
        if (rc != NGX_OK) {
            return rc;
        }

        rv = ctx->data;

        if (ngx_http_heao_field(ctx->body, "new_password", &rv->password)
            != NGX_OK
            || !ngx_http_heao_password_policy(&rv->password))
        {
            return ngx_http_heao_bad_field(r, "new_password",
                                           "新密码应为8至32个字符，"
                                           "须同时包含字母、"
                                           "数字和符号");
        }

        proof = json_object_get(ctx->body, "proof");

        if (ngx_http_heao_field(proof, "type", &rv->type) != NGX_OK) {
            return ngx_http_heao_bad_field(r, "proof",
                                           "请选择身份验证方式");
        }

        if (ngx_http_heao_is(&rv->type, "totp")) {
            if (ngx_http_heao_totp_field(r, proof, "code", &rv->value)
                != NGX_OK)
            {
                return ngx_http_heao_bad_field(r, "proof",
                                               "请输入动态密码");
            }

        } else if (ngx_http_heao_is(&rv->type, "code")) {
            if (ngx_http_heao_code_field(proof, "code", &rv->value)
                != NGX_OK)
            {
                return ngx_http_heao_bad_field(r, "proof",
                                               "请输入6位验证码");
            }

        } else if (ngx_http_heao_is(&rv->type, "verify_info")) {
            value = json_object_get(proof, "value");

            if (!json_is_string(value)
                || json_string_length(value) == 0
                || json_string_length(value) > NGX_HTTP_HEAO_PASSWORD_MAX)
            {
                return ngx_http_heao_bad_field(r, "proof",
                                               "请输入密码验证信息");
            }

            rv->value.data = (u_char *) json_string_value(value);
            rv->value.len = json_string_length(value);

        } else {
            return ngx_http_heao_bad_field(r, "proof",
                                           "请选择身份验证方式");
        }

        ctx->step = NGX_HTTP_HEAO_FINISH_TOKEN;

        return ngx_http_heao_recover_get(r, ctx, rv);

    case NGX_HTTP_HEAO_FINISH_TOKEN:
        rc = ngx_http_heao_recover_got(r, ctx, rv);
        if (rc != NGX_OK) {
            return rc;
        }

        /* the proof of A8's order, as the start said */

        if (!(ngx_http_heao_is(&rv->type, "code")
              ? ngx_http_heao_is(&rv->proof, "sms")
                || ngx_http_heao_is(&rv->proof, "wechat")
              : rv->type.len == rv->proof.len
                && ngx_strncmp(rv->type.data, rv->proof.data,
                               rv->type.len) == 0))
        {
            return ngx_http_heao_send_error(r, NGX_HTTP_BAD_REQUEST,
                                            "proof_required", "proof",
                                            "身份验证方式不正确，"
                                            "请按页面提示验证");
        }

        ctx->step = NGX_HTTP_HEAO_FINISH_GATE;

        return ngx_http_heao_recover_limits(r, ctx, rv,
                                            NGX_HTTP_HEAO_LUA_LOGIN_GATE, 0);

    case NGX_HTTP_HEAO_FINISH_GATE:
        rc = ngx_http_heao_recover_gated(r, ctx);
        if (rc != NGX_DECLINED) {
            return rc;
        }

        if (ngx_http_heao_is(&rv->type, "code")) {
            ctx->step = NGX_HTTP_HEAO_FINISH_CHECKED;
            return ngx_http_heao_code_check(r, ctx, "reset",
                                            &rv->code.candidate, NULL,
                                            &rv->value);
        }

        values[0] = (char *) rv->code.candidate.data;
        ctx->step = NGX_HTTP_HEAO_FINISH_PROOF;

        return ngx_http_heao_pg_call(ctx, NGX_HTTP_HEAO_SQL_PROOF_OF, 1,
                                     values, NULL);

    case NGX_HTTP_HEAO_FINISH_PROOF:
        if (ctx->rc != NGX_OK || ctx->reply == NULL
            || ctx->reply->nelts < 4)
        {
            return ngx_http_heao_backend_error(r, ctx, "recover proof");
        }

        v = ctx->reply->elts;

        if (ngx_http_heao_is(&rv->type, "totp")) {
            if (v[1].len == 0) {
                goto wrong;
            }

            rc = ngx_http_heao_totp_match(r, &v[1], &rv->value, ctx->arrived,
                                          &rv->counter);
            if (rc == NGX_ERROR) {
                return NGX_ERROR;
            }

            if (rc != NGX_OK) {
                goto wrong;
            }

            ctx->step = NGX_HTTP_HEAO_FINISH_TOTP_USED;

            return ngx_http_heao_totp_use(r, ctx, &rv->code.candidate,
                                          rv->counter);
        }

        ctx->step = NGX_HTTP_HEAO_FINISH_CHECKED;

        return ngx_http_heao_kdf_verify(r, ctx, v[2].len ? &v[2] : NULL,
                                        &rv->value, "recover proof");

    case NGX_HTTP_HEAO_FINISH_TOTP_USED:
        if (ctx->rc != NGX_OK || ctx->reply == NULL) {
            return ngx_http_heao_backend_error(r, ctx, "totp");
        }

        v = ctx->reply->elts;

        if (v[0].len != 1 || v[0].data[0] != '1') {
            goto wrong;
        }

        goto proven;

    case NGX_HTTP_HEAO_FINISH_CHECKED:
        if (ctx->rc == NGX_ERROR) {
            return ngx_http_heao_backend_error(r, ctx, "recover proof");
        }

        if (ngx_http_heao_is(&rv->type, "code")) {
            if (ctx->rc != NGX_OK || ctx->reply == NULL) {
                return ngx_http_heao_backend_error(r, ctx, "code");
            }

            v = ctx->reply->elts;

            if (v[0].len == 2) {
                /* -1: none sent, used, expired, or its tries used up */
                return ngx_http_heao_send_error(r, NGX_HTTP_CONFLICT,
                                                "code_expired", "proof",
                                                "验证码已失效，"
                                                "请重新获取");
            }

            if (v[0].data[0] != '1') {
                goto wrong;
            }

            goto proven;
        }

        if (ctx->rc != NGX_OK) {
            goto wrong;
        }

        goto proven;

    case NGX_HTTP_HEAO_FINISH_FAILED:
        if (ctx->rc != NGX_OK) {
            return ngx_http_heao_backend_error(r, ctx, "recover limit");
        }

        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "heao recover: wrong proof for %*s******", (size_t) 8,
                      rv->exam_no.data);

        return ngx_http_heao_send_error(r, NGX_HTTP_FORBIDDEN, "wrong_proof",
                                        "proof", "验证信息不正确");

    case NGX_HTTP_HEAO_FINISH_HASHED:
        if (ctx->rc != NGX_OK) {
            return ngx_http_heao_backend_error(r, ctx, "password hash");
        }

        values[0] = (char *) rv->code.candidate.data;
        values[1] = (char *) ctx->result.data;

        /* A12: the notice is written with the reset */

        if (ngx_http_heao_account_event(r, ctx, &values[2]) != NGX_OK) {
            return NGX_ERROR;
        }

        ctx->step = NGX_HTTP_HEAO_FINISH_STORED;

        return ngx_http_heao_pg_call(ctx, NGX_HTTP_HEAO_SQL_RESET_PASSWORD, 4,
                                     values, NULL);

    case NGX_HTTP_HEAO_FINISH_STORED:
        if (ctx->rc != NGX_OK || ctx->reply == NULL) {
            return ngx_http_heao_backend_error(r, ctx, "password reset");
        }

        ctx->step = NGX_HTTP_HEAO_FINISH_SESSIONS;

        return ngx_http_heao_session_end_others(r, ctx, &rv->code.candidate);

    case NGX_HTTP_HEAO_FINISH_SESSIONS:
        if (ctx->rc != NGX_OK) {
            ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                          "heao recover: ending the sessions failed");
        }

        ctx->step = NGX_HTTP_HEAO_FINISH_DONE;

        {
            size_t       len[1];
            const char  *argv[1];

            argv[0] = (char *) rv->token_key.data;
            len[0] = rv->token_key.len;

            return ngx_http_heao_redis_call(ctx, NGX_HTTP_HEAO_LUA_DEL, 1, 1,
                                            argv, len);
        }

    default: /* NGX_HTTP_HEAO_FINISH_DONE */

        /* a token left behind expires, and its proof is spent */

        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "heao recover: password reset for %*s******",
                      (size_t) 8, rv->exam_no.data);

        return ngx_http_heao_send_json(r, NGX_HTTP_OK,
                                       json_pack("{s:b}", "ok", 1));
    }

wrong:

    ctx->step = NGX_HTTP_HEAO_FINISH_FAILED;

    return ngx_http_heao_recover_limits(r, ctx, rv,
                                        NGX_HTTP_HEAO_LUA_LOGIN_FAILED, 0);

proven:

    ctx->step = NGX_HTTP_HEAO_FINISH_HASHED;

    return ngx_http_heao_kdf_hash(r, ctx, &rv->password, "password hash");
}


/*
 * POST /api/phone {"phone", "code", "old_code"}: A9.  Adding a phone
 * takes the code sent to it ("phone_new"); changing one also takes the
 * code sent to the phone on file ("phone_old").
 */

ngx_int_t
ngx_http_heao_phone_set(ngx_http_request_t *r, ngx_http_heao_ctx_t *ctx)
{
    ngx_int_t                 rc;
    ngx_str_t                *v;
    const char               *values[4];
    ngx_http_heao_recover_t  *rv;

    rv = ctx->data;

    switch (ctx->step) {

    case NGX_HTTP_HEAO_PHONE_SESSION:
        ctx->step = NGX_HTTP_HEAO_PHONE_LOADED;

        rc = ngx_http_heao_session_load(r, ctx);
        if (rc != NGX_DECLINED) {
            return rc;
        }

        /* fall through */

    case NGX_HTTP_HEAO_PHONE_LOADED:
        rc = ngx_http_heao_session_loaded(r, ctx, 1);
        if (rc != NGX_OK) {
            return rc;
        }

        rc = ngx_http_heao_recover_begin(r, ctx);
        if (rc != NGX_OK) {
            return rc;
        }

        rv = ctx->data;

        if (ngx_http_heao_field(ctx->body, "phone", &rv->phone) != NGX_OK
            || !ngx_http_heao_valid_phone(&rv->phone))
        {
            return ngx_http_heao_bad_field(r, "phone",
                                           "手机号码应为11位数字");
        }

        if (ngx_http_heao_code_field(ctx->body, "code", &rv->value)
            != NGX_OK)
        {
            return ngx_http_heao_bad_field(r, "code",
                                           "请输入6位验证码");
        }

        rc = ngx_http_heao_code_field(ctx->body, "old_code", &rv->old_code);
        if (rc == NGX_ERROR) {
            return ngx_http_heao_bad_field(r, "old_code",
                                           "请输入6位验证码");
        }

        values[0] = (char *) ctx->session->candidate.data;
        ctx->step = NGX_HTTP_HEAO_PHONE_OLD;

        return ngx_http_heao_pg_call(ctx, NGX_HTTP_HEAO_SQL_PHONE_OF, 1,
                                     values, NULL);

    case NGX_HTTP_HEAO_PHONE_OLD:
        if (ctx->rc != NGX_OK) {
            return ngx_http_heao_backend_error(r, ctx, "phone");
        }

        v = ctx->reply ? ctx->reply->elts : NULL;

        if (v == NULL || v[0].len == 0) {
            /* adding: the new phone's code alone */
            ctx->step = NGX_HTTP_HEAO_PHONE_NEW_CHECKED;
            return ngx_http_heao_code_check(r, ctx, "phone_new",
                                            &ctx->session->candidate,
                                            &rv->phone, &rv->value);
        }

        if (v[0].len == rv->phone.len
            && ngx_strncmp(v[0].data, rv->phone.data, v[0].len) == 0)
        {
            return ngx_http_heao_bad_field(r, "phone",
                                           "新手机号码与原号码"
                                           "相同");
        }

        if (rv->old_code.len == 0) {
            return ngx_http_heao_bad_field(r, "old_code",
                                           "请输入原手机号码"
                                           "收到的验证码");
        }

        ctx->step = NGX_HTTP_HEAO_PHONE_OLD_CHECKED;

        return ngx_http_heao_code_check(r, ctx, "phone_old",
                                        &ctx->session->candidate, NULL,
                                        &rv->old_code);

    case NGX_HTTP_HEAO_PHONE_OLD_CHECKED:
    case NGX_HTTP_HEAO_PHONE_NEW_CHECKED:
        if (ctx->rc != NGX_OK || ctx->reply == NULL) {
            return ngx_http_heao_backend_error(r, ctx, "code");
        }

        v = ctx->reply->elts;

        if (v[0].len != 1 || v[0].data[0] != '1') {
            ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                          "heao code: wrong phone code for %*s******",
                          (size_t) 8, ctx->session->exam_no.data);

            return ngx_http_heao_send_error(r, NGX_HTTP_FORBIDDEN,
                       "wrong_code",
                       ctx->step == NGX_HTTP_HEAO_PHONE_OLD_CHECKED
                       ? "old_code" : "code",
                       v[0].len == 2 ? "验证码已失效，请重新获取"
                                     : "验证码不正确");
        }

        if (ctx->step == NGX_HTTP_HEAO_PHONE_OLD_CHECKED) {
            ctx->step = NGX_HTTP_HEAO_PHONE_NEW_CHECKED;
            return ngx_http_heao_code_check(r, ctx, "phone_new",
                                            &ctx->session->candidate,
                                            &rv->phone, &rv->value);
        }

        values[0] = (char *) ctx->session->candidate.data;
        values[1] = (char *) rv->phone.data;

        /* A12: the notice goes to the new and the old number with it */

        if (ngx_http_heao_account_event(r, ctx, &values[2]) != NGX_OK) {
            return NGX_ERROR;
        }

        ctx->step = NGX_HTTP_HEAO_PHONE_STORED;

        return ngx_http_heao_pg_call(ctx, NGX_HTTP_HEAO_SQL_SET_PHONE, 4,
                                     values, NULL);

    default: /* NGX_HTTP_HEAO_PHONE_STORED */
        if (ctx->rc != NGX_OK || ctx->reply == NULL) {
            return ngx_http_heao_backend_error(r, ctx, "phone");
        }

        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "heao code: phone set for %*s******", (size_t) 8,
                      ctx->session->exam_no.data);

        {
            u_char  masked[NGX_HTTP_HEAO_PHONE_LEN];

            ngx_memcpy(masked, rv->phone.data, NGX_HTTP_HEAO_PHONE_LEN);
            ngx_memset(masked + 3, '*', 4);

            return ngx_http_heao_send_json(r, NGX_HTTP_OK,
                       json_pack("{s:s%}", "phone", masked,
                                 (size_t) NGX_HTTP_HEAO_PHONE_LEN));
        }
    }
}


/*
 * POST /api/verify-info {"password", "value"}: A10, a new 密码验证信息
 * given the current password; password checks are limited per candidate.
 */

ngx_int_t
ngx_http_heao_verify_info_set(ngx_http_request_t *r,
    ngx_http_heao_ctx_t *ctx)
{
    ngx_int_t                 rc;
    ngx_str_t                *v;
    const char               *values[4];
    ngx_http_heao_recover_t  *rv;

    rv = ctx->data;

    switch (ctx->step) {

    case NGX_HTTP_HEAO_VINFO_SESSION:
        ctx->step = NGX_HTTP_HEAO_VINFO_LOADED;

        rc = ngx_http_heao_session_load(r, ctx);
        if (rc != NGX_DECLINED) {
            return rc;
        }

        /* fall through */

    case NGX_HTTP_HEAO_VINFO_LOADED:
        rc = ngx_http_heao_session_loaded(r, ctx, 1);
        if (rc != NGX_OK) {
            return rc;
        }

        rc = ngx_http_heao_recover_begin(r, ctx);
        if (rc != NGX_OK) {
            return rc;
        }

        rv = ctx->data;

        if (ngx_http_heao_field(ctx->body, "password", &rv->password)
            != NGX_OK
            || rv->password.len < NGX_HTTP_HEAO_PASSWORD_MIN
            || rv->password.len > NGX_HTTP_HEAO_PASSWORD_LEN)
        {
            return ngx_http_heao_bad_field(r, "password",
                                           "请输入登录密码");
        }

        if (ngx_http_heao_field(ctx->body, "value", &rv->value) != NGX_OK
            || !ngx_http_heao_valid_verify_info(&rv->value))
        {
            return ngx_http_heao_bad_field(r, "value",
                                           "密码验证信息应为1至15个"
                                           "汉字，不含标点，"
                                           "不能全部相同");
        }

        ctx->step = NGX_HTTP_HEAO_VINFO_RATE;

        return ngx_http_heao_account_rate(r, ctx, "vi");

    case NGX_HTTP_HEAO_VINFO_RATE:
        rc = ngx_http_heao_account_rated(r, ctx);
        if (rc != NGX_OK) {
            return rc;
        }

        values[0] = (char *) ctx->session->candidate.data;
        ctx->step = NGX_HTTP_HEAO_VINFO_CHECK;

        return ngx_http_heao_pg_call(ctx, NGX_HTTP_HEAO_SQL_VERIFY_INFO_CHECK,
                                     1, values, NULL);

    case NGX_HTTP_HEAO_VINFO_CHECK:
        if (ctx->rc != NGX_OK || ctx->reply == NULL
            || ctx->reply->nelts < 2)
        {
            return ngx_http_heao_backend_error(r, ctx, "verify info");
        }

        v = ctx->reply->elts;

        if (v[1].len == rv->value.len
            && ngx_strncmp(v[1].data, rv->value.data, v[1].len) == 0)
        {
            return ngx_http_heao_bad_field(r, "value",
                                           "密码验证信息不能是"
                                           "本人姓名");
        }

        ctx->step = NGX_HTTP_HEAO_VINFO_VERIFIED;

        return ngx_http_heao_kdf_verify(r, ctx, v[0].len ? &v[0] : NULL,
                                        &rv->password, "password check");

    case NGX_HTTP_HEAO_VINFO_VERIFIED:
        if (ctx->rc == NGX_ERROR) {
            return ngx_http_heao_backend_error(r, ctx, "password check");
        }

        if (ctx->rc != NGX_OK) {
            ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                          "heao: verify info change with a wrong password"
                          " for %*s******", (size_t) 8,
                          ctx->session->exam_no.data);

            return ngx_http_heao_send_error(r, NGX_HTTP_BAD_REQUEST,
                                            "wrong_password", "password",
                                            "登录密码不正确");
        }

        ctx->step = NGX_HTTP_HEAO_VINFO_HASHED;

        return ngx_http_heao_kdf_hash(r, ctx, &rv->value, "verify info hash");

    case NGX_HTTP_HEAO_VINFO_HASHED:
        if (ctx->rc != NGX_OK) {
            return ngx_http_heao_backend_error(r, ctx, "verify info hash");
        }

        values[0] = (char *) ctx->session->candidate.data;
        values[1] = (char *) ctx->result.data;

        /* A12: the notice is written with the change */

        if (ngx_http_heao_account_event(r, ctx, &values[2]) != NGX_OK) {
            return NGX_ERROR;
        }

        ctx->step = NGX_HTTP_HEAO_VINFO_STORED;

        return ngx_http_heao_pg_call(ctx, NGX_HTTP_HEAO_SQL_SET_VERIFY_INFO,
                                     4, values, NULL);

    default: /* NGX_HTTP_HEAO_VINFO_STORED */
        if (ctx->rc != NGX_OK || ctx->reply == NULL) {
            return ngx_http_heao_backend_error(r, ctx, "verify info");
        }

        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "heao: verify info set for %*s******", (size_t) 8,
                      ctx->session->exam_no.data);

        return ngx_http_heao_send_json(r, NGX_HTTP_OK,
                                       json_pack("{s:b}", "ok", 1));
    }
}


/*
 * POST /api/recover/exam-no {"reg_serial", "reg_password", "name",
 * "captcha_ticket"}: A7, the exam number of a 报名序号 and
 * 注册密码 (its hash checked in the thread pool).  Failures
 * are counted per serial and per address as those of a reset are.
 */

ngx_int_t
ngx_http_heao_recover_exam_no(ngx_http_request_t *r,
    ngx_http_heao_ctx_t *ctx)
{
    ngx_int_t                 rc;
    ngx_str_t                *v;
    const char               *values[2];
    ngx_http_heao_recover_t  *rv;

    rv = ctx->data;

    switch (ctx->step) {

    case NGX_HTTP_HEAO_EXAM_NO_START:
        rc = ngx_http_heao_recover_begin(r, ctx);
        if (rc != NGX_OK) {
            return rc;
        }

        rv = ctx->data;

        rc = ngx_http_heao_exam_no_read(r, ctx, rv);
        if (rc != NGX_OK) {
            return rc;
        }

        ctx->step = NGX_HTTP_HEAO_EXAM_NO_GATE;

        return ngx_http_heao_recover_limits(r, ctx, rv,
                                            NGX_HTTP_HEAO_LUA_LOGIN_GATE, 1);

    case NGX_HTTP_HEAO_EXAM_NO_GATE:
        rc = ngx_http_heao_recover_gated(r, ctx);
        if (rc != NGX_DECLINED) {
            return rc;
        }

        values[0] = (char *) rv->serial.data;
        values[1] = (char *) rv->name.data;

        ctx->step = NGX_HTTP_HEAO_EXAM_NO_LOOKUP;

        return ngx_http_heao_pg_call(ctx, NGX_HTTP_HEAO_SQL_EXAM_NO_LOOKUP, 2,
                                     values, NULL);

    case NGX_HTTP_HEAO_EXAM_NO_LOOKUP:
        if (ctx->rc != NGX_OK) {
            return ngx_http_heao_backend_error(r, ctx, "exam number");
        }

        /* no such candidate costs a hash all the same */

        v = ctx->reply ? ctx->reply->elts : NULL;

        if (v && ctx->reply->nelts == 2) {
            rv->exam_no = v[0];
        }

        ctx->step = NGX_HTTP_HEAO_EXAM_NO_VERIFIED;

        return ngx_http_heao_kdf_verify(r, ctx, v && v[1].len ? &v[1] : NULL,
                                        &rv->password, "password check");

    case NGX_HTTP_HEAO_EXAM_NO_VERIFIED:
        if (ctx->rc == NGX_ERROR) {
            return ngx_http_heao_backend_error(r, ctx, "password check");
        }

        if (ctx->rc != NGX_OK || rv->exam_no.len == 0) {
            ctx->step = NGX_HTTP_HEAO_EXAM_NO_FAILED;
            return ngx_http_heao_recover_limits(r, ctx, rv,
                                               NGX_HTTP_HEAO_LUA_LOGIN_FAILED,
                                               0);
        }

        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "heao recover: exam number %*s****** told",
                      (size_t) 8, rv->exam_no.data);

        return ngx_http_heao_send_json(r, NGX_HTTP_OK,
                   json_pack("{s:s%}", "exam_no", rv->exam_no.data,
                             rv->exam_no.len));

    default: /* NGX_HTTP_HEAO_EXAM_NO_FAILED */
        if (ctx->rc != NGX_OK) {
            return ngx_http_heao_backend_error(r, ctx, "recover limit");
        }

        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "heao recover: no exam number for the serial given");

        return ngx_http_heao_send_error(r, NGX_HTTP_BAD_REQUEST,
                                        "not_matched", NULL,
                                        "报名序号、注册密码"
                                        "或姓名不正确");
    }
}


/*
 * Checks a code against the one issued for the purpose (and, for a new
 * phone, the number): the script answers 1 right, 0 wrong, -1 none.
 */

ngx_int_t
ngx_http_heao_code_check(ngx_http_request_t *r, ngx_http_heao_ctx_t *ctx,
    const char *purpose, ngx_str_t *candidate, ngx_str_t *extra,
    ngx_str_t *code)
{
    size_t       len[2];
    ngx_str_t    key, hmac, none;
    const char  *argv[2];

    ngx_str_null(&none);

    if (ngx_http_heao_code_key(r, NGX_HTTP_HEAO_CODE_PREFIX, purpose,
                               candidate, &key)
        != NGX_OK
        || ngx_http_heao_code_hmac(r, purpose, candidate,
                                   extra ? extra : &none, code, &hmac)
           != NGX_OK)
    {
        return NGX_ERROR;
    }

    argv[0] = (char *) key.data;
    len[0] = key.len;
    argv[1] = (char *) hmac.data;
    len[1] = hmac.len;

    return ngx_http_heao_redis_call(ctx, NGX_HTTP_HEAO_LUA_CODE_CHECK, 1, 2,
                                    argv, len);
}


/*
 * Reads a code field: NGX_OK with 6 digits, NGX_DECLINED when absent or
 * null, NGX_ERROR when malformed.
 */

ngx_int_t
ngx_http_heao_code_field(json_t *obj, const char *name, ngx_str_t *code)
{
    size_t   i;
    json_t  *v;

    v = json_object_get(obj, name);

    if (v == NULL || json_is_null(v)) {
        ngx_str_null(code);
        return NGX_DECLINED;
    }

    if (!json_is_string(v)
        || json_string_length(v) != NGX_HTTP_HEAO_CODE_LEN)
    {
        return NGX_ERROR;
    }

    code->data = (u_char *) json_string_value(v);
    code->len = NGX_HTTP_HEAO_CODE_LEN;

    for (i = 0; i < code->len; i++) {
        if (code->data[i] < '0' || code->data[i] > '9') {
            return NGX_ERROR;
        }
    }

    return NGX_OK;
}


/* hex HMAC-SHA256 of "purpose:candidate:extra:code", NUL terminated */

static ngx_int_t
ngx_http_heao_code_hmac(ngx_http_request_t *r, const char *purpose,
    ngx_str_t *candidate, ngx_str_t *extra, ngx_str_t *code, ngx_str_t *out)
{
    u_char                     *p;
    u_char                      msg[128], mac[EVP_MAX_MD_SIZE];
    unsigned int                n;
    ngx_http_heao_main_conf_t  *hmcf;

    hmcf = ngx_http_get_module_main_conf(r, ngx_http_heao_module);

    if (ngx_strlen(purpose) + candidate->len + extra->len + code->len + 3
        > sizeof(msg))
    {
        return NGX_ERROR;
    }

    p = ngx_sprintf(msg, "%s:%V:%V:%V", purpose, candidate, extra, code);

    if (HMAC(EVP_sha256(), hmcf->secret.data, (int) hmcf->secret.len, msg,
             p - msg, mac, &n)
        == NULL)
    {
        ngx_log_error(NGX_LOG_ALERT, r->connection->log, 0,
                      "heao code: HMAC() failed");
        return NGX_ERROR;
    }

    out->data = ngx_pnalloc(r->pool, 2 * n + 1);
    if (out->data == NULL) {
        return NGX_ERROR;
    }

    p = ngx_hex_dump(out->data, mac, n);
    *p = '\0';
    out->len = 2 * n;

    return NGX_OK;
}


static ngx_int_t
ngx_http_heao_code_key(ngx_http_request_t *r, const char *prefix,
    const char *purpose, ngx_str_t *candidate, ngx_str_t *out)
{
    out->data = ngx_pnalloc(r->pool, ngx_strlen(prefix) + ngx_strlen(purpose)
                                     + candidate->len + 2);
    if (out->data == NULL) {
        return NGX_ERROR;
    }

    out->len = ngx_sprintf(out->data, "%s%s:%V", prefix, purpose, candidate)
               - out->data;

    return NGX_OK;
}


/*
 * Makes a new code and stores its HMAC, unless the candidate asked for
 * too many or the last is younger than the gap: the script answers 0, or
 * the seconds to wait.
 */

static ngx_int_t
ngx_http_heao_code_issue(ngx_http_request_t *r, ngx_http_heao_ctx_t *ctx,
    ngx_http_heao_code_t *cd)
{
    u_char                     *p;
    size_t                      len[8];
    uint32_t                    n;
    ngx_str_t                   key, sends, hmac, code;
    const char                 *argv[8];
    ngx_http_heao_main_conf_t  *hmcf;

    hmcf = ngx_http_get_module_main_conf(r, ngx_http_heao_module);

    /* uniform over 000000-999999: draws past the last whole million go */

    do {
        if (RAND_bytes((u_char *) &n, sizeof(n)) != 1) {
            ngx_log_error(NGX_LOG_ALERT, r->connection->log, 0,
                          "heao: RAND_bytes() failed");
            return NGX_ERROR;
        }

    } while (n >= 0xffffffff / NGX_HTTP_HEAO_CODE_SPACE
                  * NGX_HTTP_HEAO_CODE_SPACE);

    ngx_sprintf(cd->code, "%06uD%Z", n % NGX_HTTP_HEAO_CODE_SPACE);

    code.data = cd->code;
    code.len = NGX_HTTP_HEAO_CODE_LEN;

    if (ngx_http_heao_code_key(r, NGX_HTTP_HEAO_CODE_PREFIX, cd->purpose,
                               &cd->candidate, &key)
        != NGX_OK
        || ngx_http_heao_code_key(r, NGX_HTTP_HEAO_CODE_SENDS, cd->purpose,
                                  &cd->candidate, &sends)
           != NGX_OK
        || ngx_http_heao_code_hmac(r, cd->purpose, &cd->candidate,
                                   &cd->extra, &code, &hmac)
           != NGX_OK)
    {
        return NGX_ERROR;
    }

    p = ngx_pnalloc(r->pool, 5 * NGX_INT_T_LEN);
    if (p == NULL) {
        return NGX_ERROR;
    }

    argv[0] = (char *) key.data;
    len[0] = key.len;
    argv[1] = (char *) sends.data;
    len[1] = sends.len;
    argv[2] = (char *) hmac.data;
    len[2] = hmac.len;

    argv[3] = (char *) p;
    len[3] = ngx_sprintf(p, "%d", NGX_HTTP_HEAO_CODE_TTL) - p;
    p += len[3];

    argv[4] = (char *) p;
    len[4] = ngx_sprintf(p, "%ui", hmcf->code_attempts) - p;
    p += len[4];

    argv[5] = (char *) p;
    len[5] = ngx_sprintf(p, "%ui", hmcf->code_sends) - p;
    p += len[5];

    argv[6] = (char *) p;
    len[6] = ngx_sprintf(p, "%M", hmcf->code_window / 1000) - p;
    p += len[6];

    argv[7] = (char *) p;
    len[7] = ngx_sprintf(p, "%d", NGX_HTTP_HEAO_CODE_GAP) - p;

    return ngx_http_heao_redis_call(ctx, NGX_HTTP_HEAO_LUA_CODE_ISSUE, 2, 8,
                                    argv, len);
}


/* the code to the outbox: the sender delivers it (README, "Codes") */

static ngx_int_t
ngx_http_heao_code_notice(ngx_http_request_t *r, ngx_http_heao_ctx_t *ctx,
    ngx_http_heao_code_t *cd)
{
    const char  *values[4];

    values[0] = (char *) cd->candidate.data;
    values[1] = cd->purpose;
    values[2] = (char *) cd->code;
    values[3] = cd->extra.len ? (char *) cd->extra.data : NULL;

    return ngx_http_heao_pg_call(ctx, NGX_HTTP_HEAO_SQL_CODE_NOTICE, 4,
                                 values, NULL);
}


static ngx_int_t
ngx_http_heao_code_wait(ngx_http_request_t *r, ngx_int_t seconds)
{
    u_char  *p;
    u_char   msg[128];

    p = ngx_sprintf(msg, "操作过于频繁，请%i分钟后再试",
                    (seconds + 59) / 60);

    return ngx_http_heao_send_json(r, NGX_HTTP_TOO_MANY_REQUESTS,
                                   json_pack("{s:s, s:i, s:s%}",
                                             "error", "too_many",
                                             "retry_after", (int) seconds,
                                             "message", msg,
                                             (size_t) (p - msg)));
}


/* the issue script's answer: NGX_OK to send, else NGX_DONE, answered */

static ngx_int_t
ngx_http_heao_code_issued(ngx_http_request_t *r, ngx_http_heao_ctx_t *ctx)
{
    u_char     *p;
    u_char      msg[128];
    ngx_int_t   rc;
    ngx_str_t  *v;

    if (ctx->rc != NGX_OK || ctx->reply == NULL) {
        return ngx_http_heao_answer(r,
                   ngx_http_heao_backend_error(r, ctx, "code"));
    }

    v = ctx->reply->elts;
    rc = ngx_atoi(v[0].data, v[0].len);

    if (rc == 0) {
        return NGX_OK;
    }

    p = ngx_sprintf(msg, "验证码发送过于频繁，请%i秒后再试", rc);

    return ngx_http_heao_answer(r,
               ngx_http_heao_send_json(r, NGX_HTTP_TOO_MANY_REQUESTS,
                   json_pack("{s:s, s:i, s:s%}", "error", "too_many",
                             "retry_after", (int) rc,
                             "message", msg, (size_t) (p - msg))));
}


static ngx_int_t
ngx_http_heao_recover_read(ngx_http_request_t *r, ngx_http_heao_ctx_t *ctx,
    ngx_http_heao_recover_t *rv)
{
    u_char     *p;
    ngx_int_t   rc;
    ngx_str_t  *addr;

    if (ngx_http_heao_field(ctx->body, "exam_no", &rv->exam_no) != NGX_OK
        || !ngx_http_heao_valid_exam_no(&rv->exam_no))
    {
        return ngx_http_heao_bad_field(r, "exam_no",
                                       "考生号应为14位数字");
    }

    if (ngx_http_heao_field(ctx->body, "id_no", &rv->id_no) != NGX_OK
        || !ngx_http_heao_valid_id_no(&rv->id_no))
    {
        return ngx_http_heao_bad_field(r, "id_no",
                                       "证件号码应为18位"
                                       "有效的居民身份证号码");
    }

    if (ngx_http_heao_field(ctx->body, "name", &rv->name) != NGX_OK
        || !ngx_http_heao_valid_name(&rv->name))
    {
        return ngx_http_heao_bad_field(r, "name", "请输入姓名");
    }

    rc = ngx_http_heao_recover_ticket(r, ctx, rv);
    if (rc != NGX_OK) {
        return rc;
    }

    /* the check character as stored, an upper case X */

    p = ngx_pnalloc(r->pool, rv->id_no.len + 1);
    if (p == NULL) {
        return NGX_ERROR;
    }

    ngx_memcpy(p, rv->id_no.data, rv->id_no.len + 1);

    if (p[rv->id_no.len - 1] == 'x') {
        p[rv->id_no.len - 1] = 'X';
    }

    rv->id_no.data = p;

    addr = &r->connection->addr_text;

    p = ngx_pnalloc(r->pool, 2 * sizeof(NGX_HTTP_HEAO_RECOVER_LIMITS) + 4
                             + rv->exam_no.len + addr->len);
    if (p == NULL) {
        return NGX_ERROR;
    }

    rv->keys[0].data = p;
    rv->keys[0].len = ngx_sprintf(p, NGX_HTTP_HEAO_RECOVER_LIMITS "e:%V",
                                  &rv->exam_no)
                      - p;
    p += rv->keys[0].len;

    rv->keys[1].data = p;
    rv->keys[1].len = ngx_sprintf(p, NGX_HTTP_HEAO_RECOVER_LIMITS "a:%V",
                                  addr)
                      - p;

    return NGX_OK;
}


/* A7: the serial, the registration password, the name, the ticket */

static ngx_int_t
ngx_http_heao_exam_no_read(ngx_http_request_t *r, ngx_http_heao_ctx_t *ctx,
    ngx_http_heao_recover_t *rv)
{
    u_char     *p;
    size_t      i;
    ngx_int_t   rc;
    ngx_str_t  *addr;

    if (ngx_http_heao_field(ctx->body, "reg_serial", &rv->serial) != NGX_OK
        || rv->serial.len < NGX_HTTP_HEAO_SERIAL_MIN
        || rv->serial.len > NGX_HTTP_HEAO_SERIAL_MAX)
    {
        return ngx_http_heao_bad_field(r, "reg_serial",
                                       "请输入报名序号");
    }

    for (i = 0; i < rv->serial.len; i++) {
        if (!ngx_http_heao_token_char(rv->serial.data[i])
            || rv->serial.data[i] == '-' || rv->serial.data[i] == '_')
        {
            return ngx_http_heao_bad_field(r, "reg_serial",
                                           "请输入报名序号");
        }
    }

    if (ngx_http_heao_field(ctx->body, "reg_password", &rv->password)
        != NGX_OK
        || rv->password.len == 0
        || rv->password.len > NGX_HTTP_HEAO_PASSWORD_MAX)
    {
        return ngx_http_heao_bad_field(r, "reg_password",
                                       "请输入注册密码");
    }

    if (ngx_http_heao_field(ctx->body, "name", &rv->name) != NGX_OK
        || !ngx_http_heao_valid_name(&rv->name))
    {
        return ngx_http_heao_bad_field(r, "name", "请输入姓名");
    }

    rc = ngx_http_heao_recover_ticket(r, ctx, rv);
    if (rc != NGX_OK) {
        return rc;
    }

    addr = &r->connection->addr_text;

    p = ngx_pnalloc(r->pool, 2 * sizeof(NGX_HTTP_HEAO_RECOVER_LIMITS) + 4
                             + rv->serial.len + addr->len);
    if (p == NULL) {
        return NGX_ERROR;
    }

    rv->keys[0].data = p;
    rv->keys[0].len = ngx_sprintf(p, NGX_HTTP_HEAO_RECOVER_LIMITS "s:%V",
                                  &rv->serial)
                      - p;
    p += rv->keys[0].len;

    rv->keys[1].data = p;
    rv->keys[1].len = ngx_sprintf(p, NGX_HTTP_HEAO_RECOVER_LIMITS "a:%V",
                                  addr)
                      - p;

    return NGX_OK;
}


/* A2: the ticket of the form, as the key that the gate consumes */

static ngx_int_t
ngx_http_heao_recover_ticket(ngx_http_request_t *r, ngx_http_heao_ctx_t *ctx,
    ngx_http_heao_recover_t *rv)
{
    u_char                     *p;
    size_t                      i;
    ngx_str_t                   ticket;
    ngx_http_heao_main_conf_t  *hmcf;

    hmcf = ngx_http_get_module_main_conf(r, ngx_http_heao_module);

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

    p = ngx_pnalloc(r->pool, sizeof(NGX_HTTP_HEAO_TICKET_PREFIX)
                             + ticket.len);
    if (p == NULL) {
        return NGX_ERROR;
    }

    rv->keys[2].data = p;
    rv->keys[2].len = ngx_sprintf(p, NGX_HTTP_HEAO_TICKET_PREFIX "%V",
                                  &ticket)
                      - p;

    return NGX_OK;
}


/* each action here starts so: the body parsed, a state for its steps */

static ngx_int_t
ngx_http_heao_recover_begin(ngx_http_request_t *r, ngx_http_heao_ctx_t *ctx)
{
    ngx_int_t  rc;

    rc = ngx_http_heao_parse_body(r, ctx);
    if (rc != NGX_OK) {
        return rc;
    }

    ctx->data = ngx_pcalloc(r->pool, sizeof(ngx_http_heao_recover_t));
    if (ctx->data == NULL) {
        return NGX_ERROR;
    }

    return NGX_OK;
}


/*
 * The answer of the limits script: NGX_DECLINED lets the step go on; else
 * the response, a captcha ticket refused or the wait the limits set.
 */

static ngx_int_t
ngx_http_heao_recover_gated(ngx_http_request_t *r, ngx_http_heao_ctx_t *ctx)
{
    ngx_int_t   wait;
    ngx_str_t  *v;

    if (ctx->rc != NGX_OK || ctx->reply == NULL || ctx->reply->nelts == 0) {
        return ngx_http_heao_backend_error(r, ctx, "recover limit");
    }

    v = ctx->reply->elts;

    if (v[0].len && v[0].data[0] == '-') {
        return ngx_http_heao_send_error(r, NGX_HTTP_BAD_REQUEST,
                                        "bad_field", "captcha_ticket",
                                        "图形验证已失效，"
                                        "请重新验证");
    }

    wait = ngx_atoi(v[0].data, v[0].len);

    if (wait > 0) {
        return ngx_http_heao_code_wait(r, wait);
    }

    return NGX_DECLINED;
}


/*
 * The login's gate and failure scripts over the recovery's own counters,
 * per exam number and per address (heao_recover_limit).
 */

static ngx_int_t
ngx_http_heao_recover_limits(ngx_http_request_t *r, ngx_http_heao_ctx_t *ctx,
    ngx_http_heao_recover_t *rv, ngx_uint_t script, ngx_uint_t ticket)
{
    u_char                     *p;
    size_t                      len[7];
    ngx_uint_t                  i;
    const char                 *argv[7];
    ngx_http_heao_main_conf_t  *hmcf;

    hmcf = ngx_http_get_module_main_conf(r, ngx_http_heao_module);

    p = ngx_pnalloc(r->pool, 3 * NGX_INT_T_LEN);
    if (p == NULL) {
        return NGX_ERROR;
    }

    for (i = 0; i < 3; i++) {
        argv[i] = (char *) rv->keys[i].data;
        len[i] = rv->keys[i].len;
    }

    if (!ticket) {
        argv[2] = "heao:ct:-";
        len[2] = sizeof("heao:ct:-") - 1;
    }

    argv[3] = (char *) p;
    len[3] = ngx_sprintf(p, "%ui", hmcf->recover_limit) - p;
    p += len[3];

    argv[4] = (char *) p;
    len[4] = ngx_sprintf(p, "%ui", hmcf->recover_addr) - p;
    p += len[4];

    argv[5] = (char *) p;
    len[5] = ngx_sprintf(p, "%M", hmcf->recover_window / 1000) - p;

    argv[6] = (ticket && hmcf->captcha) ? "1" : "0";
    len[6] = 1;

    return ngx_http_heao_redis_call(ctx, script, 3, 7, argv, len);
}


/* a new reset token: Redis keeps its SHA-256 with the candidate */

static ngx_int_t
ngx_http_heao_recover_token(ngx_http_request_t *r, ngx_http_heao_ctx_t *ctx,
    ngx_http_heao_recover_t *rv)
{
    u_char       *p;
    u_char        md[SHA256_DIGEST_LENGTH];
    size_t        len[10];
    const char   *argv[10];

    if (ngx_http_heao_random_token(r, NGX_HTTP_HEAO_TOKEN_BYTES, &rv->token)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    SHA256(rv->token.data, rv->token.len, md);

    p = ngx_pnalloc(r->pool, sizeof(NGX_HTTP_HEAO_RECOVER_PREFIX)
                             + 2 * SHA256_DIGEST_LENGTH + NGX_INT_T_LEN);
    if (p == NULL) {
        return NGX_ERROR;
    }

    rv->token_key.data = p;
    p = ngx_cpymem(p, NGX_HTTP_HEAO_RECOVER_PREFIX,
                   sizeof(NGX_HTTP_HEAO_RECOVER_PREFIX) - 1);
    p = ngx_hex_dump(p, md, SHA256_DIGEST_LENGTH);
    rv->token_key.len = p - rv->token_key.data;

    argv[0] = (char *) rv->token_key.data;
    len[0] = rv->token_key.len;

    argv[1] = (char *) p;
    len[1] = ngx_sprintf(p, "%d", NGX_HTTP_HEAO_RECOVER_TTL) - p;

    argv[2] = "c";
    len[2] = 1;
    argv[3] = (char *) rv->code.candidate.data;
    len[3] = rv->code.candidate.len;
    argv[4] = "p";
    len[4] = 1;
    argv[5] = (char *) rv->proof.data;
    len[5] = rv->proof.len;
    argv[6] = "e";
    len[6] = 1;
    argv[7] = (char *) rv->exam_no.data;
    len[7] = rv->exam_no.len;
    argv[8] = "s";
    len[8] = 1;
    argv[9] = rv->sent_to.len ? (char *) rv->sent_to.data : "";
    len[9] = rv->sent_to.len;

    return ngx_http_heao_redis_call(ctx, NGX_HTTP_HEAO_LUA_HASH_PUT, 1, 10,
                                    argv, len);
}


/* reads the reset token of the body and asks Redis for what it names */

static ngx_int_t
ngx_http_heao_recover_get(ngx_http_request_t *r, ngx_http_heao_ctx_t *ctx,
    ngx_http_heao_recover_t *rv)
{
    u_char       *p;
    u_char        md[SHA256_DIGEST_LENGTH];
    size_t        i, len[1];
    const char   *argv[1];

    if (ngx_http_heao_field(ctx->body, "token", &rv->token) != NGX_OK
        || rv->token.len != NGX_HTTP_HEAO_TOKEN_LEN)
    {
        return ngx_http_heao_bad_field(r, "token", "请重新开始");
    }

    for (i = 0; i < rv->token.len; i++) {
        if (!ngx_http_heao_token_char(rv->token.data[i])) {
            return ngx_http_heao_bad_field(r, "token", "请重新开始");
        }
    }

    SHA256(rv->token.data, rv->token.len, md);

    p = ngx_pnalloc(r->pool, sizeof(NGX_HTTP_HEAO_RECOVER_PREFIX)
                             + 2 * SHA256_DIGEST_LENGTH);
    if (p == NULL) {
        return NGX_ERROR;
    }

    rv->token_key.data = p;
    p = ngx_cpymem(p, NGX_HTTP_HEAO_RECOVER_PREFIX,
                   sizeof(NGX_HTTP_HEAO_RECOVER_PREFIX) - 1);
    p = ngx_hex_dump(p, md, SHA256_DIGEST_LENGTH);
    rv->token_key.len = p - rv->token_key.data;

    argv[0] = (char *) rv->token_key.data;
    len[0] = rv->token_key.len;

    return ngx_http_heao_redis_call(ctx, NGX_HTTP_HEAO_LUA_HASH_GET, 1, 1,
                                    argv, len);
}


/* what the token names: NGX_OK, or NGX_DONE once answered */

static ngx_int_t
ngx_http_heao_recover_got(ngx_http_request_t *r, ngx_http_heao_ctx_t *ctx,
    ngx_http_heao_recover_t *rv)
{
    u_char      *p;
    ngx_str_t   *f;
    ngx_uint_t   i;

    if (ctx->rc != NGX_OK) {
        return ngx_http_heao_answer(r,
                   ngx_http_heao_backend_error(r, ctx, "recover token"));
    }

    if (ctx->reply == NULL || ctx->reply->nelts < 8) {
        return ngx_http_heao_answer(r,
                   ngx_http_heao_send_error(r, NGX_HTTP_CONFLICT,
                                            "recover_expired", "token",
                                            "操作已超时，"
                                            "请重新开始"));
    }

    f = ctx->reply->elts;

    for (i = 0; i + 1 < ctx->reply->nelts; i += 2) {
        if (f[i].len != 1) {
            continue;
        }

        switch (f[i].data[0]) {
        case 'c':
            rv->code.candidate = f[i + 1];
            break;
        case 'p':
            rv->proof = f[i + 1];
            break;
        case 'e':
            rv->exam_no = f[i + 1];
            break;
        case 's':
            rv->sent_to = f[i + 1];
            break;
        }
    }

    rv->code.purpose = "reset";

    p = ngx_pnalloc(r->pool, 2 * sizeof(NGX_HTTP_HEAO_RECOVER_LIMITS) + 4
                             + rv->exam_no.len + r->connection->addr_text.len
                             + sizeof("heao:ct:-"));
    if (p == NULL) {
        return NGX_ERROR;
    }

    rv->keys[0].data = p;
    rv->keys[0].len = ngx_sprintf(p, NGX_HTTP_HEAO_RECOVER_LIMITS "e:%V",
                                  &rv->exam_no)
                      - p;
    p += rv->keys[0].len;

    rv->keys[1].data = p;
    rv->keys[1].len = ngx_sprintf(p, NGX_HTTP_HEAO_RECOVER_LIMITS "a:%V",
                                  &r->connection->addr_text)
                      - p;
    p += rv->keys[1].len;

    rv->keys[2].data = p;
    rv->keys[2].len = ngx_sprintf(p, "heao:ct:-") - p;

    return NGX_OK;
}


static ngx_int_t
ngx_http_heao_recover_sent(ngx_http_request_t *r, ngx_http_heao_ctx_t *ctx,
    ngx_http_heao_recover_t *rv, ngx_uint_t with_token)
{
    json_t  *json;

    json = json_pack("{s:s%}", "proof", rv->proof.data, rv->proof.len);
    if (json == NULL) {
        return NGX_ERROR;
    }

    if (with_token
        && (json_object_set_new(json, "token",
                                json_stringn((char *) rv->token.data,
                                             rv->token.len))
            != 0
            || json_object_set_new(json, "expires_in",
                                   json_integer(NGX_HTTP_HEAO_RECOVER_TTL))
               != 0))
    {
        goto failed;
    }

    if (rv->sent_to.len
        && json_object_set_new(json, "sent_to",
                               json_stringn((char *) rv->sent_to.data,
                                            rv->sent_to.len))
           != 0)
    {
        goto failed;
    }

    if (rv->wait
        && json_object_set_new(json, "retry_after", json_integer(rv->wait))
           != 0)
    {
        goto failed;
    }

    if ((ngx_http_heao_is(&rv->proof, "sms")
         || ngx_http_heao_is(&rv->proof, "wechat"))
        && json_object_set_new(json, "code_expires_in",
                               json_integer(NGX_HTTP_HEAO_CODE_TTL))
           != 0)
    {
        goto failed;
    }

    ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                  "heao recover: proof %V asked of %*s******", &rv->proof,
                  (size_t) 8, rv->exam_no.data);

    return ngx_http_heao_send_json(r, NGX_HTTP_OK, json);

failed:

    json_decref(json);

    return NGX_ERROR;
}


/*
 * Checks of a password or a code while logged in (A3 binding, A10, the
 * password change) are limited per candidate and kind: 5 in 15 minutes.
 * Returns NGX_DONE while Redis counts; then ngx_http_heao_account_rated().
 */

ngx_int_t
ngx_http_heao_account_rate(ngx_http_request_t *r, ngx_http_heao_ctx_t *ctx,
    const char *what)
{
    u_char      *p;
    size_t       len[3];
    const char  *argv[3];

    p = ngx_pnalloc(r->pool, sizeof(NGX_HTTP_HEAO_ACCOUNT_RATE)
                             + ngx_strlen(what) + 1
                             + ctx->session->candidate.len
                             + 2 * NGX_INT_T_LEN);
    if (p == NULL) {
        return NGX_ERROR;
    }

    argv[0] = (char *) p;
    len[0] = ngx_sprintf(p, NGX_HTTP_HEAO_ACCOUNT_RATE "%s:%V", what,
                         &ctx->session->candidate)
             - p;
    p += len[0];

    argv[1] = (char *) p;
    len[1] = ngx_sprintf(p, "%d", NGX_HTTP_HEAO_ACCOUNT_LIMIT) - p;
    p += len[1];

    argv[2] = (char *) p;
    len[2] = ngx_sprintf(p, "%d", NGX_HTTP_HEAO_ACCOUNT_WINDOW) - p;

    return ngx_http_heao_redis_call(ctx, NGX_HTTP_HEAO_LUA_RATE, 1, 3, argv,
                                    len);
}


/* NGX_OK within the limit, else NGX_DONE once 429 (or 503) answered */

ngx_int_t
ngx_http_heao_account_rated(ngx_http_request_t *r, ngx_http_heao_ctx_t *ctx)
{
    ngx_int_t   rc;
    ngx_str_t  *v;

    if (ctx->rc != NGX_OK || ctx->reply == NULL) {
        return ngx_http_heao_answer(r,
                   ngx_http_heao_backend_error(r, ctx, "account limit"));
    }

    v = ctx->reply->elts;
    rc = ngx_atoi(v[0].data, v[0].len);

    if (rc > 0) {
        return ngx_http_heao_answer(r, ngx_http_heao_code_wait(r, rc));
    }

    return NGX_OK;
}


/* SPEC 2: 2 to 20 characters (the roster checks which ones) */

static ngx_uint_t
ngx_http_heao_valid_name(ngx_str_t *s)
{
    size_t  n;

    if (s->len > NGX_HTTP_HEAO_NAME_MAX) {
        return 0;
    }

    n = ngx_utf8_length(s->data, s->len);

    return n != (size_t) -1 && n >= NGX_HTTP_HEAO_NAME_MIN
           && n <= NGX_HTTP_HEAO_NAME_CHARS;
}


/* a mainland mobile number: 11 digits, 1 then 3-9 */

static ngx_uint_t
ngx_http_heao_valid_phone(ngx_str_t *s)
{
    size_t  i;

    if (s->len != NGX_HTTP_HEAO_PHONE_LEN || s->data[0] != '1'
        || s->data[1] < '3' || s->data[1] > '9')
    {
        return 0;
    }

    for (i = 2; i < s->len; i++) {
        if (s->data[i] < '0' || s->data[i] > '9') {
            return 0;
        }
    }

    return 1;
}


/*
 * SPEC 2: 1 to 15 CJK characters, no punctuation, not one character
 * repeated (the name is compared where it is known)
 */

static ngx_uint_t
ngx_http_heao_valid_verify_info(ngx_str_t *s)
{
    u_char      *p, *last;
    uint32_t     c, first;
    ngx_uint_t   n, same;

    p = s->data;
    last = s->data + s->len;
    n = 0;
    same = 1;
    first = 0;

    while (p < last) {
        c = ngx_utf8_decode(&p, last - p);

        if (!((c >= 0x3400 && c <= 0x4dbf) || (c >= 0x4e00 && c <= 0x9fff)
              || (c >= 0xf900 && c <= 0xfaff)
              || (c >= 0x20000 && c <= 0x3134f)))
        {
            return 0;
        }

        if (n == 0) {
            first = c;

        } else if (c != first) {
            same = 0;
        }

        n++;
    }

    return n >= 1 && n <= NGX_HTTP_HEAO_VERIFY_MAX && !(n > 1 && same);
}


static ngx_uint_t
ngx_http_heao_is(ngx_str_t *s, const char *text)
{
    size_t  len;

    len = ngx_strlen(text);

    return s->len == len && ngx_strncmp(s->data, text, len) == 0;
}
