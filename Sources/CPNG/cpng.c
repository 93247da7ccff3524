#include "cpng.h"
#include <png.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>

void pdx_free(void *p) { free(p); }

void pdx_copy_message(char *dst, size_t cap, const char *src) {
    if (dst == NULL || cap == 0) return;
    if (src == NULL) src = "";
    size_t n = strlen(src);
    if (n >= cap) n = cap - 1;
    memcpy(dst, src, n);
    dst[n] = 0;
}

/* State shared with the callbacks through png_get_error_ptr / png_get_io_ptr. */
typedef struct {
    const uint8_t *data;
    size_t size;
    size_t offset;
    int truncated;
    char *message;
    size_t message_size;
} reader_state;

static void on_error(png_structp png, png_const_charp msg) {
    reader_state *st = (reader_state *)png_get_error_ptr(png);
    if (st != NULL) pdx_copy_message(st->message, st->message_size, msg);
    png_longjmp(png, 1);
}

static void on_warning(png_structp png, png_const_charp msg) { (void)png; (void)msg; }

static void on_read(png_structp png, png_bytep out, png_size_t length) {
    reader_state *st = (reader_state *)png_get_io_ptr(png);
    if (st->size - st->offset < length) {
        st->truncated = 1;
        png_error(png, "the file ends before the image does");
    }
    memcpy(out, st->data + st->offset, length);
    st->offset += length;
}

/* A read struct and its info struct over st's data, or PDX_PNG_NOT_PNG / PDX_PNG_NO_MEMORY with the message set. */
static int open_reader(reader_state *st, png_structp *png, png_infop *info) {
    if (st->data == NULL || st->size < 8 || png_sig_cmp((png_const_bytep)st->data, 0, 8) != 0) {
        pdx_copy_message(st->message, st->message_size, "not a PNG signature");
        return PDX_PNG_NOT_PNG;
    }
    *png = png_create_read_struct(PNG_LIBPNG_VER_STRING, st, on_error, on_warning);
    *info = *png == NULL ? NULL : png_create_info_struct(*png);
    if (*info != NULL) return PDX_PNG_OK;
    if (*png != NULL) png_destroy_read_struct(png, NULL, NULL);
    pdx_copy_message(st->message, st->message_size, "out of memory");
    return PDX_PNG_NO_MEMORY;
}

static void fill_header(png_structp png, png_infop info, pdx_png_header *h) {
    h->width = png_get_image_width(png, info);
    h->height = png_get_image_height(png, info);
    h->bit_depth = png_get_bit_depth(png, info);
    h->color_type = png_get_color_type(png, info);
    h->interlaced = png_get_interlace_type(png, info) == PNG_INTERLACE_ADAM7;
    h->has_trns = png_get_valid(png, info, PNG_INFO_tRNS) != 0;
}

int pdx_png_read_header(const uint8_t *data, size_t size, pdx_png_header *header, char *message, size_t message_size) {
    reader_state st = {data, size, 0, 0, message, message_size};
    png_structp png;
    png_infop info;
    int rc = open_reader(&st, &png, &info);
    if (rc != PDX_PNG_OK) return rc;
    if (setjmp(png_jmpbuf(png))) {
        int result = st.truncated ? PDX_PNG_TRUNCATED : PDX_PNG_CORRUPT;
        png_destroy_read_struct(&png, &info, NULL);
        return result;
    }
    png_set_read_fn(png, &st, on_read);
    png_read_info(png, info);
    fill_header(png, info, header);
    png_destroy_read_struct(&png, &info, NULL);
    return PDX_PNG_OK;
}

