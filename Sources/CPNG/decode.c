/*
 * Our PNG decoder (contract in cpng.h, pdx_png_decode_rows). Chunks are parsed here; the pixel stream is
 * inflated by libdeflate in one step when the caller grants the memory and the stream is clean (whole.c), else
 * here by zlib a row at a time, whose handling of damaged files follows libpng's (the same error kinds); filters
 * are undone and samples converted to 8-bit grey or RGB in rows.c. What the files share is in decoder.h.
 */
#include "decoder.h"
#include <libdeflate.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

int pdx_png_fail(decoder *d, int status, const char *format, ...) {
    if (d->message != NULL && d->message_size > 0) {
        va_list args;
        va_start(args, format);
        vsnprintf(d->message, d->message_size, format, args);
        va_end(args);
    }
    return status;
}

static void chunk_name(uint32_t type, char out[5]) {
    for (int i = 0; i < 4; i++) out[i] = (char)((type >> (24 - 8 * i)) & 0xff);
    out[4] = 0;
}

int pdx_png_read_chunk(decoder *d, chunk *c) {
    if (d->size - d->pos < 8) return pdx_png_fail(d, PDX_PNG_TRUNCATED, "the file ends before the image does");
    const uint8_t *p = d->data + d->pos;
    c->length = be32(p);
    c->type = be32(p + 4);
    if (c->length > 0x7fffffffu) return pdx_png_fail(d, PDX_PNG_CORRUPT, "PNG unsigned integer out of range");
    for (int i = 4; i < 8; i++) {
        uint8_t b = p[i];
        if (!((b >= 'A' && b <= 'Z') || (b >= 'a' && b <= 'z')))
            return pdx_png_fail(d, PDX_PNG_CORRUPT, "[%02X%02X%02X%02X]: invalid chunk type", p[4], p[5], p[6], p[7]);
    }
    /* libpng's "chunk data is too large" is a warning when reading: a long chunk is read on, to the file's end. */
    size_t rest = d->size - d->pos - 8;
    c->body = p + 8;
    c->available = rest < c->length ? rest : c->length;
    c->complete = rest >= (size_t)c->length + 4;
    return PDX_PNG_OK;
}

int pdx_png_crc_ok(const chunk *c) {
    uint32_t crc = libdeflate_crc32(0, c->body - 4, (size_t)c->length + 4);
    return crc == be32(c->body + c->length);
}

/* A critical chunk read whole: complete and with a good CRC. */
static int read_whole(decoder *d, const chunk *c) {
    char n[5];
    chunk_name(c->type, n);
    if (!c->complete) return pdx_png_fail(d, PDX_PNG_TRUNCATED, "the file ends before the image does");
    if (!pdx_png_crc_ok(c)) return pdx_png_fail(d, PDX_PNG_CORRUPT, "%s: CRC error", n);
    return PDX_PNG_OK;
}

static int check_ihdr(decoder *d, const uint8_t *b) {
    pdx_png_header *h = &d->h;
    h->width = be32(b);
    h->height = be32(b + 4);
    h->bit_depth = b[8];
    h->color_type = b[9];
    h->interlaced = b[12] == 1;
    h->has_trns = 0;
    if (h->width > 0x7fffffffu || h->height > 0x7fffffffu)
        return pdx_png_fail(d, PDX_PNG_CORRUPT, "PNG unsigned integer out of range");
    if (h->width == 0) return pdx_png_fail(d, PDX_PNG_CORRUPT, "Image width is zero in IHDR");
    if (h->height == 0) return pdx_png_fail(d, PDX_PNG_CORRUPT, "Image height is zero in IHDR");
    int depth = h->bit_depth, ct = h->color_type;
    if (depth != 1 && depth != 2 && depth != 4 && depth != 8 && depth != 16)
        return pdx_png_fail(d, PDX_PNG_CORRUPT, "Invalid bit depth in IHDR");
    if (ct != 0 && ct != 2 && ct != 3 && ct != 4 && ct != 6) return pdx_png_fail(d, PDX_PNG_CORRUPT, "Invalid color type in IHDR");
    if ((ct == 3 && depth > 8) || ((ct == 2 || ct == 4 || ct == 6) && depth < 8))
        return pdx_png_fail(d, PDX_PNG_CORRUPT, "Invalid color type/bit depth combination in IHDR");
    if (b[12] > 1) return pdx_png_fail(d, PDX_PNG_CORRUPT, "Unknown interlace method in IHDR");
    if (b[10] != 0) return pdx_png_fail(d, PDX_PNG_CORRUPT, "Unknown compression method in IHDR");
    if (b[11] != 0) return pdx_png_fail(d, PDX_PNG_CORRUPT, "Unknown filter method in IHDR");
    int samples = ct == 2 ? 3 : ct == 4 ? 2 : ct == 6 ? 4 : 1;
    d->bits = (uint32_t)(samples * depth);
    d->rowbytes = (size_t)(((uint64_t)h->width * d->bits + 7) / 8);
    d->channels = (ct == 0 || ct == 4) ? 1 : 3;
    return PDX_PNG_OK;
}

