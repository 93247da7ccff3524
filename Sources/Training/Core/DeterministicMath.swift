/// Elementary functions of the training core written with IEEE-754 `+ − × ÷` only, so they give the same bits on
/// every CPU and C library (libm picks per-CPU variants at load time and differs between versions).
///
/// Each reduces its argument exactly enough for Float32 training and evaluates a fixed polynomial in Double; the
/// results are within a few units in the last place of the true value (Double), or correctly rounded to Float in
/// all but rare ties (Float). Swift does not contract `a·b + c` into fused operations, so the code is its own spec.
public enum DeterministicMath {
    private static let ln2Hi = 6.93147180369123816490e-01, ln2Lo = 1.90821492927058770002e-10
    private static let log2e = 1.44269504088896338700

    /// 2ⁿ for |n| ≤ 1023 (exact).
    @inline(__always)
    private static func twoPower(_ n: Int) -> Double { Double(bitPattern: UInt64(1023 + n) << 52) }

    /// eˣ in Double for x in [−745, 709]; 0 below, +∞ above. NaN stays NaN.
    public static func exp(_ x: Double) -> Double {
        if x.isNaN { return x }
        if x > 709.78 { return .infinity }
        if x < -745.1 { return 0 }
        let n = (x * log2e).rounded()
        let r = (x - n * ln2Hi) - n * ln2Lo  // |r| ≤ ½ ln 2
        // Taylor series of eʳ to r¹³ (truncation < 2e-17 relative for |r| ≤ 0.35), Horner form.
        var s = 1.0 / 6_227_020_800  // 1/13!
        for c in reciprocalFactorials.reversed() { s = s * r + c }
        let k = Int(n)
        // Scale in two steps so 2ᵏ stays a normal Double even when the result is subnormal.
        if k < -1000 { return s * twoPower(k + 600) * twoPower(-600) }
        return s * twoPower(k)
    }

    private static func factorial(_ n: Int) -> Double { n <= 1 ? 1 : Double(n) * factorial(n - 1) }
    /// 1/0!, 1/1!, …, 1/12!.
    private static let reciprocalFactorials: [Double] = (0...12).map { 1 / factorial($0) }

    /// eˣ for a Float (evaluated in Double, rounded once).
    @inline(__always)
    public static func exp(_ x: Float) -> Float { Float(exp(Double(x))) }

    /// ln x in Double for x > 0 (finite); −∞ at 0, NaN below 0.
    public static func log(_ x: Double) -> Double {
        if x.isNaN || x < 0 { return .nan }
        if x == 0 { return -.infinity }
        if x.isInfinite { return x }
        var m = x.significand  // [1, 2)
        var e = Double(x.exponent)  // handles subnormals
        if m > 1.4142135623730951 { m /= 2; e += 1 }  // m in (√½, √2]
        // ln m = 2·atanh(s), s = (m − 1)/(m + 1), |s| ≤ 0.1716: odd series to s²⁹ (truncation < 1e-24).
        let s = (m - 1) / (m + 1), s2 = s * s
        var t = 1.0 / 29
        for d in stride(from: 27, through: 1, by: -2) { t = t * s2 + 1 / Double(d) }
        return 2 * s * t + e * ln2Lo + e * ln2Hi
    }

    /// sin x and cos x in Double (argument reduced by multiples of π/2 in Double: accurate for |x| up to about 10⁶).
    public static func sinCos(_ x: Double) -> (sin: Double, cos: Double) {
        // π/2 in two parts, the first with 33 significant bits, so q·first is exact for |q| < 2²⁰ (Cody–Waite).
        let piOver2Hi = 1.57079632673412561417e+00, piOver2Lo = 6.07710050650619224932e-11
        let q = (x / 1.5707963267948966).rounded()
        let r = (x - q * piOver2Hi) - q * piOver2Lo  // |r| ≤ π/4 (about)
        let r2 = r * r
        // Nested form: sin r = r·(1 − r²/(2·3)·(1 − r²/(4·5)·(1 − …))), cos r = 1 − r²/(1·2)·(1 − r²/(3·4)·(1 − …)).
        var fs = 1.0, fc = 1.0
        for n in stride(from: 11, through: 1, by: -1) {
            fs = 1 - r2 / Double((2 * n) * (2 * n + 1)) * fs
            fc = 1 - r2 / Double((2 * n - 1) * (2 * n)) * fc
        }
        let s = r * fs, c = fc
        switch Int(q.truncatingRemainder(dividingBy: 4) + 4) % 4 {
        case 0: return (s, c)
        case 1: return (c, -s)
        case 2: return (-s, -c)
        default: return (-c, s)
        }
    }

    /// cos x in Double.
    public static func cos(_ x: Double) -> Double { sinCos(x).cos }

    /// xⁿ for an integer n ≥ 0 by repeated squaring (a fixed sequence of multiplications).
    public static func pow(_ x: Double, _ n: Int) -> Double {
        precondition(n >= 0, "DeterministicMath.pow needs n ≥ 0")
        var result = 1.0, base = x, e = n
        while e > 0 {
            if e & 1 == 1 { result *= base }
            base *= base
            e >>= 1
        }
        return result
    }
}
