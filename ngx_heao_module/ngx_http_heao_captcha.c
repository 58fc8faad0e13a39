
/*
 * Copyright (C) heao developers
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>
#include <openssl/rand.h>
#include <gd.h>

#include "ngx_http_heao_module.h"


/*
 * A2: the slider captcha.  A challenge is a background with a gap and the
 * piece cut out of it, rendered in the thread pool; Redis keeps where the
 * gap is.  The client sends how far it slid the piece: within tolerance
 * it gets a one-use ticket that the next form submission consumes, and
 * any answer burns the challenge.
 */


#define NGX_HTTP_HEAO_CAPTCHA_WIDTH     320
#define NGX_HTTP_HEAO_CAPTCHA_HEIGHT    160
#define NGX_HTTP_HEAO_PIECE             50      /* the piece's box */
#define NGX_HTTP_HEAO_PIECE_BODY        42      /* its square */
#define NGX_HTTP_HEAO_PIECE_TAB         7       /* radius of its tabs */
#define NGX_HTTP_HEAO_TAB_TOP           0x01
#define NGX_HTTP_HEAO_TAB_RIGHT         0x02
#define NGX_HTTP_HEAO_TAB_BOTTOM        0x04
#define NGX_HTTP_HEAO_TAB_LEFT          0x08
#define NGX_HTTP_HEAO_PIECE_TABS                                              \
    (NGX_HTTP_HEAO_TAB_TOP | NGX_HTTP_HEAO_TAB_RIGHT)
#define NGX_HTTP_HEAO_CAPTCHA_MARGIN    10
#define NGX_HTTP_HEAO_CAPTCHA_LEFT                                            \
    (NGX_HTTP_HEAO_PIECE + NGX_HTTP_HEAO_CAPTCHA_MARGIN)
#define NGX_HTTP_HEAO_CAPTCHA_SPAN      /* left edges the gap can have */     \
    (NGX_HTTP_HEAO_CAPTCHA_WIDTH - 2 * NGX_HTTP_HEAO_CAPTCHA_LEFT)
#define NGX_HTTP_HEAO_CAPTCHA_DECOYS    2
#define NGX_HTTP_HEAO_GAP_CLEAR         8       /* pixels between gaps */
#define NGX_HTTP_HEAO_GAP_SPACING                                             \
    (NGX_HTTP_HEAO_PIECE + NGX_HTTP_HEAO_PIECE_TAB + NGX_HTTP_HEAO_GAP_CLEAR)
#define NGX_HTTP_HEAO_CAPTCHA_TOLERANCE 4       /* pixels either way */
#define NGX_HTTP_HEAO_CAPTCHA_TTL       120     /* seconds, A2 */
#define NGX_HTTP_HEAO_PNG_SIGNATURE     8
#define NGX_HTTP_HEAO_PNG_CHUNK         12      /* length, type and CRC */
#define NGX_HTTP_HEAO_PNG_LEVEL         1       /* zlib's, the fastest */

/*
 * a gap: blended toward a dark colour by 104 to 151 of 256, that much
 * more or less across it as if lit from aside, plus noise
 */
#define NGX_HTTP_HEAO_SHADE_MIN         104
#define NGX_HTTP_HEAO_SHADE_SPREAD      48
#define NGX_HTTP_HEAO_SHADE_LIGHT       20      /* of 256, each way */
#define NGX_HTTP_HEAO_SHADE_DARK        48      /* the colour's channels */
#define NGX_HTTP_HEAO_SHADE_NOISE       16      /* levels either way */
#define NGX_HTTP_HEAO_OUTLINE_MIN       160     /* of 256, toward white */
#define NGX_HTTP_HEAO_OUTLINE_SPREAD    64
#define NGX_HTTP_HEAO_CAPTCHA_LINES     6
#define NGX_HTTP_HEAO_SCRATCHES         3       /* lines after the cut */

#define NGX_HTTP_HEAO_CAPTCHA_PREFIX    "heao:cap:"
#define NGX_HTTP_HEAO_CAPTCHA_RATE      "heao:capr:"


typedef enum {
    NGX_HTTP_HEAO_CAPTCHA_LIMIT = 0,
    NGX_HTTP_HEAO_CAPTCHA_RENDER,
    NGX_HTTP_HEAO_CAPTCHA_STORE,
    NGX_HTTP_HEAO_CAPTCHA_SEND
} ngx_http_heao_captcha_step_e;


