@testable import ShearsExperiments
import Testing

@Suite("Several curve runs summarised together")
struct CurveRunsCombinedTests {
    func row(_ criterion: String, seed: UInt64, step: Int, accuracy: Double) -> CurveRow {
        let cell = criterion == "control" ? CurveCell.control(schedule: .iterative, seed: seed)
            : CurveCell(criterion: criterion, granularity: .filter, schedule: .iterative, seed: seed)
        var row = CurveRow(cell: cell, step: step)
        row.accuracyAfterFineTuning = accuracy
        return row
    }

    func unpruned(seed: UInt64, accuracy: Double) -> CurveRow {
        CurveRow.unpruned(seed: seed, accuracy: accuracy, loss: 0, cost: CurveCost(parameters: 1, macs: 1, flops: 2, nonZeroParameters: 1),
                          latency: (0, 0), seconds: 1)
    }

    @Test("shared unpruned and control rows are kept once; other criteria and seeds are added")
    func combines() throws {
        let a = [unpruned(seed: 1, accuracy: 0.9), row("control", seed: 1, step: 1, accuracy: 0.91), row("l1", seed: 1, step: 1, accuracy: 0.8)]
        var again = a.map { $0 }
        again[1].wallSeconds = 99 // timings differ between runs; measurements may not
        let b = [again[0], again[1], row("obd", seed: 1, step: 1, accuracy: 0.85)]
        let c = [unpruned(seed: 2, accuracy: 0.88), row("l1", seed: 2, step: 1, accuracy: 0.79)]
        let rows = try CurveRunsCombined.rows([("a.csv", a), ("b.csv", b), ("c.csv", c)])
        #expect(rows.map { "\($0.method) \($0.seed)" }
            == ["unpruned 1", "control/none/iterative 1", "l1/filter/iterative 1", "obd/filter/iterative 1", "unpruned 2", "l1/filter/iterative 2"])
    }

    @Test("a shared row measured differently, or a pruning row in two runs, is refused naming both files")
    func refuses() {
        let a = [unpruned(seed: 1, accuracy: 0.9), row("control", seed: 1, step: 1, accuracy: 0.91), row("l1", seed: 1, step: 1, accuracy: 0.8)]
        let differentControl = [unpruned(seed: 1, accuracy: 0.9), row("control", seed: 1, step: 1, accuracy: 0.92)]
        #expect(throws: CurveStoreError.mismatch(path: "b.csv", reason: "measures control/none/iterative seed 1 step 1 differently from a.csv "
                                                  + "(accuracy 0.92 vs 0.91); the runs do not share a base model or a budget")) {
            try CurveRunsCombined.rows([("a.csv", a), ("b.csv", differentControl)])
        }
        #expect(throws: CurveStoreError.mismatch(path: "b.csv", reason: "the row of l1/filter/iterative seed 1 step 1 is also in a.csv; "
                                                  + "refusing to count it twice")) {
            try CurveRunsCombined.rows([("a.csv", a), ("b.csv", [a[2]])])
        }
        #expect(throws: CurveStoreError.self) {
            try CurveRunsCombined.rows([("a.csv", a), ("b.csv", [unpruned(seed: 1, accuracy: 0.5)])])
        }
    }
}
