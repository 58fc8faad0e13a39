/*
 * heao-bench-roster: the bench roster, as COPY text on stdout.
 *
 *   heao-bench-roster rows FIRST COUNT LOGINS OPSLIMIT MEMLIMIT
 *       candidates FIRST .. FIRST+COUNT-1 (from 0) in the column order
 *       exam_no id_no name gender birth track county_code pw_hash
 *       pw_office_set; the first LOGINS of the roster are hashed at the
 *       module's cost (OPSLIMIT, MEMLIMIT bytes), so that a bench login
 *       costs one verification and no rehash; the others at the lowest
 *       cost libsodium allows.  Every hash has its own salt.
 *   heao-bench-roster logins COUNT
 *       "exam_no<TAB>id_no" of the first COUNT candidates.
 *
 * Candidate i: exam number 214197 and i + 1 in 8 digits; ID number of
 * the made-up division 419700, born 2000-01-01 plus i / 900 days,
 * sequence i % 900 (odd: male); password Bench@2021; name 基准 and i + 1
 * in Chinese digits.  Deterministic but for the salts.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sodium.h>


#define HEAO_BENCH_PASSWORD      "Bench@2021"
#define HEAO_BENCH_EXAM_PREFIX   "214197"
#define HEAO_BENCH_DIVISION      "419700"
#define HEAO_BENCH_SEQS          900
#define HEAO_BENCH_LOW_OPSLIMIT  1
#define HEAO_BENCH_LOW_MEMLIMIT  8192
#define HEAO_BENCH_EPOCH         946684800      /* 2000-01-01 UTC */


static const char  *digits[] = { "零", "一", "二", "三", "四", "五",
                                 "六", "七", "八", "九" };


static void
candidate(unsigned long i, char *exam, char *id, char *birth)
{
    int           k, sum;
    time_t        t;
    struct tm     tm;
    static const int  w[] = { 7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5,
                              8, 4, 2 };

    t = HEAO_BENCH_EPOCH + (time_t) (i / HEAO_BENCH_SEQS) * 86400;
    gmtime_r(&t, &tm);

    sprintf(exam, "%s%08lu", HEAO_BENCH_EXAM_PREFIX, i + 1);
    sprintf(birth, "%04d-%02d-%02d", tm.tm_year + 1900, tm.tm_mon + 1,
            tm.tm_mday);
    sprintf(id, "%s%04d%02d%02d%03lu", HEAO_BENCH_DIVISION,
            tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
            i % HEAO_BENCH_SEQS);

    sum = 0;
    for (k = 0; k < 17; k++) {
        sum += (id[k] - '0') * w[k];
    }

    id[17] = "10X98765432"[sum % 11];
    id[18] = '\0';
}


static void
name(unsigned long i, char *out)
{
    char  n[24], *p;

    sprintf(n, "%lu", i + 1);
    strcpy(out, "基准");

    for (p = n; *p; p++) {
        strcat(out, digits[*p - '0']);
    }
}


static int
rows(unsigned long first, unsigned long count, unsigned long logins,
    unsigned long long ops, size_t mem)
{
    int            rc;
    char           exam[16], id[20], birth[12], nm[64];
    char           hash[crypto_pwhash_STRBYTES];
    unsigned long  i;

    for (i = first; i < first + count; i++) {
        candidate(i, exam, id, birth);
        name(i, nm);

        if (i < logins) {
            rc = crypto_pwhash_str_alg(hash, HEAO_BENCH_PASSWORD,
                                       strlen(HEAO_BENCH_PASSWORD), ops, mem,
                                       crypto_pwhash_ALG_ARGON2ID13);
        } else {
            rc = crypto_pwhash_str_alg(hash, HEAO_BENCH_PASSWORD,
                                       strlen(HEAO_BENCH_PASSWORD),
                                       HEAO_BENCH_LOW_OPSLIMIT,
                                       HEAO_BENCH_LOW_MEMLIMIT,
                                       crypto_pwhash_ALG_ARGON2ID13);
        }

        if (rc != 0) {
            fprintf(stderr, "heao-bench-roster: hashing failed\n");
            return 1;
        }

        printf("%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\tf\n", exam, id, nm,
               (id[16] - '0') % 2 ? "M" : "F", birth, i % 2 ? "理" : "文",
               HEAO_BENCH_DIVISION, hash);
    }

    return 0;
}


int
main(int argc, char **argv)
{
    char           exam[16], id[20], birth[12];
    unsigned long  i, n;

    if (sodium_init() < 0) {
        fprintf(stderr, "heao-bench-roster: sodium_init() failed\n");
        return 1;
    }

    if (argc == 7 && strcmp(argv[1], "rows") == 0) {
        if (rows(strtoul(argv[2], NULL, 10), strtoul(argv[3], NULL, 10),
                 strtoul(argv[4], NULL, 10), strtoull(argv[5], NULL, 10),
                 strtoul(argv[6], NULL, 10))
            != 0)
        {
            return 1;
        }

    } else if (argc == 3 && strcmp(argv[1], "logins") == 0) {
        n = strtoul(argv[2], NULL, 10);

        for (i = 0; i < n; i++) {
            candidate(i, exam, id, birth);
            printf("%s\t%s\n", exam, id);
        }

    } else {
        fprintf(stderr, "usage: heao-bench-roster rows FIRST COUNT LOGINS"
                        " OPSLIMIT MEMLIMIT\n"
                        "       heao-bench-roster logins COUNT\n");
        return 2;
    }

    if (fflush(stdout) != 0) {
        fprintf(stderr, "heao-bench-roster: write error\n");
        return 1;
    }

    return 0;
}
