import ArgumentParser
import ShearsNet
import ShearsPrune

extension PruneCommand {
    /// `prune` on a graph checkpoint (resnet-s, a user's network): channel groups from the
    /// dependency graph, scored by a `GroupCriterion`, shared out by `--ranking` (per-layer,
    /// global or Hessian-aware), the consumers repaired by `--compensation` (default: the
    /// criterion's own, OBS's update for `obs`).
    func pruneGraph(_ network: GraphNetwork, metadata: [String: String]) throws {
        if pruning.granularity.isMasked { return try maskGraph(network, metadata: metadata) }
        if pruning.granularity == .shape { return try shapeGraph(network, metadata: metadata) }
        guard pruning.granularity == .filter else {
            throw ValidationError("graph networks are pruned by filter groups, by shape, or masked by element or kernel so far; "
                                  + "use --granularity filter, shape, element or kernel")
        }
        guard let named = GroupCriteria.named(pruning.criterion, seed: compute.seed) else {
            throw ValidationError("--criterion \(pruning.criterion) is not a group criterion; "
                                  + "graph networks take \(GroupCriteria.names.joined(separator: ", "))")
        }
        let ranking = self.ranking ?? .perLayer
        let compensation = self.compensation ?? named.definingCompensation
        let needsImages = named.input == .calibrationImages || compensation != .none || ranking == .hessian
        let calibration = needsImages ? try data.calibration(samples: pruning.samples) : nil
        // OBS's Hessians may draw more images from the calibration pool than the scoring subset holds.
        let criterion = GroupCriteria.named(pruning.criterion, seed: compute.seed, pool: calibration?.pool) ?? named
        let test = try data.load(.test)
        let before = (macs: network.macs, parameters: network.parameterCountWithOffsets,
                      accuracy: Trainer.evaluate(network, on: test).accuracy)
        // Scores, Hessians and compensation see calibration images only; the test set is reported on.
        let changes = try GroupPruner.prune(network, criterion: criterion, ratio: ratio, ranking: ranking,
                                            calibration: calibration?.subset, compensation: compensation, pool: calibration?.pool)
        let after = (macs: network.macs, parameters: network.parameterCountWithOffsets,
                     accuracy: Trainer.evaluate(network, on: test).accuracy)
        try network.save(to: out, metadata: metadata.merging([
            "pruned_from": model, "criterion": pruning.criterion, "granularity": "filter", "ratio": "\(ratio)",
            "ranking": ranking.rawValue, "compensation": compensation.rawValue,
        ]) { $1 })
        let removed = changes.reduce(0) { $0 + $1.before - $1.after }
        print("removed \(removed) channels from \(changes.count) dependency groups; FLOPs \(2 * before.macs) -> \(2 * after.macs), "
              + "params \(before.parameters) -> \(after.parameters) (output offsets included); "
              + "test accuracy \(fmt(100 * before.accuracy, 2))% -> \(fmt(100 * after.accuracy, 2))%")
    }

    /// `prune --granularity element|kernel` on a graph checkpoint: `--ratio` of the conv and
    /// linear weights masked (`GraphMaskedPruning`), lowest scores first in one global ranking;
    /// the masked weights are zero in the checkpoint written, their masks stored beside them.
    func maskGraph(_ network: GraphNetwork, metadata: [String: String]) throws {
        guard (ranking ?? .global) == .global else {
            throw ValidationError("graph networks are masked by element or kernel with --ranking global")
        }
        guard compensation == nil || compensation == Compensation.none else {
            throw ValidationError("--compensation repairs removed units; masked element and kernel groups take none")
        }
        let named = try MaskedCriteria.named(pruning.criterion, granularity: pruning.granularity, seed: compute.seed)
        let calibration = named.input == .calibrationImages ? try data.calibration(samples: pruning.samples) : nil
        // OBS's Hessians may draw more images from the calibration pool than the scoring subset holds.
        let criterion = try MaskedCriteria.named(pruning.criterion, granularity: pruning.granularity, seed: compute.seed,
                                                 pool: calibration?.pool, obsDamping: pruning.obsDamping)
        let test = try data.load(.test)
        let before = (flops: 2 * network.nonZeroMacs, accuracy: Trainer.evaluate(network, on: test).accuracy)
        // Scores see calibration images only; the test set is reported on.
        let masked = try GraphMaskedPruning.prune(network, weightFraction: ratio, granularity: pruning.granularity,
                                                  criterion: criterion, calibration: calibration?.subset)
        let after = (flops: 2 * network.nonZeroMacs, accuracy: Trainer.evaluate(network, on: test).accuracy)
        try network.save(to: out, metadata: metadata.merging([
            "pruned_from": model, "criterion": pruning.criterion, "granularity": pruning.granularity.rawValue,
            "ratio": "\(ratio)", "ranking": Ranking.global.rawValue, "compensation": Compensation.none.rawValue,
        ]) { $1 })
        print("masked \(masked) \(pruning.granularity.rawValue) groups; non-zero FLOPs \(before.flops) -> \(after.flops); "
              + "test accuracy \(fmt(100 * before.accuracy, 2))% -> \(fmt(100 * after.accuracy, 2))%")
    }

    /// `prune --granularity shape` on a graph checkpoint: `--ratio` of the convs' columns removed
    /// (`GraphShapePruning`), lowest scores first in one global ranking; `obs` applies OBS's
    /// update of each conv's remaining columns first. The checkpoint stores each pruned conv's
    /// `F x K'` weight with its kept im2col rows (`patch_rows`).
    func shapeGraph(_ network: GraphNetwork, metadata: [String: String]) throws {
        guard (ranking ?? .global) == .global else {
            throw ValidationError("graph networks are pruned by shape with --ranking global")
        }
        let named = try MaskedCriteria.named(pruning.criterion, granularity: .shape, seed: compute.seed)
        guard compensation == nil || compensation == named.definingCompensation else {
            throw ValidationError("graph networks pruned by shape take the criterion's own repair only (obs's update for --criterion obs)")
        }
        let calibration = named.input == .calibrationImages ? try data.calibration(samples: pruning.samples) : nil
        // OBS's Hessians may draw more images from the calibration pool than the scoring subset holds.
        let criterion = try MaskedCriteria.named(pruning.criterion, granularity: .shape, seed: compute.seed,
                                                 pool: calibration?.pool, obsDamping: pruning.obsDamping)
        let test = try data.load(.test)
        let before = (flops: 2 * network.macs, parameters: network.parameterCountWithOffsets,
                      accuracy: Trainer.evaluate(network, on: test).accuracy)
        // Scores and OBS's update see calibration images only; the test set is reported on.
        let removed = try GraphShapePruning.prune(network, columnFraction: ratio, criterion: criterion,
                                                  calibration: calibration?.subset)
        let after = (flops: 2 * network.macs, parameters: network.parameterCountWithOffsets,
                     accuracy: Trainer.evaluate(network, on: test).accuracy)
        try network.save(to: out, metadata: metadata.merging([
            "pruned_from": model, "criterion": pruning.criterion, "granularity": Granularity.shape.rawValue,
            "ratio": "\(ratio)", "ranking": Ranking.global.rawValue, "compensation": named.definingCompensation.rawValue,
        ]) { $1 })
        print("removed \(removed) conv columns; FLOPs \(before.flops) -> \(after.flops), params \(before.parameters) -> \(after.parameters); "
              + "test accuracy \(fmt(100 * before.accuracy, 2))% -> \(fmt(100 * after.accuracy, 2))%")
    }
}