/* everything the thread reads or writes */
typedef struct {
    uint64_t                     seed;
    int                          x;
    int                          y;
    int                          decoy[NGX_HTTP_HEAO_CAPTCHA_DECOYS];
    void                        *background;    /* PNG, gd's memory */
    int                          background_size;
    void                        *piece;
    int                          piece_size;
} ngx_http_heao_captcha_task_t;


typedef struct {
    ngx_str_t                    id;
    ngx_str_t                    key;
    ngx_str_t                    background;    /* data: URLs */
    ngx_str_t                    piece;
    int                          x;
    int                          y;
} ngx_http_heao_captcha_t;


static void ngx_http_heao_captcha_thread(void *data, ngx_log_t *log);
static void ngx_http_heao_captcha_event(ngx_event_t *ev);
static void *ngx_http_heao_captcha_png(gdImagePtr im, int *size);
static ngx_int_t ngx_http_heao_captcha_data_url(ngx_http_request_t *r,
    void *png, int size, ngx_str_t *url);
static void ngx_http_heao_captcha_draw(gdImagePtr im, uint64_t *st);
static void ngx_http_heao_captcha_lines(gdImagePtr im, ngx_uint_t n,
    uint64_t *st);
static void ngx_http_heao_captcha_shade(gdImagePtr im, int x, int y,
    int from, ngx_uint_t tabs, uint32_t colour, uint64_t *st);
static ngx_uint_t ngx_http_heao_piece_inside(int px, int py,
    ngx_uint_t tabs);
static ngx_uint_t ngx_http_heao_piece_edge(int px, int py, ngx_uint_t tabs);
static int ngx_http_heao_captcha_level(int v);
static void ngx_http_heao_captcha_place(uint32_t *rnd, int *x,
    int *decoy);
static uint32_t ngx_http_heao_captcha_random(uint64_t *state);
static ngx_uint_t ngx_http_heao_captcha_id(const char *id);


