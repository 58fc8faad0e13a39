
/*
 * Copyright (C) heao developers
 */


#ifndef _NGX_HTTP_HEAO_RULES_H_INCLUDED_
#define _NGX_HTTP_HEAO_RULES_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_heao_module.h"
#include "ngx_http_heao_catalog.h"


#define NGX_HTTP_HEAO_PLACES_MAX        16
#define NGX_HTTP_HEAO_CODE_MAX          16      /* longer is malformed */


typedef enum {
    NGX_HTTP_HEAO_ADJUST_UNSET = 0,
    NGX_HTTP_HEAO_ADJUST_AGREE,
    NGX_HTTP_HEAO_ADJUST_DISAGREE,
    NGX_HTTP_HEAO_ADJUST_BAD
} ngx_http_heao_adjust_e;


typedef struct {
    ngx_str_t                    inst;
    ngx_str_t                    majors[NGX_HTTP_HEAO_PLACES_MAX];
    ngx_uint_t                   nmajors;       /* places given */
    ngx_http_heao_adjust_e       adjust;
    ngx_http_heao_inst_t        *in;
    ngx_http_heao_class_e        cls;
} ngx_http_heao_slot_t;


/* what the rules know of the candidate (F9, F10), from the session */
typedef struct {
    ngx_str_t                    gender;
    ngx_str_t                    birth;         /* YYYY-MM-DD */
    ngx_str_t                    ethnicity;
    ngx_str_t                    track;
    ngx_str_t                    ctype;
    ngx_str_t                    language;
    ngx_str_t                    qualifications; /* ",国家专项," */
    unsigned                     shixin:1;
} ngx_http_heao_profile_t;


typedef struct {
    ngx_http_heao_batch_t       *batch;
    ngx_http_heao_profile_t     *profile;
    ngx_http_heao_slot_t       **slots;         /* per section */
    ngx_uint_t                  *nslots;        /* given, per section */
    json_t                      *errors;        /* F1-F8 violations */
    ngx_str_t                    field;         /* when malformed */
    const char                  *message;       /* when malformed */
} ngx_http_heao_app_t;


/*
 * Reads and checks an application (F1-F10, F17) for the candidate of the
 * profile.  Returns NGX_OK when it holds; NGX_DECLINED with app->errors
 * set (422); NGX_ABORT when it is malformed, with app->field and
 * app->message (400); NGX_ERROR.
 */
ngx_int_t ngx_http_heao_rules_check(ngx_http_request_t *r,
    ngx_http_heao_batch_t *b, ngx_http_heao_profile_t *profile, json_t *json,
    ngx_http_heao_app_t *app);

/* F9 without messages, for the plan query (F18): the batch's types */
ngx_uint_t ngx_http_heao_rules_may_fill(ngx_http_heao_batch_t *b,
    ngx_http_heao_profile_t *profile);

/* F9 without messages: every restriction of the major holds */
ngx_uint_t ngx_http_heao_rules_may_choose(ngx_http_heao_profile_t *profile,
    ngx_http_heao_major_t *mj);

/* the session's profile text read; NGX_DECLINED when there is none */
ngx_int_t ngx_http_heao_rules_profile(ngx_http_request_t *r,
    ngx_str_t *text, ngx_http_heao_profile_t *profile);

/* the canonical text of a checked application, its summary and content */
ngx_int_t ngx_http_heao_rules_canonical(ngx_http_request_t *r,
    ngx_http_heao_app_t *app, ngx_str_t *exam_no, ngx_str_t *canonical,
    ngx_str_t *summary, ngx_str_t *content);

/* F15: the checksum of a canonical text under the server secret */
ngx_int_t ngx_http_heao_rules_checksum(ngx_http_request_t *r,
    ngx_str_t *canonical, ngx_str_t *checksum);


#endif /* _NGX_HTTP_HEAO_RULES_H_INCLUDED_ */
