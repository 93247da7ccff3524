#include "cjpeg.h"
#include "cpng.h"
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jpeglib.h>
#include <jerror.h>

/* Error manager plus what a decode learned: the first truncation warning and why it stopped. */
typedef struct {
    struct jpeg_error_mgr pub;
    jmp_buf jump;
    int truncated;      /* a warning that means the data ended early */
    int status;         /* the status to return when longjmp lands */
    int max_scans;
    char *message;
    size_t message_size;
} decoder_state;

static void on_error(j_common_ptr cinfo) {
    decoder_state *st = (decoder_state *)cinfo->err;
    char text[JMSG_LENGTH_MAX];
    (*cinfo->err->format_message)(cinfo, text);
    if (st->status == PDX_JPEG_CORRUPT && cinfo->err->msg_code == JERR_NO_BACKING_STORE) {
        st->status = PDX_JPEG_OVER_BUDGET;
        pdx_copy_message(st->message, st->message_size, "the image needs more buffered memory than it was granted");
    } else if (st->status == PDX_JPEG_CORRUPT && cinfo->err->msg_code == JERR_IMAGE_TOO_BIG) {
        j_decompress_ptr d = (j_decompress_ptr)cinfo;
        st->status = PDX_JPEG_TOO_LARGE;
        snprintf(text, sizeof text, "%ux%u has a side above %d, libjpeg's limit", d->image_width, d->image_height,
                 (int)JPEG_MAX_DIMENSION);
        pdx_copy_message(st->message, st->message_size, text);
    } else {
        pdx_copy_message(st->message, st->message_size, text);
    }
    longjmp(st->jump, 1);
}

/* Warnings (level < 0) never stop libjpeg; the ones that mean the data ended early are remembered, by
 * code, so the caller can refuse the grey-filled rest of the image. Trace messages are dropped. */
static void on_message(j_common_ptr cinfo, int level) {
    if (level >= 0) return;
    decoder_state *st = (decoder_state *)cinfo->err;
    int code = cinfo->err->msg_code;
    if ((code == JWRN_JPEG_EOF || code == JWRN_HIT_MARKER) && !st->truncated) {
        st->truncated = 1;
        char text[JMSG_LENGTH_MAX];
        (*cinfo->err->format_message)(cinfo, text);
        pdx_copy_message(st->message, st->message_size, text);
    }
    cinfo->err->num_warnings++;
}

/* Called by libjpeg while it consumes input: a stream with more scans than the limit stops here, so a
 * crafted progressive file cannot make the decoder run one full-image pass per scan without bound. */
typedef struct {
    struct jpeg_progress_mgr pub;
    decoder_state *state;
} scan_guard;

static void on_progress(j_common_ptr cinfo) {
    scan_guard *guard = (scan_guard *)cinfo->progress;
    j_decompress_ptr d = (j_decompress_ptr)cinfo;
    if (guard->state->max_scans > 0 && d->input_scan_number > guard->state->max_scans) {
        char text[160];
        snprintf(text, sizeof text, "more than %d scans", guard->state->max_scans);
        pdx_copy_message(guard->state->message, guard->state->message_size, text);
        guard->state->status = PDX_JPEG_TOO_MANY_SCANS;
        longjmp(guard->state->jump, 1);
    }
}

/* Bytes of libjpeg's whole-image coefficient buffer (jdcoefct.c allocates each component's blocks
 * rounded up to its sampling factors, 64 coefficients of 2 bytes per block). */
static uint64_t coefficient_bytes(j_decompress_ptr d) {
    uint64_t total = 0;
    for (int c = 0; c < d->num_components; c++) {
        jpeg_component_info *comp = &d->comp_info[c];
        uint64_t w = comp->width_in_blocks, h = comp->height_in_blocks;
        uint64_t hs = comp->h_samp_factor > 0 ? (uint64_t)comp->h_samp_factor : 1;
        uint64_t vs = comp->v_samp_factor > 0 ? (uint64_t)comp->v_samp_factor : 1;
        w = (w + hs - 1) / hs * hs;
        h = (h + vs - 1) / vs * vs;
        total += w * h * (uint64_t)sizeof(JBLOCK);
    }
    return total;
}

static void fill_info(j_decompress_ptr d, pdx_jpeg_info *info) {
    info->width = d->image_width;
    info->height = d->image_height;
    info->components = d->num_components;
    info->colorspace = (int)d->jpeg_color_space;
    info->multiscan = jpeg_has_multiple_scans(d) ? 1 : 0;
    info->coefficient_bytes = info->multiscan ? coefficient_bytes(d) : 0;
}

/* A fresh state whose error manager reports through on_error and on_message into message. */
static void init_state(decoder_state *st, j_decompress_ptr d, int max_scans, char *message, size_t message_size) {
    memset(st, 0, sizeof *st);
    st->status = PDX_JPEG_CORRUPT;
    st->max_scans = max_scans;
    st->message = message;
    st->message_size = message_size;
    d->err = jpeg_std_error(&st->pub);
    st->pub.error_exit = on_error;
    st->pub.emit_message = on_message;
}

int pdx_jpeg_read_header(const uint8_t *data, size_t size, pdx_jpeg_info *info, char *message, size_t message_size) {
    memset(info, 0, sizeof *info);
    struct jpeg_decompress_struct d;
    decoder_state st;
    init_state(&st, &d, 0, message, message_size);
    if (setjmp(st.jump)) {
        int result = st.truncated && st.status == PDX_JPEG_CORRUPT ? PDX_JPEG_TRUNCATED : st.status;
        jpeg_destroy_decompress(&d);
        return result;
    }
    jpeg_create_decompress(&d);
    jpeg_mem_src(&d, data, (unsigned long)size);
    jpeg_read_header(&d, TRUE);
    fill_info(&d, info);
    jpeg_destroy_decompress(&d);
    return PDX_JPEG_OK;
}

