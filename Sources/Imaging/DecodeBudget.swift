import Foundation

/// The limits one decode runs under. Rows stream from the decoders, so a decode holds a few rows of the
/// image's width; only two kinds of image need the whole picture buffered (an Adam7-interlaced PNG holds its
/// pixels, a progressive or multi-scan JPEG its DCT coefficients), and that memory comes from `memory`,
/// shared by every decode that uses the same pool. A sequential PNG inflates its whole stream in one step
/// (faster) only with bytes `memory` has free at that moment, else it streams.
public struct DecodeBudget: Sendable {
    /// 100 megapixels.
    public static let defaultMaxPixels = 100_000_000
    /// JPEG's own limit on a side, applied to PNG too, so one row never exceeds 65,535 pixels.
    public static let defaultMaxSide = 65_535
    /// Scans of one JPEG: baseline files have one per component, progressive encoders write about ten.
    public static let defaultMaxScans = 100
    /// 512 MiB for whole-image buffers, shared by all threads of a process.
    public static let defaultMemoryBytes = 512 << 20

    /// Largest width × height accepted, read from the header before any pixel memory is allocated.
    public var maxPixels: Int
    /// Largest width or height accepted.
    public var maxSide: Int
    /// Largest number of JPEG scans decoded (`too-many-scans` beyond it).
    public var maxScans: Int
    /// Where whole-image buffers are reserved.
    public var memory: DecodeMemory

    public init(
        maxPixels: Int = defaultMaxPixels, maxSide: Int = defaultMaxSide, maxScans: Int = defaultMaxScans,
        memory: DecodeMemory = .shared
    ) {
        self.maxPixels = maxPixels; self.maxSide = maxSide; self.maxScans = maxScans; self.memory = memory
    }
}

/// A byte budget for whole-image decode buffers, shared by threads: a decode that needs `n` bytes waits
/// until `n` are free, and one that needs more than the whole capacity is refused (`over-budget`).
/// Each decode holds at most one reservation and takes it in one step, so waiting never deadlocks. A
/// sequential PNG may also ask for its inflated stream without waiting (`tryReserve`), and streams its rows
/// when the bytes are not free.
///
/// Invariant: `used ≤ capacity`; every state change happens under `condition`'s lock.
public final class DecodeMemory: @unchecked Sendable {
    /// The process-wide pool decodes use unless given another (`DecodeBudget.defaultMemoryBytes`).
    public static let shared = DecodeMemory(capacity: DecodeBudget.defaultMemoryBytes)

    public let capacity: Int
    private let condition = NSCondition()
    private var used = 0

    public init(capacity: Int) {
        precondition(capacity > 0, "a decode memory budget must be positive")
        self.capacity = capacity
    }

    /// Waits until `bytes` fit, then takes them; `false` (at once) when they never can.
    func reserve(_ bytes: Int) -> Bool {
        guard bytes <= capacity else { return false }
        guard bytes > 0 else { return true }
        condition.lock()
        defer { condition.unlock() }
        while capacity - used < bytes { condition.wait() }
        used += bytes
        return true
    }

    /// Takes `bytes` only if they are free now, without waiting.
    func tryReserve(_ bytes: Int) -> Bool {
        guard bytes > 0 else { return true }
        condition.lock()
        defer { condition.unlock() }
        guard capacity - used >= bytes else { return false }
        used += bytes
        return true
    }

    /// Gives back what `reserve` or `tryReserve` took.
    func release(_ bytes: Int) {
        guard bytes > 0 else { return }
        condition.lock()
        used -= bytes
        condition.broadcast()
        condition.unlock()
    }

    /// Bytes reserved now (for tests and reports).
    public var inUse: Int {
        condition.lock()
        defer { condition.unlock() }
        return used
    }
}

/// What a row decode delivers: the output size (a DCT-scaled JPEG is smaller than its full size), the
/// channels of every row (1 grey, 3 RGB) and the full size from the header.
public struct RowLayout: Sendable, Equatable {
    public var width: Int
    public var height: Int
    public var channels: Int
    public var fullWidth: Int
    public var fullHeight: Int
    public var format: ImageFormat
}

