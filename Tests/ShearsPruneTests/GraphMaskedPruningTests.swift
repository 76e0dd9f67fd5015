import ShearsNet
import Testing
@testable import ShearsPrune

@Suite("Element and kernel pruning of a residual graph with BatchNorm")
struct GraphMaskedPruningTests {
    let data = Dataset.synthetic(count: 6, height: 6, width: 6, classCount: 3, seed: 1)

    func network(seed: UInt64) throws -> GraphNetwork {
        let network = try GraphNetwork(residualTestGraph(rectifyFlattened: false), seed: seed)
        randomizeNormalization(network, seed: seed + 1)
        return network
    }

    func maskedCount(_ layers: [MaskedLayer]) -> Int {
        layers.reduce(0) { $0 + ($1.weight.mask ?? []).filter { $0 == 0 }.count }
    }

    @Test("the dense non-zero MACs are the specification's MACs: H_out·W_out per conv weight, 1 per linear weight")
    func denseMacs() throws {
        let network = try network(seed: 0)
        #expect(network.nonZeroMacs == (try network.specification.macs()))
        // By hand: stem 4·1·9·36, conv1 3·4·9·36, conv2 4·3·9·36, side 2·1·1·36, hidden 5·(6·9), out 3·5.
        #expect(network.nonZeroMacs == 1296 + 3888 + 3888 + 72 + 270 + 15)
    }

    @Test("a weight fraction masks exactly that many weights (element) or at most one kernel more, and the forward pass equals the one with those weights zeroed by hand",
          arguments: [Granularity.element, .kernel], ["l1", "random", "taylor-weight", "obd", "obs-no-update"])
    func weightFraction(granularity: Granularity, name: String) throws {
        let network = try network(seed: 3)
        let reference = network.copy()
        let criterion = try MaskedCriteria.named(name, granularity: granularity, seed: 5)
        let fraction = 0.4
        try GraphMaskedPruning.prune(network, weightFraction: fraction, granularity: granularity, criterion: criterion,
                                     calibration: data)
        let layers = try MaskedLayer.all(in: network, granularity: granularity)
        let total = layers.reduce(0) { $0 + $1.weight.value.count }
        let target = Int((fraction * Double(total)).rounded(.down))
        let masked = maskedCount(layers)
        if granularity == .element {
            #expect(masked == target)
        } else {
            #expect(masked >= target && masked < target + 9)
        }
        // Each layer keeps a group; a masked weight is zero (global ranking may mask nothing of a layer).
        for layer in layers {
            guard let mask = layer.weight.mask else { continue }
            #expect(mask.contains(1), "\(layer.name) lost every group")
            #expect(zip(mask, layer.weight.value.values).allSatisfy { $0 != 0 || $1 == 0 })
        }
        for layer in try MaskedLayer.all(in: reference, granularity: granularity) {
            guard let mask = network.nodes[layer.node].layer?.parameters.first?.mask else { continue }
            for i in mask.indices where mask[i] == 0 { layer.weight.value.values[i] = 0 }
        }
        let (images, _) = data.batch(Array(0..<data.count)[...])
        let pruned = network.forward(images, training: false), byHand = reference.forward(images, training: false)
        #expect(zip(pruned.values, byHand.values).allSatisfy { abs($0 - $1) <= 1e-6 * max(1, abs($1)) })
    }

    @Test("l1 at element granularity masks, within every layer, weights no larger than any it keeps")
    func keepsTheLargest() throws {
        let network = try network(seed: 4)
        let before = network.copy()
        try GraphMaskedPruning.prune(network, weightFraction: 0.5, granularity: .element, criterion: MaskedNormCriterion(p: 1))
        for (layer, original) in zip(try MaskedLayer.all(in: network, granularity: .element),
                                     try MaskedLayer.all(in: before, granularity: .element)) {
            let mask = layer.weight.mask ?? Array(repeating: 1, count: layer.weight.value.count)
            let magnitudes = original.weight.value.values.map(abs)
            let largestMasked = mask.indices.filter { mask[$0] == 0 }.map { magnitudes[$0] }.max() ?? 0
            let smallestKept = mask.indices.filter { mask[$0] == 1 }.map { magnitudes[$0] }.min() ?? .infinity
            #expect(largestMasked <= smallestKept, "\(layer.name)")
        }
    }

