import Foundation
import Testing
@testable import Curation

@Suite struct AuditStatisticsTests {
    @Test func logGammaMatchesFactorialsAndHalfIntegers() {
        #expect(abs(AuditStatistics.logGamma(5) - log(24)) < 1e-12)
        #expect(abs(AuditStatistics.logGamma(0.5) - 0.5 * log(Double.pi)) < 1e-12)
        #expect(abs(AuditStatistics.logGamma(101) - (1...100).reduce(0.0) { $0 + log(Double($1)) }) < 1e-9)
        #expect(abs(AuditStatistics.logGamma(0.1) - 2.252712651734206) < 1e-11)
    }

    @Test func upperGammaAgreesWithClosedForms() {
        // Q(1, x) = e^-x and Q(3, x) = e^-x (1 + x + x²/2): both branches (x < a+1 and x ≥ a+1).
        for x in [0.01, 0.5, 1.9, 2.5, 4, 10, 30] {
            #expect(abs(AuditStatistics.regularizedUpperGamma(a: 1, x: x) - exp(-x)) < 1e-12)
            let q3 = exp(-x) * (1 + x + x * x / 2)
            #expect(abs(AuditStatistics.regularizedUpperGamma(a: 3, x: x) - q3) < 1e-12 * max(1, q3 * 1e3))
        }
        #expect(AuditStatistics.regularizedUpperGamma(a: 2, x: 0) == 1)
        // Q(1/2, x) = erfc(√x)
        for x in [0.2, 1.0, 3.0, 8.0] {
            #expect(abs(AuditStatistics.regularizedUpperGamma(a: 0.5, x: x) - erfc(x.squareRoot())) < 1e-12)
        }
    }

    @Test func chiSquareCriticalValues() {
        // Tabulated 5% critical values for df 1, 4, 10.
        #expect(abs(AuditStatistics.chiSquarePValue(statistic: 3.841459, degreesOfFreedom: 1) - 0.05) < 1e-6)
        #expect(abs(AuditStatistics.chiSquarePValue(statistic: 9.487729, degreesOfFreedom: 4) - 0.05) < 1e-6)
        #expect(abs(AuditStatistics.chiSquarePValue(statistic: 18.307038, degreesOfFreedom: 10) - 0.05) < 1e-6)
    }

    @Test func independenceTestOnAWorkedTable() throws {
        // Rows 60/60, columns 30/40/50: expected 15/20/25 per row; χ² = 2·(25/15 + 0 + 25/25) = 16/3, df 2.
        let r = try #require(AuditStatistics.chiSquareIndependence([[10, 20, 30], [20, 20, 20]]))
        #expect(abs(r.statistic - 16.0 / 3) < 1e-12)
        #expect(r.df == 2)
        #expect(abs(r.pValue - exp(-8.0 / 3)) < 1e-12)
        // An empty row and an empty column are dropped, not divided by.
        let d = try #require(AuditStatistics.chiSquareIndependence([[10, 20, 0, 30], [0, 0, 0, 0], [20, 20, 0, 20]]))
        #expect(d.df == 2 && abs(d.statistic - 16.0 / 3) < 1e-12)
        #expect(AuditStatistics.chiSquareIndependence([[5, 5], [0, 0]]) == nil)
        // Identical proportions: statistic 0, p = 1.
        let same = try #require(AuditStatistics.chiSquareIndependence([[6, 2, 2], [6, 2, 2]]))
        #expect(same.statistic == 0 && same.pValue == 1)
    }
}
