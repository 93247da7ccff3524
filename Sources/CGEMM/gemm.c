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
static void kernel_portable(long kc, const float *pa, const float *pb, float *c, long ldc, int zero) {
    float acc[MR][NR];
    for (int r = 0; r < MR; r++) {
        if (zero) memset(acc[r], 0, sizeof acc[r]);
        else memcpy(acc[r], c + r * ldc, sizeof acc[r]);
    }
    for (long p = 0; p < kc; p++, pa += MR, pb += NR)
        for (int r = 0; r < MR; r++)
            for (int j = 0; j < NR; j++) acc[r][j] = fmaf(pa[r], pb[j], acc[r][j]);
    for (int r = 0; r < MR; r++) memcpy(c + r * ldc, acc[r], sizeof acc[r]);
}

#ifdef PAIRDX_X86
__attribute__((target("avx2,fma")))
static void kernel_avx2(long kc, const float *pa, const float *pb, float *c, long ldc, int zero) {
    __m256 c00, c01, c10, c11, c20, c21, c30, c31, c40, c41, c50, c51;
    if (zero) {
        c00 = c01 = c10 = c11 = c20 = c21 = c30 = c31 = c40 = c41 = c50 = c51 = _mm256_setzero_ps();
    } else {
        c00 = _mm256_loadu_ps(c + 0 * ldc), c01 = _mm256_loadu_ps(c + 0 * ldc + 8);
        c10 = _mm256_loadu_ps(c + 1 * ldc), c11 = _mm256_loadu_ps(c + 1 * ldc + 8);
        c20 = _mm256_loadu_ps(c + 2 * ldc), c21 = _mm256_loadu_ps(c + 2 * ldc + 8);
        c30 = _mm256_loadu_ps(c + 3 * ldc), c31 = _mm256_loadu_ps(c + 3 * ldc + 8);
        c40 = _mm256_loadu_ps(c + 4 * ldc), c41 = _mm256_loadu_ps(c + 4 * ldc + 8);
        c50 = _mm256_loadu_ps(c + 5 * ldc), c51 = _mm256_loadu_ps(c + 5 * ldc + 8);
    }
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

/* `zero`: the chains start at +0 (beta = 0, first depth block) instead of C's values, the same starting value
 * without writing and reading C first. */
typedef void (*kernel_fn)(long, const float *, const float *, float *, long, int);

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

#ifdef PAIRDX_X86
/* dst[p·NR + c] = src[c·lds + p] for c, p < 8: an 8×8 transpose in registers (pure moves, no arithmetic). */
__attribute__((target("avx2")))
static void transpose8x8(const float *src, long lds, float *dst) {
    __m256 r0 = _mm256_loadu_ps(src + 0 * lds), r1 = _mm256_loadu_ps(src + 1 * lds);
    __m256 r2 = _mm256_loadu_ps(src + 2 * lds), r3 = _mm256_loadu_ps(src + 3 * lds);
    __m256 r4 = _mm256_loadu_ps(src + 4 * lds), r5 = _mm256_loadu_ps(src + 5 * lds);
    __m256 r6 = _mm256_loadu_ps(src + 6 * lds), r7 = _mm256_loadu_ps(src + 7 * lds);
    __m256 t0 = _mm256_unpacklo_ps(r0, r1), t1 = _mm256_unpackhi_ps(r0, r1);
    __m256 t2 = _mm256_unpacklo_ps(r2, r3), t3 = _mm256_unpackhi_ps(r2, r3);
    __m256 t4 = _mm256_unpacklo_ps(r4, r5), t5 = _mm256_unpackhi_ps(r4, r5);
    __m256 t6 = _mm256_unpacklo_ps(r6, r7), t7 = _mm256_unpackhi_ps(r6, r7);
    __m256 s0 = _mm256_shuffle_ps(t0, t2, 0x44), s1 = _mm256_shuffle_ps(t0, t2, 0xEE);
    __m256 s2 = _mm256_shuffle_ps(t1, t3, 0x44), s3 = _mm256_shuffle_ps(t1, t3, 0xEE);
    __m256 s4 = _mm256_shuffle_ps(t4, t6, 0x44), s5 = _mm256_shuffle_ps(t4, t6, 0xEE);
    __m256 s6 = _mm256_shuffle_ps(t5, t7, 0x44), s7 = _mm256_shuffle_ps(t5, t7, 0xEE);
    _mm256_store_ps(dst + 0 * NR, _mm256_permute2f128_ps(s0, s4, 0x20));
    _mm256_store_ps(dst + 1 * NR, _mm256_permute2f128_ps(s1, s5, 0x20));
    _mm256_store_ps(dst + 2 * NR, _mm256_permute2f128_ps(s2, s6, 0x20));
    _mm256_store_ps(dst + 3 * NR, _mm256_permute2f128_ps(s3, s7, 0x20));
    _mm256_store_ps(dst + 4 * NR, _mm256_permute2f128_ps(s0, s4, 0x31));
    _mm256_store_ps(dst + 5 * NR, _mm256_permute2f128_ps(s1, s5, 0x31));
    _mm256_store_ps(dst + 6 * NR, _mm256_permute2f128_ps(s2, s6, 0x31));
    _mm256_store_ps(dst + 7 * NR, _mm256_permute2f128_ps(s3, s7, 0x31));
}
#endif

/* Packs B[pc..pc+kc, j0..j0+nc] in panels of NR columns: pb[q][p][j] = B(pc + p, j0 + q·NR + j), zero-padded.
 * Packing only moves values, so how it moves them (`vector`: 8×8 register transposes for a transposed B) never
 * changes a result. */
static void pack_b(int trans_b, const float *b, long ldb, long j0, long nc, long pc, long kc, float *pb, int vector) {
    if (!trans_b) {
        /* Row by row of B, so the reads run along memory (B's rows are often far apart); full panels first. */
        long full = nc / NR, cols = nc - full * NR;
        for (long p = 0; p < kc; p++) {
            const float *src = b + (pc + p) * ldb + j0;
            for (long q = 0; q < full; q++) memcpy(pb + (q * kc + p) * NR, src + q * NR, sizeof(float) * NR);
            if (cols) {
                float *dst = pb + (full * kc + p) * NR;
                memcpy(dst, src + full * NR, sizeof(float) * (size_t)cols);
                memset(dst + cols, 0, sizeof(float) * (size_t)(NR - cols));
            }
        }
        return;
    }
    for (long q = 0; q * NR < nc; q++) {
        float *dst = pb + q * NR * kc;
        long cols = nc - q * NR < NR ? nc - q * NR : NR, j = j0 + q * NR;
        if (cols < NR) memset(dst, 0, sizeof(float) * NR * (size_t)kc);
        long p0 = 0;
#ifdef PAIRDX_X86
        if (vector && cols == NR) {
            for (; p0 + 8 <= kc; p0 += 8) {
                transpose8x8(b + j * ldb + pc + p0, ldb, dst + p0 * NR);
                transpose8x8(b + (j + 8) * ldb + pc + p0, ldb, dst + p0 * NR + 8);
            }
        }
#else
        (void)vector;
#endif
        for (long c = 0; c < cols; c++) {
            const float *src = b + (j + c) * ldb + pc;
            for (long p = p0; p < kc; p++) dst[p * NR + c] = src[p];
        }
    }
}

/* The packing buffers of the calling thread (A: MC×KC, B: KC×NC), kept for the thread's life so a product does not
 * allocate (and fault in) half a megabyte on every call. */
static _Thread_local float *thread_pa, *thread_pb;

static void packing_buffers(float **pa, float **pb) {
    if (!thread_pa) {
        thread_pa = aligned_alloc(64, sizeof(float) * MC * KC);
        thread_pb = aligned_alloc(64, sizeof(float) * KC * NC);
        if (!thread_pa || !thread_pb) abort();
    }
    *pa = thread_pa;
    *pb = thread_pb;
}

void pairdx_sgemm_block(int trans_a, int trans_b, long m0, long m1, long n0, long n1, long k, float alpha,
                        const float *a, long lda, const float *b, long ldb, float beta, float *c, long ldc) {
    if (m1 <= m0 || n1 <= n0) return;
    /* The chain's starting value (for beta = 0 the kernel starts from +0 in the first depth block). */
    if (beta != 1 && (beta != 0 || k <= 0)) {
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
    float *pa, *pb;
    packing_buffers(&pa, &pb);
    int vector = kernel != kernel_portable;
    float tile[MR * NR];
    for (long pc = 0; pc < k; pc += KC) {
        long kc = k - pc < KC ? k - pc : KC;
        int zero = pc == 0 && beta == 0;
        for (long jc = n0; jc < n1; jc += NC) {
            long nc = n1 - jc < NC ? n1 - jc : NC;
            pack_b(trans_b, b, ldb, jc, nc, pc, kc, pb, vector);
            for (long ic = m0; ic < m1; ic += MC) {
                long mc = m1 - ic < MC ? m1 - ic : MC;
                pack_a(trans_a, a, lda, ic, mc, pc, kc, alpha, pa);
                for (long q = 0; q * NR < nc; q++) {
                    long j = jc + q * NR, nr = n1 - j < NR ? n1 - j : NR;
                    const float *panel = pb + q * NR * kc;
                    for (long s = 0; s * MR < mc; s++) {
                        long i0 = ic + s * MR, mr = m1 - i0 < MR ? m1 - i0 : MR;
                        float *cp = c + i0 * ldc + j;
#ifdef PAIRDX_X86
                        /* The next strip's C rows are on their way while this one computes (no effect on values). */
                        if (!zero && i0 + 2 * MR <= m1)
                            for (int r = 0; r < MR; r++) {
                                _mm_prefetch((const char *)(cp + (MR + r) * ldc), _MM_HINT_T0);
                                _mm_prefetch((const char *)(cp + (MR + r) * ldc + NR - 1), _MM_HINT_T0);
                            }
#endif
                        if (mr == MR && nr == NR) {
                            kernel(kc, pa + s * MR * kc, panel, cp, ldc, zero);
                        } else {
                            memset(tile, 0, sizeof tile);
                            if (!zero)
                                for (long r = 0; r < mr; r++)
                                    memcpy(tile + r * NR, cp + r * ldc, sizeof(float) * (size_t)nr);
                            kernel(kc, pa + s * MR * kc, panel, tile, NR, zero);
                            for (long r = 0; r < mr; r++) memcpy(cp + r * ldc, tile + r * NR, sizeof(float) * (size_t)nr);
                        }
                    }
                }
            }
        }
    }
}