    @Test("a FLOPs target is met as 2·non-zero MACs, short of it by less than one group's saving",
          arguments: [Granularity.element, .kernel], ["l2", "taylor-weight", "obd", "obs-no-update"])
    func flopsTarget(granularity: Granularity, name: String) throws {
        let network = try network(seed: 6)
        let dense = 2 * (try network.specification.macs())
        let target = Int(0.45 * Double(dense))
        let criterion = try MaskedCriteria.named(name, granularity: granularity, seed: 0)
        try GraphMaskedPruning.prune(network, toFlops: target, granularity: granularity, criterion: criterion, calibration: data)
        let layers = try MaskedLayer.all(in: network, granularity: granularity)
        // The largest one-group saving: a kernel (9 weights) or a weight of the 6x6 convs.
        let largestSaving = 2 * layers.map { $0.uses * $0.weight.value.count / $0.layout.groupCount }.max()!
        let reached = 2 * network.nonZeroMacs
        #expect(reached <= target && reached > target - largestSaving, "\(reached) against \(target)")
        // By hand: non-zero weights of every conv and linear layer times their output plane.
        let byHand = try MaskedLayer.all(in: network, granularity: .element).reduce(0) { $0 + $1.uses * $1.weight.value.values.filter { $0 != 0 }.count }
        #expect(2 * byHand == reached)
        #expect(try GraphMaskedPruning.prune(network, toFlops: target, granularity: granularity, criterion: criterion,
                                             calibration: data) == 0)
    }

    @Test("every layer keeps ⌈minimumKeep · groups⌉ of its groups; a share that needs more is refused, naming the floor")
    func floors() throws {
        let network = try network(seed: 8)
        // The floors leave 81 of the 254 conv weights to take (1, 4, 4 and 0 kernels): 76 needs some layer at its floor.
        try GraphMaskedPruning.prune(network, weightFraction: 0.3, granularity: .kernel, criterion: MaskedNormCriterion(p: 1),
                                     minimumKeep: 0.6)
        var atFloor = 0
        for layer in try MaskedLayer.all(in: network, granularity: .kernel) {
            let kept = (0..<layer.layout.groupCount).filter { layer.unmaskedWeights($0) > 0 }.count
            let floor = Int((0.6 * Double(layer.layout.groupCount)).rounded(.up))
            #expect(kept >= floor, "\(layer.name): \(kept)")
            atFloor += kept == floor ? 1 : 0
        }
        #expect(atFloor > 0)
        #expect {
            try GraphMaskedPruning.prune(network.copy(), weightFraction: 0.6, granularity: .kernel,
                                         criterion: MaskedNormCriterion(p: 1), minimumKeep: 0.6)
        } throws: { error in
            guard case .targetNotReached? = error as? PruningError else { return false }
            return "\(error)".contains("keeping its floor")
        }
    }

    @Test("structured granularities, fractions outside [0, 1) and missing calibration images are refused")
    func refusals() throws {
        let network = try network(seed: 0)
        #expect(throws: PruningError.self) {
            try GraphMaskedPruning.prune(network, weightFraction: 0.3, granularity: .filter, criterion: MaskedNormCriterion(p: 1))
        }
        #expect(throws: PruningError.ratioOutOfRange(1)) {
            try GraphMaskedPruning.prune(network, weightFraction: 1, granularity: .element, criterion: MaskedNormCriterion(p: 1))
        }
        #expect(throws: PruningError.needsCalibration(criterion: "obd")) {
            try GraphMaskedPruning.prune(network, weightFraction: 0.3, granularity: .element, criterion: MaskedObdCriterion())
        }
    }
}