int pdx_png_decode_rows_libpng(const uint8_t *data, size_t size, uint64_t max_pixels, uint32_t max_side,
                               const pdx_png_sink *sink, pdx_png_header *header, uint32_t *channels,
                               char *message, size_t message_size) {
    reader_state st = {data, size, 0, 0, message, message_size};
    png_structp png;
    png_infop info;
    int rc = open_reader(&st, &png, &info);
    if (rc != PDX_PNG_OK) return rc;
    /* Volatile: modified between setjmp and a possible longjmp. */
    uint8_t *volatile buffer = NULL;
    volatile int status = PDX_PNG_CORRUPT;
    if (setjmp(png_jmpbuf(png))) {
        int result = st.truncated ? PDX_PNG_TRUNCATED : status;
        free(buffer);
        png_destroy_read_struct(&png, &info, NULL);
        return result;
    }
    png_set_read_fn(png, &st, on_read);
    /* Our own guards below replace libpng's 1M-per-side default limit. */
    png_set_user_limits(png, 0x7fffffff, 0x7fffffff);
    /* Ancillary chunks other than tRNS are never used: libpng skips them unread, so compressed text or profile chunks
     * cannot make it inflate anything but the image. */
    png_set_keep_unknown_chunks(png, PNG_HANDLE_CHUNK_NEVER, NULL, -1);
    png_set_chunk_cache_max(png, 1000);
    png_set_chunk_malloc_max(png, 8u << 20);
    png_read_info(png, info);
    fill_header(png, info, header);
    uint64_t count = (uint64_t)header->width * (uint64_t)header->height;
    if (count > max_pixels || header->width > max_side || header->height > max_side) {
        char text[160];
        if (count > max_pixels)
            snprintf(text, sizeof text, "%ux%u is %llu pixels, above the limit of %llu", header->width, header->height,
                     (unsigned long long)count, (unsigned long long)max_pixels);
        else
            snprintf(text, sizeof text, "%ux%u has a side above %u", header->width, header->height, max_side);
        pdx_copy_message(message, message_size, text);
        png_destroy_read_struct(&png, &info, NULL);
        return PDX_PNG_TOO_LARGE;
    }
    int ct = header->color_type;
    if (ct == PNG_COLOR_TYPE_PALETTE) png_set_palette_to_rgb(png);
    if (ct == PNG_COLOR_TYPE_GRAY && header->bit_depth < 8) png_set_expand_gray_1_2_4_to_8(png);
    if (header->bit_depth == 16) png_set_strip_16(png);
    /* Alpha (an alpha channel, or tRNS which the expansion above turns into one) is dropped. */
    if ((ct & PNG_COLOR_MASK_ALPHA) || header->has_trns) png_set_strip_alpha(png);
    int passes = png_set_interlace_handling(png);
    png_read_update_info(png, info);
    uint32_t ch = png_get_channels(png, info);
    if (png_get_bit_depth(png, info) != 8 || (ch != 1 && ch != 3)) {
        pdx_copy_message(message, message_size, "unexpected pixel layout after transformation");
        png_destroy_read_struct(&png, &info, NULL);
        return PDX_PNG_CORRUPT;
    }
    size_t stride = (size_t)header->width * ch;
    if (png_get_rowbytes(png, info) != stride) {
        pdx_copy_message(message, message_size, "unexpected row size after transformation");
        png_destroy_read_struct(&png, &info, NULL);
        return PDX_PNG_CORRUPT;
    }
    /* Adam7 spreads every row over seven passes, so an interlaced image is buffered whole; a sequential
     * one needs a single row. */
    uint64_t buffered = passes > 1 ? (uint64_t)stride * header->height : 0;
    if (sink->begin(sink->context, header->width, header->height, ch, buffered) != 0) {
        png_destroy_read_struct(&png, &info, NULL);
        return PDX_PNG_OVER_BUDGET;
    }
    *channels = ch;
    if (passes > 1) {
        buffer = (uint8_t *)malloc(stride * header->height + 1);
        if (buffer == NULL) {
            status = PDX_PNG_NO_MEMORY;
            png_error(png, "out of memory for the interlaced pixels");
        }
        for (int pass = 0; pass < passes; pass++)
            for (uint32_t y = 0; y < header->height; y++) png_read_row(png, buffer + (size_t)y * stride, NULL);
    } else {
        buffer = (uint8_t *)malloc(stride + 1);
        if (buffer == NULL) {
            status = PDX_PNG_NO_MEMORY;
            png_error(png, "out of memory for a row");
        }
    }
    for (uint32_t y = 0; y < header->height; y++) {
        uint8_t *row = buffer;
        if (passes > 1) row = buffer + (size_t)y * stride;
        else png_read_row(png, row, NULL);
        if (sink->row(sink->context, row, y) != 0) {
            free(buffer);
            png_destroy_read_struct(&png, &info, NULL);
            return PDX_PNG_STOPPED;
        }
    }
    free(buffer);
    buffer = NULL;
    /* The rest of the stream (trailing IDAT data, chunks after the image) is not read. */
    png_destroy_read_struct(&png, &info, NULL);
    return PDX_PNG_OK;
}

/* A growing output buffer for the write callback. */
typedef struct {
    uint8_t *data;
    size_t size;
    size_t capacity;
    char *message;
    size_t message_size;
} writer_state;

static void on_write(png_structp png, png_bytep in, png_size_t length) {
    writer_state *st = (writer_state *)png_get_io_ptr(png);
    if (st->capacity - st->size < length) {
        size_t cap = st->capacity ? st->capacity : 4096;
        while (cap - st->size < length) cap *= 2;
        uint8_t *grown = (uint8_t *)realloc(st->data, cap);
        if (grown == NULL) png_error(png, "out of memory for the encoded PNG");
        st->data = grown;
        st->capacity = cap;
    }
    memcpy(st->data + st->size, in, length);
    st->size += length;
}

static void on_flush(png_structp png) { (void)png; }

static void on_write_error(png_structp png, png_const_charp msg) {
    writer_state *st = (writer_state *)png_get_error_ptr(png);
    if (st != NULL) pdx_copy_message(st->message, st->message_size, msg);
    png_longjmp(png, 1);
}

/* A write struct and its info struct, or PDX_PNG_NO_MEMORY with the message set. */
static int create_writer(writer_state *st, png_structp *png, png_infop *info) {
    *png = png_create_write_struct(PNG_LIBPNG_VER_STRING, st, on_write_error, on_warning);
    *info = *png == NULL ? NULL : png_create_info_struct(*png);
    if (*info != NULL) return PDX_PNG_OK;
    if (*png != NULL) png_destroy_write_struct(png, NULL);
    pdx_copy_message(st->message, st->message_size, "out of memory");
    return PDX_PNG_NO_MEMORY;
}