ngx_int_t
ngx_http_heao_captcha_new(ngx_http_request_t *r, ngx_http_heao_ctx_t *ctx)
{
    u_char                        *p;
    size_t                         len[3];
    uint32_t                       rnd[5];
    ngx_int_t                      rc;
    const char                    *argv[3];
    ngx_thread_task_t             *task;
    ngx_http_heao_captcha_t       *cp;
    ngx_http_heao_main_conf_t     *hmcf;
    ngx_http_heao_captcha_task_t  *ct;

    cp = ctx->data;

    hmcf = ngx_http_get_module_main_conf(r, ngx_http_heao_module);

    switch (ctx->step) {

    case NGX_HTTP_HEAO_CAPTCHA_LIMIT:

        rc = ngx_http_heao_no_fields(r, ctx);
        if (rc != NGX_OK) {
            return rc;
        }

        /* drawing costs a thread: a client address gets so many a window */

        p = ngx_pnalloc(r->pool, sizeof(NGX_HTTP_HEAO_CAPTCHA_RATE)
                                 + r->connection->addr_text.len
                                 + 2 * NGX_INT_T_LEN);
        if (p == NULL) {
            return NGX_ERROR;
        }

        argv[0] = (char *) p;
        len[0] = ngx_sprintf(p, NGX_HTTP_HEAO_CAPTCHA_RATE "%V",
                             &r->connection->addr_text)
                 - p;
        p += len[0];

        argv[1] = (char *) p;
        len[1] = ngx_sprintf(p, "%ui", hmcf->captcha_limit) - p;
        p += len[1];

        argv[2] = (char *) p;
        len[2] = ngx_sprintf(p, "%M", hmcf->captcha_window / 1000) - p;

        ctx->step = NGX_HTTP_HEAO_CAPTCHA_RENDER;

        return ngx_http_heao_redis_call(ctx, NGX_HTTP_HEAO_LUA_RATE, 1, 3,
                                        argv, len);

    case NGX_HTTP_HEAO_CAPTCHA_RENDER:
        if (ctx->rc != NGX_OK || ctx->reply == NULL) {
            return ngx_http_heao_backend_error(r, ctx, "captcha");
        }

        rc = ngx_atoi(((ngx_str_t *) ctx->reply->elts)[0].data,
                      ((ngx_str_t *) ctx->reply->elts)[0].len);

        if (rc > 0) {
            return ngx_http_heao_send_json(r, NGX_HTTP_TOO_MANY_REQUESTS,
                       json_pack("{s:s, s:i, s:s}",
                                 "error", "too_many", "retry_after", (int) rc,
                                 "message", "验证请求过于频繁，"
                                            "请稍后再试"));
        }

        cp = ngx_pcalloc(r->pool, sizeof(ngx_http_heao_captcha_t));
        if (cp == NULL) {
            return NGX_ERROR;
        }

        ctx->data = cp;

        if (ngx_http_heao_random_token(r, NGX_HTTP_HEAO_TOKEN_BYTES, &cp->id)
            != NGX_OK
            || RAND_bytes((u_char *) rnd, sizeof(rnd)) != 1)
        {
            return NGX_ERROR;
        }

        task = ngx_thread_task_alloc(r->pool,
                                     sizeof(ngx_http_heao_captcha_task_t));
        if (task == NULL) {
            return NGX_ERROR;
        }

        ct = task->ctx;

        ngx_http_heao_captcha_place(&rnd[0], &cp->x, ct->decoy);

        cp->y = NGX_HTTP_HEAO_CAPTCHA_MARGIN
                + rnd[2] % (NGX_HTTP_HEAO_CAPTCHA_HEIGHT
                            - NGX_HTTP_HEAO_PIECE
                            - 2 * NGX_HTTP_HEAO_CAPTCHA_MARGIN);

        ct->seed = ((uint64_t) rnd[3] << 32 | rnd[4]) | 1;
        ct->x = cp->x;
        ct->y = cp->y;

        task->handler = ngx_http_heao_captcha_thread;

        ctx->step = NGX_HTTP_HEAO_CAPTCHA_STORE;

        rc = ngx_http_heao_thread_post(r, hmcf->kdf_pool, task,
                                       ngx_http_heao_captcha_event);
        if (rc == NGX_BUSY) {
            ctx->rc = NGX_BUSY;
            return ngx_http_heao_backend_error(r, ctx, "captcha");
        }

        return rc;

    case NGX_HTTP_HEAO_CAPTCHA_STORE:
        if (ctx->rc != NGX_OK) {
            return ngx_http_heao_backend_error(r, ctx, "captcha");
        }

        p = ngx_pnalloc(r->pool, sizeof(NGX_HTTP_HEAO_CAPTCHA_PREFIX)
                                 + cp->id.len + 2 * NGX_INT_T_LEN);
        if (p == NULL) {
            return NGX_ERROR;
        }

        argv[0] = (char *) p;
        len[0] = ngx_sprintf(p, NGX_HTTP_HEAO_CAPTCHA_PREFIX "%V", &cp->id)
                 - p;
        p += len[0];

        argv[1] = (char *) p;
        len[1] = ngx_sprintf(p, "%d", cp->x) - p;
        p += len[1];

        argv[2] = (char *) p;
        len[2] = ngx_sprintf(p, "%d", NGX_HTTP_HEAO_CAPTCHA_TTL) - p;

        ctx->step = NGX_HTTP_HEAO_CAPTCHA_SEND;

        return ngx_http_heao_redis_call(ctx, NGX_HTTP_HEAO_LUA_SET_EX, 1, 3,
                                        argv, len);

    default: /* NGX_HTTP_HEAO_CAPTCHA_SEND */
        if (ctx->rc != NGX_OK) {
            return ngx_http_heao_backend_error(r, ctx, "captcha");
        }

        return ngx_http_heao_send_json(r, NGX_HTTP_OK,
                   json_pack("{s:s%, s:i, s:i, s:i, s:i, s:i, s:s%, s:s%}",
                             "id", cp->id.data, cp->id.len,
                             "width", NGX_HTTP_HEAO_CAPTCHA_WIDTH,
                             "height", NGX_HTTP_HEAO_CAPTCHA_HEIGHT,
                             "piece_width", NGX_HTTP_HEAO_PIECE,
                             "piece_height", NGX_HTTP_HEAO_PIECE,
                             "y", cp->y,
                             "background", cp->background.data,
                             cp->background.len,
                             "piece", cp->piece.data, cp->piece.len));
    }
}


/* {"id": "...", "x": offset}: a ticket, or the challenge is burnt */

