
/*
 * Copyright (C) heao developers
 *
 * A3: ngx_http_heao_hotp() against the published test vectors of RFC
 * 6238, appendix B (SHA-1, the 20-byte ASCII key "1234567890" twice,
 * 30-second steps, 8 digits), and of RFC 4226, appendix D (6 digits).
 * Built and run by "make test-unit".  Prints TAP.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <stdio.h>

#include "ngx_http_heao_hotp.h"


typedef struct {
    uint64_t    time;
    uint32_t    code;
} heao_totp_vector_t;


static heao_totp_vector_t  rfc6238[] = {
    { 59ULL,          94287082 },
    { 1111111109ULL,  7081804 },
    { 1111111111ULL,  14050471 },
    { 1234567890ULL,  89005924 },
    { 2000000000ULL,  69279037 },
    { 20000000000ULL, 65353130 }
};

static uint32_t  rfc4226[] = {
    755224, 287082, 359152, 969429, 338314,
    254676, 287922, 162583, 399871, 520489
};


int
main(void)
{
    int          failed, n;
    size_t       i;
    uint32_t     code;
    const char  *key = "12345678901234567890";

    failed = 0;
    n = 0;

    for (i = 0; i < sizeof(rfc6238) / sizeof(rfc6238[0]); i++) {
        code = ngx_http_heao_hotp((const u_char *) key, 20,
                                  rfc6238[i].time / 30, 8);
        n++;

        if (code == rfc6238[i].code) {
            printf("ok %d - A3 RFC 6238 SHA-1 at T=%llu gives %08u\n", n,
                   (unsigned long long) rfc6238[i].time, rfc6238[i].code);

        } else {
            failed++;
            printf("not ok %d - A3 RFC 6238 SHA-1 at T=%llu: got %08u,"
                   " expected %08u\n", n,
                   (unsigned long long) rfc6238[i].time, code,
                   rfc6238[i].code);
        }
    }

    for (i = 0; i < sizeof(rfc4226) / sizeof(rfc4226[0]); i++) {
        code = ngx_http_heao_hotp((const u_char *) key, 20, i, 6);
        n++;

        if (code == rfc4226[i]) {
            printf("ok %d - A3 RFC 4226 HOTP count %u gives %06u\n", n,
                   (unsigned) i, rfc4226[i]);

        } else {
            failed++;
            printf("not ok %d - A3 RFC 4226 HOTP count %u: got %06u,"
                   " expected %06u\n", n, (unsigned) i, code, rfc4226[i]);
        }
    }

    printf("1..%d\n", n);

    return failed ? 1 : 0;
}
