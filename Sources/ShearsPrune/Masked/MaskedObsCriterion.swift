import Linalg
import ShearsNet

/// Optimal Brain Surgeon on element, kernel or shape groups: the saliency (Hassibi & Stork
/// 1993, eqs. 5 and 6) of each layer's own weights on its damped input Hessian, per layer as
/// in OBC (Frantar & Alistarh 2022; `OptimalBrainSurgeon`):
///
///     s_q = w_q² / (2 [H⁻¹]_qq)  (element),   s_S = ½ w_Sᵀ ([H⁻¹]_SS)⁻¹ w_S  (kernel S of one row),
///     s_c = ½ Σ_rows w_rc² / [H⁻¹]_cc  (shape: column c of every row),
///     H = (2/N) Σ x xᵀ + λI,  λ = δ · mean(diag H),
///
/// x the layer's im2col columns (a conv) or inputs (a linear layer) on calibration images
/// (`ConsumerHessians`).
/// `obs-no-update` only ranks; `obs` (shape groups only) also applies eq. 5's update
/// `δW = −W_S ([H⁻¹]_SS)⁻¹ (H⁻¹)_{S,:}` to the remaining columns of the same conv before they
/// are removed (what `Compensation.obs` applies to a group's consumers). Masks keep no remaining weights
/// to update, so element and kernel groups have the ablation only.
public struct MaskedObsCriterion: MaskedCriterion {
    /// Whether removal applies OBS's update of the remaining columns (`obs`) or not (`obs-no-update`).
    public let update: Bool
    public var name: String { update ? "obs" : "obs-no-update" }
    public var definingCompensation: Compensation { update ? .obs : .none }
    public let input = CriterionInput.calibrationImages
    /// More calibration images (the scoring images are its prefix) for a layer whose Hessian
    /// would have fewer samples than its order; nil: the scoring images only.
    public let pool: Dataset?
    /// δ of the relative damping λ = δ · mean(diag H).
    public let damping: Double
    /// Calibration images per recorded forward pass.
    public let batchSize: Int

    /// The criterion; `pool` extends the calibration images for under-sampled Hessians, `update`
    /// makes it `obs` (shape groups only) rather than `obs-no-update`.
    public init(pool: Dataset? = nil, damping: Double = OptimalBrainSurgeon.defaultRelativeDamping, batchSize: Int = 256,
                update: Bool = false) {
        precondition(damping >= 0 && damping.isFinite && batchSize >= 1,
                     "MaskedObsCriterion: damping \(damping), batch size \(batchSize)")
        (self.pool, self.damping, self.batchSize, self.update) = (pool, damping, batchSize, update)
    }

    public func scores(_ network: GraphNetwork, layers: [MaskedLayer], calibration: Dataset?) throws -> [[Double]] {
        try forEachLayer(network, layers: layers, calibration: calibration) { _, layer, surgeon, w in
            let kernel = layer.weight.value.shape.count == 4 ? layer.weight.value.shape[2] * layer.weight.value.shape[3] : 1
            return try (0..<layer.layout.groupCount).map { group in
                try Self.saliency(of: group, granularity: layer.granularity, kernel: kernel, weights: w, surgeon: surgeon)
            }
        }
    }

    /// OBS saliency of element, kernel or shape group `group` of a layer's own weights `w`
    /// (`rows x K`, K = C·kh·kw for a conv, K' once shape-pruned), `surgeon` built on that layer's
    /// input Hessian: Hassibi & Stork's `w_q² / (2 [H⁻¹]_qq)` for an element (1993, eqs. 5 and 6,
    /// per layer), `½ w_Sᵀ ([H⁻¹]_SS)⁻¹ w_S` over the `kernel` columns S of one row for a kernel,
    /// and over column `group` of every row for a shape (`OptimalBrainSurgeon.saliency`).
    static func saliency(of group: Int, granularity: Granularity, kernel: Int, weights w: Matrix<Double>,
                         surgeon: OptimalBrainSurgeon) throws -> Double {
        switch granularity {
        case .element:
            let (row, column) = (group / w.cols, group % w.cols)
            return w[row, column] * w[row, column] / (2 * surgeon.inverseHessian[column, column])
        case .kernel:
            let channels = w.cols / kernel
            let (row, channel) = (group / channels, group % channels)
            let single = try Matrix<Double>(rows: 1, cols: w.cols, storage: Array(w.storage[(row * w.cols)..<((row + 1) * w.cols)]))
            return try surgeon.saliency(of: Array((channel * kernel)..<((channel + 1) * kernel)), in: single)
        case .shape:
            return try surgeon.saliency(of: [group], in: w)
        default:
            preconditionFailure("MaskedObsCriterion.saliency: \(granularity) does not group a layer's own weights")
        }
    }

    /// With `update`, applies OBS's update for removing the shape groups `removals[i]` of
    /// `layers[i]` to each conv's weight (on the Hessians `scores` used); the caller then removes
    /// the columns. Without `update`, does nothing.
    public func applyDefiningUpdate(_ network: GraphNetwork, layers: [MaskedLayer], removals: [[Int]],
                                    calibration: Dataset?) throws {
        guard update else { return }
        precondition(layers.allSatisfy { $0.granularity == .shape }, "MaskedObsCriterion: the OBS update applies to shape groups only")
        let pruned = zip(layers, removals).filter { !$0.1.isEmpty }
        let updated = try forEachLayer(network, layers: pruned.map(\.0), calibration: calibration) { index, _, surgeon, w in
            var w = w
            try surgeon.remove(pruned[index].1, from: &w)
            return w.storage
        }
        for ((layer, _), values) in zip(pruned, updated) { layer.weight.value.values = values.map(Float.init) }
    }

    /// `body(index, layer, surgeon on its damped input Hessian, its weight as rows x K in Double)` for each layer.
    private func forEachLayer<T>(_ network: GraphNetwork, layers: [MaskedLayer], calibration: Dataset?,
                                 _ body: (Int, MaskedLayer, OptimalBrainSurgeon, Matrix<Double>) throws -> T) throws -> [T] {
        guard let data = calibration, data.count > 0 else { throw PruningError.needsCalibration(criterion: name) }
        let statistics = try ConsumerHessians.collect(network, consumers: layers.map(\.node),
                                                      images: HessianImages(data: data, pool: pool), batchSize: batchSize)
        return try layers.enumerated().map { index, layer in
            guard let hessian = statistics[layer.node]?.hessian else {
                preconditionFailure("MaskedObsCriterion: no Hessian for \(layer.name)")
            }
            let weight = layer.weight.value
            let w = try Matrix<Double>(rows: weight.shape[0], cols: weight.itemSize, storage: weight.values.map(Double.init))
            return try body(index, layer, try OptimalBrainSurgeon(hessian: hessian, relativeDamping: damping), w)
        }
    }
}
