import ShearsNet
import Testing
@testable import ShearsPrune

/// Shape pruning of a VGG-shaped graph with BatchNorm: which columns a share removes under
/// global ranking, and `obs`'s update of the columns that stay. The shape scores themselves
/// are checked by brute force in `GraphMaskedCriteriaTests` (its `.shape` cases).
@Suite("Shape pruning's choice of columns and obs's update on a VGG-shaped graph")
struct GraphShapeCriteriaTests {
    let data = Dataset.synthetic(count: 12, height: 8, width: 8, classCount: 3, seed: 1)

    /// The VGG-shaped graph with columns 0 and 4 of its first conv shrunk a hundredfold: after
    /// per-layer l2 normalisation that conv then holds two of the lowest columns, so that global
    /// ranking takes columns from both convs.
    func network() throws -> GraphNetwork {
        let network = try smallVGGWithBatchNorm()
        let weight = network.nodes[nodeIndex(network, "features.0")].layer!.parameters[0]
        for row in 0..<4 { for column in [0, 4] { weight.value.values[row * 9 + column] *= 0.01 } }
        return network
    }

    /// The shape criterion `name`, reading the calibration images in batches of 5.
    func criterion(_ name: String) throws -> any MaskedCriterion {
        switch name {
        case "obd": MaskedObdCriterion(batchSize: 5)
        case "obs": MaskedObsCriterion(batchSize: 5, update: true)
        default: try MaskedCriteria.named(name, granularity: .shape, seed: 7)
        }
    }

    @Test("a share of the columns under global ranking removes the lowest l2-normalised scores across convs (random's as they are)",
          arguments: ["l1", "random", "obd", "obs"])
    func removesTheGloballyLowest(name: String) throws {
        let network = try network()
        let layers = try MaskedLayer.columns(in: network)
        let criterion = try criterion(name)
        let scores = try criterion.scores(network, layers: layers, calibration: data)
        #expect(scores.map(\.count) == [9, 36])
        // ⌊0.4 · 45⌋ = 18 columns.
        let expected = globallyLowest(scores, count: 18, comparable: name == "random")
        #expect(!expected[0].isEmpty && !expected[1].isEmpty, "one conv loses nothing: a weak test \(expected)")
        let removed = try GraphShapePruning.prune(network, columnFraction: 0.4, criterion: criterion, calibration: data)
        #expect(removed == 18)
        for (index, layer) in layers.enumerated() {
            let conv = try #require(network.nodes[layer.node].layer as? Conv2D)
            let kept = (0..<scores[index].count).filter { !expected[index].contains($0) }
            #expect(conv.patchRows ?? Array(0..<scores[index].count) == kept, "\(layer.name)")
        }
    }

    @Test("obs updates the kept columns by δW = −W_S ([H⁻¹]_SS)⁻¹ (H⁻¹)_{S,:} (Hassibi & Stork 1993, eq. 5) on H built from each conv's im2col inputs, then removes S")
    func obsUpdate() throws {
        let network = try network()
        let original = network.copy()
        let layers = try MaskedLayer.columns(in: network)
        let criterion = MaskedObsCriterion(batchSize: 5, update: true)
        #expect(criterion.definingCompensation == .obs && criterion.name == "obs")
        let removals = globallyLowest(try criterion.scores(network, layers: layers, calibration: data), count: 18, comparable: false)
        try GraphShapePruning.prune(network, columnFraction: 0.4, criterion: criterion, calibration: data)
        var changed = 0
        for (index, layer) in layers.enumerated() {
            let before = original.nodes[layer.node].layer!.parameters[0].value
            let (rows, k) = (before.shape[0], before.itemSize)
            let hInverse = inverse(inputHessian(inputSamples(original, node: layer.node, data: data),
                                                relativeDamping: OptimalBrainSurgeon.defaultRelativeDamping))
            let s = removals[index], kept = (0..<k).filter { !removals[index].contains($0) }
            let m = inverse(s.map { p in s.map { hInverse[p][$0] } })
            let conv = try #require(network.nodes[layer.node].layer as? Conv2D)
            #expect(conv.patchRows == kept && conv.weight.value.shape == [rows, kept.count])
            let scale = before.values.map { Double(abs($0)) }.max()!
            for r in 0..<rows {
                let ws = s.map { Double(before.values[r * k + $0]) }
                // (W_S M)_i for this row, then W' = W − (W_S M) (H⁻¹)_{S,:} on the kept columns.
                let wsm = s.indices.map { j in s.indices.reduce(0.0) { $0 + ws[$1] * m[$1][j] } }
                for (position, column) in kept.enumerated() {
                    let expected = Double(before.values[r * k + column])
                        - s.indices.reduce(0.0) { $0 + wsm[$1] * hInverse[s[$1]][column] }
                    let actual = Double(conv.weight.value.values[r * kept.count + position])
                    // Both in Double, stored as Float (6e-8 relative): 1e-5 of the layer's largest weight.
                    #expect(abs(actual - expected) <= 1e-5 * scale, "\(layer.name)[\(r), \(column)]: \(actual) vs \(expected)")
                    changed += abs(expected - Double(before.values[r * k + column])) > 1e-3 * scale ? 1 : 0
                }
            }
        }
        #expect(changed > 20, "the update moved only \(changed) kept weights: a weak test")
    }
}
