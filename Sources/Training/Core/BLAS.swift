import CGEMM
import Synchronization
import COpenBLAS
#if canImport(Glibc)
    import Glibc
#endif

/// How the training core computes its matrix products.
public enum ComputeMode: String, Sendable, Codable, CaseIterable {
    /// The project's own GEMM (`CGEMM`): every element of a product is one fused multiply-add chain in a fixed
    /// order, so the bits do not depend on the CPU, OpenBLAS's kernel choice or the thread count.
    case deterministic
    /// OpenBLAS with the kernels it picks for this CPU: faster on some CPUs, but the last bits of results depend on
    /// the CPU (its kernel) and on the thread count.
    case fast
}

/// Thin, typed wrappers over the matrix products. Every matrix product of the training core goes through `BLAS.gemm`.
///
/// Matrices are row-major; `lda`/`ldb`/`ldc` default to the packed row length. In `.deterministic` mode (the
/// default) products run on the project's own kernel, split over `Compute.threads` threads by blocks of C whose
/// elements do not depend on the split; in `.fast` mode on OpenBLAS, whose thread count is set explicitly
/// (`BLAS.setThreads`): same CPU and thread count ⇒ same bits.
public enum BLAS {
    /// 0 = deterministic, 1 = fast (an atomic, so a read on a compute thread never races the setter).
    private static let modeStorage = Atomic<Int>(0)

    /// The mode of every later product. Set once before training (not while products run).
    public static var mode: ComputeMode {
        get { currentMode }
        set { modeStorage.store(newValue == .fast ? 1 : 0, ordering: .relaxed) }
    }

    private static var currentMode: ComputeMode { modeStorage.load(ordering: .relaxed) == 1 ? .fast : .deterministic }

    /// The kernel products run on in `mode`: `pairdx-sgemm/avx2-fma` (or `/portable`, same bits) when
    /// deterministic, `openblas/<core name>` when fast (e.g. `openblas/Haswell`, `openblas/Cooperlake`).
    public static var kernel: String {
        switch currentMode {
        case .deterministic: "pairdx-sgemm/" + String(cString: pairdx_sgemm_kernel_name())
        case .fast: "openblas/" + openBLASCoreName
        }
    }

    /// The kernel set OpenBLAS chose for this CPU (or that `OPENBLAS_CORETYPE` forced), e.g. `Haswell`.
    public static var openBLASCoreName: String {
        guard let name = openblas_get_corename() else { return "unknown" }
        return String(cString: name)
    }

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
            guard let readEnvironment = dlsym(library, "openblas_read_env"),
                let shutdown = dlsym(library, "blas_thread_shutdown_")
            else { return }
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
        let began = GEMMTimer.shared.start()
        product(
            transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda, b: b, ldb: ldb,
            beta: beta, c: c, ldc: ldc)
        GEMMTimer.shared.stop(began, flops: 2 * Double(m) * Double(n) * Double(k))
    }

    /// `count` independent products of one shape, `C_i = op(A_i) · op(B_i)` (beta 0, packed rows), with
    /// `operands(i)` giving product i's matrices. With several compute threads the products, not each product,
    /// are split over the threads (`Compute.batchParallel`: every thread runs its share with a single-threaded
    /// BLAS), so small products such as Winograd's 16 transform-point GEMMs do not pay a fork, a join and a
    /// spin-wait each. Every product's result is the one `gemm` gives on one thread (in deterministic mode the same
    /// bits as at any thread count). Timed as one region by `GEMMTimer`.
    public static func gemmGroup(
        _ count: Int, transA: Bool = false, transB: Bool = false, m: Int, n: Int, k: Int,
        operands: (Int) -> (a: UnsafePointer<Float>, b: UnsafePointer<Float>, c: UnsafeMutablePointer<Float>)
    ) {
        let began = GEMMTimer.shared.start()
        func run(_ range: Range<Int>) {
            for i in range {
                let (a, b, c) = operands(i)
                product(transA: transA, transB: transB, m: m, n: n, k: k, alpha: 1, a: a, b: b, beta: 0, c: c)
            }
        }
        if Compute.threads > 1 && count >= Compute.threads {
            Compute.batchParallel(count, run)
        } else {
            run(0..<count)
        }
        GEMMTimer.shared.stop(began, flops: 2 * Double(count) * Double(m) * Double(n) * Double(k))
    }

    /// `gemm` without the timer.
    @inline(__always)
    static func product(
        transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Float, a: UnsafePointer<Float>, lda: Int? = nil,
        b: UnsafePointer<Float>, ldb: Int? = nil, beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int? = nil
    ) {
        let la = lda ?? (transA ? m : k)
        let lb = ldb ?? (transB ? k : n)
        let lc = ldc ?? n
        switch currentMode {
        case .deterministic:
            deterministicGEMM(
                transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha, a: a, lda: la, b: b, ldb: lb,
                beta: beta, c: c, ldc: lc)
        case .fast:
            cblas_sgemm(
                CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
                Int32(m), Int32(n), Int32(k), alpha, a, Int32(la), b, Int32(lb), beta, c, Int32(lc))
        }
    }

    /// `gemm` on the project's kernel: C is cut into blocks of whole 16-column panels (or 6-row strips when there
    /// are few columns), one block per compute thread. Each element's result is the same whatever the cut, so the
    /// thread count never changes a bit. Small products (under 2¹⁸ multiply-adds) run on the calling thread.
    static func deterministicGEMM(
        transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Float,
        a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
        beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        let ta: Int32 = transA ? 1 : 0, tb: Int32 = transB ? 1 : 0
        let threads = Compute.threads
        let panels = (n + 15) / 16, strips = (m + 5) / 6
        if threads <= 1 || m &* n &* max(k, 1) < 1 << 18 || (panels < 2 && strips < 2) {
            pairdx_sgemm_block(ta, tb, 0, m, 0, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
        } else if panels >= 2 * threads || strips < threads {
            Compute.parallelFor(panels, costPerItem: 1 << 18) { range in
                pairdx_sgemm_block(
                    ta, tb, 0, m, range.lowerBound * 16, min(n, range.upperBound * 16), k, alpha,
                    a, lda, b, ldb, beta, c, ldc)
            }
        } else {
            Compute.parallelFor(strips, costPerItem: 1 << 18) { range in
                pairdx_sgemm_block(
                    ta, tb, range.lowerBound * 6, min(m, range.upperBound * 6), 0, n, k, alpha,
                    a, lda, b, ldb, beta, c, ldc)
            }
        }
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
