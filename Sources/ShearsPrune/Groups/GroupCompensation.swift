import Linalg
import ShearsNet

/// Repairs the layers that read channels about to be removed from dependency groups
/// (`Compensation`): each consumer's remaining weights are refitted so that its
/// output on calibration images changes least.
///
/// - `.obs`: `δW = −W_S ([H⁻¹]_SS)⁻¹ (H⁻¹)_{S,:}` (Hassibi & Stork 1993, eq. 5), `S` the
///   consumer's columns of every channel removed in this round (all groups at once, so a
///   consumer reading several groups, through a concat, is refitted once), `H` damped
///   relatively as OBS scores are.
/// - `.leastSquares`: the same solve undamped on the inputs extended by a constant 1
///   (Castellano, Fanelli & Pelillo 1997), so the consumer's bias is refitted too; a conv
///   without bias (every conv of resnet-s, followed by BatchNorm) refits its weights only.
///
/// Afterwards `W[:, S] = 0`, so the constants the removed channels still carry reach the
/// consumer through zero weights and `GroupSurgery` folds nothing for them.
public struct GroupCompensation: Sendable {
    /// The repair.
    public let method: Compensation
    /// Calibration images the consumers' Hessians are built from.
    public let images: Dataset
    /// More calibration images (`images` is its prefix) for an under-sampled Hessian.
    public let pool: Dataset?
    /// δ of OBS's relative damping.
    public let damping: Double
    /// Images per recorded forward pass.
    public let batchSize: Int

    /// A repair by `method` fitted on `images` (extended from `pool` where a Hessian needs more).
    public init(_ method: Compensation, images: Dataset, pool: Dataset? = nil,
                damping: Double = OptimalBrainSurgeon.defaultRelativeDamping, batchSize: Int = 256) {
        precondition(damping >= 0 && damping.isFinite && batchSize >= 1,
                     "GroupCompensation: damping \(damping), batch size \(batchSize)")
        (self.method, self.images, self.pool, self.damping, self.batchSize) = (method, images, pool, damping, batchSize)
    }

    /// Refits every consumer of the channels `removals[i]` of `groups[i]`; call before surgery.
    public func apply(removing removals: [[Int]], of groups: [ChannelGroup], in network: GraphNetwork) throws {
        guard method != .none else { return }
        var columns: [Int: Set<Int>] = [:]
        for (group, removed) in zip(groups, removals) where !removed.isEmpty {
            for (node, placements) in Dictionary(grouping: group.consumers, by: \.node) {
                columns[node, default: []].formUnion(try ConsumerHessians.columns(of: removed, placements, in: network))
            }
        }
        guard !columns.isEmpty else { return }
        let statistics = try ConsumerHessians.collect(network, consumers: columns.keys.sorted(),
                                                      images: HessianImages(data: images, pool: pool), batchSize: batchSize)
        for (node, set) in columns.sorted(by: { $0.key < $1.key }) {
            try refit(network.nodes[node].layer!, columns: set.sorted(), statistics: statistics[node]!)
        }
    }

    /// Applies the update to one consumer's weight (and bias, for least squares when it has one).
    private func refit(_ layer: Layer, columns: [Int], statistics: ConsumerHessians.Statistics) throws {
        let weight = layer.parameters[0]
        let rows = weight.value.shape[0], inputs = weight.value.itemSize
        let bias = method == .leastSquares && layer.parameters.count > 1 ? layer.parameters[1] : nil
        let order = inputs + (bias == nil ? 0 : 1)
        var h = Matrix<Double>(rows: order, cols: order), w = Matrix<Double>(rows: rows, cols: order)
        for i in 0..<inputs { for j in 0..<inputs { h[i, j] = statistics.hessian[i, j] } }
        for r in 0..<rows { for q in 0..<inputs { w[r, q] = Double(weight.value.values[r * inputs + q]) } }
        if let bias {
            // x̃ = [x; 1]: H̃ = [[H, m], [mᵀ, 2]] with m = (2/N) Σ x.
            for i in 0..<inputs { (h[i, inputs], h[inputs, i]) = (statistics.mean[i], statistics.mean[i]) }
            h[inputs, inputs] = 2
            for r in 0..<rows { w[r, inputs] = Double(bias.value.values[r]) }
        }
        try OptimalBrainSurgeon(hessian: h, relativeDamping: method == .obs ? damping : 0).remove(columns, from: &w)
        for r in 0..<rows { for q in 0..<inputs { weight.value.values[r * inputs + q] = Float(w[r, q]) } }
        if let bias { for r in 0..<rows { bias.value.values[r] = Float(w[r, inputs]) } }
    }
}
