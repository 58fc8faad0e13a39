
/*
 * Copyright (C) heao developers
 */


#ifndef _NGX_HTTP_HEAO_CATALOG_H_INCLUDED_
#define _NGX_HTTP_HEAO_CATALOG_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_heao_module.h"


#define NGX_HTTP_HEAO_INST_CODES        10000   /* 4 digits */
#define NGX_HTTP_HEAO_MAJOR_CODES       100     /* 2 digits */


/* a major's class (B4): one slot holds one class */
typedef enum {
    NGX_HTTP_HEAO_CLASS_ORDINARY = 0,
    NGX_HTTP_HEAO_CLASS_HIGHER_TUITION,
    NGX_HTTP_HEAO_CLASS_MEDICAL,
    NGX_HTTP_HEAO_CLASS_AGRI_MINING,
    NGX_HTTP_HEAO_CLASS_ETHNIC,
    NGX_HTTP_HEAO_CLASS_LAST
} ngx_http_heao_class_e;


/* a major's restrictions (B5); an empty string is no restriction */
typedef struct {
    ngx_str_t                    gender;        /* M or F */
    ngx_str_t                    track;         /* 文 or 理 */
    ngx_str_t                    language;
    ngx_str_t                    qualification;
    ngx_str_t                    directed;
    ngx_str_t                    ethnicities;   /* ",回族,满族," allowed */
    ngx_str_t                    refused;       /* ",汉族," refused */
    ngx_str_t                    age_on;        /* YYYY-MM-DD */
    ngx_uint_t                   max_age;
} ngx_http_heao_limits_t;


typedef struct {
    ngx_str_t                    code;
    ngx_str_t                    name;
    ngx_http_heao_class_e        cls;
    ngx_http_heao_limits_t      *limits;        /* NULL: none */
    ngx_str_t                    group;         /* 专业组 (F7), or empty */
    ngx_str_t                    note;
    ngx_uint_t                   plan;
    ngx_uint_t                   tuition;
    ngx_uint_t                   years;
} ngx_http_heao_major_t;


typedef struct {
    ngx_str_t                    code;
    ngx_str_t                    name;
    ngx_str_t                    province;
    ngx_http_heao_major_t       *majors;
    ngx_uint_t                   nmajors;
    u_char                       index[NGX_HTTP_HEAO_MAJOR_CODES];
    ngx_str_t                    json;          /* rendered on first use */
} ngx_http_heao_inst_t;


typedef struct {
    ngx_str_t                    title;
    ngx_uint_t                   slots;
    ngx_uint_t                   places;        /* majors a slot */
    unsigned                     parallel:1;
    unsigned                     adjust:1;
    unsigned                     adjust_group:1; /* F7: within 专业组 */
} ngx_http_heao_section_t;


typedef struct {
    ngx_str_t                    code;
    ngx_str_t                    name;
    ngx_str_t                    group;
    time_t                       opens;
    time_t                       closes;
    ngx_str_t                    ctypes;        /* ",普通,艺术," */
    json_t                      *shape;
    ngx_http_heao_section_t     *sections;
    ngx_uint_t                   nsections;
    ngx_http_heao_inst_t       **inst;          /* by code */
    ngx_http_heao_inst_t       **list;          /* in code order */
    ngx_uint_t                   ninst;
    unsigned                     plan_query:1;  /* F18 */
} ngx_http_heao_batch_t;


/*
 * A catalog is swapped in whole on reload; one that requests still hold
 * lives on until the last of them is done with it.
 */
struct ngx_http_heao_catalog_s {
    ngx_pool_t                  *pool;
    int64_t                      version;
    ngx_http_heao_batch_t       *batches;
    ngx_uint_t                   nbatches;
    ngx_uint_t                   refs;          /* requests holding it */
};


ngx_int_t ngx_http_heao_catalog_init(ngx_cycle_t *cycle,
    ngx_http_heao_main_conf_t *hmcf);
void ngx_http_heao_catalog_done(void);

/*
 * Returns the worker's catalog, held for the request until its cleanup
 * (ngx_http_heao_catalog_forget), so that pointers into it stay valid
 * across the request's backend calls.  While it is not loaded yet,
 * returns NULL with *rc NGX_DONE (the action runs again once it is) or
 * NGX_ERROR (it could not be loaded: answer 503).
 */
ngx_http_heao_catalog_t *ngx_http_heao_catalog_get(ngx_http_heao_ctx_t *ctx,
    ngx_int_t *rc);
void ngx_http_heao_catalog_forget(ngx_http_heao_ctx_t *ctx);

ngx_http_heao_batch_t *ngx_http_heao_catalog_batch(
    ngx_http_heao_catalog_t *cat, ngx_str_t *code);
ngx_http_heao_inst_t *ngx_http_heao_catalog_inst(ngx_http_heao_batch_t *b,
    ngx_str_t *code);
ngx_http_heao_major_t *ngx_http_heao_catalog_major(ngx_http_heao_inst_t *in,
    ngx_str_t *code);
ngx_int_t ngx_http_heao_catalog_inst_json(ngx_http_heao_catalog_t *cat,
    ngx_http_heao_batch_t *b, ngx_http_heao_inst_t *in);

/* F18: a major with plan, tuition, years, class, group and restrictions */
json_t *ngx_http_heao_catalog_major_json(ngx_http_heao_major_t *mj);

/* a ",a,b," list (a batch's candidate types) as a JSON array of strings */
json_t *ngx_http_heao_catalog_list_json(ngx_str_t *list);

/* the version of the worker's catalog, 0 before the first load */
int64_t ngx_http_heao_catalog_loaded(void);

extern ngx_str_t  ngx_http_heao_class_names[];


#endif /* _NGX_HTTP_HEAO_CATALOG_H_INCLUDED_ */
