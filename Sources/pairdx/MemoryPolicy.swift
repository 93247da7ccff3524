#if canImport(Glibc)
    import Glibc
#endif

/// The process's malloc settings, applied once before any thread starts.
///
/// Model layers allocate and free tensors of tens of megabytes at every layer of every batch (a ViT-B/32 block at
/// batch 32 makes about 80 MB of activations; a CLIP fine-tuning step holds a few GB until its backward pass ends).
/// With glibc's defaults, freed memory at the top of the heap is given back to the kernel and the next layer or step
/// takes page faults and zero-fills it again: about 12% of CLIP's inference time and 7% of a fine-tuning step here.
/// So: blocks up to 32 MB come from the heap (not a fresh mmap each), the heap never gives freed memory back, and it
/// grows 256 MB at a time. Resident memory then stays at the run's high-water mark, which is what a one-shot command
/// peaks at anyway; no result changes.
///
/// `mallopt` is looked up at run time (glibc's `<malloc.h>` is not part of Swift's Glibc module); where it is
/// absent (another C library) nothing is changed.
enum MemoryPolicy {
    // glibc's <malloc.h> parameter numbers.
    private static let trimThreshold: Int32 = -1  // M_TRIM_THRESHOLD
    private static let topPad: Int32 = -2  // M_TOP_PAD
    private static let mmapThreshold: Int32 = -3  // M_MMAP_THRESHOLD

    static func apply() {
        #if canImport(Glibc)
            typealias Mallopt = @convention(c) (Int32, Int32) -> Int32
            guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "mallopt") else { return }
            let mallopt = unsafeBitCast(symbol, to: Mallopt.self)
            _ = mallopt(mmapThreshold, 32 << 20)
            _ = mallopt(trimThreshold, -1)  // never trim
            _ = mallopt(topPad, 256 << 20)
        #endif
    }
}
