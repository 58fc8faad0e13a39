
/*
 * Copyright (C) heao developers
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "ngx_http_heao_rules.h"


#define NGX_HTTP_HEAO_MESSAGE_MAX       512

#define NGX_HTTP_HEAO_PLACE_INST        -1
#define NGX_HTTP_HEAO_PLACE_ADJUST      -2
#define NGX_HTTP_HEAO_PLACE_NONE        -3

/* F10: institutions a 失信 candidate may fill in the parallel sections */
#define NGX_HTTP_HEAO_SHIXIN_MAX        2


static ngx_int_t ngx_http_heao_rules_read(ngx_http_request_t *r,
    ngx_http_heao_batch_t *b, json_t *json, ngx_http_heao_app_t *app);
static ngx_int_t ngx_http_heao_rules_read_slot(ngx_http_request_t *r,
    ngx_http_heao_app_t *app, ngx_http_heao_section_t *sec, json_t *js,
    ngx_http_heao_slot_t *slot, ngx_uint_t s, ngx_uint_t j);
static ngx_int_t ngx_http_heao_rules_slot(ngx_http_request_t *r,
    ngx_http_heao_app_t *app, ngx_uint_t s, ngx_uint_t j);
static ngx_int_t ngx_http_heao_rules_group(ngx_http_request_t *r,
    ngx_http_heao_app_t *app, ngx_uint_t s, ngx_uint_t j);
static ngx_int_t ngx_http_heao_rules_classes(ngx_http_request_t *r,
    ngx_http_heao_app_t *app, ngx_uint_t s, ngx_uint_t j);
static ngx_int_t ngx_http_heao_rules_ctype(ngx_http_request_t *r,
    ngx_http_heao_app_t *app);
static ngx_int_t ngx_http_heao_rules_eligible(ngx_http_request_t *r,
    ngx_http_heao_app_t *app, ngx_uint_t s, ngx_uint_t j, ngx_uint_t k,
    ngx_http_heao_major_t *mj);
static ngx_int_t ngx_http_heao_rules_shixin(ngx_http_request_t *r,
    ngx_http_heao_app_t *app);
static ngx_uint_t ngx_http_heao_member(ngx_str_t *list, ngx_str_t *v);
static u_char *ngx_http_heao_list_text(u_char *p, u_char *last,
    ngx_str_t *list);
static ngx_int_t ngx_http_heao_profile_string(ngx_http_request_t *r,
    json_t *json, const char *key, ngx_str_t *dst);
static ngx_int_t ngx_http_heao_rules_error(ngx_http_request_t *r,
    ngx_http_heao_app_t *app, const char *rule, ngx_uint_t s, ngx_uint_t j,
    ngx_int_t place, const char *fmt, ...);
static ngx_uint_t ngx_http_heao_digits(ngx_str_t *s, size_t len);
static ngx_int_t ngx_http_heao_malformed(ngx_http_request_t *r,
    ngx_http_heao_app_t *app, const char *message, const char *fmt, ...);


ngx_int_t
ngx_http_heao_rules_check(ngx_http_request_t *r, ngx_http_heao_batch_t *b,
    ngx_http_heao_profile_t *profile, json_t *json, ngx_http_heao_app_t *app)
{
    ngx_int_t                 rc;
    ngx_uint_t                s, j, filled;
    ngx_http_heao_slot_t     *slot;
    ngx_http_heao_section_t  *sec;

    ngx_memzero(app, sizeof(ngx_http_heao_app_t));

    app->batch = b;
    app->profile = profile;

    rc = ngx_http_heao_rules_read(r, b, json, app);
    if (rc != NGX_OK) {
        return rc;
    }

    app->errors = json_array();
    if (app->errors == NULL) {
        return NGX_ERROR;
    }

    if (ngx_http_heao_rules_ctype(r, app) != NGX_OK) {
        return NGX_ERROR;
    }

    filled = 0;

    for (s = 0; s < b->nsections; s++) {
        sec = &b->sections[s];

        for (j = 0; j < app->nslots[s]; j++) {
            slot = &app->slots[s][j];

            if (slot->inst.len) {
                filled++;

                /* F5: slot k+1 only after slot k */

                if (j > 0 && app->slots[s][j - 1].inst.len == 0
                    && ngx_http_heao_rules_error(r, app, "F5", s, j,
                           NGX_HTTP_HEAO_PLACE_INST,
                           "%V%ui未填写，不能填写%V%ui",
                           &sec->title, j, &sec->title, j + 1)
                       != NGX_OK)
                {
                    return NGX_ERROR;
                }
            }

            if (ngx_http_heao_rules_slot(r, app, s, j) != NGX_OK) {
                return NGX_ERROR;
            }
        }

        for (j = 0; j < app->nslots[s]; j++) {
            if (ngx_http_heao_rules_classes(r, app, s, j) != NGX_OK) {
                return NGX_ERROR;
            }
        }
    }

    if (profile->shixin && ngx_http_heao_rules_shixin(r, app) != NGX_OK) {
        return NGX_ERROR;
    }

    /* F6: nothing filled cannot be saved */

    if (filled == 0
        && ngx_http_heao_rules_error(r, app, "F6", 0, 0,
                                     NGX_HTTP_HEAO_PLACE_NONE,
                                     "没有填写任何志愿，不能保存")
           != NGX_OK)
    {
        return NGX_ERROR;
    }

    return json_array_size(app->errors) ? NGX_DECLINED : NGX_OK;
}


