import ArgumentParser
import ShearsNet
import ShearsPrune

extension PruneCommand {
    /// `prune --granularity filter|channel|neuron`: channel groups from the dependency graph,
    /// scored by a `GroupCriterion` (FLOPs-regularised by `--flops-lambda`), shared out by
    /// `--ranking` (per-layer, global or Hessian-aware), the consumers repaired by
    /// `--compensation` (default: the criterion's own, OBS's update for `obs`).
    func pruneGroups(_ network: GraphNetwork, metadata: [String: String]) throws {
        let granularity = pruning.granularity
        // A network without such groups (neuron on resnet-s) is refused before any data is read.
        _ = try DependencyGraph(network.specification).prunableGroups(at: granularity)
        guard let named = GroupCriteria.named(pruning.criterion, seed: compute.seed, granularity: granularity) else {
            throw ValidationError("--criterion \(pruning.criterion) is not a group criterion; "
                                  + "filter, channel and neuron groups take \(GroupCriteria.names.joined(separator: ", "))")
        }
        let ranking = self.ranking ?? .perLayer
        let compensation = self.compensation ?? named.definingCompensation
        let needsImages = named.input == .calibrationImages || compensation != .none || ranking == .hessian
        let calibration = needsImages ? try data.calibration(samples: pruning.samples) : nil
        // OBS's Hessians may draw more images from the calibration pool than the scoring subset holds.
        let criterion = pruning.regularized(GroupCriteria.named(pruning.criterion, seed: compute.seed, granularity: granularity,
                                                                pool: calibration?.pool, obsDamping: pruning.obsDamping) ?? named)
        try pruneAndSave(network, metadata: metadata, ranking: ranking, compensation: compensation) {
            // Scores, Hessians and compensation see calibration images only; the test set is reported on.
            let changes = try GroupPruner.prune(network, criterion: criterion, ratio: ratio, granularity: granularity,
                                                ranking: ranking, calibration: calibration?.subset, compensation: compensation,
                                                pool: calibration?.pool, obsDamping: pruning.obsDamping)
            let removed = changes.reduce(0) { $0 + $1.before - $1.after }
            return "removed \(removed) channels from \(changes.count) dependency groups"
        }
    }

    /// `prune --granularity element|kernel`: `--ratio` of the conv and linear weights masked
    /// (`GraphMaskedPruning`), lowest scores first in one global ranking or within each layer;
    /// the masked weights are zero in the checkpoint written, their masks stored beside them.
    func maskElements(_ network: GraphNetwork, metadata: [String: String]) throws {
        let ranking = self.ranking ?? .global
        guard compensation == nil || compensation == Compensation.none else {
            throw ValidationError("--compensation repairs removed units; masked element and kernel groups take none")
        }
        let named = try MaskedCriteria.named(pruning.criterion, granularity: pruning.granularity, seed: compute.seed)
        let calibration = named.input == .calibrationImages ? try data.calibration(samples: pruning.samples) : nil
        // OBS's Hessians may draw more images from the calibration pool than the scoring subset holds.
        let criterion = pruning.regularized(try MaskedCriteria.named(pruning.criterion, granularity: pruning.granularity,
                                                                     seed: compute.seed, pool: calibration?.pool,
                                                                     obsDamping: pruning.obsDamping))
        try pruneAndSave(network, metadata: metadata, ranking: ranking, compensation: Compensation.none, countsNonZero: true) {
            // Scores see calibration images only; the test set is reported on.
            let masked = try GraphMaskedPruning.prune(network, weightFraction: ratio, granularity: pruning.granularity,
                                                      criterion: criterion, calibration: calibration?.subset, ranking: ranking)
            return "masked \(masked) \(pruning.granularity.rawValue) groups"
        }
    }

