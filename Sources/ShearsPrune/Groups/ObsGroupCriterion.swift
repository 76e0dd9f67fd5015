import Linalg
import ShearsNet

/// Optimal Brain Surgeon (Hassibi & Stork 1993) on dependency groups: a channel's saliency is
/// the sum, over the layers that read the group (its consumers), of the least increase of
/// that consumer's reconstruction error when the channel's input columns `S` are removed
/// with the optimal update of its remaining weights (eqs. 5 and 6 of the paper, per layer as
/// in OBC, Frantar & Alistarh 2022; `OptimalBrainSurgeon`):
///
///     s_c = Σ_consumers ½ Σ_r w_{r,S}ᵀ ([H⁻¹]_SS)⁻¹ w_{r,S},   H = (2/N) Σ x xᵀ + λI
///
/// with `S` the consumer's columns reading channel c (a conv's `kh·kw` im2col rows of that
/// input channel, a linear layer's `span` flattened columns) and `H` its damped input Hessian
/// on calibration images. `obs` is defined with its update: `definingCompensation`
/// is `.obs`, so pruning applies `δW = −W_S ([H⁻¹]_SS)⁻¹ (H⁻¹)_{S,:}` to every consumer
/// before the channels go; `obs-no-update` ranks the same and only removes (the ablation).
public struct ObsGroupCriterion: GroupCriterion {
    /// Whether removal applies OBS's weight update (`obs`) or not (`obs-no-update`).
    public let update: Bool
    public var name: String { update ? "obs" : "obs-no-update" }
    public let input = CriterionInput.calibrationImages
    /// More calibration images (the scoring images are its prefix) for a consumer whose
    /// Hessian would have fewer samples than its order; nil: the scoring images only.
    public let pool: Dataset?
    /// δ of the relative damping λ = δ · mean(diag H) (`OptimalBrainSurgeon`).
    public let damping: Double
    /// Calibration images per recorded forward pass.
    public let batchSize: Int

    public var definingCompensation: Compensation { update ? .obs : .none }

    /// The criterion; `pool` extends the calibration images for under-sampled Hessians.
    public init(update: Bool, pool: Dataset? = nil, damping: Double = OptimalBrainSurgeon.defaultRelativeDamping,
                batchSize: Int = 256) {
        precondition(damping >= 0 && damping.isFinite && batchSize >= 1,
                     "ObsGroupCriterion: damping \(damping), batch size \(batchSize)")
        (self.update, self.pool, self.damping, self.batchSize) = (update, pool, damping, batchSize)
    }

    public func scores(_ network: GraphNetwork, groups: [ChannelGroup], calibration: Dataset?) throws -> [[Double]] {
        guard let data = calibration, data.count > 0 else { throw PruningError.needsCalibration(criterion: name) }
        let consumers = Array(Set(groups.flatMap { $0.consumers.map(\.node) })).sorted()
        let statistics = try ConsumerHessians.collect(network, consumers: consumers, images: HessianImages(data: data, pool: pool),
                                                      batchSize: batchSize)
        var surgeons: [Int: (surgeon: OptimalBrainSurgeon, weights: Matrix<Double>)] = [:]
        for node in consumers {
            let weight = network.nodes[node].layer!.parameters[0].value
            surgeons[node] = (try OptimalBrainSurgeon(hessian: statistics[node]!.hessian, relativeDamping: damping),
                              try Matrix(rows: weight.shape[0], cols: weight.itemSize, storage: weight.values.map(Double.init)))
        }
        return try groups.map { group in
            let byConsumer = Dictionary(grouping: group.consumers, by: \.node)
            return try (0..<group.width).map { channel in
                try byConsumer.keys.sorted().reduce(0.0) { total, node in
                    let (surgeon, weights) = surgeons[node]!
                    return total + (try surgeon.saliency(of: ConsumerHessians.columns(of: [channel], byConsumer[node]!, in: network),
                                                         in: weights))
                }
            }
        }
    }
}