/* Signature, IHDR and the chunks before the first IDAT; d->pos is left on that IDAT's header. */
static int read_head(decoder *d) {
    static const uint8_t signature[8] = {137, 80, 78, 71, 13, 10, 26, 10};
    if (d->data == NULL || d->size < 8 || memcmp(d->data, signature, 8) != 0)
        return pdx_png_fail(d, PDX_PNG_NOT_PNG, "not a PNG signature");
    d->pos = 8;
    chunk c;
    int rc = pdx_png_read_chunk(d, &c);
    if (rc != PDX_PNG_OK) return rc;
    if (c.type != T_IHDR) {
        char n[5];
        chunk_name(c.type, n);
        return pdx_png_fail(d, PDX_PNG_CORRUPT, "%s: missing IHDR", n);
    }
    if (c.length != 13) return pdx_png_fail(d, PDX_PNG_CORRUPT, "IHDR: invalid");
    if ((rc = read_whole(d, &c)) != PDX_PNG_OK) return rc;
    if ((rc = check_ihdr(d, c.body)) != PDX_PNG_OK) return rc;
    d->pos += 12 + (size_t)c.length;
    for (;;) {
        if ((rc = pdx_png_read_chunk(d, &c)) != PDX_PNG_OK) return rc;
        char n[5];
        chunk_name(c.type, n);
        if (c.type == T_IDAT) {
            if (d->h.color_type == 3 && d->palette_entries == 0) return pdx_png_fail(d, PDX_PNG_CORRUPT, "Missing PLTE before IDAT");
            return PDX_PNG_OK;
        }
        if (c.type == T_IHDR) return pdx_png_fail(d, PDX_PNG_CORRUPT, "IHDR: out of place");
        if (c.type == T_IEND) return pdx_png_fail(d, PDX_PNG_CORRUPT, "IEND: No image in file");
        if (c.type == T_PLTE) {
            if (d->seen_palette) return pdx_png_fail(d, PDX_PNG_CORRUPT, "PLTE: duplicate");
            d->seen_palette = 1;
            if ((rc = read_whole(d, &c)) != PDX_PNG_OK) return rc;
            if (d->h.color_type == 3) {
                if (c.length == 0 || c.length > 768 || c.length % 3 != 0) return pdx_png_fail(d, PDX_PNG_CORRUPT, "PLTE: invalid");
                int entries = (int)(c.length / 3);
                if (entries > (1 << d->h.bit_depth)) entries = 1 << d->h.bit_depth;
                memcpy(d->palette, c.body, (size_t)entries * 3);
                d->palette_entries = entries;
            }
        } else if (c.type == CHUNK('t', 'R', 'N', 'S')) {
            /* Alpha is dropped, so only its presence is recorded; the body is skipped as libpng skips it. */
            if (!c.complete) return pdx_png_fail(d, PDX_PNG_TRUNCATED, "the file ends before the image does");
            d->h.has_trns = 1;
        } else if ((c.type >> 29 & 1) == 0) {
            /* Bit 5 of the first letter clear: critical, and unknown to a PNG decoder. */
            return pdx_png_fail(d, PDX_PNG_CORRUPT, "%s: unknown critical chunk", n);
        } else if (!c.complete) {
            return pdx_png_fail(d, PDX_PNG_TRUNCATED, "the file ends before the image does");
        }
        d->pos += 12 + (size_t)c.length;
    }
}

/* ---- The pixel stream ---- */

/* zlib over the IDAT chunks, as libpng reads them: in pieces of 8 KiB (libpng's IDAT read size), each wholly
 * present in the file or the decode is truncated; a chunk's CRC checked when it has been used up; the next chunk
 * must be IDAT. */
#define IDAT_PIECE 8192
typedef struct {
    decoder *d;
    z_stream z;
    chunk c;
    size_t used; /* bytes of the current chunk's body given to zlib */
    int ended;   /* Z_STREAM_END seen */
} stream;