/// Takes a decode's rows, top to bottom, each `width × channels` bytes, valid only during the call.
public protocol RowConsumer: AnyObject {
    /// Called once, before the first row.
    func begin(_ layout: RowLayout) throws(ImagingError)
    func row(_ pixels: UnsafeBufferPointer<UInt8>, y: Int)
}

/// The C decoders' context: forwards to a consumer, holds the memory reservation and the first error.
final class RowBridge {
    let consumer: any RowConsumer
    let budget: DecodeBudget
    let format: ImageFormat
    var fullWidth = 0, fullHeight = 0
    var layout: RowLayout?
    var reserved = 0
    /// Bytes a sequential PNG took without waiting for its whole-stream inflate (`tryReserve`).
    var taken = 0
    var error: ImagingError?

    init(_ consumer: any RowConsumer, budget: DecodeBudget, format: ImageFormat) {
        self.consumer = consumer; self.budget = budget; self.format = format
    }

    deinit { budget.memory.release(reserved + taken) }

    /// Largest inflated PNG stream taken whole (about a 2,300² RGB image): larger ones stream, so sequential PNGs of
    /// any size add at most this plus rows to a thread's memory.
    static let wholeStreamLimit = 16 << 20

    /// The C `try_reserve` callback's body: 0 when `bytes` were free and are now held until the decode ends.
    /// At most `wholeStreamLimit` and a quarter of the pool, so one image cannot keep interlaced ones waiting.
    func tryReserve(_ bytes: UInt64) -> Int32 {
        guard taken == 0, reserved == 0, bytes <= UInt64(min(Self.wholeStreamLimit, budget.memory.capacity / 4)),
            budget.memory.tryReserve(Int(bytes))
        else { return 1 }
        taken = Int(bytes)
        return 0
    }

    /// The C `begin` callback's body: reserve the buffered bytes, then tell the consumer. Nonzero refuses.
    func begin(width: UInt32, height: UInt32, channels: UInt32, buffered: UInt64) -> Int32 {
        let what = format == .png ? "an interlaced PNG" : "a multi-scan JPEG"
        let bytes = Int(clamping: buffered)
        guard budget.memory.reserve(bytes) else {
            let (w, h) = fullWidth == 0 ? (Int(width), Int(height)) : (fullWidth, fullHeight)
            error = ImagingError(
                .overBudget,
                "\(what) of \(w)x\(h) needs \(bytes) bytes buffered, "
                    + "above the decode memory of \(budget.memory.capacity) bytes")
            return 1
        }
        reserved = bytes
        let l = RowLayout(
            width: Int(width), height: Int(height), channels: Int(channels),
            fullWidth: fullWidth == 0 ? Int(width) : fullWidth,
            fullHeight: fullHeight == 0 ? Int(height) : fullHeight, format: format)
        layout = l
        do { try consumer.begin(l) } catch {
            self.error = error
            return 1
        }
        return 0
    }

    func row(_ pixels: UnsafePointer<UInt8>?, y: UInt32) -> Int32 {
        guard let pixels, let l = layout else { return 1 }
        consumer.row(UnsafeBufferPointer(start: pixels, count: l.width * l.channels), y: Int(y))
        return 0
    }
}

/// Collects rows into a full-size `Image` (for callers that need every pixel, such as the CLIP transform).
final class ImageCollector: RowConsumer {
    var layout: RowLayout?
    var pixels: [UInt8] = []

    func begin(_ layout: RowLayout) throws(ImagingError) {
        self.layout = layout
        pixels.reserveCapacity(layout.width * layout.height * layout.channels)
    }

    func row(_ row: UnsafeBufferPointer<UInt8>, y: Int) { pixels.append(contentsOf: row) }

    func image() -> Image {
        let l = layout!
        return Image(width: l.width, height: l.height, channels: l.channels, pixels: pixels, format: l.format)
    }
}
