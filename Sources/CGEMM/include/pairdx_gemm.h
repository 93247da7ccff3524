#ifndef PAIRDX_GEMM_H
#define PAIRDX_GEMM_H

/* The deterministic single-precision matrix product of pairdx's training core.
 *
 * C[m×n] = beta·C + (alpha·op(A))·op(B), row-major, for the block of rows [m0, m1) and columns [n0, n1) of C only.
 * op(A) is m×k (stored k×m when trans_a), op(B) is k×n (stored n×k when trans_b).
 *
 * Every element is ONE fixed sequence of IEEE-754 operations, whatever the blocking, the block of C asked for, the
 * thread that computes it or the CPU:
 *     acc = beta == 0 ? 0 : beta == 1 ? C[i][j] : beta·C[i][j]
 *     for p in 0..<k:  acc = fma(alpha == 1 ? A[i][p] : alpha·A[i][p], B[p][j], acc)    (fused, one rounding)
 *     C[i][j] = acc
 * so any split of C over threads gives the same bits, and so does every x86-64 (or other) CPU: the AVX2+FMA kernel
 * and the portable kernel (C99 fmaf) perform the same operations in the same order. */
void pairdx_sgemm_block(int trans_a, int trans_b, long m0, long m1, long n0, long n1, long k, float alpha,
                        const float *a, long lda, const float *b, long ldb, float beta, float *c, long ldc);

/* "avx2-fma" when the CPU runs the vector kernel, else "portable" (same results, slower). */
const char *pairdx_sgemm_kernel_name(void);

#endif
