
/*
 * Copyright (C) heao developers
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>
#include <openssl/rand.h>
#include <openssl/crypto.h>
#include <sodium.h>

#include "ngx_http_heao_module.h"


#define NGX_HTTP_HEAO_SESSION_PREFIX    "heao:s:"
#define NGX_HTTP_HEAO_FILL_PREFIX       "f:"
#define NGX_HTTP_HEAO_SESSIONS_PREFIX   "heao:cs:"
#define NGX_HTTP_HEAO_SESSION_ARGS      8       /* key, now, idle, more */


/*
 * Sessions (A5) live in Redis hashes under the SHA-256 of the cookie's
 * identifier, so a copy of Redis holds no usable identifier.  Fields:
 * c candidate id, e exam number, n name, t CSRF token, a absolute end,
 * p the candidate's profile for the rules (F9, F10),
 * m present while an office-set password must be changed (A14),
 * f:<batch> end of the fill session of the batch (F13).  The set
 * heao:cs:<candidate id> names the candidate's sessions, so that a
 * password change or reset ends them all (A5).
 */

ngx_http_heao_redis_script_t  ngx_http_heao_redis_scripts[] = {

    /* KEYS[1] session; ARGV now, idle seconds */
    { "session_get",
      "local s = redis.call('HGETALL', KEYS[1])\n"
      "if #s == 0 then return nil end\n"
      "for i = 1, #s, 2 do\n"
      "  if s[i] == 'a' and tonumber(s[i + 1]) <= tonumber(ARGV[1]) then\n"
      "    redis.call('DEL', KEYS[1])\n"
      "    return nil\n"
      "  end\n"
      "end\n"
      "redis.call('EXPIRE', KEYS[1], ARGV[2])\n"
      "return s\n" },

    /*
     * KEYS[1] new session, KEYS[2] the one it replaces, KEYS[3] the
     * candidate's set of sessions; ARGV idle, lifetime, pairs: the set
     * forgets the sessions that expired meanwhile
     */
    { "session_create",
      "redis.call('DEL', KEYS[2])\n"
      "redis.call('HSET', KEYS[1], unpack(ARGV, 3))\n"
      "redis.call('EXPIRE', KEYS[1], ARGV[1])\n"
      "for _, k in ipairs(redis.call('SMEMBERS', KEYS[3])) do\n"
      "  if redis.call('EXISTS', k) == 0 then\n"
      "    redis.call('SREM', KEYS[3], k)\n"
      "  end\n"
      "end\n"
      "redis.call('SADD', KEYS[3], KEYS[1])\n"
      "redis.call('EXPIRE', KEYS[3], ARGV[2])\n"
      "return 1\n" },

    /* KEYS[1] session; ARGV field, value: only while the session lives */
    { "session_hset",
      "if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end\n"
      "redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])\n"
      "return 1\n" },

    { "del",
      "return redis.call('DEL', KEYS[1])\n" },

    /*
     * KEYS exam number, address, captcha ticket; ARGV their limits, the
     * window, whether a ticket is needed: -1 without a ticket (it is
     * consumed whatever follows, A2), else the seconds locked (A4)
     */
    { "login_gate",
      "if ARGV[4] == '1' and redis.call('DEL', KEYS[3]) == 0 then\n"
      "  return -1\n"
      "end\n"
      "local t = 0\n"
      "for i = 1, 2 do\n"
      "  local n = tonumber(redis.call('GET', KEYS[i]) or '0')\n"
      "  if n >= tonumber(ARGV[i]) then\n"
      "    local ttl = redis.call('TTL', KEYS[i])\n"
      "    if ttl < 0 then ttl = tonumber(ARGV[3]) end\n"
      "    if ttl > t then t = ttl end\n"
      "  end\n"
      "end\n"
      "return t\n" },

    /*
     * KEYS exam number, address; ARGV their limits, window: a failure
     * counts for the window, and reaching the limit locks for a window
     * from then; increment and expiry stay together in one script
     */
    { "login_failed",
      "for i = 1, 2 do\n"
      "  local n = redis.call('INCR', KEYS[i])\n"
      "  if n == 1 or n == tonumber(ARGV[i]) then\n"
      "    redis.call('EXPIRE', KEYS[i], ARGV[3])\n"
      "  end\n"
      "end\n"
      "return 1\n" },

    /* KEYS[1]; ARGV value, seconds */
    { "set_ex",
      "return redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2])\n" },

    /*
     * KEYS challenge, ticket; ARGV offset, tolerance, ticket seconds:
     * -1 no such challenge, 0 wrong, 1 the ticket is issued; either way
     * the challenge is gone (A2)
     */
    { "captcha_check",
      "local a = redis.call('GET', KEYS[1])\n"
      "if not a then return -1 end\n"
      "redis.call('DEL', KEYS[1])\n"
      "if math.abs(tonumber(a) - tonumber(ARGV[1])) > tonumber(ARGV[2])\n"
      "then\n"
      "  return 0\n"
      "end\n"
      "redis.call('SET', KEYS[2], '1', 'EX', ARGV[3])\n"
      "return 1\n" },

    /*
     * KEYS[1] counter; ARGV limit, window: 0 within the limit, else the
     * seconds until the window ends; increment and expiry stay together
     */
    { "rate",
      "local n = redis.call('INCR', KEYS[1])\n"
      "if n == 1 then redis.call('EXPIRE', KEYS[1], ARGV[2]) end\n"
      "if n <= tonumber(ARGV[1]) then return 0 end\n"
      "local t = redis.call('TTL', KEYS[1])\n"
      "if t < 1 then t = 1 end\n"
      "return t\n" },

    /*
     * The browse answer of a candidate is cached (V1) under a stamp,
     * "generation:epoch": the candidate's generation moves with every
     * save, the epoch of all answers is the catalog version that the
     * last catalog or window change made (B6).  An answer read from
     * PostgreSQL before either moved is not stored after it, and one
     * stored before is not served after it: the stamp prefixes it.
     * KEYS cache, generation, epoch; ARGV the stamp read, the answer,
     * seconds.
     */
    { "browse_put",
      "local s = (redis.call('GET', KEYS[2]) or '0') .. ':'\n"
      "          .. (redis.call('GET', KEYS[3]) or '0')\n"
      "if s == ARGV[1] then\n"
      "  redis.call('SET', KEYS[1], s .. ' ' .. ARGV[2], 'EX', ARGV[3])\n"
      "end\n"
      "return 1\n" },

    { "browse_forget",
      "redis.call('INCR', KEYS[2])\n"
      "redis.call('EXPIRE', KEYS[2], 86400)\n"
      "redis.call('DEL', KEYS[1])\n"
      "return 1\n" },

    { "get",
      "return redis.call('GET', KEYS[1])\n" },

    /*
     * KEYS[1] the epoch of the browse answers; ARGV a catalog version:
     * the epoch moves to it when it is later (B6).  tools/heao-admin
     * runs the same after a change it committed.
     */
    { "browse_epoch",
      "if tonumber(ARGV[1]) > tonumber(redis.call('GET', KEYS[1]) or '0')\n"
      "then\n"
      "  redis.call('SET', KEYS[1], ARGV[1])\n"
      "  return 1\n"
      "end\n"
      "return 0\n" },

    /*
     * KEYS[1] the candidate's last used TOTP step; ARGV step, seconds:
     * 1 when the step is later than any used before, else 0 (A3)
     */
    { "totp_use",
      "local last = tonumber(redis.call('GET', KEYS[1]) or '-1')\n"
      "if tonumber(ARGV[1]) <= last then return 0 end\n"
      "redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2])\n"
      "return 1\n" },

    /*
     * KEYS[1] the candidate's set of sessions, KEYS[2] the session that
     * stays (or "-"): every other session ends, the one that stays no
     * longer needs a password change (A5, A14)
     */
    { "sessions_end",
      "local n = 0\n"
      "for _, k in ipairs(redis.call('SMEMBERS', KEYS[1])) do\n"
      "  if k ~= KEYS[2] then\n"
      "    n = n + redis.call('DEL', k)\n"
      "    redis.call('SREM', KEYS[1], k)\n"
      "  end\n"
      "end\n"
      "redis.call('HDEL', KEYS[2], 'm')\n"
      "return n\n" },

    /*
     * A8: KEYS[1] the code (a hash: h its HMAC, n tries left), KEYS[2]
     * the codes sent in the window; ARGV HMAC, seconds, tries, sends,
     * window, gap: 0 when the new code replaces any before, else the
     * seconds to wait (the sends are used up, or the last code is younger
     * than the gap)
     */
    { "code_issue",
      "local n = tonumber(redis.call('GET', KEYS[2]) or '0')\n"
      "if n >= tonumber(ARGV[4]) then\n"
      "  local t = redis.call('TTL', KEYS[2])\n"
      "  if t < 1 then t = 1 end\n"
      "  return t\n"
      "end\n"
      "local age = tonumber(ARGV[2]) - redis.call('TTL', KEYS[1])\n"
      "if age < tonumber(ARGV[6]) then return tonumber(ARGV[6]) - age end\n"
      "if redis.call('INCR', KEYS[2]) == 1 then\n"
      "  redis.call('EXPIRE', KEYS[2], ARGV[5])\n"
      "end\n"
      "redis.call('DEL', KEYS[1])\n"
      "redis.call('HSET', KEYS[1], 'h', ARGV[1], 'n', ARGV[3])\n"
      "redis.call('EXPIRE', KEYS[1], ARGV[2])\n"
      "return 0\n" },

    /*
     * KEYS[1] the code; ARGV the HMAC of the code given: 1 right (the
     * code is gone, it works once), 0 wrong (a try less; none left, the
     * code is gone), -1 no code (expired, used, or never sent)
     */
    { "code_check",
      "local h = redis.call('HGET', KEYS[1], 'h')\n"
      "if not h then return -1 end\n"
      "if h == ARGV[1] then\n"
      "  redis.call('DEL', KEYS[1])\n"
      "  return 1\n"
      "end\n"
      "if redis.call('HINCRBY', KEYS[1], 'n', -1) <= 0 then\n"
      "  redis.call('DEL', KEYS[1])\n"
      "end\n"
      "return 0\n" },

    /* KEYS[1]; ARGV seconds, field value pairs: a new hash with a TTL */
    { "hash_put",
      "redis.call('DEL', KEYS[1])\n"
      "redis.call('HSET', KEYS[1], unpack(ARGV, 2))\n"
      "redis.call('EXPIRE', KEYS[1], ARGV[1])\n"
      "return 1\n" },

    /* KEYS[1]: the hash, nil when there is none */
    { "hash_get",
      "local h = redis.call('HGETALL', KEYS[1])\n"
      "if #h == 0 then return nil end\n"
      "return h\n" },

    /*
     * A11: KEYS[1] the binding under way, KEYS[2] the callback's nonce;
     * ARGV the state, the seconds a nonce is kept: -1 a nonce seen before
     * (a replay), 0 the state is not the one under way (used, replaced,
     * expired), 1 it was, and is gone now
     */
    { "wechat_claim",
      "if not redis.call('SET', KEYS[2], '1', 'NX', 'EX', ARGV[2]) then\n"
      "  return -1\n"
      "end\n"
      "if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end\n"
      "redis.call('DEL', KEYS[1])\n"
      "return 1\n" },

    /*
     * session_get and browse_get in one round trip (V1): KEYS[1] session;
     * ARGV now, idle seconds, the prefixes of the candidate's cached
     * browse answer and of its generation, the epoch's key.  The keys
     * are named by the session's candidate, so they are not in KEYS: one
     * Redis (with failover) holds them all, not a cluster.  Returns the
     * answer (nil when not cached under the stamp of now), the stamp,
     * then the session's fields.
     */
    { "session_browse",
      "local s = redis.call('HGETALL', KEYS[1])\n"
      "if #s == 0 then return nil end\n"
      "local c\n"
      "for i = 1, #s, 2 do\n"
      "  if s[i] == 'a' and tonumber(s[i + 1]) <= tonumber(ARGV[1]) then\n"
      "    redis.call('DEL', KEYS[1])\n"
      "    return nil\n"
      "  end\n"
      "  if s[i] == 'c' then c = s[i + 1] end\n"
      "end\n"
      "redis.call('EXPIRE', KEYS[1], ARGV[2])\n"
      "local r = { false, '0:0' }\n"
      "if c then\n"
      "  r[2] = (redis.call('GET', ARGV[4] .. c) or '0') .. ':'\n"
      "         .. (redis.call('GET', ARGV[5]) or '0')\n"
      "  local b = redis.call('GET', ARGV[3] .. c)\n"
      "  if b and string.sub(b, 1, #r[2] + 1) == r[2] .. ' ' then\n"
      "    r[1] = string.sub(b, #r[2] + 2)\n"
      "  end\n"
      "end\n"
      "for i = 1, #s do r[i + 2] = s[i] end\n"
      "return r\n" }
};


