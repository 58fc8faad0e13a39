
/*
 * Copyright (C) heao developers
 */


#ifndef _NGX_HTTP_HEAO_KDF_H_INCLUDED_
#define _NGX_HTTP_HEAO_KDF_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_heao_module.h"


#define NGX_HTTP_HEAO_KDF_HASH_MAX      128
#define NGX_HTTP_HEAO_PASSWORD_MAX      128     /* 32 characters of 4 bytes */


ngx_int_t ngx_http_heao_kdf_init(ngx_cycle_t *cycle,
    ngx_http_heao_main_conf_t *hmcf);

/*
 * Verify a password against a stored hash (NULL: against a dummy hash, so
 * an unknown candidate costs the same time), or derive a new hash, in the
 * kdf thread pool.  Both return NGX_DONE and run the request's action again
 * when the thread is done, with ctx->rc NGX_OK (match, or hashed: the hash
 * in ctx->result), NGX_DECLINED (no match) or NGX_ERROR.  When the pool's
 * queue is full they answer 503 themselves, logging "what" as the backend
 * that failed.  ctx->step is advanced by the caller.
 */
ngx_int_t ngx_http_heao_kdf_verify(ngx_http_request_t *r,
    ngx_http_heao_ctx_t *ctx, ngx_str_t *hash, ngx_str_t *password,
    const char *what);
ngx_int_t ngx_http_heao_kdf_hash(ngx_http_request_t *r,
    ngx_http_heao_ctx_t *ctx, ngx_str_t *password, const char *what);

/* 1 when the hash is weaker than the configured cost */
ngx_uint_t ngx_http_heao_kdf_needs_rehash(ngx_http_request_t *r,
    ngx_str_t *hash);


#endif /* _NGX_HTTP_HEAO_KDF_H_INCLUDED_ */