ngx_int_t
ngx_http_heao_captcha_verify(ngx_http_request_t *r, ngx_http_heao_ctx_t *ctx)
{
    u_char       *p;
    size_t        len[5];
    json_t       *id, *x;
    ngx_int_t     rc;
    ngx_str_t     ticket, *v;
    const char   *argv[5];

    if (ctx->step == 0) {
        rc = ngx_http_heao_parse_body(r, ctx);
        if (rc != NGX_OK) {
            return rc;
        }

        id = json_object_get(ctx->body, "id");
        x = json_object_get(ctx->body, "x");

        if (!json_is_string(id)
            || json_string_length(id) != NGX_HTTP_HEAO_TOKEN_LEN
            || !ngx_http_heao_captcha_id(json_string_value(id)))
        {
            return ngx_http_heao_send_error(r, NGX_HTTP_BAD_REQUEST,
                                            "bad_field", "id",
                                            "验证信息无效，"
                                            "请重新验证");
        }

        if (!json_is_integer(x) || json_integer_value(x) < 0
            || json_integer_value(x) > NGX_HTTP_HEAO_CAPTCHA_WIDTH)
        {
            return ngx_http_heao_send_error(r, NGX_HTTP_BAD_REQUEST,
                                            "bad_field", "x",
                                            "滑块位置无效，"
                                            "请重新验证");
        }

        if (ngx_http_heao_random_token(r, NGX_HTTP_HEAO_TOKEN_BYTES, &ticket)
            != NGX_OK)
        {
            return NGX_ERROR;
        }

        ctx->result = ticket;

        p = ngx_pnalloc(r->pool, sizeof(NGX_HTTP_HEAO_CAPTCHA_PREFIX)
                                 + sizeof(NGX_HTTP_HEAO_TICKET_PREFIX)
                                 + json_string_length(id) + ticket.len
                                 + 3 * NGX_INT_T_LEN);
        if (p == NULL) {
            return NGX_ERROR;
        }

        argv[0] = (char *) p;
        len[0] = ngx_sprintf(p, NGX_HTTP_HEAO_CAPTCHA_PREFIX "%s",
                             json_string_value(id))
                 - p;
        p += len[0];

        argv[1] = (char *) p;
        len[1] = ngx_sprintf(p, NGX_HTTP_HEAO_TICKET_PREFIX "%V", &ticket)
                 - p;
        p += len[1];

        argv[2] = (char *) p;
        len[2] = ngx_sprintf(p, "%i", (ngx_int_t) json_integer_value(x))
                 - p;
        p += len[2];

        argv[3] = (char *) p;
        len[3] = ngx_sprintf(p, "%d", NGX_HTTP_HEAO_CAPTCHA_TOLERANCE) - p;
        p += len[3];

        argv[4] = (char *) p;
        len[4] = ngx_sprintf(p, "%d", NGX_HTTP_HEAO_CAPTCHA_TTL) - p;

        ctx->step = 1;

        return ngx_http_heao_redis_call(ctx, NGX_HTTP_HEAO_LUA_CAPTCHA_CHECK,
                                        2, 5, argv, len);
    }

    if (ctx->rc != NGX_OK || ctx->reply == NULL) {
        return ngx_http_heao_backend_error(r, ctx, "captcha");
    }

    v = ctx->reply->elts;

    if (v[0].len == 1 && v[0].data[0] == '1') {
        return ngx_http_heao_send_json(r, NGX_HTTP_OK,
                   json_pack("{s:s%, s:i}",
                             "ticket", ctx->result.data, ctx->result.len,
                             "expires_in", NGX_HTTP_HEAO_CAPTCHA_TTL));
    }

    if (v[0].len == 1 && v[0].data[0] == '0') {
        return ngx_http_heao_send_error(r, NGX_HTTP_BAD_REQUEST,
                                        "captcha_failed", "x",
                                        "验证未通过，请重新验证");
    }

    return ngx_http_heao_send_error(r, NGX_HTTP_BAD_REQUEST,
                                    "captcha_expired", "id",
                                    "验证已过期，请重新验证");
}


/* draws the challenge: no nginx calls here, it runs in a thread */

