/*
 * heao-hashrate: the ceiling of logins.  THREADS threads verify the bench
 * password against an argon2id hash of OPSLIMIT and MEMLIMIT (bytes), as
 * the module's thread pool does at a login, for SECONDS; prints
 * "hashes/s <rate>" and the count.
 *
 *   heao-hashrate THREADS SECONDS OPSLIMIT MEMLIMIT
 */

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sodium.h>


#define HEAO_HASHRATE_PASSWORD     "Bench@2021"
#define HEAO_HASHRATE_MAX_THREADS  64


typedef struct {
    pthread_t      tid;
    unsigned long  done;
    int            failed;
} heao_worker_t;


static char    hash[crypto_pwhash_STRBYTES];
static double  deadline;


static double
now(void)
{
    struct timespec  ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);

    return ts.tv_sec + ts.tv_nsec / 1e9;
}


static void *
verify(void *data)
{
    heao_worker_t  *w = data;

    while (now() < deadline) {
        if (crypto_pwhash_str_verify(hash, HEAO_HASHRATE_PASSWORD,
                                     strlen(HEAO_HASHRATE_PASSWORD))
            != 0)
        {
            w->failed = 1;
            break;
        }

        w->done++;
    }

    return NULL;
}


int
main(int argc, char **argv)
{
    int                 i, n;
    double              start, took;
    unsigned long       total;
    heao_worker_t       w[HEAO_HASHRATE_MAX_THREADS];

    if (argc != 5) {
        fprintf(stderr, "usage: heao-hashrate THREADS SECONDS OPSLIMIT"
                        " MEMLIMIT\n");
        return 2;
    }

    n = atoi(argv[1]);
    if (n < 1 || n > HEAO_HASHRATE_MAX_THREADS) {
        fprintf(stderr, "heao-hashrate: invalid thread count\n");
        return 2;
    }

    if (sodium_init() < 0
        || crypto_pwhash_str_alg(hash, HEAO_HASHRATE_PASSWORD,
                                 strlen(HEAO_HASHRATE_PASSWORD),
                                 strtoull(argv[3], NULL, 10),
                                 strtoul(argv[4], NULL, 10),
                                 crypto_pwhash_ALG_ARGON2ID13)
           != 0)
    {
        fprintf(stderr, "heao-hashrate: hashing failed\n");
        return 1;
    }

    memset(w, 0, sizeof(w));
    start = now();
    deadline = start + atof(argv[2]);

    for (i = 0; i < n; i++) {
        if (pthread_create(&w[i].tid, NULL, verify, &w[i]) != 0) {
            fprintf(stderr, "heao-hashrate: pthread_create() failed\n");
            return 1;
        }
    }

    total = 0;

    for (i = 0; i < n; i++) {
        pthread_join(w[i].tid, NULL);
        if (w[i].failed) {
            fprintf(stderr, "heao-hashrate: verification failed\n");
            return 1;
        }
        total += w[i].done;
    }

    took = now() - start;

    printf("hashes/s %.1f\nhashes %lu\nseconds %.2f\n", total / took, total,
           took);

    return 0;
}