static ngx_int_t ngx_http_heao_session_cookie(ngx_http_request_t *r,
    ngx_str_t *sid);
static ngx_int_t ngx_http_heao_session_key(ngx_http_request_t *r,
    ngx_str_t *sid, ngx_str_t *key);
static ngx_int_t ngx_http_heao_session_set_cookie(ngx_http_request_t *r,
    ngx_str_t *sid);
static ngx_int_t ngx_http_heao_session_set_key(ngx_http_request_t *r,
    ngx_str_t *candidate, ngx_str_t *set);


static ngx_str_t  ngx_http_heao_cookie_name = ngx_string("heao_sid");
static ngx_str_t  ngx_http_heao_csrf_header = ngx_string("X-CSRF-Token");


/*
 * Starts loading the session named by the cookie.  Returns NGX_DONE while
 * Redis works, or NGX_DECLINED when there is no cookie to look up.
 */

ngx_int_t
ngx_http_heao_session_load(ngx_http_request_t *r, ngx_http_heao_ctx_t *ctx)
{
    return ngx_http_heao_session_load_with(r, ctx,
                                           NGX_HTTP_HEAO_LUA_SESSION_GET, 0,
                                           0, NULL);
}


/*
 * As ngx_http_heao_session_load(), by a script that takes "nargs" more
 * arguments after now and the idle seconds and answers "skip" values of
 * its own before the session's fields: a request that needs more than
 * the session from Redis makes one round trip, not two.
 */

