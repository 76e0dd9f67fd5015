import Foundation
@testable import ShearsNet
import Testing
@testable import ShearsPrune

/// Largest absolute difference between two models' outputs on the same images.
private func outputGap(_ a: VGG, _ b: VGG, _ images: Tensor) -> Float {
    zip(a.forward(images, training: false).values, b.forward(images, training: false).values).map { abs($0 - $1) }.max()!
}

@Suite("Mask ≡ compaction, shape and layer granularities")
struct GranularitySurgeryTests {
    let images = Dataset.synthetic(count: 6, classCount: 10, seed: 3).batch(Array(0..<6)[...]).images

    /// A model whose removed units will output non-zero constants: positive biases and, with
    /// batch norm, non-trivial running statistics and shifts.
    func model(batchNorm: Bool) -> VGG {
        var configuration = VGGConfiguration.vggS.scaled(by: 0.25)
        configuration.batchNorm = batchNorm
        let model = VGG(configuration, seed: 11)
        for (k, (_, conv)) in model.convolutions.enumerated() {
            for f in 0..<conv.outChannels { conv.bias.value.values[f] = 0.05 * Float(f % 5) + 0.1 * Float(k) }
        }
        for (position, layer) in model.features.layers.enumerated() {
            guard let norm = layer as? BatchNorm2D else { continue }
            for c in 0..<norm.channels {
                norm.runningMean[c] = 0.02 * Float(c % 3)
                norm.runningVariance[c] = 0.5 + 0.1 * Float(c % 4)
                norm.bias.value.values[c] = 0.3 - 0.05 * Float((c + position) % 4)
                norm.weight.value.values[c] = 0.8 + 0.05 * Float(c % 3)
            }
        }
        for f in 0..<model.linears[0].outFeatures { model.linears[0].bias.value.values[f] = 0.2 }
        return model
    }

    @Test("masking a group's weights and removing it physically give the same outputs, constants folded",
          arguments: [false, true])
    func maskEqualsCompaction(batchNorm: Bool) throws {
        let plans: [PruningPlan] = [
            PruningPlan(granularity: .filter, removals: [.convolution(0): [1, 4], .convolution(1): [0, 3],
                                                         .convolution(2): [2], .convolution(4): [0, 5, 9]]),
            PruningPlan(granularity: .channel, removals: [.convolution(3): [1, 2, 7]]),
            PruningPlan(granularity: .neuron, removals: [.linear(0): [3, 7, 100]]),
            PruningPlan(granularity: .shape, removals: [.convolution(1): [0, 5, 17, 71], .convolution(3): [9]]),
        ]
        for plan in plans {
            let compacted = model(batchNorm: batchNorm), masked = compacted.copy()
            for (layer, groups) in plan.removals {
                for group in groups {
                    for (parameter, indices) in try OracleCriterion.silencedParameters(masked, layer, granularity: plan.granularity,
                                                                                        group: group) {
                        for i in indices { parameter.value.values[i] = 0 }
                    }
                }
            }
            let before = ModelCost(compacted)
            try Surgeon.apply(plan, to: compacted)
            let gap = outputGap(masked, compacted, images)
            #expect(gap < 1e-4, "\(plan.granularity): outputs differ by \(gap)")
            #expect(ModelCost(compacted).macs < before.macs)
            // Without folding the constants the outputs would differ: the test can fail.
            if plan.granularity == .filter {
                compacted.convolutions[1].layer.outputOffset = nil
                #expect(outputGap(masked, compacted, images) > 1e-3)
            }
        }
    }