int pdx_jpeg_decode_rows(const uint8_t *data, size_t size, uint64_t max_pixels, int max_scans, int scale_eighths,
                         const pdx_jpeg_sink *sink, pdx_jpeg_info *info, char *message, size_t message_size) {
    memset(info, 0, sizeof *info);
    struct jpeg_decompress_struct d;
    decoder_state st;
    scan_guard guard;
    init_state(&st, &d, max_scans, message, message_size);
    memset(&guard, 0, sizeof guard);
    /* Volatile: modified between setjmp and a possible longjmp. */
    uint8_t *volatile rgb = NULL;
    if (setjmp(st.jump)) {
        int result = st.truncated && st.status == PDX_JPEG_CORRUPT ? PDX_JPEG_TRUNCATED : st.status;
        free(rgb);
        jpeg_destroy_decompress(&d);
        return result;
    }
    jpeg_create_decompress(&d);
    guard.pub.progress_monitor = on_progress;
    guard.state = &st;
    d.progress = &guard.pub;
    jpeg_mem_src(&d, data, (unsigned long)size);
    jpeg_read_header(&d, TRUE);
    fill_info(&d, info);
    if (d.image_width == 0 || d.image_height == 0) {
        pdx_copy_message(message, message_size, "zero width or height");
        jpeg_destroy_decompress(&d);
        return PDX_JPEG_CORRUPT;
    }
    uint64_t pixels = (uint64_t)d.image_width * (uint64_t)d.image_height;
    if (pixels > max_pixels) {
        char text[160];
        snprintf(text, sizeof text, "%ux%u is %llu pixels, above the limit of %llu", d.image_width, d.image_height,
                 (unsigned long long)pixels, (unsigned long long)max_pixels);
        pdx_copy_message(message, message_size, text);
        jpeg_destroy_decompress(&d);
        return PDX_JPEG_TOO_LARGE;
    }
    int cmyk = d.jpeg_color_space == JCS_CMYK || d.jpeg_color_space == JCS_YCCK;
    int grey = d.jpeg_color_space == JCS_GRAYSCALE;
    d.out_color_space = grey ? JCS_GRAYSCALE : (cmyk ? JCS_CMYK : JCS_EXT_RGB);
    d.dct_method = JDCT_ISLOW;
    d.do_fancy_upsampling = TRUE;
    if (scale_eighths < 1 || scale_eighths > 8) scale_eighths = 8;
    d.scale_num = (unsigned int)scale_eighths;
    d.scale_denom = 8;
    jpeg_calc_output_dimensions(&d);
    uint32_t channels = grey ? 1 : 3;
    if (sink->begin(sink->context, d.output_width, d.output_height, channels, info->coefficient_bytes) != 0) {
        jpeg_destroy_decompress(&d);
        return PDX_JPEG_OVER_BUDGET;
    }
    /* libjpeg's own guard for the whole-image buffer: what was granted plus room for its working rows. */
    if (info->multiscan) d.mem->max_memory_to_use = (long)(info->coefficient_bytes + (16u << 20));
    jpeg_start_decompress(&d);
    if (d.output_components != (int)(cmyk ? 4 : channels)) {
        pdx_copy_message(message, message_size, "unexpected output components");
        jpeg_destroy_decompress(&d);
        return PDX_JPEG_CORRUPT;
    }
    size_t stride = (size_t)d.output_width * (size_t)d.output_components;
    JSAMPARRAY line = (*d.mem->alloc_sarray)((j_common_ptr)&d, JPOOL_IMAGE, (JDIMENSION)stride, 1);
    if (cmyk) {
        rgb = (uint8_t *)malloc((size_t)d.output_width * 3 + 1);
        if (rgb == NULL) ERREXIT1(&d, JERR_OUT_OF_MEMORY, 0);
    }
    while (d.output_scanline < d.output_height) {
        uint32_t y = d.output_scanline;
        if (jpeg_read_scanlines(&d, line, 1) != 1) {
            pdx_copy_message(message, message_size, "the decoder returned no row");
            break;
        }
        const uint8_t *out = line[0];
        if (cmyk) {
            /* Inverted ink (255 = none, the Adobe convention): R = C*K/255 rounded, likewise G and B. */
            for (uint32_t x = 0; x < d.output_width; x++) {
                uint32_t k = line[0][4 * x + 3];
                for (int c = 0; c < 3; c++) rgb[3 * x + c] = (uint8_t)(((uint32_t)line[0][4 * x + c] * k + 127) / 255);
            }
            out = rgb;
        }
        if (sink->row(sink->context, out, y) != 0) {
            free(rgb);
            jpeg_destroy_decompress(&d);
            return PDX_JPEG_STOPPED;
        }
        /* A stream cut short is refused at once rather than decoded into grey. */
        if (st.truncated) break;
    }
    int result = st.truncated ? PDX_JPEG_TRUNCATED : (d.output_scanline < d.output_height ? PDX_JPEG_CORRUPT : PDX_JPEG_OK);
    free(rgb);
    rgb = NULL;
    /* The remaining input (trailing scans of a progressive stream were consumed already) is not read. */
    jpeg_destroy_decompress(&d);
    return result;
}
