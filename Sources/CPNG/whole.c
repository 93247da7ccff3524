/* The PNG decoder's one-step path: every IDAT inflated at once by libdeflate (decoder.h). */
#include "decoder.h"
#include <libdeflate.h>
#include <stdlib.h>
#include <string.h>

/*
 * The whole stream in one step through libdeflate, for a sequential image whose IDAT chunks are all
 * present with good CRCs and whose zlib stream declares a 32 KiB window and inflates to exactly the image's
 * bytes with a good Adler-32. Returns PDX_PNG_OK when it delivered the image, -1 when the stream does not
 * qualify (nothing delivered: the caller streams it instead), else the sink's stop or a filter error.
 */
int pdx_png_decode_whole(decoder *d, const pdx_png_sink *sink) {
    /* The run of IDAT chunks. */
    size_t pos = d->pos, total = 0;
    int count = 0;
    const uint8_t *single = NULL;
    for (;;) {
        size_t saved = d->pos;
        chunk c;
        d->pos = pos;
        int rc = pdx_png_read_chunk(d, &c);
        d->pos = saved;
        if (rc != PDX_PNG_OK) {
            if (count == 0) return -1;
            break; /* what follows the run is no concern of the pixels */
        }
        if (c.type != T_IDAT) break;
        if (!c.complete || !pdx_png_crc_ok(&c)) return -1;
        total += c.length;
        single = c.body;
        count++;
        pos += 12 + (size_t)c.length;
    }
    if (total < 6) return -1;
    uint64_t need = (uint64_t)(d->rowbytes + 1) * d->h.height;
    uint64_t request = need + (count > 1 ? total : 0);
    if (need > SIZE_MAX / 2 || sink->try_reserve(sink->context, request) != 0) return -1;
    uint8_t *pixels = (uint8_t *)malloc((size_t)need);
    uint8_t *joined = count > 1 ? (uint8_t *)malloc(total) : NULL;
    int result = -1;
    if (pixels == NULL || (count > 1 && joined == NULL)) goto done;
    const uint8_t *in = single;
    if (count > 1) {
        size_t at = 0;
        for (size_t p = d->pos; at < total; p += 12 + be32(d->data + p)) {
            uint32_t n = be32(d->data + p);
            memcpy(joined + at, d->data + p + 8, n);
            at += n;
        }
        in = joined;
    }
    /* zlib header: deflate with a 32 KiB window (a smaller declared window is zlib's to judge), no dictionary. */
    if ((in[0] & 15) != 8 || (in[0] >> 4) != 7 || (in[1] & 32) != 0 || ((unsigned)in[0] << 8 | in[1]) % 31 != 0) goto done;
    struct libdeflate_decompressor *z = libdeflate_alloc_decompressor();
    if (z == NULL) goto done;
    size_t used = 0, produced = 0;
    enum libdeflate_result r = libdeflate_deflate_decompress_ex(z, in + 2, total - 2, pixels, (size_t)need, &used, &produced);
    libdeflate_free_decompressor(z);
    if (r != LIBDEFLATE_SUCCESS || produced != need || total - 2 - used < 4) goto done;
    if (libdeflate_adler32(1, pixels, (size_t)need) != be32(in + 2 + used)) goto done;
    /* Clean: undo the filters in place and deliver. */
    uint32_t w = d->h.width;
    uint8_t *out = (uint8_t *)malloc((size_t)w * d->channels + 1);
    uint8_t *zeros = (uint8_t *)calloc(d->rowbytes + 1, 1);
    if (out == NULL || zeros == NULL) {
        free(out);
        free(zeros);
        goto done;
    }
    const uint8_t *prev = zeros;
    result = PDX_PNG_OK;
    for (uint32_t y = 0; y < d->h.height; y++) {
        uint8_t *row = pixels + (size_t)y * (d->rowbytes + 1);
        if ((result = pdx_png_unfilter(d, row + 1, prev, d->rowbytes, row[0])) != PDX_PNG_OK) break;
        if (sink->row(sink->context, pdx_png_convert(d, row + 1, out, w), y) != 0) {
            result = PDX_PNG_STOPPED;
            break;
        }
        prev = row + 1;
    }
    free(out);
    free(zeros);
done:
    free(pixels);
    free(joined);
    return result;
}