ngx_int_t
ngx_http_heao_session_load_with(ngx_http_request_t *r,
    ngx_http_heao_ctx_t *ctx, ngx_uint_t script, ngx_uint_t skip,
    ngx_uint_t nargs, ngx_str_t *args)
{
    u_char                     *p;
    size_t                      len[NGX_HTTP_HEAO_SESSION_ARGS];
    ngx_str_t                   sid, key;
    ngx_uint_t                  i;
    const char                 *argv[NGX_HTTP_HEAO_SESSION_ARGS];
    ngx_http_heao_main_conf_t  *hmcf;

    if (3 + nargs > NGX_HTTP_HEAO_SESSION_ARGS) {
        return NGX_ERROR;
    }

    hmcf = ngx_http_get_module_main_conf(r, ngx_http_heao_module);

    if (ngx_http_heao_session_cookie(r, &sid) != NGX_OK) {
        return NGX_DECLINED;
    }

    if (ngx_http_heao_session_key(r, &sid, &key) != NGX_OK) {
        return NGX_ERROR;
    }

    ctx->session = ngx_pcalloc(r->pool, sizeof(ngx_http_heao_session_t));
    if (ctx->session == NULL) {
        return NGX_ERROR;
    }

    ctx->session->key = key;
    ctx->session->skip = skip;

    p = ngx_pnalloc(r->pool, 2 * NGX_TIME_T_LEN);
    if (p == NULL) {
        return NGX_ERROR;
    }

    argv[0] = (char *) key.data;
    len[0] = key.len;

    argv[1] = (char *) p;
    len[1] = ngx_sprintf(p, "%T", ctx->arrived) - p;
    p += len[1];

    argv[2] = (char *) p;
    len[2] = ngx_sprintf(p, "%M", hmcf->session_idle / 1000) - p;

    for (i = 0; i < nargs; i++) {
        argv[3 + i] = (char *) args[i].data;
        len[3 + i] = args[i].len;
    }

    return ngx_http_heao_redis_call(ctx, script, 1, 3 + nargs, argv, len);
}


