
/*
 * Copyright (C) heao developers
 */


#ifndef _NGX_HTTP_HEAO_HOTP_H_INCLUDED_
#define _NGX_HTTP_HEAO_HOTP_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>


#define NGX_HTTP_HEAO_HOTP_DIGITS_MIN   6
#define NGX_HTTP_HEAO_HOTP_DIGITS_MAX   8


/*
 * RFC 4226 HOTP with HMAC-SHA1 from OpenSSL: the dynamically truncated
 * HMAC of the 8-byte big-endian counter, modulo 10^digits.  TOTP (RFC
 * 6238) calls it with the counter floor(unix time / step).  Returns
 * (uint32_t) -1 when OpenSSL fails.  It calls nothing of nginx's, so
 * that t/unit can check it against the RFC's vectors on its own.
 */
uint32_t ngx_http_heao_hotp(const u_char *key, size_t len, uint64_t counter,
    ngx_uint_t digits);


#endif /* _NGX_HTTP_HEAO_HOTP_H_INCLUDED_ */
