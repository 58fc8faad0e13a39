/*
 * heao-pwhash: reads one password per line on stdin and prints one
 * libsodium argon2id PHC string per line, each with its own salt; an
 * empty line gives an empty line.  Used by tools/stack load-demo for the
 * demo roster only: the cost is deliberately the lowest libsodium allows,
 * so that thousands of hashes take a second, and the module rehashes at
 * its configured cost on the first login (crypto_pwhash_str_needs_rehash).
 *
 * build: cc -O2 -Wall -Werror tools/heao-pwhash.c -lsodium \
 *            -o tools/heao-pwhash
 */

#include <stdio.h>
#include <string.h>
#include <sodium.h>


#define HEAO_PWHASH_DEMO_OPSLIMIT  1
#define HEAO_PWHASH_DEMO_MEMLIMIT  (64 * 1024)
#define HEAO_PWHASH_MAX_LINE       1024


int
main(void)
{
    char    line[HEAO_PWHASH_MAX_LINE];
    char    hash[crypto_pwhash_STRBYTES];
    size_t  len;

    if (sodium_init() < 0) {
        fprintf(stderr, "heao-pwhash: sodium_init() failed\n");
        return 1;
    }

    while (fgets(line, sizeof(line), stdin) != NULL) {
        len = strlen(line);

        if (len > 0 && line[len - 1] != '\n' && !feof(stdin)) {
            fprintf(stderr, "heao-pwhash: line longer than %d bytes\n",
                    HEAO_PWHASH_MAX_LINE - 2);
            return 1;
        }

        while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r')) {
            len--;
        }

        if (len == 0) {
            putchar('\n');
            continue;
        }

        if (crypto_pwhash_str_alg(hash, line, len,
                                  HEAO_PWHASH_DEMO_OPSLIMIT,
                                  HEAO_PWHASH_DEMO_MEMLIMIT,
                                  crypto_pwhash_ALG_ARGON2ID13)
            != 0)
        {
            fprintf(stderr, "heao-pwhash: crypto_pwhash_str_alg() failed\n");
            return 1;
        }

        puts(hash);
    }

    sodium_memzero(line, sizeof(line));

    if (ferror(stdin) || fflush(stdout) != 0) {
        fprintf(stderr, "heao-pwhash: i/o error\n");
        return 1;
    }

    return 0;
}
