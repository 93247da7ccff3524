#include "cpng.h"
#include <png.h>

const char *_pdx_png_version(void) { return PNG_LIBPNG_VER_STRING; }