/* reads the application's shape; a fault of type or size is malformed */

static ngx_int_t
ngx_http_heao_rules_read(ngx_http_request_t *r, ngx_http_heao_batch_t *b,
    json_t *json, ngx_http_heao_app_t *app)
{
    size_t                    n;
    json_t                   *sections, *js, *slots;
    ngx_int_t                 rc;
    ngx_uint_t                s, j;
    ngx_http_heao_section_t  *sec;

    if (!json_is_object(json)) {
        return ngx_http_heao_malformed(r, app, "志愿信息应为对象",
                                       "application");
    }

    sections = json_object_get(json, "sections");

    if (!json_is_array(sections)) {
        return ngx_http_heao_malformed(r, app,
                                       "志愿信息缺少sections数组",
                                       "application.sections");
    }

    if (json_array_size(sections) > b->nsections) {
        return ngx_http_heao_malformed(r, app,
                                       "志愿段数超过本批次的设置",
                                       "application.sections");
    }

    app->slots = ngx_pcalloc(r->pool,
                             b->nsections * sizeof(ngx_http_heao_slot_t *));
    app->nslots = ngx_pcalloc(r->pool, b->nsections * sizeof(ngx_uint_t));

    if (app->slots == NULL || app->nslots == NULL) {
        return NGX_ERROR;
    }

    for (s = 0; s < b->nsections; s++) {
        sec = &b->sections[s];

        app->slots[s] = ngx_pcalloc(r->pool,
                                    sec->slots * sizeof(ngx_http_heao_slot_t));
        if (app->slots[s] == NULL) {
            return NGX_ERROR;
        }

        if (s >= json_array_size(sections)) {
            continue;
        }

        js = json_array_get(sections, s);

        if (!json_is_object(js)) {
            return ngx_http_heao_malformed(r, app, "志愿段应为对象",
                                           "application.sections[%ui]", s);
        }

        slots = json_object_get(js, "slots");

        if (!json_is_array(slots)) {
            return ngx_http_heao_malformed(r, app, "志愿段缺少slots数组",
                                           "application.sections[%ui].slots",
                                           s);
        }

        n = json_array_size(slots);

        if (n > sec->slots) {
            return ngx_http_heao_malformed(r, app,
                                           "志愿个数超过"
                                           "本批次的设置",
                                           "application.sections[%ui].slots",
                                           s);
        }

        app->nslots[s] = n;

        for (j = 0; j < n; j++) {
            rc = ngx_http_heao_rules_read_slot(r, app, sec,
                                               json_array_get(slots, j),
                                               &app->slots[s][j], s, j);
            if (rc != NGX_OK) {
                return rc;
            }
        }
    }

    return NGX_OK;
}


/*
 * slot j of section s; NGX_ABORT when malformed, with app->message and the
 * path of the fault in app->field, down to the element of an array
 */

static ngx_int_t
ngx_http_heao_rules_read_slot(ngx_http_request_t *r,
    ngx_http_heao_app_t *app, ngx_http_heao_section_t *sec, json_t *js,
    ngx_http_heao_slot_t *slot, ngx_uint_t s, ngx_uint_t j)
{
    size_t       k;
    json_t      *inst, *majors, *adjust, *m;
    const char  *v;

    if (!json_is_object(js)) {
        return ngx_http_heao_malformed(r, app, "志愿应为对象",
                                       "application.sections[%ui]"
                                       ".slots[%ui]", s, j);
    }

    inst = json_object_get(js, "institution");
    majors = json_object_get(js, "majors");
    adjust = json_object_get(js, "adjust");

    if (inst && !json_is_null(inst)) {
        if (!json_is_string(inst)
            || json_string_length(inst) > NGX_HTTP_HEAO_CODE_MAX)
        {
            return ngx_http_heao_malformed(r, app,
                                           "院校代号应为字符串",
                                           "application.sections[%ui]"
                                           ".slots[%ui].institution", s, j);
        }

        slot->inst.data = (u_char *) json_string_value(inst);
        slot->inst.len = json_string_length(inst);
    }

    if (majors && !json_is_null(majors)) {
        if (!json_is_array(majors)
            || json_array_size(majors) > sec->places)
        {
            return ngx_http_heao_malformed(r, app,
                                           "专业应为数组，"
                                           "且不超过本批次的"
                                           "专业个数",
                                           "application.sections[%ui]"
                                           ".slots[%ui].majors", s, j);
        }

        json_array_foreach(majors, k, m) {
            if (!json_is_string(m)
                || json_string_length(m) > NGX_HTTP_HEAO_CODE_MAX)
            {
                return ngx_http_heao_malformed(r, app,
                                               "专业代号应为字符串",
                                               "application.sections[%ui]"
                                               ".slots[%ui].majors[%uz]",
                                               s, j, k);
            }

            slot->majors[k].data = (u_char *) json_string_value(m);
            slot->majors[k].len = json_string_length(m);
        }

        slot->nmajors = json_array_size(majors);
    }

    if (adjust == NULL || json_is_null(adjust)) {
        slot->adjust = NGX_HTTP_HEAO_ADJUST_UNSET;

    } else if (json_is_string(adjust)) {
        v = json_string_value(adjust);

        slot->adjust = ngx_strcmp(v, "agree") == 0
                       ? NGX_HTTP_HEAO_ADJUST_AGREE
                       : ngx_strcmp(v, "disagree") == 0
                       ? NGX_HTTP_HEAO_ADJUST_DISAGREE
                       : NGX_HTTP_HEAO_ADJUST_BAD;

    } else {
        return ngx_http_heao_malformed(r, app,
                                       "专业调剂应为\"agree\"、"
                                       "\"disagree\"或null",
                                       "application.sections[%ui]"
                                       ".slots[%ui].adjust", s, j);
    }

    return NGX_OK;
}


