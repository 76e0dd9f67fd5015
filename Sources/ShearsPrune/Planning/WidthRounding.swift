/// Kept widths rounded to a multiple (Torch-Pruning's `round_to`), so that pruned layers keep
/// GEMM- and SIMD-friendly channel counts: a group of `width` channels keeps
/// `min(width, m·⌈kept / m⌉)`, i.e. fewer are removed than asked; planners that aim at a FLOPs
/// target take further candidates until the rounded removals save enough.
public struct WidthRounding: Sendable, Equatable {
    /// The multiple kept widths are rounded up to; 1 leaves them as they are.
    public let multiple: Int

    /// No rounding.
    public static let none = WidthRounding(multiple: 1)

    /// Rounding to `multiple` (≥ 1; a programmer error otherwise).
    public init(multiple: Int) {
        precondition(multiple >= 1, "WidthRounding: multiple \(multiple)")
        self.multiple = multiple
    }

    /// How many of `requested` removals from a group of `width` channels to make.
    public func removals(_ requested: Int, width: Int) -> Int {
        guard multiple > 1, requested > 0 else { return requested }
        let kept = width - requested
        return width - min(width, (kept + multiple - 1) / multiple * multiple)
    }

    /// Walks `ordered` candidates (group, unit), lowest first, adding each to its group's
    /// pending removals, until the rounded removals' savings reach `target`; returns each
    /// group's removed units (the lowest-ranked prefix of its pending ones).
    /// `savings[g][u]` is what removing unit u of group g saves, `widths[g]` the group's width.
    func take(_ ordered: [(group: Int, unit: Int)], widths: [Int], savings: [[Int]], target: Int) -> [[Int]] {
        var pending = widths.map { _ in [Int]() }, prefix = widths.map { _ in [0] }
        var effective = widths.map { _ in 0 }, saved = 0
        for (group, unit) in ordered where saved < target {
            pending[group].append(unit)
            prefix[group].append(prefix[group].last! + savings[group][unit])
            let count = removals(pending[group].count, width: widths[group])
            saved += prefix[group][count] - prefix[group][effective[group]]
            effective[group] = count
        }
        return pending.indices.map { Array(pending[$0].prefix(effective[$0])) }
    }
}
