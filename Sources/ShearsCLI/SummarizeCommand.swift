import ArgumentParser
import Foundation
import ShearsExperiments

/// `shears summarize`: statistics over seeds of a curve CSV, as Markdown tables — the
/// figures `docs/results.md` quotes, with the intervals that back each claim.
struct SummarizeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "summarize",
        abstract: "Mean ± sd over seeds, differences from the control and the unpruned model with 95% intervals, paired comparisons.",
        discussion: """
        Intervals are Student's t over seeds (t = 4.303 for 3 seeds). Differences are paired by seed: a \
        method's value minus the control's (the unpruned model fine-tuned exactly as the pruning steps) at \
        the same schedule, seed and step, or minus the same seed's unpruned model. A difference is \
        'resolved' when its interval excludes 0.
        """)

    @Argument(help: """
        Curve CSVs written by 'shears curve' or 'shears merge'; several runs (one per seed, or per group of \
        criteria, from the same base models and budget) are summarised together, their shared unpruned and \
        control rows checked equal and kept once.
        """)
    var csvs: [String]

    @Option(help: "Also write the combined rows of the CSVs as one curve CSV here (for scripts/plot-curve).")
    var combined: String?

    @Option(help: "Column to summarise: acc_after_ft or acc_before_ft.")
    var column = "acc_after_ft"

    @Option(help: "Comma-separated steps (1-based) to rank the methods at, e.g. 7,10.")
    var steps: String?

    @Option(help: "Two methods to compare step by step, e.g. taylor/filter/iterative,obd/filter/iterative.")
    var compare: String?

    func run() throws {
        let columns: [String: KeyPath<CurveRow, Double>] = ["acc_after_ft": \.accuracyAfterFineTuning,
                                                             "acc_before_ft": \.accuracyBeforeFineTuning]
        guard let keyPath = columns[column] else {
            throw ValidationError("--column must be one of \(columns.keys.sorted().joined(separator: ", ")), got '\(column)'")
        }
        guard !csvs.isEmpty else { throw ValidationError("give at least one curve CSV") }
        let rows = try CurveRunsCombined.rows(try csvs.map { ($0, try CurveStore(csvPath: $0).rows()) })
        if let combined { try CurveStore(csvPath: combined).write(rows) }
        let summary = CurveSummary(rows, column: keyPath)
        guard !summary.points.isEmpty else { throw ValidationError("\(csvs.joined(separator: ", ")) has no pruning rows yet") }
        let names = MethodNames(summary.methods)
        let steps = (summary.points.map(\.step).max() ?? 0)
        let header = (1...steps).map { step in
            summary.points.first { $0.step == step && !$0.method.hasPrefix("control/") }.map { "\(fmt($0.flopsPercent, 0))%" } ?? "step \(step)"
        }
        let seeds = summary.points.map(\.value.count).max() ?? 0
        print("### \(column) (%), mean ± sd over seeds (\(seeds) seed\(seeds == 1 ? "; no spread or interval" : "s"))\n")
        table(names, header: header, summary: summary, cell: spread)
        print("\n### \(column) minus the control at the same step and seed (points), mean [95% interval]\n")
        table(names, header: header, summary: summary) { point in point.minusControl.map(interval) ?? "" }
        for step in try rankedSteps(steps) { rank(summary, names: names, step: step, flops: header[step - 1]) }
        if let compare { try comparison(summary, compare, steps: steps, header: header) }
    }

    private func rankedSteps(_ count: Int) throws -> [Int] {
        try (steps ?? "").split(separator: ",").map { text in
            guard let step = Int(text), step >= 1, step <= count else {
                throw ValidationError("--steps takes steps 1...\(count), got '\(text)'")
            }
            return step
        }
    }

    /// A wide table: one row per method, one column per step.
    private func table(_ names: MethodNames, header: [String], summary: CurveSummary, cell: (CurveSummary.Point) -> String) {
        print("| method | " + header.joined(separator: " | ") + " |")
        print("|---|" + String(repeating: "---|", count: header.count))
        for method in summary.methods {
            let cells = (1...header.count).map { step in summary.points.first { $0.method == method && $0.step == step }.map(cell) ?? "" }
            print("| \(names[method]) | " + cells.joined(separator: " | ") + " |")
        }
    }

    /// The methods at one step, best mean first, each with its paired difference from the best.
    private func rank(_ summary: CurveSummary, names: MethodNames, step: Int, flops: String) {
        let points = summary.points.filter { $0.step == step }.sorted { $0.value.mean > $1.value.mean }
        guard let best = points.first(where: { !$0.method.hasPrefix("control/") }) else { return }
        print("\n### Step \(step) (\(flops) of the FLOPs): methods by mean \(column)\n")
        print("| method | mean ± sd | − control [95%] | − unpruned [95%] | − \(names[best.method]) [95%] | resolved |")
        print("|---|---|---|---|---|---|")
        for point in points {
            let difference = point.method == best.method ? nil : summary.difference(point.method, best.method, step: step)
            print("| \(names[point.method]) | \(spread(point)) | "
                  + "\(point.minusControl.map(interval) ?? "") | \(point.minusUnpruned.map(interval) ?? "") | "
                  + "\(difference.map(interval) ?? "") | \(difference.map { $0.excludesZero ? "yes" : "no" } ?? "") |")
        }
    }

    private func comparison(_ summary: CurveSummary, _ text: String, steps: Int, header: [String]) throws {
        let pair = text.split(separator: ",").map(String.init)
        guard pair.count == 2, pair.allSatisfy(summary.methods.contains) else {
            throw ValidationError("--compare takes two methods of the CSV (\(summary.methods.joined(separator: ", "))), got '\(text)'")
        }
        print("\n### \(pair[0]) minus \(pair[1]), paired by seed\n")
        print("| FLOPs | difference [95%] | resolved |")
        print("|---|---|---|")
        for step in 1...steps {
            guard let difference = summary.difference(pair[0], pair[1], step: step) else { continue }
            print("| \(header[step - 1]) | \(interval(difference)) | \(difference.excludesZero ? "yes" : "no") |")
        }
    }

    /// `mean ± sd`, or the mean alone for a single seed.
    private func spread(_ point: CurveSummary.Point) -> String {
        point.value.count > 1 ? "\(fmt(point.value.mean, 2)) ± \(fmt(point.value.standardDeviation, 2))" : fmt(point.value.mean, 2)
    }

    private func interval(_ statistics: SeedStatistics) -> String {
        guard let low = statistics.low, let high = statistics.high else { return fmt(statistics.mean, 2) }
        return "\(fmt(statistics.mean, 2)) [\(fmt(low, 2)), \(fmt(high, 2))]"
    }
}

/// Short method names for tables: the criterion alone when every method shares one
/// granularity and schedule.
struct MethodNames {
    private let short: Bool

    init(_ methods: [String]) {
        let kinds = Set(methods.filter { !$0.hasPrefix("control/") }.map { $0.split(separator: "/").dropFirst().last.map(String.init) ?? "" })
        let granularities = Set(methods.filter { !$0.hasPrefix("control/") }.map { $0.split(separator: "/").dropFirst().first.map(String.init) ?? "" })
        short = kinds.count <= 1 && granularities.count <= 1
    }

    subscript(_ method: String) -> String {
        guard short else { return method }
        return String(method.prefix { $0 != "/" })
    }
}
