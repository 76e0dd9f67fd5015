import ShearsNet

/// Optimal Brain Damage on element, kernel, shape or input-channel groups (LeCun, Denker &
/// Solla 1990: the saliency is the diagonal second-order term of the loss change,
/// `δE ≈ ½ Σ_q h_qq δw_q²`, eq. 1's diagonal, priced at `δw_q = −w_q`):
///
///     s_group = ½ Σ_{q∈group} h_qq w_q²,
///
/// with, for `obd`, the empirical Fisher diagonal `h_qq ≈ (1/N) Σ_n (∂ℓ_n/∂w_q)²` over the N
/// calibration examples from per-example gradients in evaluation mode (`ObdGroupCriterion`'s
/// diagonal), and for `obd-exact` the Gauss–Newton diagonal of the mean cross-entropy, the
/// exact Hessian diagonal of a piecewise-linear network (`ObdExactGroupCriterion`'s diagonal).
public struct MaskedObdCriterion: MaskedCriterion {
    /// `obd` (empirical Fisher diagonal) or `obd-exact` (Gauss–Newton diagonal).
    public var name: String { exact ? "obd-exact" : "obd" }
    public let input = CriterionInput.calibrationImages
    /// Whether the diagonal is the exact (Gauss–Newton) one rather than the empirical Fisher.
    public let exact: Bool
    /// Calibration images per forward and backward pass; the per-example gradients are read from each pass.
    public let batchSize: Int

    /// `obd`, or `obd-exact` when `exact`, reading the calibration images `batchSize` (≥ 1) at a time.
    public init(exact: Bool = false, batchSize: Int = 128) {
        precondition(batchSize >= 1, "MaskedObdCriterion: batch size \(batchSize)")
        (self.exact, self.batchSize) = (exact, batchSize)
    }

    public func scores(_ network: GraphNetwork, layers: [MaskedLayer], calibration: Dataset?) throws -> [[Double]] {
        guard let data = calibration, data.count > 0 else { throw PruningError.needsCalibration(criterion: name) }
        let nodes = Set(layers.map(\.node))
        let diagonal = exact
            ? ObdExactGroupCriterion(batchSize: batchSize).hessianDiagonal(network, producers: nodes, data: data)
            : ObdGroupCriterion(batchSize: batchSize).fisherDiagonal(network, producers: nodes, data: data)
        return layers.map { layer in
            guard let h = diagonal[layer.node] else { preconditionFailure("MaskedObdCriterion: no diagonal for \(layer.name)") }
            return Self.saliencies(weight: layer.weight.value.values, diagonal: h, layout: layer.layout)
        }
    }

    /// `½ Σ_{q∈group} h_qq w_q²` for every group of one layer, `h` the Hessian diagonal in the weight's layout
    /// (`layout` must describe both).
    static func saliencies(weight w: [Float], diagonal h: [Double], layout: GroupLayout) -> [Double] {
        (0..<layout.groupCount).map { group in
            layout.indices(group).reduce(0.0) { $0 + h[$1] * Double(w[$1]) * Double(w[$1]) } / 2
        }
    }
}