/* F1-F4 and F7 for one slot */

static ngx_int_t
ngx_http_heao_rules_slot(ngx_http_request_t *r, ngx_http_heao_app_t *app,
    ngx_uint_t s, ngx_uint_t j)
{
    ngx_uint_t                k, m, empty, majors;
    ngx_http_heao_slot_t     *slot;
    ngx_http_heao_major_t    *mj;
    ngx_http_heao_section_t  *sec;

#define ngx_http_heao_fail(rule, place, ...)                                  \
    if (ngx_http_heao_rules_error(r, app, rule, s, j, place, __VA_ARGS__)     \
        != NGX_OK)                                                            \
    {                                                                         \
        return NGX_ERROR;                                                     \
    }

    sec = &app->batch->sections[s];
    slot = &app->slots[s][j];

    majors = 0;

    for (k = 0; k < slot->nmajors; k++) {
        if (slot->majors[k].len) {
            majors++;
        }
    }

    /* F3: nothing without an institution */

    if (slot->inst.len == 0) {
        if (majors) {
            ngx_http_heao_fail("F3", NGX_HTTP_HEAO_PLACE_INST,
                               "未填写院校代号，不能填写专业");
        }

        if (slot->adjust != NGX_HTTP_HEAO_ADJUST_UNSET) {
            ngx_http_heao_fail("F3", NGX_HTTP_HEAO_PLACE_ADJUST,
                               "未填写院校代号，"
                               "不能选择专业调剂");
        }

        return NGX_OK;
    }

    /* F1 and F2 for the institution */

    if (!ngx_http_heao_digits(&slot->inst, 4)) {
        ngx_http_heao_fail("F1", NGX_HTTP_HEAO_PLACE_INST,
                           "院校代号应为4位数字");

    } else {
        slot->in = ngx_http_heao_catalog_inst(app->batch, &slot->inst);

        if (slot->in == NULL) {
            ngx_http_heao_fail("F2", NGX_HTTP_HEAO_PLACE_INST,
                               "院校代号%V在本批次不存在",
                               &slot->inst);
        }
    }

    /* F1, F2 and F4 for the majors */

    empty = 0;

    for (k = 0; k < slot->nmajors; k++) {

        if (slot->majors[k].len == 0) {
            if (empty == 0) {
                empty = k + 1;
            }

            continue;
        }

        if (empty) {
            ngx_http_heao_fail("F4", (ngx_int_t) k,
                               "专业%ui未填写，不能填写专业%ui",
                               empty, k + 1);
            empty = 0;
        }

        if (!ngx_http_heao_digits(&slot->majors[k], 2)) {
            ngx_http_heao_fail("F1", (ngx_int_t) k,
                               "专业%ui代号应为2位数字", k + 1);
            continue;
        }

        for (m = 0; m < k; m++) {
            if (slot->majors[m].len == 2
                && ngx_strncmp(slot->majors[m].data, slot->majors[k].data, 2)
                   == 0)
            {
                ngx_http_heao_fail("F4", (ngx_int_t) k,
                                   "专业%ui与专业%ui重复", k + 1, m + 1);
                break;
            }
        }

        if (slot->in == NULL) {
            continue;
        }

        mj = ngx_http_heao_catalog_major(slot->in, &slot->majors[k]);

        if (mj == NULL) {
            ngx_http_heao_fail("F2", (ngx_int_t) k,
                               "专业%ui代号%V在院校%V(%V)中不存在",
                               k + 1, &slot->majors[k], &slot->inst,
                               &slot->in->name);
            continue;
        }

        if (mj->limits
            && ngx_http_heao_rules_eligible(r, app, s, j, k, mj) != NGX_OK)
        {
            return NGX_ERROR;
        }
    }

    /* F1 and F7: the adjustment choice */

    if (slot->adjust == NGX_HTTP_HEAO_ADJUST_BAD) {
        ngx_http_heao_fail("F1", NGX_HTTP_HEAO_PLACE_ADJUST,
                           "专业调剂只能选择同意或不同意");

    } else if (sec->adjust && sec->adjust_group) {
        if (ngx_http_heao_rules_group(r, app, s, j) != NGX_OK) {
            return NGX_ERROR;
        }

    } else if (sec->adjust) {
        if (slot->adjust == NGX_HTTP_HEAO_ADJUST_UNSET) {
            ngx_http_heao_fail("F7", NGX_HTTP_HEAO_PLACE_ADJUST,
                               "请选择是否同意专业调剂");
        }

    } else if (slot->adjust != NGX_HTTP_HEAO_ADJUST_UNSET) {
        ngx_http_heao_fail("F7", NGX_HTTP_HEAO_PLACE_ADJUST,
                           "本批次不设专业调剂");
    }

#undef ngx_http_heao_fail

    return NGX_OK;
}