/*
 * Takes the loaded session from ctx->reply.  Returns NGX_OK, or NGX_DONE
 * once it answered: 401 without a session, 403 when "csrf" is asked for
 * and the token does not match (A6), 503 when Redis failed.
 */

ngx_int_t
ngx_http_heao_session_loaded(ngx_http_request_t *r, ngx_http_heao_ctx_t *ctx,
    ngx_uint_t csrf)
{
    ngx_str_t                *f, *token;
    ngx_uint_t                i;
    ngx_keyval_t             *kv;
    ngx_list_part_t          *part;
    ngx_table_elt_t          *h;
    ngx_http_heao_session_t  *s;

    if (ctx->rc != NGX_OK) {
        return ngx_http_heao_answer(r,
                   ngx_http_heao_backend_error(r, ctx, "session"));
    }

    s = ctx->session;

    if (s == NULL || ctx->reply == NULL || ctx->reply->nelts < s->skip + 2)
    {
        ctx->session = NULL;
        return ngx_http_heao_answer(r,
                   ngx_http_heao_send_error(r, NGX_HTTP_UNAUTHORIZED,
                                            "unauthenticated", NULL,
                                            "请先登录"));
    }

    if (ngx_array_init(&s->fills, r->pool, 2, sizeof(ngx_keyval_t))
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    f = ctx->reply->elts;

    for (i = s->skip; i + 1 < ctx->reply->nelts; i += 2) {

        if (f[i].len == 1) {
            switch (f[i].data[0]) {
            case 'c':
                s->candidate = f[i + 1];
                break;
            case 'e':
                s->exam_no = f[i + 1];
                break;
            case 'n':
                s->name = f[i + 1];
                break;
            case 't':
                s->csrf = f[i + 1];
                break;
            case 'p':
                s->profile = f[i + 1];
                break;
            case 'a':
                s->expires = ngx_atotm(f[i + 1].data, f[i + 1].len);
                break;
            case 'm':
                s->must_change = 1;
                break;
            }

            continue;
        }

        if (f[i].len > sizeof(NGX_HTTP_HEAO_FILL_PREFIX) - 1
            && ngx_strncmp(f[i].data, NGX_HTTP_HEAO_FILL_PREFIX,
                           sizeof(NGX_HTTP_HEAO_FILL_PREFIX) - 1) == 0)
        {
            kv = ngx_array_push(&s->fills);
            if (kv == NULL) {
                return NGX_ERROR;
            }

            kv->key.data = f[i].data + sizeof(NGX_HTTP_HEAO_FILL_PREFIX) - 1;
            kv->key.len = f[i].len - (sizeof(NGX_HTTP_HEAO_FILL_PREFIX) - 1);
            kv->value = f[i + 1];
        }
    }

    if (s->candidate.len == 0 || s->csrf.len == 0) {
        ctx->session = NULL;
        return ngx_http_heao_answer(r,
                   ngx_http_heao_send_error(r, NGX_HTTP_UNAUTHORIZED,
                                            "unauthenticated", NULL,
                                            "请先登录"));
    }

    if (!csrf) {
        goto must_change;
    }

    token = NULL;
    part = &r->headers_in.headers.part;
    h = part->elts;

    for (i = 0; /* void */; i++) {

        if (i >= part->nelts) {
            if (part->next == NULL) {
                break;
            }

            part = part->next;
            h = part->elts;
            i = 0;
        }

        if (h[i].key.len == ngx_http_heao_csrf_header.len
            && ngx_strncasecmp(h[i].key.data, ngx_http_heao_csrf_header.data,
                               h[i].key.len) == 0)
        {
            token = &h[i].value;
            break;
        }
    }

    if (token == NULL || token->len != s->csrf.len
        || CRYPTO_memcmp(token->data, s->csrf.data, token->len) != 0)
    {
        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "heao: csrf token missing or wrong");

        return ngx_http_heao_answer(r,
                   ngx_http_heao_send_error(r, NGX_HTTP_FORBIDDEN, "csrf",
                                            NULL, "页面已过期，"
                                                  "请刷新后重试"));
    }

must_change:

    /* A14: an office-set password is changed before anything else */

    if (s->must_change
        && ctx->action != ngx_http_heao_password_change
        && ctx->action != ngx_http_heao_whoami
        && ctx->action != ngx_http_heao_logout)
    {
        return ngx_http_heao_answer(r,
                   ngx_http_heao_send_error(r, NGX_HTTP_FORBIDDEN,
                                            "password_change_required",
                                            NULL,
                                            "您的密码由招生办设置，"
                                            "请先修改密码，"
                                            "再进行其他操作"));
    }

    return NGX_OK;
}