static void
ngx_http_heao_captcha_thread(void *data, ngx_log_t *log)
{
    ngx_http_heao_captcha_task_t  *ct = data;

    int         px, py, c;
    uint32_t    colour;
    uint64_t    st;
    ngx_uint_t  i, tabs;
    gdImagePtr  bg, pc;

    st = ct->seed;

    bg = gdImageCreateTrueColor(NGX_HTTP_HEAO_CAPTCHA_WIDTH,
                                NGX_HTTP_HEAO_CAPTCHA_HEIGHT);
    pc = gdImageCreateTrueColor(NGX_HTTP_HEAO_PIECE, NGX_HTTP_HEAO_PIECE);

    if (bg == NULL || pc == NULL) {
        goto done;
    }

    ngx_http_heao_captcha_draw(bg, &st);

    /* the piece takes the background's pixels, transparent around */

    gdImageAlphaBlending(pc, 0);
    gdImageSaveAlpha(pc, 1);
    gdImageFilledRectangle(pc, 0, 0, NGX_HTTP_HEAO_PIECE - 1,
                           NGX_HTTP_HEAO_PIECE - 1,
                           gdTrueColorAlpha(0, 0, 0, gdAlphaTransparent));

    for (py = 0; py < NGX_HTTP_HEAO_PIECE; py++) {
        for (px = 0; px < NGX_HTTP_HEAO_PIECE; px++) {

            if (!ngx_http_heao_piece_inside(px, py,
                                            NGX_HTTP_HEAO_PIECE_TABS))
            {
                continue;
            }

            c = ngx_http_heao_piece_edge(px, py, NGX_HTTP_HEAO_PIECE_TABS)
                ? gdTrueColor(255, 255, 255)
                : gdImageGetTrueColorPixel(bg, ct->x + px, ct->y + py);

            gdImageSetPixel(pc, px, py, c);
        }
    }

    /*
     * decoys first: the gap's pixels, shaded as the gap is, in shapes
     * with the piece's tabs and one or two more; so the darkest place
     * under the piece's outline, or the one most like the piece, is
     * any of the three
     */

    colour = ngx_http_heao_captcha_random(&st);

    for (i = 0; i < NGX_HTTP_HEAO_CAPTCHA_DECOYS; i++) {
        tabs = (ngx_http_heao_captcha_random(&st) % 3 + 1)
               * NGX_HTTP_HEAO_TAB_BOTTOM;

        ngx_http_heao_captcha_shade(bg, ct->decoy[i], ct->y, ct->x,
                                    NGX_HTTP_HEAO_PIECE_TABS | tabs,
                                    colour, &st);
    }

    /*
     * then the gap, and lines over everything: what the background shows
     * there is no function of the piece's pixels
     */

    ngx_http_heao_captcha_shade(bg, ct->x, ct->y, ct->x,
                                NGX_HTTP_HEAO_PIECE_TABS, colour, &st);

    ngx_http_heao_captcha_lines(bg, NGX_HTTP_HEAO_SCRATCHES, &st);

    ct->background = ngx_http_heao_captcha_png(bg, &ct->background_size);
    ct->piece = ngx_http_heao_captcha_png(pc, &ct->piece_size);

done:

    if (bg) {
        gdImageDestroy(bg);
    }

    if (pc) {
        gdImageDestroy(pc);
    }
}


/* a gradient between two random colours, then shapes and lines */

static void
ngx_http_heao_captcha_draw(gdImagePtr im, uint64_t *st)
{
    int       i, py, r, g, b, w, h;
    uint32_t  c, c0, c1;

    w = NGX_HTTP_HEAO_CAPTCHA_WIDTH;
    h = NGX_HTTP_HEAO_CAPTCHA_HEIGHT;

    c0 = ngx_http_heao_captcha_random(st);
    c1 = ngx_http_heao_captcha_random(st);

    for (py = 0; py < h; py++) {
        r = ((c0 & 0xff) * (h - py) + (c1 & 0xff) * py) / h;
        g = (((c0 >> 8) & 0xff) * (h - py) + ((c1 >> 8) & 0xff) * py) / h;
        b = (((c0 >> 16) & 0xff) * (h - py) + ((c1 >> 16) & 0xff) * py) / h;
        gdImageLine(im, 0, py, w - 1, py, gdTrueColor(r, g, b));
    }

    for (i = 0; i < 14; i++) {
        c = ngx_http_heao_captcha_random(st);
        gdImageFilledEllipse(im, ngx_http_heao_captcha_random(st) % w,
                             ngx_http_heao_captcha_random(st) % h,
                             20 + ngx_http_heao_captcha_random(st) % 70,
                             20 + ngx_http_heao_captcha_random(st) % 70,
                             gdTrueColorAlpha(c & 0xff, (c >> 8) & 0xff,
                                              (c >> 16) & 0xff, 70));
    }

    gdImageSetThickness(im, 2);

    ngx_http_heao_captcha_lines(im, NGX_HTTP_HEAO_CAPTCHA_LINES, st);
}


