#ifndef PAIRDX_CPNG_H
#define PAIRDX_CPNG_H
/*
 * PNG in C: our decoder (chunks, libdeflate or zlib inflate, filters, sample conversion) and a thin
 * layer over libpng for encoding and for the reference decoder. libpng reports errors by longjmp; every
 * setjmp lives in these C functions, which return a status code and copy the message into a caller
 * buffer, so no longjmp ever crosses Swift frames.
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
    PDX_PNG_BAD_ARGUMENT = 6,
    PDX_PNG_OVER_BUDGET = 7, /* the sink refused the memory an interlaced image needs buffered */
    PDX_PNG_STOPPED = 8      /* the sink asked to stop */
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

/* Reads the header only. */
int pdx_png_read_header(const uint8_t *data, size_t size, pdx_png_header *header, char *message, size_t message_size);

/* Receives a decode's rows. */
typedef struct {
    void *context;
    /* Called once before any row memory is committed, with the size, the channel count (1 or 3) and the
     * bytes the decoder must buffer for the whole image (width*height*channels for Adam7, else 0).
     * Return 0 to go on, anything else to refuse (the decode then returns PDX_PNG_OVER_BUDGET). */
    int (*begin)(void *context, uint32_t width, uint32_t height, uint32_t channels, uint64_t buffered_bytes);
    /* Called for every row, top to bottom, with width*channels bytes. Return 0 to go on. */
    int (*row)(void *context, const uint8_t *pixels, uint32_t y);
    /* Optional (may be NULL), called at most once, after `begin`, for a sequential image only: asks without
     * waiting for `bytes` to inflate the whole pixel stream in one step. Return 0 if they are granted (the
     * caller's to give back when the decode has returned), anything else to have the stream inflated a row
     * at a time. The pixels are the same either way. */
    int (*try_reserve)(void *context, uint64_t bytes);
} pdx_png_sink;

/*
 * Decodes to 8-bit interleaved rows handed to `sink` one at a time: 1 channel for grey (with or without
 * alpha), 3 for everything else. Palette and low-bit grey are expanded (indices past the palette give
 * black), 16-bit samples keep their high byte, alpha (including tRNS) is dropped without compositing,
 * Adam7 is de-interlaced. Sides above max_side or more than max_pixels pixels are refused from IHDR;
 * ancillary chunks are skipped unread; critical chunks are CRC-checked.
 *
 * Our own decoder: chunks parsed here, the pixel stream inflated by libdeflate in one step when the sink
 * grants the memory (`try_reserve`) and the stream is clean, else by zlib a row at a time (then a
 * sequential image holds two rows); filters undone and samples converted here. Errors follow libpng's
 * kinds: the file ending before the image does is PDX_PNG_TRUNCATED, anything malformed PDX_PNG_CORRUPT.
 */
int pdx_png_decode_rows(const uint8_t *data, size_t size, uint64_t max_pixels, uint32_t max_side,
                        const pdx_png_sink *sink, pdx_png_header *header, uint32_t *channels, char *message,
                        size_t message_size);

/* The same contract through libpng (row by row, zlib inflate): the reference the tests compare against.
 * `try_reserve` is not used. */
int pdx_png_decode_rows_libpng(const uint8_t *data, size_t size, uint64_t max_pixels, uint32_t max_side,
                               const pdx_png_sink *sink, pdx_png_header *header, uint32_t *channels,
                               char *message, size_t message_size);

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

/* Copies src (NULL as "") into dst, truncated to cap - 1 bytes and NUL-terminated; nothing when dst is NULL or
 * cap is 0. The message helper of every C decoder here (CJPEG too). */
void pdx_copy_message(char *dst, size_t cap, const char *src);

#endif
