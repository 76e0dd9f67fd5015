/// One cell of the experiment grid: a criterion at a granularity under a schedule, one seed.
public struct CurveCell: Equatable, Hashable, Sendable {
    public let criterion: String
    public let granularity: Granularity
    public let schedule: ScheduleKind
    public let seed: UInt64

    /// `criterion/granularity/schedule`, the CSV's method column.
    public var method: String { "\(criterion)/\(granularity.rawValue)/\(schedule.rawValue)" }

    /// A file-name-safe identifier (`lp:3` becomes `lp3`).
    public var identifier: String {
        "\(criterion.replacingOccurrences(of: ":", with: ""))-\(granularity.rawValue)-\(schedule.rawValue)-seed\(seed)"
    }
}

/// A deterministic share `index` of `count` of the grid (`--shard index/count`).
public struct Shard: Equatable, Codable, Sendable, CustomStringConvertible {
    public let index: Int
    public let count: Int

    public static let whole = Shard(index: 0, count: 1)

    public init(index: Int, count: Int) {
        self.index = index
        self.count = count
    }

    /// Parses `i/n` with 0 ≤ i < n.
    public init?(parsing text: String) {
        let parts = text.split(separator: "/")
        guard parts.count == 2, let index = Int(parts[0]), let count = Int(parts[1]), count >= 1, index >= 0, index < count
        else { return nil }
        self.init(index: index, count: count)
    }

    public var description: String { "\(index)/\(count)" }
}

extension CurveConfiguration {
    /// Every cell, in a fixed order: seeds, then schedules, granularities, criteria. The
    /// group-lasso schedule is its own criterion (`lasso` on elements), one cell per granularity.
    public var cells: [CurveCell] {
        seeds.flatMap { seed in
            schedules.flatMap { schedule in
                granularities.flatMap { granularity in
                    let names = schedule == .groupLasso ? [granularity == .element ? "lasso" : "group-lasso"] : criteria
                    return names.map { CurveCell(criterion: $0, granularity: granularity, schedule: schedule, seed: seed) }
                }
            }
        }
    }

    /// The cells of one shard: every `count`-th cell starting at `index`.
    public func cells(of shard: Shard) -> [CurveCell] {
        cells.enumerated().filter { $0.offset % shard.count == shard.index }.map(\.element)
    }

    /// The operating points a schedule visits, in order: FLOPs fractions, or for group-lasso
    /// the penalty strengths.
    public func operatingPoints(_ schedule: ScheduleKind) -> [Double] {
        switch schedule {
        case .oneShot, .iterative, .soft:
            return flopsTargets
        case .groupLasso:
            return penaltyStrengths
        case .gradual:
            // Zhu & Gupta 2017, eq. 1, on the FLOPs fraction: f_i = f_n + (1 − f_n)(1 − i/n)³.
            let (n, final) = (Double(flopsTargets.count), flopsTargets.last!)
            return (1...flopsTargets.count).map { final + (1 - final) * pow3(1 - Double($0) / n) }
        }
    }
}

private func pow3(_ x: Double) -> Double { x * x * x }