/* n lines of random colours, half transparent, anywhere */

static void
ngx_http_heao_captcha_lines(gdImagePtr im, ngx_uint_t n, uint64_t *st)
{
    int       w, h;
    uint32_t  c;

    w = NGX_HTTP_HEAO_CAPTCHA_WIDTH;
    h = NGX_HTTP_HEAO_CAPTCHA_HEIGHT;

    while (n--) {
        c = ngx_http_heao_captcha_random(st);
        gdImageLine(im, ngx_http_heao_captcha_random(st) % w,
                    ngx_http_heao_captcha_random(st) % h,
                    ngx_http_heao_captcha_random(st) % w,
                    ngx_http_heao_captcha_random(st) % h,
                    gdTrueColorAlpha(c & 0xff, (c >> 8) & 0xff,
                                     (c >> 16) & 0xff, 50));
    }
}


/*
 * Shades a gap of a shape (its tabs) whose box is at (x, y), over the
 * pixels of the box at (from, y): each pixel blended toward the dark
 * colour by an amount drawn for this gap and varying across it, plus
 * noise of its own, the outline toward white likewise.  Nothing of it
 * is a fixed function of the pixels underneath, so a gap is no scaled
 * copy of its piece.
 */

static void
ngx_http_heao_captcha_shade(gdImagePtr im, int x, int y, int from,
    ngx_uint_t tabs, uint32_t colour, uint64_t *st)
{
    int         px, py, k, c, v, mix, shade, outline, lx, ly, noise,
                rgb[3];
    ngx_uint_t  edge;

    shade = NGX_HTTP_HEAO_SHADE_MIN
            + ngx_http_heao_captcha_random(st) % NGX_HTTP_HEAO_SHADE_SPREAD;
    lx = (int) (ngx_http_heao_captcha_random(st)
               % (2 * NGX_HTTP_HEAO_SHADE_LIGHT + 1))
         - NGX_HTTP_HEAO_SHADE_LIGHT;
    ly = (int) (ngx_http_heao_captcha_random(st)
               % (2 * NGX_HTTP_HEAO_SHADE_LIGHT + 1))
         - NGX_HTTP_HEAO_SHADE_LIGHT;
    outline = NGX_HTTP_HEAO_OUTLINE_MIN
              + ngx_http_heao_captcha_random(st)
                % NGX_HTTP_HEAO_OUTLINE_SPREAD;

    for (py = 0; py < NGX_HTTP_HEAO_PIECE + NGX_HTTP_HEAO_PIECE_TAB; py++) {
        for (px = -NGX_HTTP_HEAO_PIECE_TAB; px < NGX_HTTP_HEAO_PIECE; px++) {

            if (!ngx_http_heao_piece_inside(px, py, tabs)) {
                continue;
            }

            edge = ngx_http_heao_piece_edge(px, py, tabs);
            c = gdImageGetTrueColorPixel(im, from + px, y + py);

            /* grey noise: the same on all three channels, smaller PNGs */

            noise = (int) (ngx_http_heao_captcha_random(st)
                           % (2 * NGX_HTTP_HEAO_SHADE_NOISE + 1))
                    - NGX_HTTP_HEAO_SHADE_NOISE;

            mix = shade + (lx * (2 * px - NGX_HTTP_HEAO_PIECE)
                           + ly * (2 * py - NGX_HTTP_HEAO_PIECE))
                          / NGX_HTTP_HEAO_PIECE;

            /* gd keeps red in bits 16-23, green 8-15, blue 0-7 */

            for (k = 0; k < 3; k++) {
                v = (c >> (16 - 8 * k)) & 0xff;

                if (edge) {
                    v = (v * (256 - outline) + 255 * outline) >> 8;

                } else {
                    v = (v * (256 - mix)
                         + ((colour >> (8 * k)) & 0xff)
                           % NGX_HTTP_HEAO_SHADE_DARK * mix)
                        >> 8;
                }

                rgb[k] = ngx_http_heao_captcha_level(v + noise);
            }

            gdImageSetPixel(im, x + px, y + py,
                            gdTrueColor(rgb[0], rgb[1], rgb[2]));
        }
    }
}


