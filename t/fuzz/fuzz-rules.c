
/*
 * Copyright (C) heao developers
 */


#include "fuzz.h"
#include "ngx_http_heao_rules.h"


/*
 * F1-F10: the application validator (ngx_http_heao_rules_check) against
 * a small fixed catalog: one batch, a parallel section of four slots with
 * adjustment and a section of two without, and majors with each kind of
 * restriction (B5).  The first byte picks the candidate's profile; the
 * rest is the application's JSON.  Whatever it is, the check holds, lists
 * the rules broken, or names the malformed field (never NGX_ERROR); what
 * holds has a canonical text and content that read back as the same.
 */


static ngx_http_heao_batch_t *heao_fuzz_catalog(void);


static const char  *heao_fuzz_profiles[] = {
    "{\"gender\":\"F\",\"birth\":\"2008-03-01\",\"ethnicity\":\"回族\","
    "\"track\":\"理\",\"ctype\":\"普通\",\"language\":\"英语\","
    "\"qualifications\":[\"国家专项\"],\"shixin\":false}",

    "{\"gender\":\"M\",\"birth\":\"2001-12-31\",\"ethnicity\":\"汉族\","
    "\"track\":\"文\",\"ctype\":\"普通\",\"language\":\"日语\","
    "\"qualifications\":[],\"shixin\":true}",

    "{\"gender\":\"F\",\"birth\":\"2007-09-02\",\"ethnicity\":\"满族\","
    "\"track\":\"理\",\"ctype\":\"艺术\",\"language\":\"英语\","
    "\"qualifications\":[\"地方专项\",\"国家专项\"],\"shixin\":true}"
};


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_t                   *json, *e, *content;
    ngx_int_t                 rc;
    ngx_str_t                 text, exam_no, canonical, summary, body;
    ngx_uint_t                i;
    ngx_http_heao_app_t       app, again;
    ngx_http_heao_batch_t    *b;
    ngx_http_heao_profile_t   profile;

    if (size == 0) {
        return 0;
    }

    b = heao_fuzz_catalog();

    heao_fuzz_request(data + 1, size - 1, 0);

    text.data = (u_char *) heao_fuzz_profiles[data[0] % 3];
    text.len = ngx_strlen(text.data);

    rc = ngx_http_heao_rules_profile(heao_fuzz.r, &text, &profile);
    heao_fuzz_assert(rc == NGX_OK);

    json = json_loadb((char *) data + 1, size - 1, JSON_REJECT_DUPLICATES,
                      NULL);
    if (json == NULL) {
        heao_fuzz_done();
        return 0;
    }

    rc = ngx_http_heao_rules_check(heao_fuzz.r, b, &profile, json, &app);

    heao_fuzz_assert(rc == NGX_OK || rc == NGX_DECLINED || rc == NGX_ABORT);

    if (rc == NGX_ABORT) {
        heao_fuzz_assert(app.message != NULL && app.field.len > 0);
    }

    if (rc == NGX_DECLINED) {
        heao_fuzz_assert(json_array_size(app.errors) > 0);

        json_array_foreach(app.errors, i, e) {
            heao_fuzz_assert(json_is_string(json_object_get(e, "rule")));
            heao_fuzz_assert(json_is_string(json_object_get(e, "field")));
            heao_fuzz_assert(json_is_string(json_object_get(e, "message")));
        }
    }

    if (rc == NGX_OK) {
        heao_fuzz_assert(json_array_size(app.errors) == 0);

        ngx_str_set(&exam_no, "21419900000062");

        rc = ngx_http_heao_rules_canonical(heao_fuzz.r, &app, &exam_no,
                                           &canonical, &summary, &body);
        heao_fuzz_assert(rc == NGX_OK);
        heao_fuzz_assert(canonical.len > exam_no.len);
        heao_fuzz_assert(ngx_strncmp(canonical.data, exam_no.data,
                                     exam_no.len) == 0);

        /* the stored content is an application that holds again */

        content = json_loadb((char *) body.data, body.len,
                             JSON_REJECT_DUPLICATES, NULL);
        heao_fuzz_assert(json_is_object(content));

        rc = ngx_http_heao_rules_check(heao_fuzz.r, b, &profile, content,
                                       &again);
        heao_fuzz_assert(rc == NGX_OK);
        json_decref(content);

        if (again.errors) {
            json_decref(again.errors);
        }
    }

    if (app.errors) {
        json_decref(app.errors);
    }

    json_decref(json);
    heao_fuzz_done();

    return 0;
}


