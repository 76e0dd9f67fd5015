/// Mean, sample standard deviation and a 95% confidence interval of a few values, one per
/// seed: the statistics every figure of `docs/results.md` quotes.
///
/// The interval is Student's t: `mean ± t_{0.975, n−1} · sd / √n`, which assumes the seeds'
/// values are a normal sample; with 3 seeds `t = 4.303`, so an interval is wide unless the
/// seeds agree. One value gives no interval (`halfWidth` is nil).
public struct SeedStatistics: Sendable, Equatable {
    /// Number of values, one per seed.
    public let count: Int
    /// Arithmetic mean of the values.
    public let mean: Double
    /// Sample standard deviation, divisor n − 1; 0 for one value.
    public let standardDeviation: Double
    /// Half the width of the 95% interval; nil for fewer than two values.
    public let halfWidth: Double?

    /// The statistics of `values`, which must not be empty (a precondition).
    public init(_ values: [Double]) {
        precondition(!values.isEmpty, "SeedStatistics: no values")
        let n = values.count, mean = values.reduce(0, +) / Double(values.count)
        (count, self.mean) = (n, mean)
        guard n > 1 else {
            (standardDeviation, halfWidth) = (0, nil)
            return
        }
        let sd = (values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(n - 1)).squareRoot()
        standardDeviation = sd
        halfWidth = Self.t975(degreesOfFreedom: n - 1) * sd / Double(n).squareRoot()
    }

    /// `mean − halfWidth`, the interval's lower end; nil for one value.
    public var low: Double? { halfWidth.map { mean - $0 } }
    /// `mean + halfWidth`, the interval's upper end; nil for one value.
    public var high: Double? { halfWidth.map { mean + $0 } }

    /// Whether the 95% interval excludes 0 (a paired difference that is resolved).
    public var excludesZero: Bool {
        guard let low, let high else { return false }
        return low > 0 || high < 0
    }

    /// Two-sided 95% quantiles of Student's t for 1 … 30 degrees of freedom (standard
    /// tables); the normal 1.960 beyond.
    static func t975(degreesOfFreedom df: Int) -> Double {
        let table = [12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.160, 2.145,
                     2.131, 2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048,
                     2.045, 2.042]
        precondition(df >= 1, "t975: \(df) degrees of freedom")
        return df <= table.count ? table[df - 1] : 1.960
    }
}