/*
 * Creates a fresh session for the candidate (A5), ending the one this
 * browser held, and sets the cookie.  Returns NGX_DONE while Redis works.
 */

ngx_int_t
ngx_http_heao_session_create(ngx_http_request_t *r, ngx_http_heao_ctx_t *ctx,
    ngx_str_t *candidate, ngx_str_t *exam_no, ngx_str_t *name,
    ngx_str_t *profile, ngx_uint_t must_change)
{
    u_char                     *p;
    size_t                      len[19];
    ngx_str_t                   sid, key, old, csrf, set;
    const char                 *argv[19];
    ngx_http_heao_session_t    *s;
    ngx_http_heao_main_conf_t  *hmcf;

    hmcf = ngx_http_get_module_main_conf(r, ngx_http_heao_module);

    ngx_str_set(&old, NGX_HTTP_HEAO_SESSION_PREFIX "-");

    if (ngx_http_heao_session_cookie(r, &sid) == NGX_OK) {
        if (ngx_http_heao_session_key(r, &sid, &old) != NGX_OK) {
            return NGX_ERROR;
        }
    }

    if (ngx_http_heao_random_token(r, NGX_HTTP_HEAO_SID_BYTES, &sid) != NGX_OK
        || ngx_http_heao_random_token(r, NGX_HTTP_HEAO_CSRF_BYTES, &csrf)
           != NGX_OK
        || ngx_http_heao_session_key(r, &sid, &key) != NGX_OK)
    {
        return NGX_ERROR;
    }

    s = ngx_pcalloc(r->pool, sizeof(ngx_http_heao_session_t));
    if (s == NULL) {
        return NGX_ERROR;
    }

    s->key = key;
    s->candidate = *candidate;
    s->exam_no = *exam_no;
    s->name = *name;
    s->csrf = csrf;
    s->profile = *profile;
    s->expires = ctx->arrived + hmcf->session_lifetime / 1000;
    s->must_change = must_change;
    ctx->session = s;

    if (ngx_http_heao_session_set_key(r, candidate, &set) != NGX_OK) {
        return NGX_ERROR;
    }

    p = ngx_pnalloc(r->pool, 3 * NGX_TIME_T_LEN);
    if (p == NULL) {
        return NGX_ERROR;
    }

    argv[0] = (char *) key.data;
    len[0] = key.len;
    argv[1] = (char *) old.data;
    len[1] = old.len;
    argv[2] = (char *) set.data;
    len[2] = set.len;

    argv[3] = (char *) p;
    len[3] = ngx_sprintf(p, "%M", hmcf->session_idle / 1000) - p;
    p += len[3];

    argv[4] = (char *) p;
    len[4] = ngx_sprintf(p, "%M", hmcf->session_lifetime / 1000) - p;
    p += len[4];

    argv[5] = "c";
    len[5] = 1;
    argv[6] = (char *) candidate->data;
    len[6] = candidate->len;
    argv[7] = "e";
    len[7] = 1;
    argv[8] = (char *) exam_no->data;
    len[8] = exam_no->len;
    argv[9] = "n";
    len[9] = 1;
    argv[10] = (char *) name->data;
    len[10] = name->len;
    argv[11] = "t";
    len[11] = 1;
    argv[12] = (char *) csrf.data;
    len[12] = csrf.len;
    argv[13] = "a";
    len[13] = 1;
    argv[14] = (char *) p;
    len[14] = ngx_sprintf(p, "%T", s->expires) - p;
    argv[15] = "p";
    len[15] = 1;
    argv[16] = (char *) profile->data;
    len[16] = profile->len;
    argv[17] = "m";
    len[17] = 1;
    argv[18] = "1";
    len[18] = 1;

    if (ngx_http_heao_session_set_cookie(r, &sid) != NGX_OK) {
        return NGX_ERROR;
    }

    return ngx_http_heao_redis_call(ctx, NGX_HTTP_HEAO_LUA_SESSION_CREATE, 3,
                                    must_change ? 19 : 17, argv, len);
}


