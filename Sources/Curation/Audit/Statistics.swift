import Foundation

/// The statistics the audit needs, written out so their behaviour is fixed and testable.
public enum AuditStatistics {
    /// ln Γ(x) for x > 0 (Lanczos approximation, g = 7, 9 terms; relative error below 1e-13).
    public static func logGamma(_ x: Double) -> Double {
        precondition(x > 0, "logGamma needs x > 0")
        let g = 7.0
        let c: [Double] = [
            0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313,
            -176.61502916214059, 12.507343278686905, -0.13857109526572012,
            9.9843695780195716e-6, 1.5056327351493116e-7
        ]
        if x < 0.5 {
            // Reflection: Γ(x)Γ(1−x) = π / sin(πx).
            return log(Double.pi / abs(sin(Double.pi * x))) - logGamma(1 - x)
        }
        let z = x - 1
        var a = c[0]
        for i in 1..<9 { a += c[i] / (z + Double(i)) }
        let t = z + g + 0.5
        return 0.5 * log(2 * Double.pi) + (z + 0.5) * log(t) - t + log(a)
    }

    /// The regularised upper incomplete gamma function Q(a, x) = Γ(a, x) / Γ(a), for a > 0, x ≥ 0.
    /// Uses the power series of P(a, x) when x < a + 1 and a continued fraction (modified Lentz) otherwise;
    /// both converge to 1e-15 relative within a few hundred terms for the a, x a contingency table produces.
    public static func regularizedUpperGamma(a: Double, x: Double) -> Double {
        precondition(a > 0 && x >= 0, "Q(a, x) needs a > 0 and x ≥ 0")
        if x == 0 { return 1 }
        let logPrefix = a * log(x) - x - logGamma(a)
        if x < a + 1 {
            // P(a, x) = e^{-x} x^a / Γ(a+1) · Σ x^n / ((a+1)…(a+n))
            var term = 1.0 / a
            var sum = term
            var n = 1.0
            while n < 10_000 {
                term *= x / (a + n)
                sum += term
                if abs(term) < abs(sum) * 1e-16 { break }
                n += 1
            }
            return max(0, min(1, 1 - sum * exp(logPrefix)))
        }
        // Q(a, x) = e^{-x} x^a / Γ(a) · 1 / (x + 1 − a − 1·(1−a) / (x + 3 − a − 2·(2−a) / (x + 5 − a − …)))
        let tiny = 1e-300
        var b = x + 1 - a
        var c = 1 / tiny
        var d = 1 / b
        var h = d
        var i = 1.0
        while i < 10_000 {
            let an = -i * (i - a)
            b += 2
            d = an * d + b
            if abs(d) < tiny { d = tiny }
            c = b + an / c
            if abs(c) < tiny { c = tiny }
            d = 1 / d
            let delta = d * c
            h *= delta
            if abs(delta - 1) < 1e-16 { break }
            i += 1
        }
        return max(0, min(1, exp(logPrefix) * h))
    }

    /// Upper tail of the chi-square distribution: P(X ≥ statistic) with `df` degrees of freedom.
    public static func chiSquarePValue(statistic: Double, degreesOfFreedom df: Int) -> Double {
        precondition(df >= 1)
        return regularizedUpperGamma(a: Double(df) / 2, x: max(0, statistic) / 2)
    }

    /// Pearson's chi-square test of independence on a contingency table (rows × columns of counts).
    /// Rows and columns whose totals are 0 are dropped first (they carry no information and would divide
    /// by zero). Returns nil when fewer than 2 rows or 2 columns remain. O(rows × columns).
    public static func chiSquareIndependence(_ table: [[Int]]) -> (statistic: Double, df: Int, pValue: Double)? {
        let rowsKept = table.filter { $0.reduce(0, +) > 0 }
        guard let width = rowsKept.first?.count else { return nil }
        let cols = (0..<width).filter { j in rowsKept.reduce(0) { $0 + $1[j] } > 0 }
        let t = rowsKept.map { r in cols.map { Double(r[$0]) } }
        guard t.count >= 2, cols.count >= 2 else { return nil }
        let rowSum = t.map { $0.reduce(0, +) }
        let colSum = (0..<cols.count).map { j in t.reduce(0) { $0 + $1[j] } }
        let n = rowSum.reduce(0, +)
        var chi = 0.0
        for i in 0..<t.count {
            for j in 0..<cols.count {
                let e = rowSum[i] * colSum[j] / n
                let d = t[i][j] - e
                chi += d * d / e
            }
        }
        let df = (t.count - 1) * (cols.count - 1)
        return (chi, df, chiSquarePValue(statistic: chi, degreesOfFreedom: df))
    }

    /// Rounds to 6 significant digits so floats in the report print the same on every machine.
    public static func fixed(_ x: Double) -> Double {
        guard x.isFinite, x != 0 else { return x }
        return Double(String(format: "%.6g", x)) ?? x
    }

    /// Median of a list (mean of the two middle values for an even count); 0 for an empty list.
    public static func median(_ xs: [Int]) -> Double {
        guard !xs.isEmpty else { return 0 }
        let s = xs.sorted()
        let m = s.count / 2
        return s.count % 2 == 1 ? Double(s[m]) : Double(s[m - 1] + s[m]) / 2
    }
}
