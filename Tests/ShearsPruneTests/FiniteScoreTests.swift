import Foundation
import Testing
import ShearsNet
@testable import ShearsPrune

@Suite("Scores that cannot rank are refused")
struct FiniteScoreTests {
    @Test("lp:1e-30 overflows every norm: refused with the criterion and the layer named")
    func tinyP() throws {
        let model = VGG(.vggS.scaled(by: 0.25), seed: 1)
        let data = Dataset.synthetic(count: 8, height: 28, width: 28, classCount: 10, seed: 2)
        let engine = CriterionEngine(data: data, seed: 1)
        let criterion = try CriterionName(parsing: "lp:1e-30")
        #expect(throws: PruningError.nonFiniteScores(criterion: "lp:1e-30", layer: "features.0", count: 8, groups: 8)) {
            try engine.scores(model, criterion: criterion, granularity: .filter)
        }
        // The same model scores finitely with a sensible p.
        let finite = try engine.scores(model, criterion: try CriterionName(parsing: "lp:0.5"), granularity: .filter)
        #expect(finite.allSatisfy { $0.scores.allSatisfy(\.isFinite) })
    }

    @Test("lp:0 and lp:inf parse as l0 and linf", arguments: [("lp:0", 0.0), ("lp:inf", Double.infinity)])
    func bounds(name: String, p: Double) throws {
        #expect(try CriterionName(parsing: name) == .norm(p: p))
        #expect(throws: PruningError.self) { try CriterionName(parsing: "lp:nan") }
    }
}
