import Linalg
import ShearsNet

/// Hessian-aware allocation on dependency groups: how large a share of each group to remove,
/// from the curvature of the layers that read it, instead of the same share everywhere.
///
/// Removing input columns `S` of a consumer with input Hessian `H` (order n) costs, to second
/// order, `ΔE ≈ ½ Σ_rows w_Sᵀ H_SS w_S`. With `H_SS` replaced by the spectrum's mean eigenvalue
/// `λ̄ = tr H / n`, a group of G channels read by consumers c through weight columns `W_c,S`
/// costs, per removed channel,
///
///     s = max(Σ_c ½ λ̄_c ‖W_c,S‖²_F / G, smallest normal Double),   λ̄_c = tr H_c / n_c,
///
/// and gives up the share `r = min(cap, t / s)`, `t` bisected so that `Σ r·G = ratio · Σ G`
/// (water-filling; the cap keeps every group alive). Groups read through flat spectra or small
/// weights give up more. In the spirit of Hessian-aware pruning (Yu et al. 2022), which also
/// allocates by the trace.
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
                let h = hessians[node]!.hessian
                let meanEigenvalue = (0..<h.rows).reduce(0.0) { $0 + h[$1, $1] } / Double(h.rows)
                return total + 0.5 * meanEigenvalue * squared / Double(group.width)
            }
        }
        return waterFill(costs: costs.map { max($0, .leastNormalMagnitude) }, counts: groups.map(\.width), ratio: ratio, cap: cap)
    }

    /// Shares `r_g = min(cap, t / s_g)` with `t` bisected so that `Σ r_g G_g = ratio · Σ G_g`, for groups of
    /// `counts[g]` channels each costing `costs[g]` (all positive).
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
