import Linalg
import ShearsNet

/// Hessian-aware allocation: how large a share of each layer's groups to remove, from the
/// curvature of the layer that reads them, instead of the same share everywhere.
///
/// For the input Hessian `H` (order n) of the reading layer and its weights `W`, removing a
/// group of input columns `S` costs, to second order, `ΔE ≈ ½ Σ_rows w_Sᵀ H_SS w_S`. With
/// `H_SS` replaced by the spectrum's mean eigenvalue `λ̄ = tr H / n`, a layer's expected cost
/// per removed group is `s = ½ λ̄ ‖W‖²_F / G` (G groups). Layers with flat spectra (small
/// `λ̄`) or small weights give up more: share `r_l = min(cap, t / s_l)`, with `t` chosen so
/// that `Σ r_l G_l = ratio · Σ G_l` (water-filling; the cap keeps every layer alive).
/// In the spirit of Hessian-aware pruning (Yu et al. 2022), which also allocates by trace.
public enum HessianAllocation {
    /// One layer's allocation: its group count, the curvature behind it and the share of its groups to remove.
    public struct LayerShare: Sendable, Codable {
        /// Checkpoint name of the layer whose groups are allocated (`features.3`).
        public let layer: String
        /// G, the layer's group count at the granularity.
        public let groups: Int
        /// Mean eigenvalue of the reading layer's input Hessian, `tr H / n`.
        public let meanEigenvalue: Double
        /// Expected increase of the reconstruction error per removed group, `s`.
        public let costPerGroup: Double
        /// `r = min(cap, t / s)`, the share of the layer's groups to remove; over all layers `Σ r·G = ratio · Σ G`.
        public let share: Double
    }

    /// Per-layer shares that remove `ratio` of all groups in total.
    public static func shares(_ model: VGG, granularity: Granularity, ratio: Double, data: ImageBatchSource,
                              batchSize: Int = 256, cap: Double = 0.9) throws -> [PrunableLayer: LayerShare] {
        guard ratio >= 0, ratio < 1 else { throw PruningError.ratioOutOfRange(ratio) }
        guard granularity != .layer else {
            throw PruningError.granularityNotApplicable(.layer, layer: "Hessian-aware allocation",
                                                        reason: "layer groups are one per layer; rank them globally")
        }
        let groups = try GroupEnumeration.groups(of: model, at: granularity)
        let consumers = try groups.map { try ObsCriterion.consumer(of: $0.layer, granularity: granularity, in: model).layer }
        let hessians = try LayerHessian.collect(model, consumers: Array(Set(consumers)), data: data, batchSize: batchSize)
        var costs: [Double] = []
        var means: [Double] = []
        for (layerGroups, consumer) in zip(groups, consumers) {
            let weights = model.weight(of: consumer).value.values.reduce(0.0) { $0 + Double($1) * Double($1) }
            let layer = costPerGroup(hessian: hessians[consumer]!, squaredWeights: weights, groups: layerGroups.count)
            means.append(layer.meanEigenvalue)
            costs.append(layer.cost)
        }
        let shares = waterFill(costs: costs, counts: groups.map(\.count), ratio: ratio, cap: cap)
        var result: [PrunableLayer: LayerShare] = [:]
        for (index, layerGroups) in groups.enumerated() {
            result[layerGroups.layer] = LayerShare(layer: layerGroups.name, groups: layerGroups.count, meanEigenvalue: means[index],
                                                   costPerGroup: costs[index], share: shares[index])
        }
        return result
    }

    /// The expected cost of removing one of a layer's `groups` groups read by a layer with input Hessian `hessian` and
    /// weights of squared Frobenius norm `squaredWeights`: `s = ½ λ̄ ‖W‖²_F / G` with `λ̄ = tr H / n`, floored at the
    /// smallest normal Double so that water-filling can divide by it.
    static func costPerGroup(hessian: Matrix<Double>, squaredWeights: Double, groups: Int) -> (cost: Double, meanEigenvalue: Double) {
        let mean = (0..<hessian.rows).reduce(0.0) { $0 + hessian[$1, $1] } / Double(hessian.rows)
        return (max(0.5 * mean * squaredWeights / Double(groups), .leastNormalMagnitude), mean)
    }

    /// Water-filling: shares `r_l = min(cap, t / s_l)` with `t` bisected so that `Σ r_l G_l = ratio · Σ G_l`, for layers of
    /// `counts[l]` groups each costing `costs[l]` (all positive).
    static func waterFill(costs: [Double], counts: [Int], ratio: Double, cap: Double) -> [Double] {
        let counts = counts.map(Double.init)
        let target = ratio * counts.reduce(0, +)
        func removed(_ t: Double) -> Double { zip(costs, counts).reduce(0) { $0 + min(cap, t / $1.0) * $1.1 } }
        var (low, high) = (0.0, costs.max()! * cap)
        for _ in 0..<200 {
            let middle = (low + high) / 2
            if removed(middle) < target { low = middle } else { high = middle }
        }
        return costs.map { min(cap, high / $0) }
    }
}
