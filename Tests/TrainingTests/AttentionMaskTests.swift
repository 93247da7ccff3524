import Testing
@testable import Training

/// The one mask type of `MultiHeadAttention`: a table of permitted keys with holes gives what attending over only
/// the permitted keys gives, masked keys get no weight and no gradient, and each mask form sets the right spans.
@Suite struct AttentionMaskTests {
    static func random(_ shape: [Int], _ g: inout SeededGenerator) -> Tensor {
        Tensor(shape: shape, storage: (0..<shape.reduce(1, *)).map { _ in g.nextNormal() })
    }

    /// The keys `kept` of item 0 of `x` `[1, L, D]`, as `[1, kept.count, D]`.
    static func keys(_ x: Tensor, _ kept: [Int]) -> Tensor {
        let d = x.shape[2]
        return Tensor(shape: [1, kept.count, d], storage: kept.flatMap { x.storage[($0 * d)..<(($0 + 1) * d)] })
    }

    @Test(arguments: SoftmaxKind.allCases)
    func aTableWithHolesEqualsAttendingOverThePermittedKeysOnly(softmax: SoftmaxKind) {
        var g = SeededGenerator(seed: 11)
        let store = ParameterStore()
        let attention = MultiHeadAttention(store, name: "a", width: 8, heads: 2, softmax: softmax, generator: &g)
        let query = Self.random([1, 3, 8], &g), memory = Self.random([1, 6, 8], &g), probe = Self.random([1, 3, 8], &g)
        let allowed = [true, false, true, true, false, false], kept = [0, 2, 3]

        attention.mask = AttentionMask(keys: .allowed(allowed))
        let y = attention.forward(query: query, keys: memory, values: memory, training: true)
        for h in 0..<2 {
            for i in 0..<3 { for j in [1, 4, 5] { #expect(attention.attentionWeights[0, h, i, j] == 0) } }
        }
        store.zeroGrad()
        let (dq, dk, dv) = attention.backwardCross(probe)
        let grads = Array(store.allGrads)

        attention.mask = .none
        let reduced = Self.keys(memory, kept)
        let yRef = attention.forward(query: query, keys: reduced, values: reduced, training: true)
        store.zeroGrad()
        let (dqRef, dkRef, dvRef) = attention.backwardCross(probe)

        func close(_ a: [Float], _ b: [Float]) -> Bool {
            zip(a, b).allSatisfy { abs($0 - $1) <= 1e-6 * max(1, abs($1)) }
        }
        #expect(close(y.storage, yRef.storage) && close(dq.storage, dqRef.storage))
        #expect(close(Self.keys(dk, kept).storage, dkRef.storage) && close(Self.keys(dv, kept).storage, dvRef.storage))
        #expect(close(grads, Array(store.allGrads)))
        #expect(
            Self.keys(dk, [1, 4, 5]).storage.allSatisfy { $0 == 0 }
                && Self.keys(dv, [1, 4, 5]).storage.allSatisfy { $0 == 0 })
    }

    @Test func spansFollowEachMaskForm() {
        #expect(AttentionMask.none.spans(items: 2, keyCount: 4).map(\.span) == [4, 4])
        let lengths = AttentionMask(lengths: [0, 3, 9]).spans(items: 3, keyCount: 5)
        #expect(lengths.map(\.span) == [0, 3, 5] && lengths.allSatisfy { !$0.gather })
        let table = AttentionMask(
            keys: .allowed([true, true, false, false, true, false, true, false, false, false, false, false])
        )
        .spans(items: 3, keyCount: 4)
        #expect(table.map(\.span) == [2, 3, 0] && table.map(\.gather) == [false, true, false])
    }
}
