import ArgumentParser
import ShearsNet
import ShearsPrune

/// `shears prune`: one-shot pruning without fine-tuning.
struct PruneCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "prune", abstract: "Prune a checkpoint once (no fine-tuning) and write the smaller model.")

    @Option(help: "Checkpoint to prune.")
    var model: String

    @OptionGroup var pruning: PruningOptions

    @Option(parsing: .unconditional, help: "Share of groups to remove, in [0, 1) (of the conv and linear weights for element and kernel, of the conv columns for shape, of the shape-preserving conv + BatchNorm + ReLU chains for layer, on graph networks).")
    var ratio: Double

    @Option(help: "Ranking: per-layer (same share everywhere), global (l2-normalised scores), or hessian (per-layer shares from the layers' Hessian spectra); default: per-layer, global for element, kernel, shape and layer on graph networks.")
    var ranking: Ranking?

    @Option(help: "Repair of the layer reading removed units: none, obs, least-squares (filter, channel, neuron); default: obs for the obs criterion, none otherwise.")
    var compensation: Compensation?

    @Option(help: "Checkpoint to write (atomically; nothing is written on failure).")
    var out: String

    @OptionGroup var compute: ComputeOptions
    @OptionGroup var data: DataOptions

    func validate() throws {
        guard ratio >= 0, ratio < 1 else { throw ValidationError("--ratio must be in [0, 1), got \(ratio)") }
    }

    func run() throws {
        compute.apply()
        let (loaded, loadedMetadata) = try loadFashionMNISTNetwork(model)
        if let graph = loaded as? GraphNetwork { return try pruneGraph(graph, metadata: loadedMetadata) }
        // A criterion that exists only for groups (bn-scale) prunes a VGG as its graph.
        if (try? CriterionName(parsing: pruning.criterion)) == nil, let vgg = loaded as? VGG {
            return try pruneGraph(vgg.asGraph(), metadata: loadedMetadata)
        }
        let (network, metadata) = try loadFashionMNISTModel(model)
        // Scores, Hessians and compensation see calibration images only; the test set is reported on.
        let ranking = self.ranking ?? .perLayer
        let engine = try pruning.engine(data, seed: compute.seed)
        let test = try data.load(.test)
        let before = (cost: ModelCost(network), accuracy: Trainer.evaluate(network, on: test).accuracy)
        let scores = try pruning.scores(network, engine: engine)
        let shares = ranking == .hessian
            ? try HessianAllocation.shares(network, granularity: pruning.granularity, ratio: ratio,
                                           data: engine.data).mapValues(\.share)
            : nil
        let plan = try Planner.plan(scores, granularity: pruning.granularity, ratio: ratio, ranking: ranking, layerShares: shares)
        let compensation = try self.compensation ?? CriterionName(parsing: pruning.criterion).definingCompensation
        try Surgeon.apply(plan, to: network, compensation: compensation, data: engine.data, pool: engine.pool,
                          damping: engine.damping)
        let after = (cost: ModelCost(network), accuracy: Trainer.evaluate(network, on: test).accuracy)
        try network.save(to: out, metadata: metadata.merging([
            "pruned_from": model, "criterion": pruning.criterion, "granularity": pruning.granularity.rawValue,
            "ratio": "\(ratio)", "ranking": ranking.rawValue, "compensation": compensation.rawValue,
        ]) { $1 })
        print("removed \(plan.removedGroups) \(pruning.granularity.rawValue) groups; FLOPs \(before.cost.flops) -> \(after.cost.flops) "
              + "(non-zero \(after.cost.nonZeroFlops)), params \(before.cost.parameters) -> \(after.cost.parameters); "
              + "test accuracy \(fmt(100 * before.accuracy, 2))% -> \(fmt(100 * after.accuracy, 2))%")
    }
}
