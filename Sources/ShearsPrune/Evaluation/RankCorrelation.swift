import ShearsNet

/// Spearman's rank correlation ρ: Pearson's correlation of the ranks, ties given their
/// average rank. Molchanov et al. 2017 (Table 1) rank criteria by ρ against the oracle.
public enum RankCorrelation {
    /// ρ of two equally long lists (at least two values, a precondition): Pearson's r of their 1-based ranks, tied
    /// values sharing their mean rank; 0 when either list is constant.
    public static func spearman(_ a: [Double], _ b: [Double]) -> Double {
        precondition(a.count == b.count && a.count >= 2, "spearman: \(a.count) and \(b.count) values")
        return pearson(ranks(a), ranks(b))
    }

    /// The mean over layers of Spearman's ρ between `criterion` and `oracle` scores, with a 95%
    /// percentile bootstrap interval: each of `resamples` replicates redraws every layer's
    /// groups with replacement (seeded), recomputes each layer's ρ and averages them.
    public static func meanSpearmanWithInterval(_ criterion: [[Double]], _ oracle: [[Double]], resamples: Int = 1_000,
                                                seed: UInt64 = 1) -> (mean: Double, low: Double, high: Double) {
        precondition(criterion.count == oracle.count && !criterion.isEmpty && resamples >= 1,
                     "meanSpearmanWithInterval: \(criterion.count) and \(oracle.count) layers, \(resamples) resamples")
        let mean = zip(criterion, oracle).reduce(0.0) { $0 + spearman($1.0, $1.1) } / Double(criterion.count)
        var rng = SeededGenerator(seed: seed)
        var replicates: [Double] = []
        for _ in 0..<resamples {
            var total = 0.0
            for (a, b) in zip(criterion, oracle) {
                let draw = (0..<a.count).map { _ in Int(rng.next() % UInt64(a.count)) }
                total += spearman(draw.map { a[$0] }, draw.map { b[$0] })
            }
            replicates.append(total / Double(criterion.count))
        }
        replicates.sort()
        let index = { (q: Double) in replicates[min(resamples - 1, max(0, Int((q * Double(resamples)).rounded(.down))))] }
        return (mean, index(0.025), index(0.975))
    }

    /// 1-based ranks, ties sharing the mean of the ranks they span.
    static func ranks(_ values: [Double]) -> [Double] {
        let order = values.indices.sorted { values[$0] < values[$1] }
        var ranks = [Double](repeating: 0, count: values.count)
        var start = 0
        while start < order.count {
            var end = start
            while end + 1 < order.count && values[order[end + 1]] == values[order[start]] { end += 1 }
            let average = Double(start + end) / 2 + 1
            for position in start...end { ranks[order[position]] = average }
            start = end + 1
        }
        return ranks
    }

    static func pearson(_ x: [Double], _ y: [Double]) -> Double {
        let n = Double(x.count)
        let (mx, my) = (x.reduce(0, +) / n, y.reduce(0, +) / n)
        var (sxy, sxx, syy) = (0.0, 0.0, 0.0)
        for i in x.indices {
            sxy += (x[i] - mx) * (y[i] - my)
            sxx += (x[i] - mx) * (x[i] - mx)
            syy += (y[i] - my) * (y[i] - my)
        }
        return sxx > 0 && syy > 0 ? sxy / (sxx * syy).squareRoot() : 0
    }
}
