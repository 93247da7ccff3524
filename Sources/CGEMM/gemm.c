#include "pairdx_gemm.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define PAIRDX_X86 1
#endif

/* Register tile MR×NR, cache blocks MC (rows of packed A) × KC (depth) × NC (columns of packed B). Changing them
 * changes speed, never results. */
enum { MR = 6, NR = 16, MC = 96, KC = 256, NC = 512 };

/* acc[r][j] = fma(a[p][r], b[p][j], acc[r][j]) for p = 0..<kc, in order; c holds acc (row stride ldc). */
static void kernel_portable(long kc, const float *pa, const float *pb, float *c, long ldc) {
    float acc[MR][NR];
    for (int r = 0; r < MR; r++) memcpy(acc[r], c + r * ldc, sizeof acc[r]);
    for (long p = 0; p < kc; p++, pa += MR, pb += NR)
        for (int r = 0; r < MR; r++)
            for (int j = 0; j < NR; j++) acc[r][j] = fmaf(pa[r], pb[j], acc[r][j]);
    for (int r = 0; r < MR; r++) memcpy(c + r * ldc, acc[r], sizeof acc[r]);
}

#ifdef PAIRDX_X86
__attribute__((target("avx2,fma")))
static void kernel_avx2(long kc, const float *pa, const float *pb, float *c, long ldc) {
    __m256 c00 = _mm256_loadu_ps(c + 0 * ldc), c01 = _mm256_loadu_ps(c + 0 * ldc + 8);
    __m256 c10 = _mm256_loadu_ps(c + 1 * ldc), c11 = _mm256_loadu_ps(c + 1 * ldc + 8);
    __m256 c20 = _mm256_loadu_ps(c + 2 * ldc), c21 = _mm256_loadu_ps(c + 2 * ldc + 8);
    __m256 c30 = _mm256_loadu_ps(c + 3 * ldc), c31 = _mm256_loadu_ps(c + 3 * ldc + 8);
    __m256 c40 = _mm256_loadu_ps(c + 4 * ldc), c41 = _mm256_loadu_ps(c + 4 * ldc + 8);
    __m256 c50 = _mm256_loadu_ps(c + 5 * ldc), c51 = _mm256_loadu_ps(c + 5 * ldc + 8);
    for (long p = 0; p < kc; p++, pa += MR, pb += NR) {
        __m256 b0 = _mm256_load_ps(pb), b1 = _mm256_load_ps(pb + 8), a;
        a = _mm256_broadcast_ss(pa + 0); c00 = _mm256_fmadd_ps(a, b0, c00); c01 = _mm256_fmadd_ps(a, b1, c01);
        a = _mm256_broadcast_ss(pa + 1); c10 = _mm256_fmadd_ps(a, b0, c10); c11 = _mm256_fmadd_ps(a, b1, c11);
        a = _mm256_broadcast_ss(pa + 2); c20 = _mm256_fmadd_ps(a, b0, c20); c21 = _mm256_fmadd_ps(a, b1, c21);
        a = _mm256_broadcast_ss(pa + 3); c30 = _mm256_fmadd_ps(a, b0, c30); c31 = _mm256_fmadd_ps(a, b1, c31);
        a = _mm256_broadcast_ss(pa + 4); c40 = _mm256_fmadd_ps(a, b0, c40); c41 = _mm256_fmadd_ps(a, b1, c41);
        a = _mm256_broadcast_ss(pa + 5); c50 = _mm256_fmadd_ps(a, b0, c50); c51 = _mm256_fmadd_ps(a, b1, c51);
    }
    _mm256_storeu_ps(c + 0 * ldc, c00); _mm256_storeu_ps(c + 0 * ldc + 8, c01);
    _mm256_storeu_ps(c + 1 * ldc, c10); _mm256_storeu_ps(c + 1 * ldc + 8, c11);
    _mm256_storeu_ps(c + 2 * ldc, c20); _mm256_storeu_ps(c + 2 * ldc + 8, c21);
    _mm256_storeu_ps(c + 3 * ldc, c30); _mm256_storeu_ps(c + 3 * ldc + 8, c31);
    _mm256_storeu_ps(c + 4 * ldc, c40); _mm256_storeu_ps(c + 4 * ldc + 8, c41);
    _mm256_storeu_ps(c + 5 * ldc, c50); _mm256_storeu_ps(c + 5 * ldc + 8, c51);
}
#endif

typedef void (*kernel_fn)(long, const float *, const float *, float *, long);

static kernel_fn select_kernel(void) {
#ifdef PAIRDX_X86
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return kernel_avx2;
#endif
    return kernel_portable;
}

const char *pairdx_sgemm_kernel_name(void) {
    return select_kernel() == kernel_portable ? "portable" : "avx2-fma";
}

