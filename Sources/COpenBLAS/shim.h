#ifndef PAIRDX_COPENBLAS_SHIM_H
#define PAIRDX_COPENBLAS_SHIM_H
#include <cblas.h>
/* Declared by OpenBLAS; repeated here so the thread count can be set explicitly from Swift. */
void openblas_set_num_threads(int num_threads);
int openblas_get_num_threads(void);
#endif
