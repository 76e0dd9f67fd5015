import Linalg
import ShearsNet

/// `obs-no-update` on element or kernel groups: Optimal Brain Surgeon's saliency (Hassibi &
/// Stork 1993, eqs. 5 and 6) of each layer's own weights on its damped input Hessian, per
/// layer as in OBC (Frantar & Alistarh 2022; `OptimalBrainSurgeon`):
///
///     s_q = w_q² / (2 [H⁻¹]_qq)  (element),   s_S = ½ w_Sᵀ ([H⁻¹]_SS)⁻¹ w_S  (kernel S of one row),
///     H = (2/N) Σ x xᵀ + λI,  λ = δ · mean(diag H),
///
/// x the layer's im2col columns (a conv) or inputs (a linear layer) on calibration images
/// (`ConsumerHessians`), as the VGG criterion computes them (`ObsCriterion.maskedSaliency`).
/// The weights are only masked: OBS proper (`obs`) also applies its update to the remaining
/// weights, which masked pruning has on neither path, so only this ablation is offered.
public struct MaskedObsCriterion: MaskedCriterion {
    public let name = "obs-no-update"
    public let input = CriterionInput.calibrationImages
    /// More calibration images (the scoring images are its prefix) for a layer whose Hessian
    /// would have fewer samples than its order; nil: the scoring images only.
    public let pool: Dataset?
    /// δ of the relative damping λ = δ · mean(diag H).
    public let damping: Double
    /// Calibration images per recorded forward pass.
    public let batchSize: Int

    /// The criterion; `pool` extends the calibration images for under-sampled Hessians.
    public init(pool: Dataset? = nil, damping: Double = OptimalBrainSurgeon.defaultRelativeDamping, batchSize: Int = 256) {
        precondition(damping >= 0 && damping.isFinite && batchSize >= 1,
                     "MaskedObsCriterion: damping \(damping), batch size \(batchSize)")
        (self.pool, self.damping, self.batchSize) = (pool, damping, batchSize)
    }

    public func scores(_ network: GraphNetwork, layers: [MaskedLayer], calibration: Dataset?) throws -> [[Double]] {
        guard let data = calibration, data.count > 0 else { throw PruningError.needsCalibration(criterion: name) }
        let statistics = try ConsumerHessians.collect(network, consumers: layers.map(\.node),
                                                      images: HessianImages(data: data, pool: pool), batchSize: batchSize)
        return try layers.map { layer in
            guard let hessian = statistics[layer.node]?.hessian else {
                preconditionFailure("MaskedObsCriterion: no Hessian for \(layer.name)")
            }
            let surgeon = try OptimalBrainSurgeon(hessian: hessian, relativeDamping: damping)
            let weight = layer.weight.value
            let w = try Matrix<Double>(rows: weight.shape[0], cols: weight.itemSize, storage: weight.values.map(Double.init))
            let kernel = weight.shape.count == 4 ? weight.shape[2] * weight.shape[3] : 1
            return try (0..<layer.layout.groupCount).map { group in
                try ObsCriterion.maskedSaliency(group, granularity: layer.granularity, kernel: kernel, weights: w,
                                                surgeon: surgeon)
            }
        }
    }
}