/*
 * F7 in the art batches: adjustment is offered only for majors of a major
 * group (专业组) and reaches only that group.  A slot whose first major is
 * in a group must say agree or disagree, and then holds majors of that
 * group only; a slot whose first major is in none has no choice to make.
 */

static ngx_int_t
ngx_http_heao_rules_group(ngx_http_request_t *r, ngx_http_heao_app_t *app,
    ngx_uint_t s, ngx_uint_t j)
{
    ngx_uint_t              k, first;
    ngx_http_heao_slot_t   *slot;
    ngx_http_heao_major_t  *mj, *fm;

    slot = &app->slots[s][j];

    if (slot->in == NULL) {
        return NGX_OK;
    }

    fm = NULL;
    first = 0;

    for (k = 0; k < slot->nmajors; k++) {
        mj = ngx_http_heao_catalog_major(slot->in, &slot->majors[k]);
        if (mj == NULL) {
            continue;
        }

        if (fm == NULL) {
            fm = mj;
            first = k;
            continue;
        }

        if (fm->group.len
            && slot->adjust != NGX_HTTP_HEAO_ADJUST_UNSET
            && (mj->group.len != fm->group.len
                || ngx_strncmp(mj->group.data, fm->group.data,
                               fm->group.len)
                   != 0))
        {
            if (ngx_http_heao_rules_error(r, app, "F7", s, j, (ngx_int_t) k,
                    "专业调剂仅在专业组内进行，"
                    "专业%ui(%V)不在专业%ui所属的"
                    "专业组%V中",
                    k + 1, &mj->name, first + 1, &fm->group)
                != NGX_OK)
            {
                return NGX_ERROR;
            }
        }
    }

    if (fm == NULL) {
        if (slot->adjust == NGX_HTTP_HEAO_ADJUST_UNSET) {
            return NGX_OK;
        }

        return ngx_http_heao_rules_error(r, app, "F7", s, j,
                                         NGX_HTTP_HEAO_PLACE_ADJUST,
                                         "未填写专业，"
                                         "不能选择专业调剂");
    }

    if (fm->group.len == 0) {
        if (slot->adjust == NGX_HTTP_HEAO_ADJUST_UNSET) {
            return NGX_OK;
        }

        return ngx_http_heao_rules_error(r, app, "F7", s, j,
                                         NGX_HTTP_HEAO_PLACE_ADJUST,
                                         "专业%ui(%V)不属于专业组，"
                                         "艺术类专业调剂只适用于"
                                         "专业组内的专业，请勿选择",
                                         first + 1, &fm->name);
    }

    if (slot->adjust == NGX_HTTP_HEAO_ADJUST_UNSET) {
        return ngx_http_heao_rules_error(r, app, "F7", s, j,
                                         NGX_HTTP_HEAO_PLACE_ADJUST,
                                         "请选择是否同意在专业组%V"
                                         "内调剂专业",
                                         &fm->group);
    }

    return NGX_OK;
}


/*
 * F8: the majors of a slot are of one class, and an institution stands
 * in two slots of a section only with two classes.
 */

static ngx_int_t
ngx_http_heao_rules_classes(ngx_http_request_t *r, ngx_http_heao_app_t *app,
    ngx_uint_t s, ngx_uint_t j)
{
    ngx_uint_t                k, m, first;
    ngx_http_heao_slot_t     *slot, *other;
    ngx_http_heao_major_t    *mj, *fm;
    ngx_http_heao_section_t  *sec;

    sec = &app->batch->sections[s];
    slot = &app->slots[s][j];

    if (slot->in == NULL) {
        return NGX_OK;
    }

    slot->cls = NGX_HTTP_HEAO_CLASS_ORDINARY;
    fm = NULL;
    first = 0;

    for (k = 0; k < slot->nmajors; k++) {
        mj = ngx_http_heao_catalog_major(slot->in, &slot->majors[k]);
        if (mj == NULL) {
            continue;
        }

        if (fm == NULL) {
            fm = mj;
            first = k;
            slot->cls = mj->cls;
            continue;
        }

        if (mj->cls != fm->cls
            && ngx_http_heao_rules_error(r, app, "F8", s, j, (ngx_int_t) k,
                   "专业%ui(%V)与专业%ui(%V)不属同一类，"
                   "须在不同志愿中填报",
                   k + 1, &ngx_http_heao_class_names[mj->cls], first + 1,
                   &ngx_http_heao_class_names[fm->cls])
               != NGX_OK)
        {
            return NGX_ERROR;
        }
    }

    for (m = 0; m < j; m++) {
        other = &app->slots[s][m];

        if (other->in == slot->in && other->cls == slot->cls) {
            return ngx_http_heao_rules_error(r, app, "F8", s, j,
                       NGX_HTTP_HEAO_PLACE_INST,
                       "院校%V已在%V%ui中以%V专业填报，"
                       "同一院校只能以不同类别再次填报",
                       &slot->inst, &sec->title, m + 1,
                       &ngx_http_heao_class_names[slot->cls]);
        }
    }

    return NGX_OK;
}


