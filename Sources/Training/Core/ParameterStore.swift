/// One model's parameters, their gradients and its non-trainable state (buffers), each in ONE contiguous block.
///
/// Layers register what they need while the model is built (`parameter(...)`, `buffer(...)`) and keep the
/// returned `ParameterRef`/`BufferRef` (an offset and a shape). At run time they reach their floats with
/// `value(_:)`, `grad(_:)` and `buffer(_:)`, which return pointers into the blocks. Pointers must not be held
/// across a registration (a registration may move the blocks); after the model is built the blocks never move.
///
/// Invariants: `values`, `grads` have `parameterCount` floats; `buffers` has `bufferCount`; parameter and buffer
/// names are unique (torchvision-style dotted names, e.g. `layer1.0.conv1.weight`), in registration order.
/// Gradients ACCUMULATE (`+=`) in `backward`; call `zeroGrad()` before each step. Not thread-safe: one model is
/// driven by one thread (BLAS calls inside may use several).
public final class ParameterStore {
    /// Description of one registered tensor.
    public struct Entry: Sendable, Equatable {
        public let name: String
        public let shape: [Int]
        public let offset: Int
        public var count: Int { shape.reduce(1, *) }
        /// Whether the optimiser updates it (a frozen embedding is registered with `trainable: false`).
        public var trainable: Bool
        /// Whether weight decay applies to it (all by default, as in PyTorch).
        public var decay: Bool
    }

    public private(set) var parameters: [Entry] = []
    public private(set) var buffers: [Entry] = []
    public private(set) var parameterCount = 0
    public private(set) var bufferCount = 0

    private var valueBlock: UnsafeMutablePointer<Float>
    private var gradBlock: UnsafeMutablePointer<Float>
    private var bufferBlock: UnsafeMutablePointer<Float>
    private var parameterCapacity = 0
    private var bufferCapacity = 0
    private var parameterIndex: [String: Int] = [:]
    private var bufferIndex: [String: Int] = [:]

    public init() {
        valueBlock = .allocate(capacity: 1)
        gradBlock = .allocate(capacity: 1)
        bufferBlock = .allocate(capacity: 1)
    }

    deinit {
        valueBlock.deallocate()
        gradBlock.deallocate()
        bufferBlock.deallocate()
    }

    // MARK: registration

    /// Registers a trainable parameter of `shape` filled with zeros (initialise it through `value(_:)`).
    /// Amortised O(count).
    public func parameter(_ name: String, shape: [Int], trainable: Bool = true, decay: Bool = true) -> ParameterRef {
        precondition(parameterIndex[name] == nil, "parameter \(name) registered twice")
        let n = shape.reduce(1, *)
        let needed = parameterCount + n
        if needed > parameterCapacity {
            let newCapacity = max(needed, parameterCapacity * 2, 1024)
            valueBlock = Self.grow(valueBlock, used: parameterCount, to: newCapacity)
            gradBlock = Self.grow(gradBlock, used: parameterCount, to: newCapacity)
            parameterCapacity = newCapacity
        }
        (valueBlock + parameterCount).initialize(repeating: 0, count: n)
        (gradBlock + parameterCount).initialize(repeating: 0, count: n)
        let entry = Entry(name: name, shape: shape, offset: parameterCount, trainable: trainable, decay: decay)
        parameterIndex[name] = parameters.count
        parameters.append(entry)
        parameterCount = needed
        return ParameterRef(index: parameters.count - 1, offset: entry.offset, shape: shape)
    }

    /// Registers a non-trainable state tensor (e.g. BatchNorm running statistics) filled with `initial`.
    public func buffer(_ name: String, shape: [Int], initial: Float = 0) -> BufferRef {
        precondition(bufferIndex[name] == nil, "buffer \(name) registered twice")
        let n = shape.reduce(1, *)
        let needed = bufferCount + n
        if needed > bufferCapacity {
            let newCapacity = max(needed, bufferCapacity * 2, 256)
            bufferBlock = Self.grow(bufferBlock, used: bufferCount, to: newCapacity)
            bufferCapacity = newCapacity
        }
        (bufferBlock + bufferCount).initialize(repeating: initial, count: n)
        let entry = Entry(name: name, shape: shape, offset: bufferCount, trainable: false, decay: false)
        bufferIndex[name] = buffers.count
        buffers.append(entry)
        bufferCount = needed
        return BufferRef(index: buffers.count - 1, offset: entry.offset, shape: shape)
    }