    /// `prune --granularity shape`: `--ratio` of the convs' columns removed (`GraphShapePruning`),
    /// lowest scores first in one global ranking or within each conv; `obs` applies OBS's
    /// update of each conv's remaining columns first. The checkpoint stores each pruned conv's
    /// `F x K'` weight with its kept im2col rows (`patch_rows`).
    func removeColumns(_ network: GraphNetwork, metadata: [String: String]) throws {
        let ranking = self.ranking ?? .global
        let named = try MaskedCriteria.named(pruning.criterion, granularity: .shape, seed: compute.seed)
        guard compensation == nil || compensation == named.definingCompensation else {
            throw ValidationError("shape pruning takes the criterion's own repair only (obs's update for --criterion obs)")
        }
        let calibration = named.input == .calibrationImages ? try data.calibration(samples: pruning.samples) : nil
        // OBS's Hessians may draw more images from the calibration pool than the scoring subset holds.
        let criterion = pruning.regularized(try MaskedCriteria.named(pruning.criterion, granularity: .shape, seed: compute.seed,
                                                                     pool: calibration?.pool, obsDamping: pruning.obsDamping))
        try pruneAndSave(network, metadata: metadata, ranking: ranking, compensation: named.definingCompensation) {
            // Scores and OBS's update see calibration images only; the test set is reported on.
            let removed = try GraphShapePruning.prune(network, columnFraction: ratio, criterion: criterion,
                                                      calibration: calibration?.subset, ranking: ranking)
            return "removed \(removed) conv columns"
        }
    }

    /// `prune --granularity layer`: `--ratio` of the shape-preserving conv + BatchNorm + ReLU
    /// chains replaced by the identity (`GraphLayerPruning`), lowest scores (random, l_p,
    /// oracle) first; the checkpoint's graph no longer has their nodes.
    func bypassLayers(_ network: GraphNetwork, metadata: [String: String]) throws {
        guard (ranking ?? .global) == .global, compensation == nil || compensation == Compensation.none,
              pruning.flopsLambda == 0 else {
            throw ValidationError("pruning by layer ranks globally and takes no --compensation or --flops-lambda")
        }
        let parsed = try GraphLayerPruning.criterion(pruning.criterion)
        let calibration = parsed == .oracle || parsed == .oracleAbs ? try data.calibration(samples: pruning.samples) : nil
        try pruneAndSave(network, metadata: metadata, ranking: .global, compensation: Compensation.none) {
            // The oracle sees calibration images only; the test set is reported on.
            let replaced = try GraphLayerPruning.prune(network, ratio: ratio, criterion: pruning.criterion, seed: compute.seed,
                                                       calibration: calibration?.subset)
            return "replaced \(replaced.count) layers by the identity (\(replaced.joined(separator: ", ")))"
        }
    }

    /// Measures `network` on the test set before and after `prune` (which returns what it did),
    /// writes it to `--out` with the run's settings in the metadata, and prints the change in
    /// FLOPs (of the non-zero weights when `countsNonZero`), parameters and test accuracy.
    func pruneAndSave(_ network: GraphNetwork, metadata: [String: String], ranking: Ranking, compensation: Compensation,
                      countsNonZero: Bool = false, _ prune: () throws -> String) throws {
        let test = try data.load(.test)
        func measure() -> (flops: Int, parameters: Int, accuracy: Double) {
            (2 * (countsNonZero ? network.nonZeroMacs : network.macs), network.parameterCountWithOffsets,
             Trainer.evaluate(network, on: test).accuracy)
        }
        let before = measure()
        let summary = try prune()
        let after = measure()
        try network.save(to: out, metadata: metadata.merging([
            "pruned_from": model, "criterion": pruning.criterion, "granularity": pruning.granularity.rawValue,
            "ratio": "\(ratio)", "ranking": ranking.rawValue, "compensation": compensation.rawValue,
        ]) { $1 })
        print("\(summary); \(countsNonZero ? "non-zero " : "")FLOPs \(before.flops) -> \(after.flops), "
              + "params \(before.parameters) -> \(after.parameters) (output offsets included); "
              + "test accuracy \(fmt(100 * before.accuracy, 2))% -> \(fmt(100 * after.accuracy, 2))%")
    }
}
