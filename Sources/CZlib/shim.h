#ifndef PAIRDX_CZLIB_SHIM_H
#define PAIRDX_CZLIB_SHIM_H
#include <zlib.h>

/* inflateInit2 is a macro (it passes the library version and the stream size), so Swift cannot call it:
   this opens `stream` for one gzip member (window bits 15, +16 = gzip header and trailer checked by zlib). */
static inline int pairdx_inflate_init_gzip(z_stream *stream) {
    return inflateInit2(stream, 16 + MAX_WBITS);
}

#endif