/* the catalog, made once */

static ngx_http_heao_limits_t  heao_fuzz_limits[] = {
    { ngx_string("F"), ngx_null_string, ngx_null_string, ngx_null_string,
      ngx_null_string, ngx_string(",回族,满族,"), ngx_null_string,
      ngx_string("2026-09-01"), 20 },
    { ngx_null_string, ngx_string("理"), ngx_string("英语"),
      ngx_string("国家专项"), ngx_null_string, ngx_null_string,
      ngx_string(",汉族,"), ngx_null_string, 0 }
};


static ngx_http_heao_major_t  heao_fuzz_majors_a[] = {
    { ngx_string("01"), ngx_string("汉语言文学"),
      NGX_HTTP_HEAO_CLASS_ORDINARY, NULL },
    { ngx_string("02"), ngx_string("临床医学"),
      NGX_HTTP_HEAO_CLASS_MEDICAL, NULL },
    { ngx_string("03"), ngx_string("护理学"),
      NGX_HTTP_HEAO_CLASS_ORDINARY, &heao_fuzz_limits[0] },
    { ngx_string("10"), ngx_string("音乐学"),
      NGX_HTTP_HEAO_CLASS_HIGHER_TUITION, NULL }
};


static ngx_http_heao_major_t  heao_fuzz_majors_b[] = {
    { ngx_string("01"), ngx_string("物理学"),
      NGX_HTTP_HEAO_CLASS_ORDINARY, &heao_fuzz_limits[1] },
    { ngx_string("05"), ngx_string("农学"),
      NGX_HTTP_HEAO_CLASS_AGRI_MINING, NULL }
};


static ngx_http_heao_inst_t  heao_fuzz_inst[] = {
    { ngx_string("0105"), ngx_string("郑州大学"), ngx_string("河南省"),
      heao_fuzz_majors_a, 4, { 0 }, ngx_null_string },
    { ngx_string("1001"), ngx_string("河南农业大学"), ngx_string("河南省"),
      heao_fuzz_majors_b, 2, { 0 }, ngx_null_string },
    { ngx_string("0000"), ngx_string("零号学院"), ngx_null_string,
      heao_fuzz_majors_b, 1, { 0 }, ngx_null_string }
};


static ngx_http_heao_section_t  heao_fuzz_sections[] = {
    { ngx_string("平行志愿"), 4, 3, 1, 1 },
    { ngx_string("征集志愿"), 2, 2, 0, 0 }
};


static ngx_http_heao_batch_t *
heao_fuzz_catalog(void)
{
    ngx_uint_t                    i, k;
    ngx_http_heao_inst_t         *in;
    static ngx_http_heao_batch_t  b;

    if (b.inst) {
        return &b;
    }

    ngx_str_set(&b.code, "1B");
    ngx_str_set(&b.name, "本科一批");
    ngx_str_set(&b.ctypes, ",普通,");
    b.sections = heao_fuzz_sections;
    b.nsections = 2;

    b.inst = calloc(NGX_HTTP_HEAO_INST_CODES, sizeof(ngx_http_heao_inst_t *));
    heao_fuzz_assert(b.inst);

    for (i = 0; i < sizeof(heao_fuzz_inst) / sizeof(heao_fuzz_inst[0]); i++) {
        in = &heao_fuzz_inst[i];
        b.inst[ngx_atoi(in->code.data, 4)] = in;

        for (k = 0; k < in->nmajors; k++) {
            in->index[ngx_atoi(in->majors[k].code.data, 2)] = k + 1;
        }
    }

    return &b;
}