/*
 * Ends every session of the candidate but the one of the request, if
 * any (A5: after a password change or reset).  NGX_DONE while Redis
 * works.
 */

ngx_int_t
ngx_http_heao_session_end_others(ngx_http_request_t *r,
    ngx_http_heao_ctx_t *ctx, ngx_str_t *candidate)
{
    size_t       len[2];
    ngx_str_t    set;
    const char  *argv[2];

    if (ngx_http_heao_session_set_key(r, candidate, &set) != NGX_OK) {
        return NGX_ERROR;
    }

    argv[0] = (char *) set.data;
    len[0] = set.len;

    if (ctx->session) {
        argv[1] = (char *) ctx->session->key.data;
        len[1] = ctx->session->key.len;

    } else {
        argv[1] = "-";
        len[1] = 1;
    }

    return ngx_http_heao_redis_call(ctx, NGX_HTTP_HEAO_LUA_SESSIONS_END, 2, 2,
                                    argv, len);
}


static ngx_int_t
ngx_http_heao_session_set_key(ngx_http_request_t *r, ngx_str_t *candidate,
    ngx_str_t *set)
{
    set->data = ngx_pnalloc(r->pool, sizeof(NGX_HTTP_HEAO_SESSIONS_PREFIX)
                                     + candidate->len);
    if (set->data == NULL) {
        return NGX_ERROR;
    }

    set->len = ngx_sprintf(set->data, NGX_HTTP_HEAO_SESSIONS_PREFIX "%V",
                           candidate)
               - set->data;

    return NGX_OK;
}