static int encode_rows(const uint8_t *raw, uint32_t width, uint32_t height, int color_type, int bit_depth,
                       int interlaced, const uint8_t *palette, int palette_entries, const uint8_t *trns,
                       int trns_count, int level, uint8_t **out, size_t *out_size, char *message,
                       size_t message_size);

int pdx_png_encode(const uint8_t *pixels, uint32_t width, uint32_t height, uint32_t channels, int level,
                   uint8_t **out, size_t *out_size, char *message, size_t message_size) {
    if (pixels == NULL || width == 0 || height == 0 || (channels != 1 && channels != 3 && channels != 4) ||
        level < 0 || level > 9) {
        *out = NULL;
        *out_size = 0;
        pdx_copy_message(message, message_size, "invalid size, channel count or level");
        return PDX_PNG_BAD_ARGUMENT;
    }
    int ct = channels == 1 ? PNG_COLOR_TYPE_GRAY : channels == 3 ? PNG_COLOR_TYPE_RGB : PNG_COLOR_TYPE_RGBA;
    return encode_rows(pixels, width, height, ct, 8, 0, NULL, 0, NULL, 0, level, out, out_size, message,
                       message_size);
}

int pdx_png_encode_raw(const uint8_t *raw, uint32_t width, uint32_t height, int color_type, int bit_depth,
                       int interlaced, const uint8_t *palette, int palette_entries, const uint8_t *trns,
                       int trns_count, uint8_t **out, size_t *out_size, char *message, size_t message_size) {
    return encode_rows(raw, width, height, color_type, bit_depth, interlaced, palette, palette_entries, trns,
                       trns_count, -1, out, out_size, message, message_size);
}

/* Both encoders: rows in PNG's raw sample layout (8-bit rows are the pixels as they are); level -1 is libpng's
 * default compression. */
static int encode_rows(const uint8_t *raw, uint32_t width, uint32_t height, int color_type, int bit_depth,
                       int interlaced, const uint8_t *palette, int palette_entries, const uint8_t *trns,
                       int trns_count, int level, uint8_t **out, size_t *out_size, char *message,
                       size_t message_size) {
    *out = NULL;
    *out_size = 0;
    if (raw == NULL || width == 0 || height == 0) {
        pdx_copy_message(message, message_size, "invalid size");
        return PDX_PNG_BAD_ARGUMENT;
    }
    writer_state st = {NULL, 0, 0, message, message_size};
    png_structp png;
    png_infop info;
    int rc = create_writer(&st, &png, &info);
    if (rc != PDX_PNG_OK) return rc;
    png_bytep *volatile rows = NULL;
    if (setjmp(png_jmpbuf(png))) {
        free(st.data);
        free(rows);
        png_destroy_write_struct(&png, &info);
        return PDX_PNG_CORRUPT;
    }
    png_set_write_fn(png, &st, on_write, on_flush);
    png_set_user_limits(png, 0x7fffffff, 0x7fffffff);
    if (level >= 0) png_set_compression_level(png, level);
    png_set_IHDR(png, info, width, height, bit_depth, color_type,
                 interlaced ? PNG_INTERLACE_ADAM7 : PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT,
                 PNG_FILTER_TYPE_DEFAULT);
    if (palette != NULL && palette_entries > 0) {
        png_color colors[256];
        for (int i = 0; i < palette_entries && i < 256; i++) {
            colors[i].red = palette[3 * i];
            colors[i].green = palette[3 * i + 1];
            colors[i].blue = palette[3 * i + 2];
        }
        png_set_PLTE(png, info, colors, palette_entries);
    }
    if (trns != NULL && trns_count > 0) {
        if (color_type == PNG_COLOR_TYPE_PALETTE) {
            png_set_tRNS(png, info, trns, trns_count, NULL);
        } else {
            /* Grey or RGB key colour given as big-endian 16-bit values. */
            png_color_16 key;
            memset(&key, 0, sizeof key);
            key.gray = (png_uint_16)((trns[0] << 8) | trns[1]);
            if (trns_count >= 6) {
                key.red = (png_uint_16)((trns[0] << 8) | trns[1]);
                key.green = (png_uint_16)((trns[2] << 8) | trns[3]);
                key.blue = (png_uint_16)((trns[4] << 8) | trns[5]);
            }
            png_set_tRNS(png, info, NULL, 0, &key);
        }
    }
    png_write_info(png, info);
    size_t rowbytes = png_get_rowbytes(png, info);
    rows = (png_bytep *)malloc(sizeof(png_bytep) * height);
    if (rows == NULL) png_error(png, "out of memory");
    for (uint32_t y = 0; y < height; y++) rows[y] = (png_bytep)(raw + (size_t)y * rowbytes);
    png_write_image(png, rows);
    png_write_end(png, NULL);
    free(rows);
    rows = NULL;
    png_destroy_write_struct(&png, &info);
    *out = st.data;
    *out_size = st.size;
    return PDX_PNG_OK;
}