/* Gives zlib the next piece of IDAT data. */
static int next_input(stream *s) {
    decoder *d = s->d;
    if (s->used == s->c.length) {
        if (!s->c.complete) return pdx_png_fail(d, PDX_PNG_TRUNCATED, "the file ends before the image does");
        if (!pdx_png_crc_ok(&s->c)) return pdx_png_fail(d, PDX_PNG_CORRUPT, "IDAT: CRC error");
        d->pos += 12 + (size_t)s->c.length;
        int rc = pdx_png_read_chunk(d, &s->c);
        if (rc != PDX_PNG_OK) return rc;
        if (s->c.type != T_IDAT) return pdx_png_fail(d, PDX_PNG_CORRUPT, "Not enough image data");
        s->used = 0;
        if (s->c.length == 0) return PDX_PNG_OK;
    }
    size_t piece = s->c.length - s->used;
    if (piece > IDAT_PIECE) piece = IDAT_PIECE;
    if (s->used + piece > s->c.available) return pdx_png_fail(d, PDX_PNG_TRUNCATED, "the file ends before the image does");
    s->z.next_in = (Bytef *)(s->c.body + s->used);
    s->z.avail_in = (uInt)piece;
    s->used += piece;
    return PDX_PNG_OK;
}

/* Fills `n` bytes of `out` (n > 0) from the stream. */
static int inflate_into(stream *s, uint8_t *out, size_t n) {
    s->z.next_out = out;
    s->z.avail_out = (uInt)n;
    while (s->z.avail_out > 0) {
        if (s->ended) return pdx_png_fail(s->d, PDX_PNG_CORRUPT, "Not enough image data");
        if (s->z.avail_in == 0) {
            int rc = next_input(s);
            if (rc != PDX_PNG_OK) return rc;
            continue;
        }
        int z = inflate(&s->z, Z_NO_FLUSH);
        if (z == Z_STREAM_END) s->ended = 1;
        else if (z == Z_BUF_ERROR) continue; /* no progress possible: more input is needed */
        else if (z != Z_OK)
            return pdx_png_fail(s->d, z == Z_MEM_ERROR ? PDX_PNG_NO_MEMORY : PDX_PNG_CORRUPT, "IDAT: %s",
                        s->z.msg != NULL ? s->z.msg : "zlib error");
    }
    return PDX_PNG_OK;
}

/* After the last row, as libpng: read on to the end of the stream (its own errors and extra data do not
 * matter then), then check the current chunk's CRC. */
static int finish_stream(stream *s) {
    uint8_t scratch[1024];
    while (!s->ended) {
        if (s->z.avail_in == 0) {
            int rc = next_input(s);
            if (rc != PDX_PNG_OK) return rc;
            continue;
        }
        s->z.next_out = scratch;
        s->z.avail_out = sizeof scratch;
        int z = inflate(&s->z, Z_NO_FLUSH);
        if (z == Z_STREAM_END) s->ended = 1;
        else if (z != Z_OK && z != Z_BUF_ERROR) break;
    }
    if (!s->c.complete) return pdx_png_fail(s->d, PDX_PNG_TRUNCATED, "the file ends before the image does");
    if (!pdx_png_crc_ok(&s->c)) return pdx_png_fail(s->d, PDX_PNG_CORRUPT, "IDAT: CRC error");
    return PDX_PNG_OK;
}

static const uint8_t adam7[7][4] = {{0, 0, 8, 8}, {4, 0, 8, 8}, {0, 4, 4, 8}, {2, 0, 4, 4},
                                    {0, 2, 2, 4}, {1, 0, 2, 2}, {0, 1, 1, 2}}; /* x0, y0, dx, dy */