    @Test("shape pruning removes GEMM columns: smaller weight, hand-counted MACs, reload and later filter pruning")
    func shapeGranularity() throws {
        let model = VGG(.vggS, seed: 4)
        let groups = try GroupEnumeration.groups(of: model, at: .shape)
        #expect(groups.map(\.count) == [9, 288, 288, 576, 576])
        let scores = try WeightCriteria.norms(model, granularity: .shape, p: 2)
        let plan = try Planner.plan(scores, granularity: .shape, ratio: 0.5, ranking: .perLayer)
        let before = ModelCost(model)
        let conv1 = model.convolutions[1].layer.weight.value
        try Surgeon.apply(plan, to: model)
        let kept = (0..<288).filter { !(plan.removals[.convolution(1)]!.contains($0)) }
        #expect(model.convolutions[1].layer.weight.value.shape == [32, 144])
        #expect(model.convolutions[1].layer.weight.value == conv1.reshaped([32, 288]).selecting(kept, alongAxis: 1))
        // Each removed column saved F·Ho·Wo MACs: 4·32·784 + 144·32·784 + 144·64·196 + 288·64·196 + 288·128·49.
        let saved = 4 * 32 * 784 + 144 * 32 * 784 + 144 * 64 * 196 + 288 * 64 * 196 + 288 * 128 * 49
        #expect(before.macs - ModelCost(model).macs == saved)
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("shape-\(UUID()).safetensors").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try model.save(to: path)
        let reloaded = try VGG.load(from: path).model
        #expect(outputGap(model, reloaded, images) == 0)
        // Filter pruning of conv 0 now drops conv 1's kept columns of those channels and renumbers the rest.
        let masked = model.copy()
        for (parameter, indices) in try OracleCriterion.silencedParameters(masked, .convolution(0), granularity: .filter, group: 2) {
            for i in indices { parameter.value.values[i] = 0 }
        }
        try Surgeon.apply(PruningPlan(granularity: .filter, removals: [.convolution(0): [2]]), to: model)
        #expect(model.convolutions[1].layer.patchRows!.allSatisfy { $0 < 31 * 9 })
        #expect(outputGap(masked, model, images) < 1e-4)
    }

    @Test("layer pruning replaces a shape-preserving conv + ReLU by the identity")
    func layerGranularity() throws {
        let model = VGG(.vggS, seed: 5)
        let groups = try GroupEnumeration.groups(of: model, at: .layer)
        #expect(groups.map(\.layer) == [.convolution(1), .convolution(3)])
        #expect(groups[0].macsPerGroup == [7_225_344])
        // Reference: the same model with conv 1 set to an identity kernel (its inputs are
        // post-ReLU, so ReLU(identity) = identity).
        let reference = model.copy()
        let conv = reference.convolutions[1].layer
        conv.weight.value = Tensor(shape: conv.weight.value.shape)
        conv.bias.value = Tensor(shape: conv.bias.value.shape)
        for c in 0..<32 { conv.weight.value.values[(c * 32 + c) * 9 + 4] = 1 }
        let before = ModelCost(model)
        let scores = try OracleCriterion.scores(model, granularity: .layer, signed: true,
                                                data: Dataset.synthetic(count: 8, seed: 1), batchSize: 8)
        try Surgeon.apply(PruningPlan(granularity: .layer, removals: [.convolution(1): [0]]), to: model)
        #expect(model.configuration.features == [.conv(32), .pool, .conv(64), .conv(64), .pool, .conv(128), .pool])
        #expect(before.macs - ModelCost(model).macs == 7_225_344)
        #expect(outputGap(model, reference, images) < 1e-4)
        // The oracle measured exactly this model's loss change.
        let data = Dataset.synthetic(count: 8, seed: 1)
        let unpruned = VGG(.vggS, seed: 5)
        let change = SubsetLoss.meanLoss(model, data: data, batchSize: 8) - SubsetLoss.meanLoss(unpruned, data: data, batchSize: 8)
        #expect(abs(scores[0].scores[0] - change) < 1e-9)
        // Global raw ranking picks the layer with the smaller score.
        let plan = try Planner.plan(scores, granularity: .layer, ratio: 0.5, ranking: .perLayer)
        #expect(plan.removedGroups == 1)
        #expect(throws: PruningError.self) {
            try CriterionEngine(data: data, seed: 1).scores(unpruned, criterion: .taylor, granularity: .layer)
        }
    }
}
