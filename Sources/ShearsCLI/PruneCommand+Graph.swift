import ArgumentParser
import ShearsNet
import ShearsPrune

extension PruneCommand {
    /// `prune` on a graph checkpoint (resnet-s, a user's network): channel groups from the
    /// dependency graph, scored by a `GroupCriterion`, the same share removed from each group.
    func pruneGraph(_ network: GraphNetwork, metadata: [String: String]) throws {
        guard pruning.granularity == .filter else {
            throw ValidationError("graph networks are pruned by filter groups so far; use --granularity filter")
        }
        guard let criterion = GroupCriteria.named(pruning.criterion, seed: compute.seed) else {
            throw ValidationError("--criterion \(pruning.criterion) does not take dependency groups yet; "
                                  + "graph networks take \(GroupCriteria.names.joined(separator: ", "))")
        }
        guard ranking == .perLayer, compensation == nil || compensation == Compensation.none else {
            throw ValidationError("graph networks are pruned with --ranking per-layer and no compensation so far")
        }
        let test = try data.load(.test)
        let calibration = criterion.input == .calibrationImages ? try data.calibration(samples: pruning.samples).subset : nil
        let before = (macs: try network.specification.macs(), parameters: network.parameterCountWithOffsets,
                      accuracy: Trainer.evaluate(network, on: test).accuracy)
        let changes = try GroupPruner.prune(network, criterion: criterion, ratio: ratio, calibration: calibration)
        let after = (macs: try network.specification.macs(), parameters: network.parameterCountWithOffsets,
                     accuracy: Trainer.evaluate(network, on: test).accuracy)
        try network.save(to: out, metadata: metadata.merging([
            "pruned_from": model, "criterion": pruning.criterion, "granularity": "filter", "ratio": "\(ratio)",
            "ranking": Ranking.perLayer.rawValue, "compensation": Compensation.none.rawValue,
        ]) { $1 })
        let removed = changes.reduce(0) { $0 + $1.before - $1.after }
        print("removed \(removed) channels from \(changes.count) dependency groups; FLOPs \(2 * before.macs) -> \(2 * after.macs), "
              + "params \(before.parameters) -> \(after.parameters) (output offsets included); "
              + "test accuracy \(fmt(100 * before.accuracy, 2))% -> \(fmt(100 * after.accuracy, 2))%")
    }
}
