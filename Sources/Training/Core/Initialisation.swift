/// Weight initialisers matching PyTorch's defaults (the distributions, not PyTorch's random streams).
public enum Initialisation {
    /// Fills `count` floats with N(0, std²).
    public static func normal(_ p: UnsafeMutablePointer<Float>, count: Int, std: Float, using g: inout SeededGenerator)
    {
        for i in 0..<count { p[i] = g.nextNormal() * std }
    }

    /// Fills `count` floats with U(-bound, bound).
    public static func uniform(
        _ p: UnsafeMutablePointer<Float>, count: Int, bound: Float, using g: inout SeededGenerator
    ) {
        for i in 0..<count { p[i] = (g.nextUniform() * 2 - 1) * bound }
    }

    /// Kaiming (He) normal with fan-out and ReLU gain, as torchvision's ResNet initialises convolutions:
    /// std = √(2 / (outChannels · kernelHeight · kernelWidth)). `shape` is `[out, in, kh, kw]`.
    public static func kaimingNormalFanOut(_ store: ParameterStore, _ p: ParameterRef, using g: inout SeededGenerator) {
        let fanOut = p.shape[0] * p.shape.dropFirst(2).reduce(1, *)
        normal(store.value(p), count: p.count, std: (2 / Float(fanOut)).squareRoot(), using: &g)
    }

    /// PyTorch's default for `nn.Linear`/`nn.Conv2d`: weight and bias ~ U(-1/√fanIn, 1/√fanIn).
    public static func linearDefault(
        _ store: ParameterStore, weight: ParameterRef, bias: ParameterRef?, using g: inout SeededGenerator
    ) {
        let fanIn = weight.shape.dropFirst().reduce(1, *)
        let bound = 1 / Float(fanIn).squareRoot()
        uniform(store.value(weight), count: weight.count, bound: bound, using: &g)
        if let bias { uniform(store.value(bias), count: bias.count, bound: bound, using: &g) }
    }
}
