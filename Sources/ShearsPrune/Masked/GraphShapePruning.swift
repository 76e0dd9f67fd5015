import ShearsNet

/// Shape pruning of any graph network: every conv node's GEMM columns `W[:, c, i, j]`
/// (`MaskedLayer.columns`) scored by a `MaskedCriterion`, ranked globally as
/// `GraphMaskedPruning` ranks (each layer's scores l2-normalised, Molchanov et al. 2017, §2.3;
/// every layer keeping `⌈minimumKeep · columns⌉` and at least one), and the lowest removed for
/// good (`Conv2D.keepPatchRows`): the conv then reads only its kept im2col rows, so
/// its MACs per image are `F · K' · H_out · W_out` (`GraphNetwork.macs`), K' the kept columns.
///
/// Removing a column computes exactly what zeroing it would, so nothing is folded elsewhere;
/// `obs` first applies OBS's update of the same conv's remaining columns
/// (`MaskedCriterion.applyDefiningUpdate`).
public enum GraphShapePruning {
    /// Removes the lowest columns until `fraction` (in [0, 1)) of all convs' dense columns
    /// (`C·kh·kw` each) are gone, `⌊fraction · columns⌋` counted with those removed before;
    /// returns the columns newly removed. Each layer keeps its floor (`minimumKeep`, in [0, 1)).
    /// With `ranking` `.perLayer`, each conv instead ends with `⌊fraction · C·kh·kw⌋` of its own
    /// columns gone, its lowest scores first.
    @discardableResult
    public static func prune(_ network: GraphNetwork, columnFraction fraction: Double, criterion: any MaskedCriterion,
                             calibration: Dataset? = nil, minimumKeep: Double = 0, ranking: Ranking = .global) throws -> Int {
        guard fraction >= 0, fraction < 1 else { throw PruningError.ratioOutOfRange(fraction) }
        let layers = try MaskedLayer.columns(in: network)
        let denseColumns = layers.map { layer in
            let conv = network.nodes[layer.node].layer as! Conv2D
            return conv.inChannels * conv.kernelHeight * conv.kernelWidth
        }
        if try GraphMaskedPruning.checkedRanking(ranking, .shape) == .perLayer {
            let counts = zip(layers, denseColumns).map { layer, dense in
                max(0, Int((fraction * Double(dense)).rounded(.down)) - (dense - layer.layout.groupCount))
            }
            let taken = try GraphMaskedPruning.lowestGroups(network, layers: layers, criterion: criterion, calibration: calibration,
                                                            minimumKeep: minimumKeep, perLayer: counts) { _, _ in 1 }
            for (layer, (columns, count)) in zip(layers, zip(taken, counts)) where columns.count < count {
                throw PruningError.targetNotReached(quantity: "removed columns of \(layer.name)", target: count, reached: columns.count,
                                                           limit: "every layer keeping its floor of groups")
            }
            return try remove(taken, of: layers, network: network, criterion: criterion, calibration: calibration)
        }
        let dense = denseColumns.reduce(0, +)
        let gone = dense - layers.reduce(0) { $0 + $1.layout.groupCount }
        let target = Int((fraction * Double(dense)).rounded(.down))
        let removed = try removeLowest(network, layers: layers, criterion: criterion, calibration: calibration,
                                       minimumKeep: minimumKeep, toSave: target - gone) { _, _ in 1 }
        guard gone + removed >= target else {
            throw PruningError.targetNotReached(quantity: "kept columns", target: dense - target, reached: dense - gone - removed,
                                                       limit: "every layer keeping its floor of groups")
        }
        return removed
    }

    /// Removes the lowest columns until the network's FLOPs, `2 · GraphNetwork.macs` (kept
    /// columns counted), are at most `targetFlops`; returns the columns newly removed. A column
    /// saves exactly `F · H_out · W_out` MACs, so one scoring reaches the target, overshooting by
    /// less than one column's saving. Each layer keeps its floor (`minimumKeep`, in [0, 1)).
    @discardableResult
    public static func prune(_ network: GraphNetwork, toFlops targetFlops: Int, criterion: any MaskedCriterion,
                             calibration: Dataset? = nil, minimumKeep: Double = 0) throws -> Int {
        let layers = try MaskedLayer.columns(in: network)
        let current = 2 * network.macs
        guard current > targetFlops else { return 0 }
        let removed = try removeLowest(network, layers: layers, criterion: criterion, calibration: calibration,
                                       minimumKeep: minimumKeep, toSave: (current - targetFlops + 1) / 2) { layer, _ in
            layer.weight.value.shape[0] * layer.uses
        }
        let reached = 2 * network.macs
        guard reached <= targetFlops else {
            throw PruningError.targetNotReached(quantity: "FLOPs", target: targetFlops, reached: reached,
                                                       limit: "every layer keeping its floor of groups")
        }
        return removed
    }

    /// Scores `layers`, applies the criterion's defining update for the columns that come first
    /// in global order until their `saving`s reach `toSave`, and removes those columns; returns how many.
    static func removeLowest(_ network: GraphNetwork, layers: [MaskedLayer], criterion: any MaskedCriterion,
                             calibration: Dataset?, minimumKeep: Double, toSave: Int,
                             saving: (MaskedLayer, Int) -> Int) throws -> Int {
        let taken = try GraphMaskedPruning.lowestGroups(network, layers: layers, criterion: criterion, calibration: calibration,
                                                        minimumKeep: minimumKeep, toSave: toSave, saving: saving)
        return try remove(taken, of: layers, network: network, criterion: criterion, calibration: calibration)
    }

    /// Applies the criterion's defining update for columns `taken[i]` of `layers[i]`, then removes them; returns how many.
    static func remove(_ taken: [[Int]], of layers: [MaskedLayer], network: GraphNetwork, criterion: any MaskedCriterion,
                       calibration: Dataset?) throws -> Int {
        try criterion.applyDefiningUpdate(network, layers: layers, removals: taken, calibration: calibration)
        for (layer, columns) in zip(layers, taken) where !columns.isEmpty {
            let conv = network.nodes[layer.node].layer as! Conv2D
            let removed = Set(columns)
            conv.keepPatchRows((0..<conv.weight.value.itemSize).filter { !removed.contains($0) })
        }
        return taken.reduce(0) { $0 + $1.count }
    }
}
