import Foundation
import ShearsNet
import Testing
@testable import ShearsPrune

@Suite("Shape pruning of a residual graph with BatchNorm")
struct GraphShapePruningTests {
    let data = Dataset.synthetic(count: 6, height: 6, width: 6, classCount: 3, seed: 1)

    func network(seed: UInt64) throws -> GraphNetwork {
        let network = try GraphNetwork(residualTestGraph(rectifyFlattened: false), seed: seed)
        randomizeNormalization(network, seed: seed + 1)
        return network
    }

    func convs(_ network: GraphNetwork) -> [Conv2D] { network.nodes.compactMap { $0.layer as? Conv2D } }

    /// The network's output on every image of `data`.
    func outputs(_ network: GraphNetwork) -> Tensor {
        network.forward(data.batch(Array(0..<data.count)[...]).images, training: false)
    }

    func close(_ a: Tensor, _ b: Tensor) -> Bool {
        a.shape == b.shape && zip(a.values, b.values).allSatisfy { abs($0 - $1) <= 1e-5 * max(1, abs($1)) }
    }

    @Test("a share of the columns removes exactly that many, each conv keeps one, and the pruned network computes the dense one with those columns zeroed",
          arguments: ["l1", "random", "taylor-weight", "obd", "obs-no-update", "obs"])
    func columnFraction(name: String) throws {
        let network = try network(seed: 3)
        let reference = network.copy()
        let criterion = try MaskedCriteria.named(name, granularity: .shape, seed: 5)
        // Dense columns: stem 1·9, conv1 4·9, conv2 3·9, side 1·1 = 73.
        let removed = try GraphShapePruning.prune(network, columnFraction: 0.4, criterion: criterion, calibration: data)
        #expect(removed == 29)
        #expect(convs(network).reduce(0) { $0 + $1.weight.value.itemSize } == 73 - 29)
        for (pruned, dense) in zip(convs(network), convs(reference)) {
            #expect(pruned.weight.value.itemSize >= 1)
            let zeroed = pruned.denseWeight
            if name != "obs" {
                // Kept weights untouched, removed ones zero.
                #expect(zip(zeroed.values, dense.weight.value.values).allSatisfy { $0 == 0 || $0 == $1 })
            }
            dense.weight.value = zeroed
        }
        #expect(close(outputs(network), outputs(reference)))
        let saved = reference.nodes.indices.reduce(0) { total, index in
            guard let conv = reference.nodes[index].layer as? Conv2D else { return total }
            let kept = (network.nodes[index].layer as! Conv2D).weight.value.itemSize
            return total + conv.outChannels * (conv.weight.value.itemSize - kept) * reference.weightUses(ofNode: index)
        }
        #expect(network.macs == (try reference.specification.macs()) - saved)
    }

    @Test("a FLOPs target is met within one column's saving, MACs counting F · kept columns · output pixels",
          arguments: ["l2", "taylor-weight", "obs"])
    func flopsTarget(name: String) throws {
        let network = try network(seed: 4)
        let dense = try network.specification.macs()
        #expect(network.macs == dense)
        let target = Int(0.5 * Double(2 * dense))
        try GraphShapePruning.prune(network, toFlops: target, criterion: try MaskedCriteria.named(name, granularity: .shape, seed: 1),
                                    calibration: data)
        let byHand = network.nodes.indices.reduce(0) { total, index in
            switch network.nodes[index].layer {
            case let conv as Conv2D: return total + conv.outChannels * conv.weight.value.itemSize * network.weightUses(ofNode: index)
            case let linear as Linear: return total + linear.inFeatures * linear.outFeatures
            default: return total
            }
        }
        #expect(network.macs == byHand)
        // The largest column saving: stem or conv1, 4 filters x 36 pixels.
        #expect(2 * network.macs <= target && 2 * network.macs > target - 2 * 4 * 36)
    }

    @Test("a shape-pruned graph prunes again (backward, per-example gradients and Hessians read kept columns only) and round-trips through a checkpoint",
          arguments: ["taylor-weight", "obd", "obs"])
    func secondRoundAndCheckpoint(name: String) throws {
        let network = try network(seed: 6)
        let criterion = try MaskedCriteria.named(name, granularity: .shape, seed: 2)
        try GraphShapePruning.prune(network, columnFraction: 0.3, criterion: criterion, calibration: data)
        let removed = try GraphShapePruning.prune(network, columnFraction: 0.6, criterion: criterion, calibration: data)
        #expect(removed == Int(0.6 * 73) - Int(0.3 * 73))
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("shape-\(UUID()).safetensors").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try network.save(to: path)
        let (loaded, _) = try GraphNetwork.load(from: path)
        #expect(convs(loaded).map(\.patchRows) == convs(network).map(\.patchRows))
        #expect(loaded.macs == network.macs)
        #expect(outputs(loaded) == outputs(network))
        #expect(outputs(network.copy()) == outputs(network))
    }

    @Test("a share beyond every conv's floor is refused in one line; obs is refused at element and kernel, not at shape")
    func refusals() throws {
        let network = try network(seed: 7)
        #expect {
            try GraphShapePruning.prune(network, columnFraction: 0.9, criterion: MaskedNormCriterion(p: 1), minimumKeep: 0.5)
        } throws: { error in
            guard case .targetNotReached? = error as? PruningError else { return false }
            return !"\(error)".contains("\n")
        }
        #expect(try MaskedCriteria.named("obs", granularity: .shape, seed: 0).name == "obs")
        #expect(throws: PruningError.self) { try MaskedCriteria.named("apoz", granularity: .shape, seed: 0) }
    }
}
