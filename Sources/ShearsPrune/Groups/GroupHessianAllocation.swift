import Linalg
import ShearsNet

/// Hessian-aware allocation on dependency groups: how large a share of each group to remove,
/// from the curvature of the layers that read it (`HessianAllocation`'s rule, with a group's
/// consumers in place of VGG's next layer).
///
/// A group of G channels read by consumers c with input Hessians `H_c` (order `n_c`) and
/// weight columns `W_c,S` (the columns that read the group) costs, per removed channel,
/// `s = Σ_c ½ λ̄_c ‖W_c,S‖²_F / G` with `λ̄_c = tr H_c / n_c`; shares `r = min(cap, t / s)`
/// with `t` such that `Σ r·G = ratio · Σ G`. On a VGG's graph each group has one consumer
/// that reads nothing else, so this is exactly `HessianAllocation` (tested).
public enum GroupHessianAllocation {
    /// The share of each of `groups` to remove (in order) so that `ratio` of all their
    /// channels go, the consumers' Hessians built from `data` (calibration images).
    public static func shares(_ network: GraphNetwork, groups: [ChannelGroup], ratio: Double, data: Dataset,
                              batchSize: Int = 256, cap: Double = 0.9) throws -> [Double] {
        guard ratio >= 0, ratio < 1 else { throw PruningError.ratioOutOfRange(ratio) }
        guard !groups.isEmpty else { return [] }
        let consumers = Array(Set(groups.flatMap { $0.consumers.map(\.node) })).sorted()
        let hessians = try ConsumerHessians.collect(network, consumers: consumers, data: data, batchSize: batchSize)
        let costs = try groups.map { group in
            try Dictionary(grouping: group.consumers, by: \.node).reduce(0.0) { total, entry in
                let (node, placements) = entry
                let weight = network.nodes[node].layer!.parameters[0].value
                let columns = try ConsumerHessians.columns(of: Array(0..<group.width), placements, in: network)
                let rowLength = weight.itemSize
                var squared = 0.0
                weight.values.withUnsafeBufferPointer { w in
                    for row in 0..<(weight.count / rowLength) {
                        for column in columns { squared += Double(w[row * rowLength + column]) * Double(w[row * rowLength + column]) }
                    }
                }
                return total + HessianAllocation.costPerGroup(hessian: hessians[node]!.hessian, squaredWeights: squared,
                                                              groups: group.width).cost
            }
        }
        return HessianAllocation.waterFill(costs: costs, counts: groups.map(\.width), ratio: ratio, cap: cap)
    }
}