/* F9: the batch takes candidates of its types only */

static ngx_int_t
ngx_http_heao_rules_ctype(ngx_http_request_t *r, ngx_http_heao_app_t *app)
{
    u_char                 *p;
    u_char                  types[NGX_HTTP_HEAO_MESSAGE_MAX / 2];
    ngx_str_t               list;
    ngx_http_heao_batch_t  *b;

    b = app->batch;

    if (ngx_http_heao_member(&b->ctypes, &app->profile->ctype)) {
        return NGX_OK;
    }

    p = ngx_http_heao_list_text(types, types + sizeof(types), &b->ctypes);

    list.data = types;
    list.len = p - types;

    return ngx_http_heao_rules_error(r, app, "F9", 0, 0,
                                     NGX_HTTP_HEAO_PLACE_NONE,
                                     "%V只招%V类考生，"
                                     "您的考生类别为%V，不能填报",
                                     &b->name, &list, &app->profile->ctype);
}


/*
 * F9: every restriction of a chosen major (B5) holds for the candidate.
 * Without app->errors it only decides: NGX_DECLINED at the first that
 * does not (the plan query, F18).
 */

static ngx_int_t
ngx_http_heao_rules_eligible(ngx_http_request_t *r, ngx_http_heao_app_t *app,
    ngx_uint_t s, ngx_uint_t j, ngx_uint_t k, ngx_http_heao_major_t *mj)
{
    u_char                   *b, *on;
    ngx_int_t                 age, place;
    ngx_http_heao_limits_t   *lm;
    ngx_http_heao_profile_t  *pf;

#define ngx_http_heao_fail(...)                                               \
    if (app->errors == NULL) {                                                \
        return NGX_DECLINED;                                                  \
    }                                                                         \
                                                                              \
    if (ngx_http_heao_rules_error(r, app, "F9", s, j, place, __VA_ARGS__)     \
        != NGX_OK)                                                            \
    {                                                                         \
        return NGX_ERROR;                                                     \
    }

    lm = mj->limits;
    pf = app->profile;
    place = (ngx_int_t) k;

    if (lm->gender.len
        && (lm->gender.len != pf->gender.len
            || ngx_strncmp(lm->gender.data, pf->gender.data, lm->gender.len)
               != 0))
    {
        ngx_http_heao_fail("专业%ui(%V)只招%s考生", k + 1, &mj->name,
                           lm->gender.data[0] == 'M' ? "男" : "女");
    }

    if (lm->max_age && pf->birth.len == lm->age_on.len) {
        b = pf->birth.data;
        on = lm->age_on.data;

        age = ngx_atoi(on, 4) - ngx_atoi(b, 4)
              - (ngx_strncmp(on + 5, b + 5, 5) < 0 ? 1 : 0);

        if (age > (ngx_int_t) lm->max_age) {
            ngx_http_heao_fail("专业%ui(%V)要求%V时"
                               "年龄不超过%ui周岁，"
                               "您届时%i周岁",
                               k + 1, &mj->name, &lm->age_on, lm->max_age,
                               age);
        }
    }

    if ((lm->ethnicities.len
         && !ngx_http_heao_member(&lm->ethnicities, &pf->ethnicity))
        || (lm->refused.len
            && ngx_http_heao_member(&lm->refused, &pf->ethnicity)))
    {
        ngx_http_heao_fail("专业%ui(%V)不招收%V考生", k + 1, &mj->name,
                           &pf->ethnicity);
    }

    if (lm->qualification.len) {
        if (!ngx_http_heao_member(&pf->qualifications, &lm->qualification)) {
            ngx_http_heao_fail("专业%ui(%V)只招具有%V资格的考生",
                               k + 1, &mj->name, &lm->qualification);
        }
    }

    if (lm->track.len
        && (lm->track.len != pf->track.len
            || ngx_strncmp(lm->track.data, pf->track.data, lm->track.len)
               != 0))
    {
        ngx_http_heao_fail("专业%ui(%V)只招%V科考生", k + 1, &mj->name,
                           &lm->track);
    }

    if (lm->language.len
        && (lm->language.len != pf->language.len
            || ngx_strncmp(lm->language.data, pf->language.data,
                           lm->language.len)
               != 0))
    {
        ngx_http_heao_fail("专业%ui(%V)只招%V语种考生",
                           k + 1, &mj->name, &lm->language);
    }

#undef ngx_http_heao_fail

    return NGX_OK;
}


ngx_uint_t
ngx_http_heao_rules_may_fill(ngx_http_heao_batch_t *b,
    ngx_http_heao_profile_t *profile)
{
    return ngx_http_heao_member(&b->ctypes, &profile->ctype);
}


