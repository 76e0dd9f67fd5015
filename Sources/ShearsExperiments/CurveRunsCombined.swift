/// Rows of several curve runs summarised together: runs of different configurations that
/// share base models (the same checkpoint, or the same seeds) and fine-tuning budget, such as
/// one run per seed or one per group of criteria.
///
/// A row measured in several runs (the unpruned model of a seed, a control step) is kept
/// once, and only when the runs measured the same thing: its FLOPs and accuracies must agree
/// exactly (runs are deterministic per seed, so a difference means the runs do not share a
/// base model or a budget, and pairing them would be wrong). A pruning row in two runs is
/// refused, as `shears merge` refuses it: it would count twice in every average.
public enum CurveRunsCombined {
    /// The rows of `runs` (each with the path it was read from), the shared ones once.
    public static func rows(_ runs: [(path: String, rows: [CurveRow])]) throws -> [CurveRow] {
        var kept: [String: (path: String, row: CurveRow)] = [:]
        var combined: [CurveRow] = []
        for (path, rows) in runs {
            for row in rows {
                let key = row.isUnpruned ? "unpruned seed \(row.seed)" : "\(row.method) seed \(row.seed) step \(row.step)"
                guard let first = kept[key] else {
                    kept[key] = (path, row)
                    combined.append(row)
                    continue
                }
                guard row.isUnpruned || row.isControl else {
                    throw CurveStoreError.mismatch(path: path, reason: "the row of \(key) is also in \(first.path); refusing to count it twice")
                }
                let same = (row.flops, row.accuracyBeforeFineTuning, row.accuracyAfterFineTuning)
                    == (first.row.flops, first.row.accuracyBeforeFineTuning, first.row.accuracyAfterFineTuning)
                guard same else {
                    throw CurveStoreError.mismatch(path: path, reason: "measures \(key) differently from \(first.path) "
                                                   + "(accuracy \(row.accuracyAfterFineTuning) vs \(first.row.accuracyAfterFineTuning)); "
                                                   + "the runs do not share a base model or a budget")
                }
            }
        }
        return combined
    }
}
