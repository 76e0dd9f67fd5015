@testable import ShearsExperiments
import ShearsNet
import ShearsPrune
import Testing

@Suite("Statistics over seeds")
struct CurveSummaryTests {
    @Test("mean, sample sd and the t interval of three values; one value has no interval")
    func seedStatistics() throws {
        let s = SeedStatistics([1, 2, 3])
        #expect(s.mean == 2 && abs(s.standardDeviation - 1) < 1e-15)
        let halfWidth = try #require(s.halfWidth)
        #expect(abs(halfWidth - 4.303 / 3.0.squareRoot()) < 1e-12 && !s.excludesZero)
        #expect(SeedStatistics([5, 5.1, 4.9]).excludesZero && SeedStatistics([4]).halfWidth == nil)
    }

    func row(_ criterion: String, seed: UInt64, step: Int, accuracy: Double) -> CurveRow {
        let cell = criterion == "control" ? CurveCell.control(schedule: .iterative, seed: seed)
            : CurveCell(criterion: criterion, granularity: .filter, schedule: .iterative, seed: seed)
        var row = CurveRow(cell: cell, step: step)
        row.accuracyAfterFineTuning = accuracy
        row.flopsRatio = criterion == "control" ? 1 : 0.5
        return row
    }

    @Test("differences from the control and the unpruned model are paired by seed")
    func pairedDifferences() throws {
        var rows: [CurveRow] = []
        for (seed, base) in [(UInt64(1), 0.90), (2, 0.80), (3, 0.85)] {
            rows.append(CurveRow.unpruned(seed: seed, accuracy: base, loss: 0, cost: try GraphNetwork(VGGConfiguration.mlp(inputChannels: 1,
                inputSize: 2, hidden: [2], classes: 2).graph, seed: 1).curveCost(counting: .filter), latency: (0, 0), seconds: 0))
            rows.append(row("control", seed: seed, step: 1, accuracy: base + 0.01))
            rows.append(row("taylor", seed: seed, step: 1, accuracy: base - 0.01))
            rows.append(row("random", seed: seed, step: 1, accuracy: base - 0.05 + 0.001 * Double(seed)))
        }
        let summary = CurveSummary(rows, column: \.accuracyAfterFineTuning)
        let taylor = try #require(summary.points.first { $0.method == "taylor/filter/iterative" })
        // Seeds' accuracies spread by 10 points, but every paired difference is exactly −2 / −1 points.
        #expect(taylor.value.standardDeviation > 4 && abs(taylor.flopsPercent - 50) < 1e-12)
        let minusControl = try #require(taylor.minusControl), minusUnpruned = try #require(taylor.minusUnpruned)
        #expect(abs(minusControl.mean + 2) < 1e-9 && minusControl.standardDeviation < 1e-9)
        #expect(abs(minusUnpruned.mean + 1) < 1e-9)
        let difference = try #require(summary.difference("taylor/filter/iterative", "random/filter/iterative", step: 1))
        #expect(abs(difference.mean - 3.8) < 1e-9 && difference.excludesZero)
        #expect(summary.points.first { $0.method == "control/none/iterative" }?.minusControl == nil)
    }
}
