#ifndef PAIRDX_CPNG_H
#define PAIRDX_CPNG_H
#include <stddef.h>
#include <stdint.h>

/* libpng's version string, for reports. */
const char *_pdx_png_version(void);

#endif