/* Row by row through zlib; Adam7 passes are gathered in a whole-image buffer first. */
static int decode_streaming(decoder *d, const pdx_png_sink *sink) {
    stream s;
    memset(&s, 0, sizeof s);
    s.d = d;
    int rc = pdx_png_read_chunk(d, &s.c);
    if (rc != PDX_PNG_OK) return rc;
    if (inflateInit(&s.z) != Z_OK) return pdx_png_fail(d, PDX_PNG_NO_MEMORY, "out of memory for zlib");
    uint32_t w = d->h.width, h = d->h.height, ch = d->channels;
    size_t stride = (size_t)w * ch;
    /* Two stream rows (each with its filter byte), one converted row, and the whole image for Adam7. */
    uint8_t *rows = (uint8_t *)calloc(2 * (d->rowbytes + 1) + stride + 1, 1);
    uint8_t *image = d->h.interlaced ? (uint8_t *)malloc(stride * h + 1) : NULL;
    if (rows == NULL || (d->h.interlaced && image == NULL)) {
        rc = pdx_png_fail(d, PDX_PNG_NO_MEMORY, "out of memory for the rows");
        goto done;
    }
    uint8_t *cur = rows, *prev = rows + d->rowbytes + 1, *out = rows + 2 * (d->rowbytes + 1);
    if (!d->h.interlaced) {
        for (uint32_t y = 0; y < h; y++) {
            if ((rc = inflate_into(&s, cur, d->rowbytes + 1)) != PDX_PNG_OK) goto done;
            if ((rc = pdx_png_unfilter(d, cur + 1, prev + 1, d->rowbytes, cur[0])) != PDX_PNG_OK) goto done;
            if (sink->row(sink->context, pdx_png_convert(d, cur + 1, out, w), y) != 0) {
                rc = PDX_PNG_STOPPED;
                goto done;
            }
            uint8_t *t = cur;
            cur = prev;
            prev = t;
        }
    } else {
        for (int p = 0; p < 7; p++) {
            uint32_t x0 = adam7[p][0], y0 = adam7[p][1], dx = adam7[p][2], dy = adam7[p][3];
            if (w <= x0 || h <= y0) continue;
            uint32_t pw = (w - x0 + dx - 1) / dx, ph = (h - y0 + dy - 1) / dy;
            size_t n = (size_t)(((uint64_t)pw * d->bits + 7) / 8);
            memset(prev, 0, n + 1);
            for (uint32_t r = 0; r < ph; r++) {
                if ((rc = inflate_into(&s, cur, n + 1)) != PDX_PNG_OK) goto done;
                if ((rc = pdx_png_unfilter(d, cur + 1, prev + 1, n, cur[0])) != PDX_PNG_OK) goto done;
                const uint8_t *px = pdx_png_convert(d, cur + 1, out, pw);
                uint8_t *dst = image + (size_t)(y0 + r * dy) * stride;
                for (uint32_t i = 0; i < pw; i++) memcpy(dst + (size_t)(x0 + i * dx) * ch, px + (size_t)i * ch, ch);
                uint8_t *t = cur;
                cur = prev;
                prev = t;
            }
        }
        for (uint32_t y = 0; y < h; y++)
            if (sink->row(sink->context, image + (size_t)y * stride, y) != 0) {
                rc = PDX_PNG_STOPPED;
                goto done;
            }
    }
    rc = finish_stream(&s);
done:
    inflateEnd(&s.z);
    free(rows);
    free(image);
    return rc;
}

int pdx_png_decode_rows(const uint8_t *data, size_t size, uint64_t max_pixels, uint32_t max_side,
                        const pdx_png_sink *sink, pdx_png_header *header, uint32_t *channels, char *message,
                        size_t message_size) {
    decoder *d = (decoder *)calloc(1, sizeof(decoder));
    if (d == NULL) {
        if (message != NULL && message_size > 0) snprintf(message, message_size, "out of memory");
        return PDX_PNG_NO_MEMORY;
    }
    d->data = data;
    d->size = size;
    d->message = message;
    d->message_size = message_size;
    int rc = read_head(d);
    if (rc != PDX_PNG_OK) goto done;
    *header = d->h;
    uint64_t count = (uint64_t)d->h.width * (uint64_t)d->h.height;
    if (count > max_pixels) {
        rc = pdx_png_fail(d, PDX_PNG_TOO_LARGE, "%ux%u is %llu pixels, above the limit of %llu", d->h.width, d->h.height,
                  (unsigned long long)count, (unsigned long long)max_pixels);
        goto done;
    }
    if (d->h.width > max_side || d->h.height > max_side) {
        rc = pdx_png_fail(d, PDX_PNG_TOO_LARGE, "%ux%u has a side above %u", d->h.width, d->h.height, max_side);
        goto done;
    }
    uint64_t buffered = d->h.interlaced ? (uint64_t)d->h.width * d->channels * d->h.height : 0;
    if (sink->begin(sink->context, d->h.width, d->h.height, d->channels, buffered) != 0) {
        rc = PDX_PNG_OVER_BUDGET;
        goto done;
    }
    *channels = d->channels;
    rc = -1;
    if (!d->h.interlaced && sink->try_reserve != NULL) rc = pdx_png_decode_whole(d, sink);
    if (rc == -1) rc = decode_streaming(d, sink);
done:
    free(d);
    return rc;
}