ngx_int_t
ngx_http_heao_session_destroy(ngx_http_request_t *r, ngx_http_heao_ctx_t *ctx)
{
    size_t        len[1];
    ngx_str_t     sid;
    const char   *argv[1];

    ngx_str_set(&sid, "");

    if (ngx_http_heao_session_set_cookie(r, &sid) != NGX_OK) {
        return NGX_ERROR;
    }

    argv[0] = (char *) ctx->session->key.data;
    len[0] = ctx->session->key.len;

    return ngx_http_heao_redis_call(ctx, NGX_HTTP_HEAO_LUA_DEL, 1, 1, argv,
                                    len);
}


/* records the end of the fill session of a batch (F13) */

ngx_int_t
ngx_http_heao_session_set_fill(ngx_http_request_t *r,
    ngx_http_heao_ctx_t *ctx, ngx_str_t *batch, time_t end)
{
    u_char      *p;
    size_t       len[3];
    const char  *argv[3];

    p = ngx_pnalloc(r->pool, sizeof(NGX_HTTP_HEAO_FILL_PREFIX) - 1
                             + batch->len + 1 + NGX_TIME_T_LEN);
    if (p == NULL) {
        return NGX_ERROR;
    }

    argv[0] = (char *) ctx->session->key.data;
    len[0] = ctx->session->key.len;

    argv[1] = (char *) p;
    len[1] = ngx_sprintf(p, NGX_HTTP_HEAO_FILL_PREFIX "%V", batch) - p;
    p += len[1];

    argv[2] = (char *) p;
    len[2] = ngx_sprintf(p, "%T", end) - p;

    return ngx_http_heao_redis_call(ctx, NGX_HTTP_HEAO_LUA_SESSION_HSET, 1, 3,
                                    argv, len);
}


/* the end of the batch's fill session, 0 when none was started */

time_t
ngx_http_heao_session_fill_end(ngx_http_heao_session_t *s, ngx_str_t *batch)
{
    ngx_uint_t     i;
    ngx_keyval_t  *kv;

    kv = s->fills.elts;

    for (i = 0; i < s->fills.nelts; i++) {
        if (kv[i].key.len == batch->len
            && ngx_strncmp(kv[i].key.data, batch->data, batch->len) == 0)
        {
            return ngx_atotm(kv[i].value.data, kv[i].value.len);
        }
    }

    return 0;
}


json_t *
ngx_http_heao_session_json(ngx_http_heao_session_t *s)
{
    json_t  *json, *profile, *ctype;

    json = json_pack("{s:{s:s%, s:s%}, s:s%, s:I}",
                     "candidate",
                       "exam_no", s->exam_no.data, s->exam_no.len,
                       "name", s->name.data, s->name.len,
                     "csrf", s->csrf.data, s->csrf.len,
                     "expires_at", (json_int_t) s->expires);

    if (json == NULL || s->profile.len == 0) {
        return json;
    }

    /* the candidate's type, so that a page offers only what F9 allows */

    profile = json_loadb((char *) s->profile.data, s->profile.len, 0, NULL);
    ctype = json_object_get(profile, "ctype");

    if (json_is_string(ctype)
        && json_object_set(json_object_get(json, "candidate"), "ctype", ctype)
           != 0)
    {
        json_decref(json);
        json = NULL;
    }

    json_decref(profile);

    return json;
}


