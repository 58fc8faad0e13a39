
/*
 * Copyright (C) heao developers
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>
#include <ngx_thread_pool.h>
#include <sodium.h>
#if (NGX_LINUX)
#include <sys/resource.h>
#include <sys/syscall.h>
#endif

#include "ngx_http_heao_kdf.h"


/*
 * The threads that hash run at this nice value: while logins keep the
 * pool busy, a core goes to an event loop first, so that the other
 * requests keep their latency and logins wait (make bench, "+ logins")
 */
#define NGX_HTTP_HEAO_KDF_NICE  10


typedef enum {
    NGX_HTTP_HEAO_KDF_VERIFY = 0,
    NGX_HTTP_HEAO_KDF_HASH
} ngx_http_heao_kdf_op_e;


/* everything the thread reads or writes: it touches nothing else */
typedef struct {
    ngx_http_heao_kdf_op_e       op;
    unsigned long long           opslimit;
    size_t                       memlimit;
    size_t                       password_len;
    ngx_int_t                    rc;
    char                         password[NGX_HTTP_HEAO_PASSWORD_MAX];
    char                         hash[NGX_HTTP_HEAO_KDF_HASH_MAX];
} ngx_http_heao_kdf_task_t;


static ngx_int_t ngx_http_heao_kdf_post(ngx_http_request_t *r,
    ngx_http_heao_ctx_t *ctx, ngx_http_heao_kdf_op_e op, ngx_str_t *hash,
    ngx_str_t *password);
static ngx_int_t ngx_http_heao_kdf_posted(ngx_http_request_t *r,
    ngx_http_heao_ctx_t *ctx, ngx_int_t rc, const char *what);
static void ngx_http_heao_kdf_thread(void *data, ngx_log_t *log);
static void ngx_http_heao_kdf_event(ngx_event_t *ev);


/* verified against when the exam number is unknown, to cost the same */
static char  ngx_http_heao_kdf_dummy[crypto_pwhash_STRBYTES];

#if (NGX_LINUX)
static __thread ngx_uint_t  ngx_http_heao_kdf_niced;
#endif


ngx_int_t
ngx_http_heao_kdf_init(ngx_cycle_t *cycle, ngx_http_heao_main_conf_t *hmcf)
{
    u_char  pw[16];

    if (sodium_init() < 0) {
        ngx_log_error(NGX_LOG_EMERG, cycle->log, 0,
                      "heao kdf: sodium_init() failed");
        return NGX_ERROR;
    }

    randombytes_buf(pw, sizeof(pw));

    if (crypto_pwhash_str(ngx_http_heao_kdf_dummy, (char *) pw, sizeof(pw),
                          hmcf->kdf_opslimit, hmcf->kdf_memlimit)
        != 0)
    {
        ngx_log_error(NGX_LOG_EMERG, cycle->log, 0,
                      "heao kdf: crypto_pwhash_str() failed");
        return NGX_ERROR;
    }

    return NGX_OK;
}


ngx_int_t
ngx_http_heao_kdf_verify(ngx_http_request_t *r, ngx_http_heao_ctx_t *ctx,
    ngx_str_t *hash, ngx_str_t *password, const char *what)
{
    ngx_int_t  rc;
    ngx_str_t  dummy;

    if (hash == NULL || hash->len == 0
        || hash->len >= NGX_HTTP_HEAO_KDF_HASH_MAX)
    {
        dummy.data = (u_char *) ngx_http_heao_kdf_dummy;
        dummy.len = ngx_strlen(ngx_http_heao_kdf_dummy);
        hash = &dummy;
    }

    rc = ngx_http_heao_kdf_post(r, ctx, NGX_HTTP_HEAO_KDF_VERIFY, hash,
                                password);

    return ngx_http_heao_kdf_posted(r, ctx, rc, what);
}


ngx_int_t
ngx_http_heao_kdf_hash(ngx_http_request_t *r, ngx_http_heao_ctx_t *ctx,
    ngx_str_t *password, const char *what)
{
    ngx_int_t  rc;

    rc = ngx_http_heao_kdf_post(r, ctx, NGX_HTTP_HEAO_KDF_HASH, NULL,
                                password);

    return ngx_http_heao_kdf_posted(r, ctx, rc, what);
}


/* a full queue is the pool's overload: 503 with a retry hint, as R2 asks */

static ngx_int_t
ngx_http_heao_kdf_posted(ngx_http_request_t *r, ngx_http_heao_ctx_t *ctx,
    ngx_int_t rc, const char *what)
{
    if (rc == NGX_BUSY) {
        ctx->rc = NGX_BUSY;
        return ngx_http_heao_backend_error(r, ctx, what);
    }

    return rc;
}


