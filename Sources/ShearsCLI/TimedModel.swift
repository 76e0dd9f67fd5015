import ArgumentParser
import ShearsNet
import ShearsPrune

/// A checkpoint `bench latency` times, VGG or graph, with what its table and profile print.
enum TimedModel {
    case vgg(VGG)
    case graph(GraphNetwork)

    /// The checkpoint at `path` (1 x 28 x 28 images into 10 classes).
    init(loading path: String) throws {
        let model = try loadFashionMNISTNetwork(path).model
        if let vgg = model as? VGG { self = .vgg(vgg) } else { self = .graph(model as! GraphNetwork) }
    }

    /// The network as a layer, for timing.
    var layer: any Layer {
        switch self {
        case let .vgg(model): return model
        case let .graph(model): return model
        }
    }

    /// Forward FLOPs per image, 2 x MACs (`ModelCost` for VGG, `GraphNetwork.macs` for graphs).
    var flops: Int {
        switch self {
        case let .vgg(model): return ModelCost(model).flops
        case let .graph(model): return 2 * model.macs
        }
    }

    /// A copy with filters pruned by `criterion` (global ranking, no fine-tuning) to `fraction` of
    /// this model's FLOPs, scored on `calibration`; kept widths rounded up to multiples of `roundTo`.
    func pruned(toFraction fraction: Double, criterion: String, calibration: (subset: Dataset, pool: Dataset), seed: UInt64,
                roundTo: Int) throws -> TimedModel {
        switch self {
        case let .vgg(model):
            let pruned = model.copy()
            try pruneToFlops(pruned, fraction: fraction, of: model, criterion: try CriterionName(parsing: criterion),
                             granularity: .filter, engine: CriterionEngine(data: calibration.subset, pool: calibration.pool, seed: seed),
                             rounding: WidthRounding(multiple: roundTo))
            return .vgg(pruned)
        case let .graph(model):
            guard let named = GroupCriteria.named(criterion, seed: seed, pool: calibration.pool) else {
                throw PruningError.unknownCriterion(criterion, valid: GroupCriteria.names)
            }
            let pruned = model.copy()
            try GroupPruner.prune(pruned, toFlops: Int((fraction * Double(flops)).rounded(.down)), criterion: named, ranking: .global,
                                  calibration: calibration.subset, pool: calibration.pool, rounding: WidthRounding(multiple: roundTo))
            return .graph(pruned)
        }
    }

    /// The model with every BatchNorm after a conv folded into it (`GraphNetwork.foldingBatchNorms`),
    /// its deployment form; VGG checkpoints are refused.
    func foldingBatchNorms() throws -> TimedModel {
        guard case let .graph(model) = self else {
            throw ValidationError("--fold-batch-norm takes graph checkpoints (a VGG's BatchNorm stays in the VGG class)")
        }
        return .graph(try model.foldingBatchNorms())
    }

    /// Fastest-of-`rounds` inference milliseconds of every layer (VGG) or node (graph) on
    /// `batch`, keyed by checkpoint name, with the MACs per image of those that have weights.
    func profile(batch: Tensor, rounds: Int) -> [(key: String, label: String, milliseconds: Double, macs: Int?)] {
        switch self {
        case let .vgg(model):
            let macs = Dictionary(uniqueKeysWithValues: ModelCost(model).layers.map { ($0.name, $0.macs) })
            return InferenceProfile.measure(model, batch: batch, rounds: rounds).map { entry in
                let key = String(entry.layer.prefix { $0 != " " })
                return (key, entry.layer, entry.milliseconds, macs[key])
            }
        case let .graph(model):
            return zip(model.nodes.indices, InferenceProfile.measure(model, batch: batch, rounds: rounds)).map { index, entry in
                let uses = model.weightUses(ofNode: index)
                let macs = uses > 0 ? model.nodes[index].layer.map { uses * $0.parameters[0].value.count } : nil
                return (model.nodes[index].name, entry.layer, entry.milliseconds, macs)
            }
        }
    }
}
