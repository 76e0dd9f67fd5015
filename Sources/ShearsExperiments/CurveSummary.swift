/// Statistics over seeds of a curve CSV's accuracies: each method's mean ± sd and 95%
/// interval at every step, its difference from the control and from the unpruned model of
/// the same seed, and paired differences between methods — so that "A beats B" is claimed
/// only where the paired interval excludes 0.
public struct CurveSummary: Sendable {
    /// One method at one step, over seeds.
    public struct Point: Sendable {
        /// `criterion/granularity/schedule`, as in the CSV.
        public let method: String
        /// The method's schedule, which pairs it with its control.
        public let schedule: String
        /// The operating point, 1-based.
        public let step: Int
        /// Mean FLOPs of the step, % of the unpruned model.
        public let flopsPercent: Double
        /// The column, in % for accuracies.
        public let value: SeedStatistics
        /// Paired by seed: value − the control's value at the same schedule and step.
        public let minusControl: SeedStatistics?
        /// Paired by seed: value − the unpruned model's value.
        public let minusUnpruned: SeedStatistics?
    }

    /// One point per method and step: methods in CSV order, each from step 1 to its last step before a gap.
    public let points: [Point]
    /// Methods in the CSV's order (controls included).
    public let methods: [String]
    let values: [String: [UInt64: Double]]

    /// - Parameters:
    ///   - rows: a curve CSV's rows, unpruned and control rows included.
    ///   - column: the row's value to summarise, e.g. `\.accuracyAfterFineTuning`.
    ///   - scale: multiplies the value (100 for accuracies in %).
    public init(_ rows: [CurveRow], column: KeyPath<CurveRow, Double>, scale: Double = 100) {
        var methods: [String] = []
        var values: [String: [UInt64: Double]] = [:]
        var flops: [String: [Double]] = [:]
        var unpruned: [UInt64: Double] = [:]
        var controls: [String: [UInt64: Double]] = [:]
        var schedules: [String: String] = [:]
        for row in rows {
            let value = row[keyPath: column] * scale
            if row.isUnpruned {
                unpruned[row.seed] = value
                continue
            }
            if !methods.contains(row.method) { methods.append(row.method) }
            schedules[row.method] = row.schedule
            values[Self.key(row.method, row.step), default: [:]][row.seed] = value
            flops[Self.key(row.method, row.step), default: []].append(100 * row.flopsRatio)
            if row.isControl { controls[Self.key(row.schedule, row.step), default: [:]][row.seed] = value }
        }
        var points: [Point] = []
        for method in methods {
            let schedule = schedules[method]!
            var step = 1
            while let bySeed = values[Self.key(method, step)] {
                let seeds = bySeed.keys.sorted()
                func paired(_ reference: [UInt64: Double]?) -> SeedStatistics? {
                    guard let reference, seeds.allSatisfy({ reference[$0] != nil }) else { return nil }
                    return SeedStatistics(seeds.map { bySeed[$0]! - reference[$0]! })
                }
                let flopsValues = flops[Self.key(method, step)]!
                points.append(Point(method: method, schedule: schedule, step: step,
                                    flopsPercent: flopsValues.reduce(0, +) / Double(flopsValues.count),
                                    value: SeedStatistics(seeds.map { bySeed[$0]! }),
                                    minusControl: method.hasPrefix(CurveCell.controlCriterion + "/")
                                        ? nil : paired(controls[Self.key(schedule, step)]),
                                    minusUnpruned: paired(unpruned)))
                step += 1
            }
        }
        (self.points, self.methods, self.values) = (points, methods, values)
    }

    /// `a − b` paired by seed at `step` (seeds both have), or nil when they share none.
    public func difference(_ a: String, _ b: String, step: Int) -> SeedStatistics? {
        guard let x = values[Self.key(a, step)], let y = values[Self.key(b, step)] else { return nil }
        let seeds = x.keys.filter { y[$0] != nil }.sorted()
        return seeds.isEmpty ? nil : SeedStatistics(seeds.map { x[$0]! - y[$0]! })
    }

    private static func key(_ method: String, _ step: Int) -> String { "\(method)#\(step)" }
}
