import Foundation
import ShearsNet
import Testing
@testable import ShearsPrune

/// `layer` granularity on graph networks: shape-preserving conv + BatchNorm + ReLU chains
/// replaced by the identity.
@Suite("Layer granularity on graph networks")
struct GraphLayerPruningTests {
    let data = Dataset.synthetic(count: 12, height: 8, width: 8, classCount: 3, seed: 1)
    let digits = Dataset.synthetic(count: 8, classCount: 10, seed: 3)

    /// Three convs of which two keep their input's shape, and a hidden layer, with BatchNorm at random statistics.
    func model() throws -> GraphNetwork {
        let configuration = VGGConfiguration(features: [.conv(4), .conv(4), .conv(4), .pool, .conv(6), .pool], hidden: [5],
                                             inputChannels: 1, inputSize: 8, classes: 3, batchNorm: true)
        let network = try GraphNetwork(configuration.graph, seed: 2)
        randomizeNormalization(network, seed: 3)
        return network
    }

    @Test("resnet-s has seven replaceable chains: each stride-1 block's conv1, bn1 and relu1")
    func resnetCandidates() throws {
        let network = try GraphNetwork(ResNet.small, seed: 1)
        let candidates = try GraphLayerPruning.candidates(in: network)
        #expect(candidates.map(\.name) == ["layer1.0.conv1", "layer1.1.conv1", "layer1.2.conv1", "layer2.1.conv1",
                                           "layer2.2.conv1", "layer3.1.conv1", "layer3.2.conv1"])
        #expect(candidates.allSatisfy { $0.nodes.count == 3 && $0.macs == 1_806_336 })
        #expect(candidates.allSatisfy { network.nodes[$0.nodes[1]].layer is BatchNorm2D && network.nodes[$0.nodes[2]].layer is ReLU })
    }

    @Test("bypassing a chain computes what the chain computes with an identity kernel and an identity BatchNorm, and round-trips")
    func bypassIsIdentity() throws {
        let network = try GraphNetwork(ResNet.small, seed: 1)
        randomizeNormalization(network.nodes.compactMap { $0.layer as? BatchNorm2D }, seed: 2)
        let chain = try GraphLayerPruning.candidates(in: network)[3].nodes
        let identity = network.copy()
        let conv = identity.nodes[chain[0]].layer as! Conv2D
        let norm = identity.nodes[chain[1]].layer as! BatchNorm2D
        conv.weight.value.values = [Float](repeating: 0, count: conv.weight.value.count)
        for channel in 0..<conv.outChannels { conv.weight.value.values[(channel * conv.inChannels + channel) * 9 + 4] = 1 }
        norm.runningMean = [Float](repeating: 0, count: norm.channels)
        norm.runningVariance = [Float](repeating: 1, count: norm.channels)
        norm.weight.value.values = [Float](repeating: (1 + norm.epsilon).squareRoot(), count: norm.channels)
        norm.bias.value.values = [Float](repeating: 0, count: norm.channels)
        let macs = network.macs
        try network.bypass(chain)
        #expect(network.macs == macs - 1_806_336 && network.nodes.count == identity.nodes.count - 3)
        #expect(!network.nodes.contains { $0.name == "layer2.1.conv1" })
        let images = digits.batch(Array(0..<digits.count)[...]).images
        let (bypassed, reference) = (network.forward(images, training: false), identity.forward(images, training: false))
        let scale = reference.values.map(abs).max() ?? 0
        let worst = zip(bypassed.values, reference.values).map { abs($0 - $1) }.max() ?? 0
        #expect(scale > 0 && worst <= 1e-4 * scale, "largest difference \(worst) of \(scale)")

        let path = FileManager.default.temporaryDirectory.appendingPathComponent("bypass-\(UUID().uuidString).safetensors").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try network.save(to: path)
        let loaded = try GraphNetwork.load(from: path).model
        #expect(loaded.specification == network.specification)
        #expect(loaded.forward(images, training: false).values == bypassed.values)
    }

    @Test("a run that is not a chain read alone, or that changes the shape, is refused")
    func bypassRefusals() throws {
        let network = try GraphNetwork(ResNet.small, seed: 1)
        let stem = try #require(network.nodes.firstIndex { $0.name == "conv1" })
        let first = try #require(network.nodes.firstIndex { $0.name == "layer1.0.conv1" })
        // The stem's conv changes 1 channel into 16; layer1.0.conv1 is not read by the stem's relu alone.
        #expect(throws: GraphError.self) { try network.bypass([stem, stem + 1, stem + 2]) }
        #expect(throws: GraphError.self) { try network.bypass([first, first + 2]) }
        #expect(throws: GraphError.self) { try network.bypass([network.nodes.count - 1]) }
        #expect(network.nodes.count == ResNet.small.nodes.count)
    }

    @Test("layer scores are the chain conv's l_p norm, seeded uniform draws, or the loss change of bypassing the chain on a copy; pruning bypasses the lower-scored chain",
          arguments: ["random", "l1", "oracle", "oracle-abs"])
    func scoresByHand(name: String) throws {
        let network = try model()
        let original = network.copy()
        let candidates = try GraphLayerPruning.candidates(in: network)
        #expect(candidates.map(\.name) == ["features.3", "features.6"])
        let scores = try GraphLayerPruning.scores(network, candidates: candidates, criterion: name, seed: 7, calibration: data)
        var rng = SeededGenerator(seed: 7)
        let base = meanLoss(network, data)
        let expected = try candidates.map { candidate -> Double in
            switch name {
            case "random": return Double(rng.nextUnitFloat())
            case "l1": return network.nodes[candidate.nodes[0]].layer!.parameters[0].value.values.reduce(0.0) { $0 + Double(abs($1)) }
            default:
                let bypassed = original.copy()
                try bypassed.bypass(candidate.nodes)
                let change = meanLoss(bypassed, data) - base
                return name == "oracle" ? change : abs(change)
            }
        }
        // Float losses of batches of 128 and of 12 averaged in Double, or Double sums of 144 magnitudes: 1e-6.
        #expect(zip(scores, expected).allSatisfy { abs($0 - $1) <= 1e-6 * max(1, abs($1)) }, "\(scores) vs \(expected)")
        #expect(scores[0] != scores[1])
        let lower = scores[1] < scores[0] ? 1 : 0
        let replaced = try GraphLayerPruning.prune(network, ratio: 0.5, criterion: name, seed: 7, calibration: data)
        #expect(replaced == [candidates[lower].name])
        let reference = original.copy()
        try reference.bypass(candidates[lower].nodes)
        let images = data.batch(Array(0..<data.count)[...]).images
        let worst = zip(network.forward(images, training: false).values, reference.forward(images, training: false).values)
            .map { abs($0 - $1) }.max() ?? 1
        #expect(worst <= 1e-6, "largest output difference \(worst)")
    }

    @Test("pruning to a FLOPs target replaces chains until it is reached; an unreachable target is refused in one line")
    func toFlops() throws {
        let network = try GraphNetwork(ResNet.small, seed: 1)
        let target = 2 * 31_021_952 * 8 / 10
        try GraphLayerPruning.prune(network, toFlops: target, criterion: "l1", seed: 0, calibration: nil)
        #expect(2 * network.macs <= target && 2 * network.macs > target - 2 * 1_806_336)
        #expect {
            try GraphLayerPruning.prune(network, toFlops: 2 * 31_021_952 / 2, criterion: "l2", seed: 0, calibration: nil)
        } throws: { error in
            guard case let .targetNotReached("FLOPs", target, reached, limit)? = error as? PruningError else { return false }
            return target == 31_021_952 && reached > target && limit.contains("no shape-preserving conv")
                && !"\(error)".contains("\n")
        }
        #expect(throws: PruningError.self) {
            try GraphLayerPruning.prune(network, ratio: 0.5, criterion: "taylor", seed: 0, calibration: data)
        }
    }
}
