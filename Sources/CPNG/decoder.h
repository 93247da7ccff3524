/*
 * What the PNG decoder's files share (decode.c: chunks, the zlib stream and the entry point; whole.c: the
 * one-step libdeflate path; rows.c: filters and sample conversion). Private to CPNG: not under include/.
 */
#ifndef PDX_PNG_DECODER_H
#define PDX_PNG_DECODER_H

#include "cpng.h"
#include <stddef.h>
#include <stdint.h>

#define CHUNK(a, b, c, d) (((uint32_t)(a) << 24) | ((uint32_t)(b) << 16) | ((uint32_t)(c) << 8) | (uint32_t)(d))
enum {
    T_IHDR = CHUNK('I', 'H', 'D', 'R'),
    T_PLTE = CHUNK('P', 'L', 'T', 'E'),
    T_IDAT = CHUNK('I', 'D', 'A', 'T'),
    T_IEND = CHUNK('I', 'E', 'N', 'D')
};

static inline uint32_t be32(const uint8_t *p) {
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | (uint32_t)p[3];
}

typedef struct {
    const uint8_t *data;
    size_t size;
    size_t pos; /* offset of the next chunk header */
    char *message;
    size_t message_size;
    pdx_png_header h;
    uint32_t bits;     /* bits per pixel in the stream */
    size_t rowbytes;   /* bytes of a full-width row in the stream, without its filter byte */
    uint32_t channels; /* 1 or 3 out */
    uint8_t palette[256 * 3];
    int palette_entries;
    int seen_palette;
} decoder;

/* A chunk's header at d->pos: its length and type, checked as libpng checks them. */
typedef struct {
    uint32_t length;
    uint32_t type;
    const uint8_t *body;
    size_t available; /* body bytes present in the file */
    int complete;     /* body and CRC present */
} chunk;

/* Writes the message (printf format) for `status` and returns `status`. */
int pdx_png_fail(decoder *d, int status, const char *format, ...);
/* Reads the chunk header at d->pos into `c`; PDX_PNG_OK or the error libpng would report. */
int pdx_png_read_chunk(decoder *d, chunk *c);
/* Whether a complete chunk's CRC is right. */
int pdx_png_crc_ok(const chunk *c);
/* Undoes one row's filter in place; `prev` is the previous row of the same pass (zeros for the first). */
int pdx_png_unfilter(decoder *d, uint8_t *cur, const uint8_t *prev, size_t n, int filter);
/* Converts `width` pixels of an unfiltered stream row to 8-bit grey or RGB in `out`; returns the row to deliver
 * (the input itself when it already is one). */
const uint8_t *pdx_png_convert(const decoder *d, const uint8_t *raw, uint8_t *out, uint32_t width);
/* The whole stream in one step through libdeflate (whole.c); -1 when the stream does not qualify. */
int pdx_png_decode_whole(decoder *d, const pdx_png_sink *sink);

#endif
