
/*
 * Copyright (C) heao developers
 */


#ifndef _HEAO_FUZZ_H_INCLUDED_
#define _HEAO_FUZZ_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_heao_module.h"


/*
 * What the libFuzzer targets share (make fuzz): a request of just the
 * fields the module's pure code reads, a pool whose every allocation is a
 * malloc of its own (so that ASan sees an overrun past any of them), and
 * what the request answered.  The backends are not there: a target that
 * reaches one gets the call recorded, or aborts when it should not.
 */


typedef struct {
    ngx_http_request_t          *r;
    ngx_http_heao_ctx_t         *ctx;
    ngx_http_heao_main_conf_t    hmcf;

    ngx_uint_t                   status;        /* sent, 0: none */
    ngx_str_t                    body;          /* what it sent */
    ngx_int_t                    finalized;     /* rc, or -100: not */

    ngx_uint_t                   redis_script;  /* the last call's */
    ngx_uint_t                   redis_argc;
    ngx_str_t                    redis_argv[8];
    ngx_uint_t                   redis_calls;
} heao_fuzz_t;


extern heao_fuzz_t  heao_fuzz;

#define HEAO_FUZZ_NOT_FINALIZED  -100


/* a request with a JSON body; split: bytes in the first buffer */
void heao_fuzz_request(const u_char *body, size_t len, size_t split);
void heao_fuzz_done(void);

/* the answer sent, as JSON: aborts when it is not an object */
json_t *heao_fuzz_answer(void);

#define heao_fuzz_assert(cond)                                                \
    if (!(cond)) {                                                            \
        heao_fuzz_fail(__FILE__, __LINE__, #cond);                            \
    }

void heao_fuzz_fail(const char *file, int line, const char *what);


#endif /* _HEAO_FUZZ_H_INCLUDED_ */