/*
 * gd's PNG with only the chunks a picture needs: gd adds pHYs, and no
 * other chunk is to tell a script anything; NULL if gd's output is not
 * whole chunks.  The grain of the gaps does not compress: zlib's fastest
 * level gives the same size as its default in half the time.
 */

static void *
ngx_http_heao_captcha_png(gdImagePtr im, int *size)
{
    size_t   len;
    u_char  *png, *p, *dst, *last;

    png = gdImagePngPtrEx(im, size, NGX_HTTP_HEAO_PNG_LEVEL);
    if (png == NULL) {
        return NULL;
    }

    if (*size < NGX_HTTP_HEAO_PNG_SIGNATURE) {
        goto failed;
    }

    last = png + *size;
    p = png + NGX_HTTP_HEAO_PNG_SIGNATURE;
    dst = p;

    while ((size_t) (last - p) >= NGX_HTTP_HEAO_PNG_CHUNK) {
        len = (size_t) p[0] << 24 | (size_t) p[1] << 16
              | (size_t) p[2] << 8 | p[3];

        if (len > (size_t) (last - p) - NGX_HTTP_HEAO_PNG_CHUNK) {
            break;
        }

        len += NGX_HTTP_HEAO_PNG_CHUNK;

        /* an ancillary chunk has its first type letter in lower case */

        if (!(p[4] & 0x20)) {
            dst = ngx_movemem(dst, p, len);
        }

        p += len;
    }

    if (p != last) {
        goto failed;
    }

    *size = dst - png;

    return png;

failed:

    gdFree(png);

    return NULL;
}


static void
ngx_http_heao_captcha_event(ngx_event_t *ev)
{
    ngx_thread_task_t             *task;
    ngx_http_request_t            *r;
    ngx_http_heao_ctx_t           *ctx;
    ngx_http_heao_captcha_t       *cp;
    ngx_http_heao_captcha_task_t  *ct;

    r = ev->data;

    task = (ngx_thread_task_t *) ((u_char *) ev
                                  - offsetof(ngx_thread_task_t, event));
    ct = task->ctx;

    ctx = ngx_http_get_module_ctx(r, ngx_http_heao_module);
    cp = ctx->data;

    ctx->rc = NGX_ERROR;

    if (ct->background && ct->piece
        && ngx_http_heao_captcha_data_url(r, ct->background,
                                          ct->background_size,
                                          &cp->background) == NGX_OK
        && ngx_http_heao_captcha_data_url(r, ct->piece, ct->piece_size,
                                          &cp->piece) == NGX_OK)
    {
        ctx->rc = NGX_OK;
    }

    if (ct->background) {
        gdFree(ct->background);
    }

    if (ct->piece) {
        gdFree(ct->piece);
    }

    ngx_http_heao_thread_finish(r);
}


static ngx_int_t
ngx_http_heao_captcha_data_url(ngx_http_request_t *r, void *png, int size,
    ngx_str_t *url)
{
    ngx_str_t  src, dst;

    static u_char  prefix[] = "data:image/png;base64,";

    url->data = ngx_pnalloc(r->pool, sizeof(prefix) - 1
                                     + ngx_base64_encoded_length(size));
    if (url->data == NULL) {
        return NGX_ERROR;
    }

    src.data = png;
    src.len = size;
    dst.data = ngx_cpymem(url->data, prefix, sizeof(prefix) - 1);

    ngx_encode_base64(&dst, &src);

    url->len = sizeof(prefix) - 1 + dst.len;

    return NGX_OK;
}


/* a square with a round tab on each side that tabs names */

static ngx_uint_t
ngx_http_heao_piece_inside(int px, int py, ngx_uint_t tabs)
{
    int         top, half, r2;
    ngx_uint_t  i;

    static struct {
        ngx_uint_t  tab;
        int         x2;         /* the tab's centre, in half bodies */
        int         y2;
    } centres[] = {
        { NGX_HTTP_HEAO_TAB_TOP, 1, 0 },
        { NGX_HTTP_HEAO_TAB_RIGHT, 2, 1 },
        { NGX_HTTP_HEAO_TAB_BOTTOM, 1, 2 },
        { NGX_HTTP_HEAO_TAB_LEFT, 0, 1 }
    };

    top = NGX_HTTP_HEAO_PIECE - NGX_HTTP_HEAO_PIECE_BODY;
    half = NGX_HTTP_HEAO_PIECE_BODY / 2;
    r2 = NGX_HTTP_HEAO_PIECE_TAB * NGX_HTTP_HEAO_PIECE_TAB;

    py -= top;

    if (px >= 0 && px < NGX_HTTP_HEAO_PIECE_BODY
        && py >= 0 && py < NGX_HTTP_HEAO_PIECE_BODY)
    {
        return 1;
    }

    for (i = 0; i < sizeof(centres) / sizeof(centres[0]); i++) {
        if ((tabs & centres[i].tab)
            && (px - centres[i].x2 * half) * (px - centres[i].x2 * half)
               + (py - centres[i].y2 * half) * (py - centres[i].y2 * half)
               <= r2)
        {
            return 1;
        }
    }

    return 0;
}


