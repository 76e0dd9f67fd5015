import Linalg
import ShearsNet
import Testing
@testable import ShearsPrune

@Suite("Honest comparison: relative damping, a uniform random baseline, the calibration split")
struct HonestComparisonTests {
    @Test("relative damping adds δ · mean(diag H)")
    func relativeDamping() throws {
        var h = Matrix<Double>(rows: 3, cols: 3)
        for i in 0..<3 { h[i, i] = Double(i + 1) }
        let surgeon = try OptimalBrainSurgeon(hessian: h, relativeDamping: 0.01)
        #expect(abs(surgeon.damping - 0.01 * (1 + 2 + 3) / 3) < 1e-15)
    }

    @Test("the random baseline ranks channels uniformly under global ranking: a 4-filter and a 32-filter group lose the same share")
    func uniformRandom() throws {
        let configuration = VGGConfiguration(features: [.conv(4), .pool, .conv(32), .pool], hidden: [5], inputChannels: 1,
                                             inputSize: 8, classes: 3)
        let network = try GraphNetwork(configuration.graph, seed: 1)
        var removed = [0.0, 0.0]
        let trials = 400
        for seed in 0..<trials {
            let criterion = GroupRandomCriterion(seed: UInt64(seed))
            // Half of the 36 filters, by one global ranking.
            let changes = try GroupPruner.prune(network.copy(), criterion: criterion, ratio: 0.5, ranking: .global)
            #expect(changes.map(\.before) == [4, 32] && changes.reduce(0) { $0 + $1.before - $1.after } == 18)
            removed[0] += Double(changes[0].before - changes[0].after) / 4
            removed[1] += Double(changes[1].before - changes[1].after) / 32
        }
        #expect(GroupRandomCriterion(seed: 0).scoresComparableAcrossGroups)
        // Each filter goes with probability about 1/2; the narrow group's mean share has sd ≈ 0.25/√400
        // (with per-group l2 normalisation the 32-filter group would lose about two thirds).
        #expect(abs(removed[0] / Double(trials) - 0.5) < 0.05 && abs(removed[1] / Double(trials) - 0.5) < 0.05,
                "shares \(removed.map { $0 / Double(trials) })")
    }

    @Test("the calibration split is the file's last twelfth (5,000 of 60,000); seeded subsets are prefixes of each other")
    func calibrationSplit() {
        let train = Dataset.synthetic(count: 120, height: 4, width: 4, seed: 9)
        #expect(Dataset.calibrationCount(of: 60_000) == 5_000)
        let split = train.calibrationSplit
        #expect(split.count == 10 && split.pixels == Array(train.pixels[(110 * 16)...]) && split.labels == Array(train.labels[110...]))
        #expect(train.excludingCalibration().count == 110)
        let small = split.seededSubset(4, seed: 3), large = split.seededSubset(10, seed: 3)
        #expect(small.pixels == Array(large.pixels.prefix(4 * 16)) && Set(large.labels.indices).count == 10)
        #expect(split.seededSubset(10, seed: 4).pixels != large.pixels)
        #expect(large.pixels.count == split.pixels.count)
    }
}
