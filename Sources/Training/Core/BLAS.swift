import COpenBLAS
#if canImport(Glibc)
import Glibc
#endif

/// Thin, typed wrappers over OpenBLAS. Every matrix product of the training core goes through `BLAS.gemm`.
///
/// Matrices are row-major; `lda`/`ldb`/`ldc` default to the packed row length. The thread count is set
/// explicitly (`BLAS.setThreads`) so runs are reproducible: same thread count ⇒ same summation order.
public enum BLAS {
    /// Sets OpenBLAS's thread count (≥ 1) for all later calls.
    public static func setThreads(_ n: Int) {
        openblas_set_num_threads(Int32(max(1, n)))
    }

    /// Makes OpenBLAS's idle worker threads sleep as soon as a product ends, unless the user has set
    /// `OPENBLAS_THREAD_TIMEOUT`. Call once at start-up, before other threads run; results do not change.
    ///
    /// Between products OpenBLAS's workers spin on `sched_yield` for 2²⁸ cycles (about 0.1 s) before they sleep.
    /// The training core's own loops (element-wise passes, attention's (item, head) units) run on other threads in
    /// the meantime, and on a 2-core machine the spinning worker takes their CPU: about 10% of a CLIP fine-tuning
    /// step went to the scheduler. `OPENBLAS_THREAD_TIMEOUT=4` (2⁴ cycles, the library's minimum) ends the spin,
    /// which made fine-tuning about 15% faster here. OpenBLAS reads the variable only when it starts its workers,
    /// so it is re-read (`openblas_read_env`) and the idle workers are stopped (`blas_thread_shutdown_`); the next
    /// multi-threaded product starts them again under the new setting. Both are looked up at run time; where
    /// either is missing (another BLAS build) nothing changes.
    public static func sleepWhenIdle() {
        #if canImport(Glibc)
        guard getenv("OPENBLAS_THREAD_TIMEOUT") == nil else { return }
        let library = UnsafeMutableRawPointer(bitPattern: 0)  // RTLD_DEFAULT
        guard let readEnvironment = dlsym(library, "openblas_read_env"), let shutdown = dlsym(library, "blas_thread_shutdown_") else { return }
        setenv("OPENBLAS_THREAD_TIMEOUT", "4", 0)
        unsafeBitCast(readEnvironment, to: (@convention(c) () -> Void).self)()
        _ = unsafeBitCast(shutdown, to: (@convention(c) () -> Int32).self)()
        #endif
    }

    /// OpenBLAS's current thread count.
    public static var threads: Int { Int(openblas_get_num_threads()) }

    /// C[m×n] = alpha · op(A) · op(B) + beta · C, with op(A) m×k and op(B) k×n (row-major).
    /// `transA`: A is stored k×m; `transB`: B is stored n×k. O(m·n·k).
    @inline(__always)
    public static func gemm(
        transA: Bool = false, transB: Bool = false, m: Int, n: Int, k: Int,
        alpha: Float = 1, a: UnsafePointer<Float>, lda: Int? = nil,
        b: UnsafePointer<Float>, ldb: Int? = nil,
        beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int? = nil
    ) {
        let la = lda ?? (transA ? m : k)
        let lb = ldb ?? (transB ? k : n)
        let lc = ldc ?? n
        let began = GEMMTimer.shared.start()
        cblas_sgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
                    Int32(m), Int32(n), Int32(k), alpha, a, Int32(la), b, Int32(lb), beta, c, Int32(lc))
        GEMMTimer.shared.stop(began, flops: 2 * Double(m) * Double(n) * Double(k))
    }

    /// y = alpha·x + y over `n` floats.
    @inline(__always)
    public static func axpy(n: Int, alpha: Float, x: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>) {
        cblas_saxpy(Int32(n), alpha, x, 1, y, 1)
    }

    /// x *= alpha over `n` floats.
    @inline(__always)
    public static func scale(n: Int, alpha: Float, x: UnsafeMutablePointer<Float>) {
        cblas_sscal(Int32(n), alpha, x, 1)
    }
}