ngx_uint_t
ngx_http_heao_rules_may_choose(ngx_http_heao_profile_t *profile,
    ngx_http_heao_major_t *mj)
{
    ngx_http_heao_app_t  app;

    if (mj->limits == NULL) {
        return 1;
    }

    ngx_memzero(&app, sizeof(ngx_http_heao_app_t));
    app.profile = profile;

    return ngx_http_heao_rules_eligible(NULL, &app, 0, 0, 0, mj) == NGX_OK;
}


/*
 * F10: a candidate marked 失信 fills at most 2 institutions in the
 * parallel sections of a batch; each institution past them is refused.
 */

static ngx_int_t
ngx_http_heao_rules_shixin(ngx_http_request_t *r, ngx_http_heao_app_t *app)
{
    ngx_str_t                 seen[NGX_HTTP_HEAO_SHIXIN_MAX];
    ngx_uint_t                s, j, i, n;
    ngx_http_heao_slot_t     *slot;
    ngx_http_heao_section_t  *sec;

    n = 0;

    for (s = 0; s < app->batch->nsections; s++) {
        sec = &app->batch->sections[s];

        if (!sec->parallel) {
            continue;
        }

        for (j = 0; j < app->nslots[s]; j++) {
            slot = &app->slots[s][j];

            if (slot->inst.len == 0) {
                continue;
            }

            for (i = 0; i < n; i++) {
                if (seen[i].len == slot->inst.len
                    && ngx_strncmp(seen[i].data, slot->inst.data,
                                   slot->inst.len)
                       == 0)
                {
                    break;
                }
            }

            if (i < n) {
                continue;
            }

            if (n < NGX_HTTP_HEAO_SHIXIN_MAX) {
                seen[n++] = slot->inst;
                continue;
            }

            if (ngx_http_heao_rules_error(r, app, "F10", s, j,
                    NGX_HTTP_HEAO_PLACE_INST,
                    "您有不履行志愿约定的记录，平行志愿"
                    "最多填报%d所院校",
                    NGX_HTTP_HEAO_SHIXIN_MAX)
                != NGX_OK)
            {
                return NGX_ERROR;
            }
        }
    }

    return NGX_OK;
}


/* whether v is a member of a ",a,b," list */

static ngx_uint_t
ngx_http_heao_member(ngx_str_t *list, ngx_str_t *v)
{
    u_char  *p, *last;

    if (v->len == 0 || list->len < v->len + 2) {
        return 0;
    }

    last = list->data + list->len - v->len - 1;

    for (p = list->data; p < last; p++) {
        if (*p == ','
            && p[v->len + 1] == ','
            && ngx_strncmp(p + 1, v->data, v->len) == 0)
        {
            return 1;
        }
    }

    return 0;
}


/* a ",a,b," list as "a、b" */

static u_char *
ngx_http_heao_list_text(u_char *p, u_char *last, ngx_str_t *list)
{
    u_char  *v, *end, *comma;

    v = list->data + 1;
    end = list->data + list->len;

    while (v < end) {
        comma = ngx_strlchr(v, end, ',');
        if (comma == NULL) {
            break;
        }

        if (v != list->data + 1) {
            p = ngx_slprintf(p, last, "、");
        }

        p = ngx_slprintf(p, last, "%*s", (size_t) (comma - v), v);
        v = comma + 1;
    }

    return p;
}


ngx_int_t
ngx_http_heao_rules_profile(ngx_http_request_t *r, ngx_str_t *text,
    ngx_http_heao_profile_t *profile)
{
    u_char  *p;
    size_t   i;
    json_t  *json, *q, *v;

    ngx_memzero(profile, sizeof(ngx_http_heao_profile_t));

    if (text->len == 0) {
        return NGX_DECLINED;
    }

    json = json_loadb((char *) text->data, text->len, 0, NULL);
    if (!json_is_object(json)) {
        goto bad;
    }

    if (ngx_http_heao_profile_string(r, json, "gender", &profile->gender)
        != NGX_OK
        || ngx_http_heao_profile_string(r, json, "birth", &profile->birth)
           != NGX_OK
        || ngx_http_heao_profile_string(r, json, "ethnicity",
                                        &profile->ethnicity)
           != NGX_OK
        || ngx_http_heao_profile_string(r, json, "track", &profile->track)
           != NGX_OK
        || ngx_http_heao_profile_string(r, json, "ctype", &profile->ctype)
           != NGX_OK
        || ngx_http_heao_profile_string(r, json, "language",
                                        &profile->language)
           != NGX_OK)
    {
        goto bad;
    }

    profile->shixin = json_is_true(json_object_get(json, "shixin"));

    /* the qualifications as ",a,b," */

    q = json_object_get(json, "qualifications");
    if (!json_is_array(q)) {
        goto bad;
    }

    profile->qualifications.len = 1;

    json_array_foreach(q, i, v) {
        if (!json_is_string(v)) {
            goto bad;
        }

        profile->qualifications.len += json_string_length(v) + 1;
    }

    p = ngx_pnalloc(r->pool, profile->qualifications.len);
    if (p == NULL) {
        json_decref(json);
        return NGX_ERROR;
    }

    profile->qualifications.data = p;
    *p++ = ',';

    json_array_foreach(q, i, v) {
        p = ngx_cpymem(p, json_string_value(v), json_string_length(v));
        *p++ = ',';
    }

    json_decref(json);

    return NGX_OK;

bad:

    if (json) {
        json_decref(json);
    }

    ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                  "heao: bad candidate profile in the session");

    return NGX_ERROR;
}