/* a pixel of the shape next to one outside it */

static ngx_uint_t
ngx_http_heao_piece_edge(int px, int py, ngx_uint_t tabs)
{
    return !ngx_http_heao_piece_inside(px - 1, py, tabs)
           || !ngx_http_heao_piece_inside(px + 1, py, tabs)
           || !ngx_http_heao_piece_inside(px, py - 1, tabs)
           || !ngx_http_heao_piece_inside(px, py + 1, tabs);
}


static int
ngx_http_heao_captcha_level(int v)
{
    return v < 0 ? 0 : (v > 255 ? 255 : v);
}


/*
 * Where the gap and its decoys go, from two random words: three left
 * edges on a ring of the span's positions, the gap's anywhere, and each
 * next one round the ring a spacing further plus a share, drawn alike
 * for all three, of what the ring has left.  The gap's edge is uniform
 * over the span, and which of the three is the gap's cannot be told from
 * where they are.
 */

static void
ngx_http_heao_captcha_place(uint32_t *rnd, int *x, int *decoy)
{
    int         pos, arc[NGX_HTTP_HEAO_CAPTCHA_DECOYS + 1];
    uint32_t    share;
    ngx_uint_t  i;

    /* the span holds the three apart, and a word lasts for the shares */

#if (NGX_HTTP_HEAO_CAPTCHA_SPAN                                               \
     < (NGX_HTTP_HEAO_CAPTCHA_DECOYS + 1) * NGX_HTTP_HEAO_GAP_SPACING        \
     || NGX_HTTP_HEAO_CAPTCHA_SPAN                                            \
        > (NGX_HTTP_HEAO_CAPTCHA_DECOYS + 1) * NGX_HTTP_HEAO_GAP_SPACING + 20)
#error the captcha span does not fit the gap and its decoys
#endif

    for (i = 0; i <= NGX_HTTP_HEAO_CAPTCHA_DECOYS; i++) {
        arc[i] = NGX_HTTP_HEAO_GAP_SPACING;
    }

    share = rnd[1];

    for (i = (NGX_HTTP_HEAO_CAPTCHA_DECOYS + 1) * NGX_HTTP_HEAO_GAP_SPACING;
         i < NGX_HTTP_HEAO_CAPTCHA_SPAN;
         i++)
    {
        arc[share % (NGX_HTTP_HEAO_CAPTCHA_DECOYS + 1)]++;
        share /= NGX_HTTP_HEAO_CAPTCHA_DECOYS + 1;
    }

    pos = rnd[0] % NGX_HTTP_HEAO_CAPTCHA_SPAN;
    *x = NGX_HTTP_HEAO_CAPTCHA_LEFT + pos;

    for (i = 0; i < NGX_HTTP_HEAO_CAPTCHA_DECOYS; i++) {
        pos = (pos + arc[i]) % NGX_HTTP_HEAO_CAPTCHA_SPAN;
        decoy[i] = NGX_HTTP_HEAO_CAPTCHA_LEFT + pos;
    }
}


/* xorshift64*: the look of the picture, not a secret */

static uint32_t
ngx_http_heao_captcha_random(uint64_t *state)
{
    uint64_t  x;

    x = *state;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *state = x;

    return (uint32_t) ((x * 0x2545F4914F6CDD1DULL) >> 32);
}


/*
 * An identifier is what ngx_http_heao_random_token() makes: anything else
 * would name some other key under the challenge prefix in Redis (found
 * by t/fuzz/fuzz-captcha.c)
 */

static ngx_uint_t
ngx_http_heao_captcha_id(const char *id)
{
    for ( /* void */ ; *id; id++) {
        if (!ngx_http_heao_token_char(*id)) {
            return 0;
        }
    }

    return 1;
}
