import ArgumentParser
import ShearsNet
import ShearsPrune

extension PruneCommand {
    /// `prune` on a graph checkpoint (resnet-s, a user's network): channel groups from the
    /// dependency graph, scored by a `GroupCriterion`, shared out by `--ranking` (per-layer,
    /// global or Hessian-aware), the consumers repaired by `--compensation` (default: the criterion's own, OBS's update for `obs`).
    func pruneGraph(_ network: GraphNetwork, metadata: [String: String]) throws {
        guard pruning.granularity == .filter else {
            throw ValidationError("graph networks are pruned by filter groups so far; use --granularity filter")
        }
        guard let named = GroupCriteria.named(pruning.criterion, seed: compute.seed) else {
            throw ValidationError("--criterion \(pruning.criterion) is not a group criterion; "
                                  + "graph networks take \(GroupCriteria.names.joined(separator: ", "))")
        }
        let compensation = self.compensation ?? named.definingCompensation
        let needsImages = named.input == .calibrationImages || compensation != .none || ranking == .hessian
        let calibration = needsImages ? try data.calibration(samples: pruning.samples) : nil
        // OBS's Hessians may draw more images from the calibration pool than the scoring subset holds.
        let criterion = GroupCriteria.named(pruning.criterion, seed: compute.seed, pool: calibration?.pool) ?? named
        let test = try data.load(.test)
        let before = (macs: try network.specification.macs(), parameters: network.parameterCountWithOffsets,
                      accuracy: Trainer.evaluate(network, on: test).accuracy)
        // Scores, Hessians and compensation see calibration images only; the test set is reported on.
        let changes = try GroupPruner.prune(network, criterion: criterion, ratio: ratio, ranking: ranking,
                                            calibration: calibration?.subset, compensation: compensation, pool: calibration?.pool)
        let after = (macs: try network.specification.macs(), parameters: network.parameterCountWithOffsets,
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
}