/* Packs A[i0..i0+mc, pc..pc+kc] in strips of MR rows: pa[s][p][r] = alpha·A(i0 + s·MR + r, pc + p), zero-padded. */
static void pack_a(int trans_a, const float *a, long lda, long i0, long mc, long pc, long kc, float alpha, float *pa) {
    for (long s = 0; s * MR < mc; s++) {
        float *dst = pa + s * MR * kc;
        long rows = mc - s * MR < MR ? mc - s * MR : MR, i = i0 + s * MR;
        if (rows < MR) memset(dst, 0, sizeof(float) * MR * (size_t)kc);
        if (trans_a) {
            for (long p = 0; p < kc; p++) {
                const float *src = a + (pc + p) * lda + i;
                for (long r = 0; r < rows; r++) dst[p * MR + r] = src[r];
            }
        } else {
            for (long r = 0; r < rows; r++) {
                const float *src = a + (i + r) * lda + pc;
                for (long p = 0; p < kc; p++) dst[p * MR + r] = src[p];
            }
        }
        if (alpha != 1)
            for (long t = 0; t < MR * kc; t++) dst[t] *= alpha;
    }
}

/* Packs B[pc..pc+kc, j0..j0+nc] in panels of NR columns: pb[q][p][j] = B(pc + p, j0 + q·NR + j), zero-padded. */
static void pack_b(int trans_b, const float *b, long ldb, long j0, long nc, long pc, long kc, float *pb) {
    for (long q = 0; q * NR < nc; q++) {
        float *dst = pb + q * NR * kc;
        long cols = nc - q * NR < NR ? nc - q * NR : NR, j = j0 + q * NR;
        if (cols < NR) memset(dst, 0, sizeof(float) * NR * (size_t)kc);
        if (trans_b) {
            for (long c = 0; c < cols; c++) {
                const float *src = b + (j + c) * ldb + pc;
                for (long p = 0; p < kc; p++) dst[p * NR + c] = src[p];
            }
        } else if (cols == NR) {
            for (long p = 0; p < kc; p++) memcpy(dst + p * NR, b + (pc + p) * ldb + j, sizeof(float) * NR);
        } else {
            for (long p = 0; p < kc; p++)
                for (long c = 0; c < cols; c++) dst[p * NR + c] = b[(pc + p) * ldb + j + c];
        }
    }
}

void pairdx_sgemm_block(int trans_a, int trans_b, long m0, long m1, long n0, long n1, long k, float alpha,
                        const float *a, long lda, const float *b, long ldb, float beta, float *c, long ldc) {
    if (m1 <= m0 || n1 <= n0) return;
    /* The chain's starting value. */
    if (beta != 1) {
        for (long i = m0; i < m1; i++) {
            float *row = c + i * ldc;
            if (beta == 0) memset(row + n0, 0, (size_t)(n1 - n0) * sizeof(float));
            else for (long j = n0; j < n1; j++) row[j] *= beta;
        }
    }
    if (k <= 0) return;
    kernel_fn kernel = select_kernel();
    /* Loop order (Goto's): depth blocks in order (so each element's chain runs over k in order), then column blocks
     * of NC whose packed B (kc×NC, in L2) serves every row block; A is packed per row block (MC×kc). */
    float *pa = aligned_alloc(64, sizeof(float) * MC * KC);
    float *pb = aligned_alloc(64, sizeof(float) * KC * NC);
    if (!pa || !pb) abort();
    float tile[MR * NR];
    for (long pc = 0; pc < k; pc += KC) {
        long kc = k - pc < KC ? k - pc : KC;
        for (long jc = n0; jc < n1; jc += NC) {
            long nc = n1 - jc < NC ? n1 - jc : NC;
            pack_b(trans_b, b, ldb, jc, nc, pc, kc, pb);
            for (long ic = m0; ic < m1; ic += MC) {
                long mc = m1 - ic < MC ? m1 - ic : MC;
                pack_a(trans_a, a, lda, ic, mc, pc, kc, alpha, pa);
                for (long q = 0; q * NR < nc; q++) {
                    long j = jc + q * NR, nr = n1 - j < NR ? n1 - j : NR;
                    const float *panel = pb + q * NR * kc;
                    for (long s = 0; s * MR < mc; s++) {
                        long i0 = ic + s * MR, mr = m1 - i0 < MR ? m1 - i0 : MR;
                        float *cp = c + i0 * ldc + j;
                        if (mr == MR && nr == NR) {
                            kernel(kc, pa + s * MR * kc, panel, cp, ldc);
                        } else {
                            memset(tile, 0, sizeof tile);
                            for (long r = 0; r < mr; r++) memcpy(tile + r * NR, cp + r * ldc, sizeof(float) * (size_t)nr);
                            kernel(kc, pa + s * MR * kc, panel, tile, NR);
                            for (long r = 0; r < mr; r++) memcpy(cp + r * ldc, tile + r * NR, sizeof(float) * (size_t)nr);
                        }
                    }
                }
            }
        }
    }
    free(pa);
    free(pb);
}