static ngx_int_t
ngx_http_heao_profile_string(ngx_http_request_t *r, json_t *json,
    const char *key, ngx_str_t *dst)
{
    json_t  *v;

    v = json_object_get(json, key);
    if (!json_is_string(v)) {
        return NGX_ERROR;
    }

    dst->len = json_string_length(v);
    dst->data = ngx_pnalloc(r->pool, dst->len + 1);
    if (dst->data == NULL) {
        return NGX_ERROR;
    }

    ngx_memcpy(dst->data, json_string_value(v), dst->len + 1);

    return NGX_OK;
}


/* adds a violation: rule, where it is, and a message in plain Chinese */

static ngx_int_t
ngx_http_heao_rules_error(ngx_http_request_t *r, ngx_http_heao_app_t *app,
    const char *rule, ngx_uint_t s, ngx_uint_t j, ngx_int_t place,
    const char *fmt, ...)
{
    u_char                   *p, *last;
    u_char                    msg[NGX_HTTP_HEAO_MESSAGE_MAX];
    u_char                    field[64], where[16];
    json_t                   *e;
    va_list                   args;
    ngx_http_heao_section_t  *sec;

    p = msg;
    last = msg + sizeof(msg);

    if (place == NGX_HTTP_HEAO_PLACE_NONE) {
        e = json_pack("{s:s, s:n, s:n, s:n, s:s}",
                      "rule", rule, "section", "slot", "place",
                      "field", "application");

    } else {
        sec = &app->batch->sections[s];

        if (sec->slots > 1) {
            p = ngx_slprintf(p, last, "%V%ui：", &sec->title, j + 1);

        } else {
            p = ngx_slprintf(p, last, "%V：", &sec->title);
        }

        if (place == NGX_HTTP_HEAO_PLACE_INST) {
            ngx_sprintf(where, "institution%Z");
            *ngx_snprintf(field, sizeof(field) - 1,
                          "application.sections[%ui].slots[%ui]"
                          ".institution", s, j)
                = '\0';

        } else if (place == NGX_HTTP_HEAO_PLACE_ADJUST) {
            ngx_sprintf(where, "adjust%Z");
            *ngx_snprintf(field, sizeof(field) - 1,
                          "application.sections[%ui].slots[%ui]"
                          ".adjust", s, j)
                = '\0';

        } else {
            ngx_sprintf(where, "major%i%Z", place + 1);
            *ngx_snprintf(field, sizeof(field) - 1,
                          "application.sections[%ui].slots[%ui]"
                          ".majors[%i]", s, j, place)
                = '\0';
        }

        e = json_pack("{s:s, s:i, s:i, s:s, s:s}",
                      "rule", rule, "section", (int) s + 1,
                      "slot", (int) j + 1, "place", where, "field", field);
    }

    if (e == NULL) {
        return NGX_ERROR;
    }

    va_start(args, fmt);
    p = ngx_vslprintf(p, last, fmt, args);
    va_end(args);

    if (json_object_set_new(e, "message",
                            json_stringn((char *) msg, p - msg))
        != 0
        || json_array_append_new(app->errors, e) != 0)
    {
        return NGX_ERROR;
    }

    return NGX_OK;
}


static ngx_int_t
ngx_http_heao_malformed(ngx_http_request_t *r, ngx_http_heao_app_t *app,
    const char *message, const char *fmt, ...)
{
    u_char   *p;
    va_list   args;

    p = ngx_pnalloc(r->pool, 128);
    if (p == NULL) {
        return NGX_ERROR;
    }

    va_start(args, fmt);
    app->field.len = ngx_vslprintf(p, p + 127, fmt, args) - p;
    va_end(args);

    p[app->field.len] = '\0';
    app->field.data = p;
    app->message = message;

    return NGX_ABORT;
}


/*
 * The canonical text of an application: the exam number, the batch, then
 * each filled slot as "section.slot:institution:majors:adjustment"; the
 * checksum covers it.  The summary lists the institutions; the content is
 * the application without its empty tail, as it is stored.
 */

