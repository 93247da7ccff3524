#ifndef PAIRDX_CPNG_H
#define PAIRDX_CPNG_H
/*
 * A thin C layer over libpng. libpng reports errors by longjmp; every setjmp lives in these C
 * functions, which return a status code and copy libpng's message into a caller buffer, so no
 * longjmp ever crosses Swift frames.
 */
#include <stddef.h>
#include <stdint.h>

/* Status codes. */
enum {
    PDX_PNG_OK = 0,
    PDX_PNG_NOT_PNG = 1,     /* signature mismatch */
    PDX_PNG_TRUNCATED = 2,   /* the data ended before the image did */
    PDX_PNG_CORRUPT = 3,     /* libpng rejected the stream; message says why */
    PDX_PNG_TOO_LARGE = 4,   /* width*height above the caller's limit (read from IHDR, nothing allocated) */
    PDX_PNG_NO_MEMORY = 5,
    PDX_PNG_BAD_ARGUMENT = 6
};

/* What IHDR says. */
typedef struct {
    uint32_t width;
    uint32_t height;
    int bit_depth;
    int color_type;  /* PNG_COLOR_TYPE_* */
    int interlaced;  /* 1 for Adam7 */
    int has_trns;
} pdx_png_header;

/* libpng's version string, for reports. */
const char *_pdx_png_version(void);

/* Reads the header only. */
int pdx_png_read_header(const uint8_t *data, size_t size, pdx_png_header *header, char *message, size_t message_size);

/*
 * Decodes to 8-bit interleaved pixels: 1 channel for grey (with or without alpha), 3 for
 * everything else. Palette and low-bit grey are expanded, 16-bit samples keep their high byte,
 * alpha (including tRNS) is dropped without compositing, Adam7 is de-interlaced.
 * On success *pixels is a malloc'd buffer of width*height*channels bytes: free it with pdx_free.
 */
int pdx_png_decode(const uint8_t *data, size_t size, uint64_t max_pixels, pdx_png_header *header,
                   uint32_t *channels, uint8_t **pixels, char *message, size_t message_size);

/*
 * Encodes 8-bit grey (channels 1), RGB (3) or RGBA (4) pixels as a non-interlaced PNG with zlib
 * level `level` (0-9) and no ancillary chunks: the output is a function of the inputs alone.
 * On success *out is a malloc'd buffer of *out_size bytes: free it with pdx_free.
 */
int pdx_png_encode(const uint8_t *pixels, uint32_t width, uint32_t height, uint32_t channels, int level,
                   uint8_t **out, size_t *out_size, char *message, size_t message_size);

/*
 * Writes rows already in PNG's raw sample layout (bit-packed below 8 bits, big-endian 16-bit) with
 * any colour type and depth, optional Adam7, optional palette (RGB triples) and tRNS bytes. For
 * building test images of every kind; `raw` holds height rows of ceil(width*bits_per_pixel/8) bytes.
 */
int pdx_png_encode_raw(const uint8_t *raw, uint32_t width, uint32_t height, int color_type, int bit_depth,
                       int interlaced, const uint8_t *palette, int palette_entries, const uint8_t *trns,
                       int trns_count, uint8_t **out, size_t *out_size, char *message, size_t message_size);

void pdx_free(void *p);

#endif
