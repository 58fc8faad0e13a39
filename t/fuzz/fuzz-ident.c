
/*
 * Copyright (C) heao developers
 */


#include "fuzz.h"


/*
 * SPEC 2: the identity formats, each checked against a reading of the
 * spec written apart from the module's: the exam number (14 digits, 41
 * at digits 3-4), the ID number (17 digits, a real birth date, the ISO
 * 7064 MOD 11-2 check character, x taken as X), the login password's
 * length in characters (A1) and the password policy.  The input is the
 * text.
 */


static ngx_uint_t heao_fuzz_exam_no(const u_char *p, size_t n);
static ngx_uint_t heao_fuzz_id_no(const u_char *p, size_t n);
static ngx_int_t heao_fuzz_utf8_chars(const u_char *p, size_t n);
static ngx_uint_t heao_fuzz_policy(const u_char *p, size_t n);


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    u_char     *copy;
    ngx_int_t   chars;
    ngx_str_t   s;

    /* a copy of its exact size, so that a read past it is caught */

    copy = malloc(size ? size : 1);
    heao_fuzz_assert(copy);
    ngx_memcpy(copy, data, size);

    s.data = copy;
    s.len = size;

    heao_fuzz_assert(!ngx_http_heao_valid_exam_no(&s)
                     == !heao_fuzz_exam_no(copy, size));

    heao_fuzz_assert(!ngx_http_heao_valid_id_no(&s)
                     == !heao_fuzz_id_no(copy, size));

    heao_fuzz_assert(!ngx_http_heao_password_policy(&s)
                     == !heao_fuzz_policy(copy, size));

    /* jansson lets only valid UTF-8 through to the login */

    chars = heao_fuzz_utf8_chars(copy, size);

    if (chars >= 0) {
        heao_fuzz_assert(!ngx_http_heao_valid_password(&s)
                         == !(chars >= 8 && chars <= 32));

    } else {
        (void) ngx_http_heao_valid_password(&s);
    }

    free(copy);

    return 0;
}


static ngx_uint_t
heao_fuzz_exam_no(const u_char *p, size_t n)
{
    size_t  i;

    if (n != 14 || p[2] != '4' || p[3] != '1') {
        return 0;
    }

    for (i = 0; i < n; i++) {
        if (!isdigit(p[i])) {
            return 0;
        }
    }

    return 1;
}


static ngx_uint_t
heao_fuzz_id_no(const u_char *p, size_t n)
{
    int        y, m, d, sum, i, check;
    struct tm  tm;

    if (n != 18) {
        return 0;
    }

    for (i = 0; i < 17; i++) {
        if (!isdigit(p[i])) {
            return 0;
        }
    }

    /* the weights are 2^(17-i) mod 11 */

    sum = 0;

    for (i = 0; i < 17; i++) {
        sum += (p[i] - '0') * ((1 << (17 - i)) % 11);
    }

    check = (12 - sum % 11) % 11;

    if (check == 10 ? (p[17] != 'X' && p[17] != 'x') : p[17] != '0' + check)
    {
        return 0;
    }

    y = (p[6] - '0') * 1000 + (p[7] - '0') * 100 + (p[8] - '0') * 10
        + p[9] - '0';
    m = (p[10] - '0') * 10 + p[11] - '0';
    d = (p[12] - '0') * 10 + p[13] - '0';

    if (y < 1900) {
        return 0;
    }

    /* a real date is one that timegm() leaves as it is */

    ngx_memzero(&tm, sizeof(tm));
    tm.tm_year = y - 1900;
    tm.tm_mon = m - 1;
    tm.tm_mday = d;
    tm.tm_hour = 12;

    (void) timegm(&tm);

    return tm.tm_year == y - 1900 && tm.tm_mon == m - 1 && tm.tm_mday == d;
}


/* the characters of valid UTF-8 (RFC 3629), -1 for invalid */

static ngx_int_t
heao_fuzz_utf8_chars(const u_char *p, size_t n)
{
    size_t     i, k, len;
    uint32_t   c, min;
    ngx_int_t  chars;

    chars = 0;

    for (i = 0; i < n; chars++) {
        c = p[i];

        if (c < 0x80) {
            i++;
            continue;
        }

        if ((c & 0xe0) == 0xc0) {
            len = 2; c &= 0x1f; min = 0x80;

        } else if ((c & 0xf0) == 0xe0) {
            len = 3; c &= 0x0f; min = 0x800;

        } else if ((c & 0xf8) == 0xf0) {
            len = 4; c &= 0x07; min = 0x10000;

        } else {
            return -1;
        }

        if (i + len > n) {
            return -1;
        }

        for (k = 1; k < len; k++) {
            if ((p[i + k] & 0xc0) != 0x80) {
                return -1;
            }

            c = c << 6 | (p[i + k] & 0x3f);
        }

        if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff)) {
            return -1;
        }

        i += len;
    }

    return chars;
}


static ngx_uint_t
heao_fuzz_policy(const u_char *p, size_t n)
{
    size_t      i;
    ngx_uint_t  letter, digit, symbol;

    if (n < 8 || n > 32) {
        return 0;
    }

    letter = digit = symbol = 0;

    for (i = 0; i < n; i++) {
        if (isalpha(p[i]) && p[i] < 0x80) {
            letter = 1;

        } else if (isdigit(p[i])) {
            digit = 1;

        } else if (ispunct(p[i]) && p[i] < 0x80) {
            symbol = 1;

        } else {
            return 0;
        }
    }

    return letter && digit && symbol;
}