ngx_int_t
ngx_http_heao_rules_canonical(ngx_http_request_t *r,
    ngx_http_heao_app_t *app, ngx_str_t *exam_no, ngx_str_t *canonical,
    ngx_str_t *summary, ngx_str_t *content)
{
    u_char                 *p, *q, *c, *last, *slast, *clast;
    size_t                  len, size, csize;
    ngx_uint_t              s, j, k, n;
    ngx_http_heao_slot_t   *slot;
    ngx_http_heao_batch_t  *b;

    static const char  *adjust[] = { "null", "\"agree\"", "\"disagree\"",
                                     "null" };

    b = app->batch;
    len = exam_no->len + 1 + b->code.len;
    size = 1;
    csize = sizeof("{\"sections\":[]}");

    for (s = 0; s < b->nsections; s++) {
        len += app->nslots[s] * (16 + 5 + 3 * NGX_HTTP_HEAO_PLACES_MAX);
        size += app->nslots[s] * 5;
        csize += sizeof("{\"slots\":[]},");

        for (j = 0; j < app->nslots[s]; j++) {
            slot = &app->slots[s][j];

            /* a code escaped for JSON takes at most 6 bytes a byte */
            csize += sizeof("{\"institution\":\"\",\"majors\":[],"
                            "\"adjust\":\"disagree\"},")
                     + 6 * slot->inst.len;

            for (k = 0; k < slot->nmajors; k++) {
                csize += sizeof("\"\",") + 6 * slot->majors[k].len;
            }
        }
    }

    p = ngx_pnalloc(r->pool, len);
    q = ngx_pnalloc(r->pool, size);
    c = ngx_pnalloc(r->pool, csize);
    if (p == NULL || q == NULL || c == NULL) {
        return NGX_ERROR;
    }

    canonical->data = p;
    last = p + len;
    summary->data = q;
    slast = q + size;

    /*
     * the content is written as jansson dumped it, compact, keys in this
     * order: an application has only codes and choices, and building a
     * tree to dump it cost a quarter of a save's instructions
     */

    content->data = c;
    clast = c + csize;

    p = ngx_slprintf(p, last, "%V|%V", exam_no, &b->code);
    c = ngx_cpymem(c, "{\"sections\":[", sizeof("{\"sections\":[") - 1);

    for (s = 0; s < b->nsections; s++) {
        if (s) {
            *c++ = ',';
        }

        c = ngx_cpymem(c, "{\"slots\":[", sizeof("{\"slots\":[") - 1);

        for (n = app->nslots[s]; n > 0; n--) {
            if (app->slots[s][n - 1].inst.len) {
                break;
            }
        }

        for (j = 0; j < n; j++) {
            slot = &app->slots[s][j];

            if (j) {
                *c++ = ',';
            }

            c = ngx_cpymem(c, "{\"institution\":\"",
                           sizeof("{\"institution\":\"") - 1);
            c = (u_char *) ngx_escape_json(c, slot->inst.data,
                                           slot->inst.len);
            c = ngx_cpymem(c, "\",\"majors\":[",
                           sizeof("\",\"majors\":[") - 1);

            if (slot->inst.len) {
                p = ngx_slprintf(p, last, "|%ui.%ui:%V:", s + 1, j + 1,
                                 &slot->inst);

                if (q != summary->data) {
                    q = ngx_slprintf(q, slast, ",");
                }

                q = ngx_slprintf(q, slast, "%V", &slot->inst);

                for (k = 0; k < slot->nmajors; k++) {
                    if (slot->majors[k].len == 0) {
                        continue;
                    }

                    p = ngx_slprintf(p, last, k ? ",%V" : "%V",
                                     &slot->majors[k]);

                    if (c[-1] != '[') {
                        *c++ = ',';
                    }

                    *c++ = '"';
                    c = (u_char *) ngx_escape_json(c, slot->majors[k].data,
                                                   slot->majors[k].len);
                    *c++ = '"';
                }

                p = ngx_slprintf(p, last, ":%c",
                                 slot->adjust == NGX_HTTP_HEAO_ADJUST_AGREE
                                 ? 'A'
                                 : slot->adjust
                                   == NGX_HTTP_HEAO_ADJUST_DISAGREE
                                 ? 'D' : '-');
            }

            c = ngx_slprintf(c, clast, "],\"adjust\":%s}",
                             adjust[slot->adjust]);
        }

        *c++ = ']';
        *c++ = '}';
    }

    *c++ = ']';
    *c++ = '}';

    canonical->len = p - canonical->data;
    summary->len = q - summary->data;
    content->len = c - content->data;
    *c = '\0';

    return NGX_OK;
}


/* HMAC-SHA256 under the server secret, the first bytes in hex (F15) */

ngx_int_t
ngx_http_heao_rules_checksum(ngx_http_request_t *r, ngx_str_t *canonical,
    ngx_str_t *checksum)
{
    u_char                      md[EVP_MAX_MD_SIZE];
    unsigned int                len;
    ngx_http_heao_main_conf_t  *hmcf;

    hmcf = ngx_http_get_module_main_conf(r, ngx_http_heao_module);

    if (HMAC(EVP_sha256(), hmcf->secret.data, hmcf->secret.len,
             canonical->data, canonical->len, md, &len)
        == NULL)
    {
        ngx_log_error(NGX_LOG_ALERT, r->connection->log, 0,
                      "heao: HMAC() failed");
        return NGX_ERROR;
    }

    checksum->data = ngx_pnalloc(r->pool, NGX_HTTP_HEAO_CHECKSUM_LEN + 1);
    if (checksum->data == NULL) {
        return NGX_ERROR;
    }

    ngx_hex_dump(checksum->data, md, NGX_HTTP_HEAO_CHECKSUM_LEN / 2);

    checksum->len = NGX_HTTP_HEAO_CHECKSUM_LEN;
    checksum->data[checksum->len] = '\0';

    return NGX_OK;
}


static ngx_uint_t
ngx_http_heao_digits(ngx_str_t *s, size_t len)
{
    size_t  i;

    if (s->len != len) {
        return 0;
    }

    for (i = 0; i < len; i++) {
        if (s->data[i] < '0' || s->data[i] > '9') {
            return 0;
        }
    }

    return 1;
}
