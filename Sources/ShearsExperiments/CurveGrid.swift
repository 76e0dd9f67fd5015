import ShearsPrune

/// One cell of the experiment grid: a criterion at a granularity under a schedule, one seed.
public struct CurveCell: Equatable, Hashable, Sendable {
    /// Criterion name as configured, `lasso` or `group-lasso` under the group-lasso schedule, or `control`.
    public let criterion: String
    /// What a group is; a control's is a placeholder (`filter`) and its rows say `none`.
    public let granularity: Granularity
    /// How the cell walks its operating points (`CurveConfiguration.operatingPoints(_:)`).
    public let schedule: ScheduleKind
    /// Seeds the base model's training (without a checkpoint), the scoring draw and the fine-tuning batch orders.
    public let seed: UInt64

    /// A cell as given, unchecked; `CurveConfiguration.cells` lists a configuration's own.
    public init(criterion: String, granularity: Granularity, schedule: ScheduleKind, seed: UInt64) {
        (self.criterion, self.granularity, self.schedule, self.seed) = (criterion, granularity, schedule, seed)
    }

    /// The criterion name of control cells.
    public static let controlCriterion = "control"

    /// The control of a schedule and seed: the unpruned model fine-tuned with exactly the
    /// budget, learning-rate schedule and batch order of every pruning step of that schedule
    /// and seed, so that what fine-tuning alone gives is not credited to pruning. It prunes
    /// nothing, so it has no granularity (its rows say `none`).
    public static func control(schedule: ScheduleKind, seed: UInt64) -> CurveCell {
        CurveCell(criterion: controlCriterion, granularity: .filter, schedule: schedule, seed: seed)
    }

    /// Whether this is the control of its schedule and seed, which prunes nothing and only fine-tunes.
    public var isControl: Bool { criterion == Self.controlCriterion }

    /// The granularity column: `none` for a control.
    public var granularityName: String { isControl ? "none" : granularity.rawValue }

    /// `criterion/granularity/schedule`, the CSV's method column (`control/none/schedule`).
    public var method: String { "\(criterion)/\(granularityName)/\(schedule.rawValue)" }

    /// A file-name-safe identifier (`lp:3` becomes `lp3`).
    public var identifier: String {
        "\(criterion.replacingOccurrences(of: ":", with: ""))-\(granularityName)-\(schedule.rawValue)-seed\(seed)"
    }
}

/// A deterministic share `index` of `count` of the grid (`--shard index/count`).
public struct Shard: Equatable, Codable, Sendable, CustomStringConvertible {
    /// This shard's number, `0..<count`: it takes cells `index`, `index + count`, … of the grid.
    public let index: Int
    /// Shards the grid is split into, at least 1.
    public let count: Int

    /// `0/1`: every cell.
    public static let whole = Shard(index: 0, count: 1)

    /// Shard `index` of `count`, unchecked; `init(parsing:)` checks user input.
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
    /// Every cell, in a fixed order: seeds, then schedules, each schedule's control first,
    /// then granularities and criteria. The group-lasso schedule is its own criterion (`lasso`
    /// on elements), one cell per granularity.
    public var cells: [CurveCell] {
        seeds.flatMap { seed in
            schedules.flatMap { schedule in
                [CurveCell.control(schedule: schedule, seed: seed)] + granularities.flatMap { granularity in
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
        case .oneShot, .iterative, .soft, .stepwise:
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

/// One prune-then-fine-tune phase within an operating point.
struct CurvePhase: Equatable {
    /// FLOPs fraction to prune to (nil: the point's own procedure, e.g. a penalty).
    let target: Double?
    let fineTuneSteps: Int
    /// Seeds the phase's batch order, shared with the control so both see the same batches.
    let seedStep: Int
}

extension CurveConfiguration {
    /// The phases of operating point `step` of a FLOPs schedule: one (prune to the point,
    /// fine-tune `fineTuneSteps`) except for `stepwise`, which walks down from the previous
    /// point in `flopsPerStep` decrements, fine-tuning `stepFineTuneSteps` after each.
    func phases(_ schedule: ScheduleKind, step: Int) -> [CurvePhase] {
        let points = operatingPoints(schedule)
        guard schedule == .stepwise else {
            return [CurvePhase(target: points[step], fineTuneSteps: fineTuneSteps, seedStep: step)]
        }
        let start = step == 0 ? 1.0 : points[step - 1]
        // Decrements of flopsPerStep; a last sliver under a tenth of one joins the point itself.
        var targets: [Double] = []
        var next = start - flopsPerStep
        while next > points[step] + flopsPerStep / 10 {
            targets.append(next)
            next -= flopsPerStep
        }
        targets.append(points[step])
        return targets.enumerated().map { j, target in
            CurvePhase(target: target, fineTuneSteps: stepFineTuneSteps, seedStep: step &* 1_000 &+ j)
        }
    }
}

private func pow3(_ x: Double) -> Double { x * x * x }
