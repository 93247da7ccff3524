/// A dense Float32 tensor: a shape and one contiguous row-major buffer.
///
/// Invariants: `storage.count == shape.reduce(1, *)`; the last dimension varies fastest. The storage is a Swift
/// array, so copies are copy-on-write and handing a tensor to a layer (which caches it for `backward`) costs
/// nothing. Hot loops reach the floats through `withUnsafeBufferPointer`/`withUnsafeMutableBufferPointer`.
public struct Tensor: Sendable, Equatable {
    /// Extent of each dimension, outermost first.
    public private(set) var shape: [Int]
    /// The elements in row-major order.
    public var storage: [Float]

    /// Number of elements (product of the shape; 1 for a scalar shape `[]`).
    public var count: Int { storage.count }

    /// A tensor of `shape` filled with `value`. O(count).
    public init(shape: [Int], repeating value: Float = 0) {
        precondition(shape.allSatisfy { $0 >= 0 }, "negative dimension in \(shape)")
        self.shape = shape
        self.storage = [Float](repeating: value, count: shape.reduce(1, *))
    }

    /// A tensor over existing elements; `storage.count` must equal the product of `shape`.
    public init(shape: [Int], storage: [Float]) {
        precondition(
            storage.count == shape.reduce(1, *), "storage of \(storage.count) floats does not fit shape \(shape)")
        self.shape = shape
        self.storage = storage
    }

    /// A tensor whose every element is written by `fill` (which receives the uninitialised buffer and must
    /// write all of it). Avoids the zero-fill of `init(shape:repeating:)` in hot paths.
    public init(shape: [Int], unsafeUninitialized fill: (UnsafeMutableBufferPointer<Float>) -> Void) {
        let n = shape.reduce(1, *)
        self.shape = shape
        self.storage = [Float](unsafeUninitializedCapacity: n) { buffer, initialized in
            fill(buffer)
            initialized = n
        }
    }

    /// Items `range` along the outermost dimension, `[range.count, rest...]`: `self` when the range is the whole
    /// dimension, else a copy. O(copied elements).
    public func items(_ range: Range<Int>) -> Tensor {
        precondition(
            rank >= 1 && range.lowerBound >= 0 && range.upperBound <= shape[0], "items \(range) outside \(shape)")
        if range.count == shape[0] { return self }
        let per = shape[0] == 0 ? 0 : count / shape[0]
        return storage.withUnsafeBufferPointer { src in
            Tensor(shape: [range.count] + shape.dropFirst()) { dst in
                dst.baseAddress!.update(from: src.baseAddress! + range.lowerBound &* per, count: range.count &* per)
            }
        }
    }

    /// Number of dimensions.
    public var rank: Int { shape.count }

    /// The same elements under another shape with the same element count. O(1) (shares storage).
    public func reshaped(_ newShape: [Int]) -> Tensor {
        precondition(newShape.reduce(1, *) == count, "cannot reshape \(shape) to \(newShape)")
        var t = self
        t.shape = newShape
        return t
    }

    /// Read access to the contiguous elements.
    @inlinable
    public func withUnsafeBufferPointer<R>(_ body: (UnsafeBufferPointer<Float>) throws -> R) rethrows -> R {
        try storage.withUnsafeBufferPointer(body)
    }

    /// Write access to the contiguous elements (makes the storage unique first).
    @inlinable
    public mutating func withUnsafeMutableBufferPointer<R>(_ body: (UnsafeMutableBufferPointer<Float>) throws -> R)
        rethrows -> R
    {
        try storage.withUnsafeMutableBufferPointer { try body($0) }
    }

    /// Element at a multi-dimensional index (bounds-checked; for tests and small code, not hot loops).
    public subscript(_ index: Int...) -> Float {
        get { storage[flatIndex(index)] }
        set { storage[flatIndex(index)] = newValue }
    }

    private func flatIndex(_ index: [Int]) -> Int {
        precondition(index.count == shape.count, "index \(index) does not match shape \(shape)")
        var flat = 0
        for (i, n) in zip(index, shape) {
            precondition(i >= 0 && i < n, "index \(index) out of range for shape \(shape)")
            flat = flat * n + i
        }
        return flat
    }

    /// Swaps the two outermost dimensions: `[A, B, rest...]` → `[B, A, rest...]`. O(count).
    /// Converts between the batch-major layout `[N, C, H, W]` and the channel-major `[C, N, H, W]` used inside
    /// convolutional networks (see `Core/README.md`).
    public func swappingLeadingAxes() -> Tensor {
        precondition(rank >= 2, "swappingLeadingAxes needs rank >= 2, got \(shape)")
        let a = shape[0], b = shape[1]
        let inner = count / max(a * b, 1)
        var newShape = shape
        newShape.swapAt(0, 1)
        return storage.withUnsafeBufferPointer { src in
            Tensor(shape: newShape) { dst in
                for i in 0..<a {
                    for j in 0..<b {
                        let s = src.baseAddress! + (i &* b &+ j) &* inner
                        let d = dst.baseAddress! + (j &* a &+ i) &* inner
                        d.update(from: s, count: inner)
                    }
                }
            }
        }
    }
}
