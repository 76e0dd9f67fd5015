import ArgumentParser
import ShearsNet
import ShearsPrune

/// A checkpoint `bench latency` times (VGG checkpoints as their graph), with what its table and profile print.
struct TimedModel {
    /// The network timed.
    let network: GraphNetwork

    /// `network`, as loaded or pruned.
    init(_ network: GraphNetwork) {
        self.network = network
    }

    /// The checkpoint at `path` (1 x 28 x 28 images into 10 classes).
    init(loading path: String) throws {
        network = try loadFashionMNISTGraph(path).model
    }

    /// Forward FLOPs per image, 2 x MACs (`GraphNetwork.macs`).
    var flops: Int { 2 * network.macs }

    /// Every conv's input and output channels in node order ("1->29 29->10 …"): the widths a
    /// criterion kept, which explain much of a pruned model's time per FLOP.
    var convWidths: String {
        network.nodes.compactMap { $0.layer as? Conv2D }.map { "\($0.inChannels)->\($0.outChannels)" }.joined(separator: " ")
    }

    /// A copy with filters pruned by `criterion` (global ranking, no fine-tuning) to `fraction` of
    /// this model's FLOPs, scored on `calibration`; kept widths rounded up to multiples of `roundTo`.
    func pruned(toFraction fraction: Double, criterion: String, calibration: (subset: Dataset, pool: Dataset), seed: UInt64,
                roundTo: Int) throws -> TimedModel {
        guard let named = GroupCriteria.named(criterion, seed: seed, pool: calibration.pool) else {
            throw PruningError.unknownCriterion(criterion, valid: GroupCriteria.names)
        }
        let pruned = network.copy()
        try GroupPruner.prune(pruned, toFlops: Int((fraction * Double(flops)).rounded(.down)), criterion: named, ranking: .global,
                              calibration: calibration.subset, pool: calibration.pool, rounding: WidthRounding(multiple: roundTo))
        return TimedModel(pruned)
    }

    /// The model with every BatchNorm after a conv folded into it (`GraphNetwork.foldingBatchNorms`), its deployment form.
    func foldingBatchNorms() throws -> TimedModel {
        TimedModel(try network.foldingBatchNorms())
    }

    /// Fastest-of-`rounds` inference milliseconds of every node on `batch`, keyed by node
    /// name, with the MACs per image of those that have weights.
    func profile(batch: Tensor, rounds: Int) -> [(key: String, label: String, milliseconds: Double, macs: Int?)] {
        zip(network.nodes.indices, InferenceProfile.measure(network, batch: batch, rounds: rounds)).map { index, entry in
            let uses = network.weightUses(ofNode: index)
            let macs = uses > 0 ? network.nodes[index].layer.map { uses * $0.parameters[0].value.count } : nil
            return (network.nodes[index].name, entry.layer, entry.milliseconds, macs)
        }
    }
}
