
/*
 * Copyright (C) heao developers
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "ngx_http_heao_hotp.h"


uint32_t
ngx_http_heao_hotp(const u_char *key, size_t len, uint64_t counter,
    ngx_uint_t digits)
{
    u_char        msg[8], md[EVP_MAX_MD_SIZE];
    uint32_t      bin, mod;
    ngx_uint_t    i, off;
    unsigned int  mdlen;

    for (i = 0; i < 8; i++) {
        msg[7 - i] = (u_char) (counter >> (8 * i));
    }

    if (HMAC(EVP_sha1(), key, (int) len, msg, sizeof(msg), md, &mdlen)
        == NULL
        || mdlen < 20)
    {
        return (uint32_t) -1;
    }

    /* RFC 4226 5.3: 31 bits from the offset named by the last nibble */

    off = md[mdlen - 1] & 0x0f;

    bin = (uint32_t) (md[off] & 0x7f) << 24
          | (uint32_t) md[off + 1] << 16
          | (uint32_t) md[off + 2] << 8
          | (uint32_t) md[off + 3];

    for (mod = 1, i = 0; i < digits; i++) {
        mod *= 10;
    }

    return bin % mod;
}
