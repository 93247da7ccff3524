#ifndef PAIRDX_CJPEG_SHIM_H
#define PAIRDX_CJPEG_SHIM_H
/* libjpeg-turbo's TurboJPEG API: errors come back as return codes and tjGetErrorStr2, no longjmp. */
#include <turbojpeg.h>
#endif
