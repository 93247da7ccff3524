#ifndef PAIRDX_CJPEG_H
#define PAIRDX_CJPEG_H
/*
 * libjpeg-turbo for pairdx. Encoding goes through the TurboJPEG API (declared below by turbojpeg.h).
 * Decoding goes through the libjpeg API by scanlines, so rows reach the caller one at a time and no
 * full-size output buffer exists: libjpeg reports errors by longjmp, and every setjmp lives in cjpeg.c,
 * so no longjmp ever crosses Swift frames (the row callback runs between libjpeg calls, never inside one).
 */
#include <stddef.h>
#include <stdint.h>
#include <turbojpeg.h>

/* Status codes. */
enum {
    PDX_JPEG_OK = 0,
    PDX_JPEG_TRUNCATED = 1,      /* the data ended early (libjpeg's end-of-file or end-of-data-segment warnings) */
    PDX_JPEG_CORRUPT = 2,        /* libjpeg rejected the stream; the message says why */
    PDX_JPEG_TOO_LARGE = 3,      /* width*height above the pixel limit (from the header, nothing allocated) */
    PDX_JPEG_OVER_BUDGET = 4,    /* a multi-scan image needs more buffered coefficients than it was granted */
    PDX_JPEG_TOO_MANY_SCANS = 5, /* more scans than the scan limit */
    PDX_JPEG_STOPPED = 6         /* the caller's callback asked to stop */
};

/* What the headers say. */
typedef struct {
    uint32_t width;               /* full size */
    uint32_t height;
    int components;
    int colorspace;               /* libjpeg's J_COLOR_SPACE of the stream */
    int multiscan;                /* 1 when the image needs a whole-image coefficient buffer (progressive or non-interleaved) */
    uint64_t coefficient_bytes;   /* bytes of that buffer (0 when single-scan) */
} pdx_jpeg_info;

/* Receives a decode's rows. */
typedef struct {
    void *context;
    /* Called once before any pixel memory is committed, with the output size, the channel count (1 grey,
     * 3 RGB) and the bytes the decoder must buffer for the whole image (coefficient_bytes). Return 0 to go
     * on, anything else to refuse (the decode then returns PDX_JPEG_OVER_BUDGET). */
    int (*begin)(void *context, uint32_t width, uint32_t height, uint32_t channels, uint64_t buffered_bytes);
    /* Called for every output row, top to bottom, with width*channels bytes. Return 0 to go on. */
    int (*row)(void *context, const uint8_t *pixels, uint32_t y);
} pdx_jpeg_sink;

/* Reads the headers (up to the first scan) only. */
int pdx_jpeg_read_header(const uint8_t *data, size_t size, pdx_jpeg_info *info, char *message, size_t message_size);

/*
 * Decodes to 8-bit grey (grey streams) or RGB (YCbCr, RGB, CMYK and YCCK streams; CMYK as inverted ink,
 * R = C*K/255 rounded), DCT-scaled by scale_eighths/8 (1...8), islow DCT and fancy upsampling (the
 * TurboJPEG defaults). Refuses more than max_pixels full-size pixels before decoding, stops after
 * max_scans scans, and caps libjpeg's whole-image buffers at the bytes the sink's begin() accepted.
 */
int pdx_jpeg_decode_rows(const uint8_t *data, size_t size, uint64_t max_pixels, int max_scans, int scale_eighths,
                         const pdx_jpeg_sink *sink, pdx_jpeg_info *info, char *message, size_t message_size);

#endif