    private static func grow(_ old: UnsafeMutablePointer<Float>, used: Int, to capacity: Int) -> UnsafeMutablePointer<
        Float
    > {
        let fresh = UnsafeMutablePointer<Float>.allocate(capacity: capacity)
        fresh.moveInitialize(from: old, count: used)
        old.deallocate()
        return fresh
    }

    // MARK: access

    /// Pointer to the first value of `p` (`p.count` floats).
    @inline(__always) public func value(_ p: ParameterRef) -> UnsafeMutablePointer<Float> { valueBlock + p.offset }
    /// Pointer to the first gradient of `p` (`p.count` floats).
    @inline(__always) public func grad(_ p: ParameterRef) -> UnsafeMutablePointer<Float> { gradBlock + p.offset }
    /// Pointer to the first float of buffer `b`.
    @inline(__always) public func buffer(_ b: BufferRef) -> UnsafeMutablePointer<Float> { bufferBlock + b.offset }

    /// All parameter values (one block, `parameterCount` floats).
    public var allValues: UnsafeMutableBufferPointer<Float> { .init(start: valueBlock, count: parameterCount) }
    /// All gradients (one block, `parameterCount` floats).
    public var allGrads: UnsafeMutableBufferPointer<Float> { .init(start: gradBlock, count: parameterCount) }
    /// All buffers (one block, `bufferCount` floats).
    public var allBuffers: UnsafeMutableBufferPointer<Float> { .init(start: bufferBlock, count: bufferCount) }

    /// Sets every gradient to zero. O(parameterCount).
    public func zeroGrad() {
        gradBlock.update(repeating: 0, count: parameterCount)
    }

    /// The entry of a parameter by name, if any.
    public func parameterEntry(named name: String) -> Entry? { parameterIndex[name].map { parameters[$0] } }
    /// The entry of a buffer by name, if any.
    public func bufferEntry(named name: String) -> Entry? { bufferIndex[name].map { buffers[$0] } }

    /// Freezes or unfreezes a parameter (the optimiser skips frozen ones; layers may skip their gradient).
    public func setTrainable(_ p: ParameterRef, _ trainable: Bool) { parameters[p.index].trainable = trainable }
    /// Whether `p` is currently trainable.
    public func isTrainable(_ p: ParameterRef) -> Bool { parameters[p.index].trainable }
    /// Excludes a parameter from weight decay (or includes it again).
    public func setDecay(_ p: ParameterRef, _ decay: Bool) { parameters[p.index].decay = decay }

    /// A copy of a parameter as a tensor (for tests, checkpoints).
    public func valueTensor(_ p: ParameterRef) -> Tensor {
        Tensor(shape: p.shape, storage: Array(UnsafeBufferPointer(start: value(p), count: p.count)))
    }
    /// A copy of a parameter's gradient as a tensor.
    public func gradTensor(_ p: ParameterRef) -> Tensor {
        Tensor(shape: p.shape, storage: Array(UnsafeBufferPointer(start: grad(p), count: p.count)))
    }
    /// Overwrites a parameter with `t` (same element count).
    public func setValue(_ p: ParameterRef, _ t: Tensor) {
        precondition(t.count == p.count, "tensor of \(t.shape) does not fit parameter of \(p.shape)")
        t.withUnsafeBufferPointer { value(p).update(from: $0.baseAddress!, count: p.count) }
    }
}

/// Handle to one parameter in a `ParameterStore`: where it lives and its shape.
public struct ParameterRef: Sendable, Equatable {
    public let index: Int
    public let offset: Int
    public let shape: [Int]
    public var count: Int { shape.reduce(1, *) }
}

/// Handle to one buffer (non-trainable state) in a `ParameterStore`.
public struct BufferRef: Sendable, Equatable {
    public let index: Int
    public let offset: Int
    public let shape: [Int]
    public var count: Int { shape.reduce(1, *) }
}
