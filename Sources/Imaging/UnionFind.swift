/// Disjoint sets over `0..<n` with path halving; the smaller index always becomes the root, so the
/// representative of a set is its smallest member whatever the union order. Near O(α(n)) per call.
public struct UnionFind: Sendable {
    private var parent: [Int32]

    public init(_ n: Int) { parent = (0..<n).map { Int32($0) } }

    public mutating func find(_ x: Int) -> Int {
        var x = x
        while Int(parent[x]) != x {
            let p = Int(parent[x])
            parent[x] = parent[p]
            x = p
        }
        return x
    }

    public mutating func union(_ a: Int, _ b: Int) {
        let ra = find(a), rb = find(b)
        if ra == rb { return }
        if ra < rb { parent[rb] = Int32(ra) } else { parent[ra] = Int32(rb) }
    }
}