ngx_uint_t
ngx_http_heao_kdf_needs_rehash(ngx_http_request_t *r, ngx_str_t *hash)
{
    ngx_http_heao_main_conf_t  *hmcf;

    hmcf = ngx_http_get_module_main_conf(r, ngx_http_heao_module);

    /* the string is NUL terminated: it was copied from a PGresult */

    return crypto_pwhash_str_needs_rehash((char *) hash->data,
                                          hmcf->kdf_opslimit,
                                          hmcf->kdf_memlimit) != 0;
}


static ngx_int_t
ngx_http_heao_kdf_post(ngx_http_request_t *r, ngx_http_heao_ctx_t *ctx,
    ngx_http_heao_kdf_op_e op, ngx_str_t *hash, ngx_str_t *password)
{
    ngx_thread_task_t          *task;
    ngx_http_heao_kdf_task_t   *kt;
    ngx_http_heao_main_conf_t  *hmcf;

    hmcf = ngx_http_get_module_main_conf(r, ngx_http_heao_module);

    ctx->rc = NGX_ERROR;

    if (password->len > NGX_HTTP_HEAO_PASSWORD_MAX) {
        return NGX_ERROR;
    }

    task = ngx_thread_task_alloc(r->pool, sizeof(ngx_http_heao_kdf_task_t));
    if (task == NULL) {
        return NGX_ERROR;
    }

    kt = task->ctx;

    kt->op = op;
    kt->opslimit = hmcf->kdf_opslimit;
    kt->memlimit = hmcf->kdf_memlimit;
    kt->rc = NGX_ERROR;
    kt->password_len = password->len;
    ngx_memcpy(kt->password, password->data, password->len);

    if (hash) {
        ngx_memcpy(kt->hash, hash->data, hash->len);
        kt->hash[hash->len] = '\0';
    }

    task->handler = ngx_http_heao_kdf_thread;

    if (ngx_http_heao_thread_post(r, hmcf->kdf_pool, task,
                                  ngx_http_heao_kdf_event)
        != NGX_DONE)
    {
        sodium_memzero(kt->password, sizeof(kt->password));
        return NGX_BUSY;
    }

    return NGX_DONE;
}


static void
ngx_http_heao_kdf_thread(void *data, ngx_log_t *log)
{
    ngx_http_heao_kdf_task_t  *kt = data;

#if (NGX_LINUX)

    /* a Linux thread has a nice value of its own; raising it needs no right */

    if (!ngx_http_heao_kdf_niced) {
        ngx_http_heao_kdf_niced = 1;

        if (setpriority(PRIO_PROCESS, (id_t) syscall(SYS_gettid),
                        NGX_HTTP_HEAO_KDF_NICE)
            == -1)
        {
            ngx_log_error(NGX_LOG_WARN, log, ngx_errno,
                          "heao kdf: setpriority() failed");
        }
    }

#endif

    if (kt->op == NGX_HTTP_HEAO_KDF_VERIFY) {
        kt->rc = crypto_pwhash_str_verify(kt->hash, kt->password,
                                          kt->password_len) == 0
                 ? NGX_OK : NGX_DECLINED;

    } else {
        kt->rc = crypto_pwhash_str(kt->hash, kt->password, kt->password_len,
                                   kt->opslimit, kt->memlimit) == 0
                 ? NGX_OK : NGX_ERROR;
    }

    sodium_memzero(kt->password, sizeof(kt->password));
}


static void
ngx_http_heao_kdf_event(ngx_event_t *ev)
{
    size_t                     len;
    ngx_thread_task_t         *task;
    ngx_http_request_t        *r;
    ngx_http_heao_ctx_t       *ctx;
    ngx_http_heao_kdf_task_t  *kt;

    r = ev->data;

    task = (ngx_thread_task_t *) ((u_char *) ev
                                  - offsetof(ngx_thread_task_t, event));
    kt = task->ctx;

    ctx = ngx_http_get_module_ctx(r, ngx_http_heao_module);

    ctx->rc = kt->rc;

    if (kt->op == NGX_HTTP_HEAO_KDF_HASH && kt->rc == NGX_OK) {
        len = ngx_strlen(kt->hash);

        ctx->result.data = ngx_pnalloc(r->pool, len + 1);
        if (ctx->result.data == NULL) {
            ctx->rc = NGX_ERROR;

        } else {
            ngx_memcpy(ctx->result.data, kt->hash, len + 1);
            ctx->result.len = len;
        }
    }

    ngx_http_heao_thread_finish(r);
}