static ngx_int_t
ngx_http_heao_session_cookie(ngx_http_request_t *r, ngx_str_t *sid)
{
    u_char  *p;

#if (nginx_version >= 1023000)
    if (ngx_http_parse_multi_header_lines(r, r->headers_in.cookie,
                                          &ngx_http_heao_cookie_name, sid)
        == NULL)
    {
        return NGX_DECLINED;
    }
#else
    if (ngx_http_parse_multi_header_lines(&r->headers_in.cookies,
                                          &ngx_http_heao_cookie_name, sid)
        == NGX_DECLINED)
    {
        return NGX_DECLINED;
    }
#endif

    if (sid->len != NGX_HTTP_HEAO_SID_LEN) {
        return NGX_DECLINED;
    }

    for (p = sid->data; p < sid->data + sid->len; p++) {
        if (!ngx_http_heao_token_char(*p)) {
            return NGX_DECLINED;
        }
    }

    return NGX_OK;
}


static ngx_int_t
ngx_http_heao_session_key(ngx_http_request_t *r, ngx_str_t *sid,
    ngx_str_t *key)
{
    u_char  *p;
    u_char   md[crypto_hash_sha256_BYTES];

    /* libsodium's: OpenSSL 3's SHA256() looks the digest up every call */
    crypto_hash_sha256(md, sid->data, sid->len);

    key->len = sizeof(NGX_HTTP_HEAO_SESSION_PREFIX) - 1
               + 2 * crypto_hash_sha256_BYTES;

    key->data = ngx_pnalloc(r->pool, key->len + 1);
    if (key->data == NULL) {
        return NGX_ERROR;
    }

    p = ngx_cpymem(key->data, NGX_HTTP_HEAO_SESSION_PREFIX,
                   sizeof(NGX_HTTP_HEAO_SESSION_PREFIX) - 1);
    p = ngx_hex_dump(p, md, crypto_hash_sha256_BYTES);
    *p = '\0';

    return NGX_OK;
}


static ngx_int_t
ngx_http_heao_session_set_cookie(ngx_http_request_t *r, ngx_str_t *sid)
{
    u_char                     *p;
    size_t                      len;
    ngx_table_elt_t            *h;
    ngx_http_heao_main_conf_t  *hmcf;

    static u_char  attrs[] = "; Path=/; HttpOnly; SameSite=Strict";
    static u_char  expire[] = "; Max-Age=0";
    static u_char  secure[] = "; Secure";

    hmcf = ngx_http_get_module_main_conf(r, ngx_http_heao_module);

    len = ngx_http_heao_cookie_name.len + 1 + sid->len + sizeof(attrs) - 1
          + sizeof(expire) - 1 + sizeof(secure) - 1;

    p = ngx_pnalloc(r->pool, len);
    if (p == NULL) {
        return NGX_ERROR;
    }

    h = ngx_list_push(&r->headers_out.headers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    h->hash = 1;
    ngx_str_set(&h->key, "Set-Cookie");
    h->value.data = p;

    p = ngx_cpymem(p, ngx_http_heao_cookie_name.data,
                   ngx_http_heao_cookie_name.len);
    *p++ = '=';
    p = ngx_cpymem(p, sid->data, sid->len);
    p = ngx_cpymem(p, attrs, sizeof(attrs) - 1);

    if (sid->len == 0) {
        p = ngx_cpymem(p, expire, sizeof(expire) - 1);
    }

    if (hmcf->secure_cookie
#if (NGX_HTTP_SSL)
        || r->connection->ssl
#endif
       )
    {
        p = ngx_cpymem(p, secure, sizeof(secure) - 1);
    }

    h->value.len = p - h->value.data;

    return NGX_OK;
}


/* random bytes from OpenSSL's generator, base64url without padding */

ngx_int_t
ngx_http_heao_random_token(ngx_http_request_t *r, size_t bytes, ngx_str_t *out)
{
    u_char     buf[64];
    ngx_str_t  src;

    if (bytes > sizeof(buf) || RAND_bytes(buf, bytes) != 1) {
        ngx_log_error(NGX_LOG_ALERT, r->connection->log, 0,
                      "heao: RAND_bytes() failed");
        return NGX_ERROR;
    }

    src.data = buf;
    src.len = bytes;

    out->data = ngx_pnalloc(r->pool, ngx_base64_encoded_length(bytes) + 1);
    if (out->data == NULL) {
        return NGX_ERROR;
    }

    ngx_encode_base64url(out, &src);
    out->data[out->len] = '\0';

    return NGX_OK;
}
