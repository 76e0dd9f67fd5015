import Linalg
import ShearsNet
import Testing
@testable import ShearsPrune

@Suite("Honest comparison: stable OBS, a uniform random baseline, layer floors, the calibration split")
struct HonestComparisonTests {
    let configuration = VGGConfiguration(features: [.conv(4), .pool, .conv(6), .pool], hidden: [5], inputChannels: 1,
                                         inputSize: 8, classes: 3)

    @Test("OBS on a rank-deficient Hessian (10 images, 24 inputs) ranks the same whatever the sample order")
    func obsStableUnderPermutation() throws {
        let data = Dataset.synthetic(count: 10, height: 8, width: 8, classCount: 3, seed: 3)
        let model = VGG(configuration, seed: 4)
        #expect(model.linears[0].inFeatures == 24)
        let forward = try ObsCriterion.scores(model, granularity: .filter, data: data, batchSize: 3)
        let reversed = try ObsCriterion.scores(model, granularity: .filter, data: data.subset(Array((0..<10).reversed())),
                                               batchSize: 4)
        #expect(forward.spectra.contains { $0.isUnderSampled && $0.layer == "classifier.0" })
        for (a, b) in zip(forward.scores, reversed.scores) {
            #expect(Planner.lowest(a.scores, a.scores.count) == Planner.lowest(b.scores, b.scores.count), "\(a.groups.name)")
            for (x, y) in zip(a.scores, b.scores) { #expect(abs(x - y) <= 1e-6 * max(abs(x), 1e-12)) }
        }
    }

    @Test("with a calibration pool, each consumer's Hessian gets at least as many samples as its order")
    func poolFillsHessians() throws {
        let pool = Dataset.synthetic(count: 40, height: 8, width: 8, classCount: 3, seed: 5)
        let model = VGG(configuration, seed: 4)
        let (_, spectra) = try ObsCriterion.scores(model, granularity: .filter, data: pool.prefix(10), pool: pool, batchSize: 8)
        #expect(spectra.count == 2 && spectra.allSatisfy { !$0.isUnderSampled })
        // The conv consumer keeps the 10 scoring images (16 positions each); the linear one takes 24.
        #expect(Set(spectra.map(\.samples)) == [10 * 4 * 4, 24])
    }

    @Test("relative damping adds δ · mean(diag H)")
    func relativeDamping() throws {
        var h = Matrix<Double>(rows: 3, cols: 3)
        for i in 0..<3 { h[i, i] = Double(i + 1) }
        let surgeon = try OptimalBrainSurgeon(hessian: h, relativeDamping: 0.01)
        #expect(abs(surgeon.damping - 0.01 * (1 + 2 + 3) / 3) < 1e-15)
    }

    @Test("the random baseline ranks units uniformly: a 4-filter and a 32-filter layer lose the same share")
    func uniformRandom() throws {
        let model = VGG(VGGConfiguration(features: [.conv(4), .pool, .conv(32), .pool], hidden: [5], inputChannels: 1,
                                         inputSize: 8, classes: 3), seed: 1)
        var removed = [0.0, 0.0]
        let trials = 400
        for seed in 0..<trials {
            // The lowest half of the one ranking global planning sorts.
            let scores = try WeightCriteria.random(model, granularity: .filter, seed: UInt64(seed))
            let ranked = scores.enumerated().flatMap { index, layer in layer.globallyComparable.map { ($0, index) } }.sorted { $0.0 < $1.0 }
            for (_, layer) in ranked.prefix(18) { removed[layer] += layer == 0 ? 1.0 / 4 : 1.0 / 32 }
        }
        // Each unit goes with probability 1/2; the narrow layer's mean share has sd ≈ 0.25/√400
        // (with per-layer l2 normalisation the 32-filter layer would lose about two thirds).
        #expect(abs(removed[0] / Double(trials) - 0.5) < 0.05 && abs(removed[1] / Double(trials) - 0.5) < 0.05,
                "shares \(removed.map { $0 / Double(trials) })")
    }

    @Test("a layer floor keeps its share even when that layer holds every lowest score")
    func layerFloor() throws {
        let model = VGG(configuration, seed: 2)
        let groups = try GroupEnumeration.groups(of: model, at: .filter)
        let scores = [LayerScores(groups: groups[0], scores: [1, 2, 3, 4]),
                      LayerScores(groups: groups[1], scores: [100, 200, 300, 400, 500, 600])]
        let unfloored = try Planner.plan(scores, granularity: .filter, macsToSave: 1 << 30, ranking: .global)
        #expect(unfloored.removals[.convolution(0)]?.count == 3)
        let floors = try Planner.floors(model, granularity: .filter, minLayerKeep: 0.5)
        #expect(floors == [.convolution(0): 2, .convolution(1): 3])
        let floored = try Planner.plan(scores, granularity: .filter, macsToSave: 1 << 30, ranking: .global, floors: floors)
        #expect(floored.removals[.convolution(0)] == [0, 1] && floored.removals[.convolution(1)] == [0, 1, 2])
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
