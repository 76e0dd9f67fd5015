import Foundation
import Testing
import ShearsNet
@testable import ShearsPrune

@Suite("Scores that cannot rank are refused")
struct FiniteScoreTests {
    @Test("lp:1e-30 overflows every filter's and kernel's norm: refused with the criterion and the layer named")
    func tinyP() throws {
        let network = try GraphNetwork(VGGConfiguration.vggS.scaled(by: 0.25).graph, seed: 1)
        let criterion = try #require(GroupCriteria.named("lp:1e-30", seed: 1))
        #expect(throws: PruningError.nonFiniteScores(criterion: "lp:1e-30", layer: "features.0", count: 8, groups: 8)) {
            try GroupPruner.scoredGroups(network, criterion: criterion, granularity: .filter, calibration: nil)
        }
        // features.0 reads one channel: its 8 kernels are its 8 filters.
        #expect(throws: PruningError.nonFiniteScores(criterion: "lp:1e-30", layer: "features.0", count: 8, groups: 8)) {
            try GraphMaskedPruning.checkedScores(network, layers: MaskedLayer.all(in: network, granularity: .kernel),
                                                 criterion: MaskedCriteria.named("lp:1e-30", granularity: .kernel, seed: 1),
                                                 calibration: nil)
        }
        // The same network scores finitely with a sensible p.
        let finite = try GroupPruner.scoredGroups(network, criterion: #require(GroupCriteria.named("lp:0.5", seed: 1)),
                                                  granularity: .filter, calibration: nil)
        #expect(finite.scores.joined().allSatisfy { $0.isFinite })
    }

    @Test("lp:0 and lp:inf parse as l0 and linf", arguments: [("lp:0", 0.0), ("lp:inf", Double.infinity)])
    func bounds(name: String, p: Double) throws {
        #expect(try CriterionName(parsing: name) == .norm(p: p))
        #expect(throws: PruningError.self) { try CriterionName(parsing: "lp:nan") }
    }
}
