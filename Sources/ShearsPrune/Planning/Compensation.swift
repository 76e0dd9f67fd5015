import Linalg
import ShearsNet

/// How the layer that reads removed units is repaired, chosen independently of the criterion.
/// For shape groups the repaired layer is the pruned conv itself (its remaining columns).
public enum Compensation: String, Sendable, Codable, CaseIterable {
    /// Remove and leave the rest as it is.
    case none
    /// Optimal Brain Surgeon update of the consumer's remaining weights,
    /// `δW = −W_S ([H⁻¹]_SS)⁻¹ (H⁻¹)_{S,:}` with `H = (2/N) Σ x xᵀ` of its inputs, damped
    /// relatively as OBS's scores are (`OptimalBrainSurgeon`).
    case obs
    /// Least-squares refit of the consumer's remaining weights *and bias* so that its
    /// pre-activations on the subset are preserved (Castellano, Fanelli & Pelillo 1997).
    /// Solved as OBS on the Hessian of the inputs extended by a constant 1, which makes a
    /// removed unit's constant output fold into the bias; undamped (δ = 0), since the refit
    /// is meant to be exact.
    case leastSquares = "least-squares"
}

enum Compensator {
    /// Updates every consumer of the groups the plan removes; call before the surgery.
    static func compensate(_ plan: PruningPlan, model: VGG, method: Compensation, images: HessianImages,
                           batchSize: Int, damping: Double) throws {
        guard method != .none, !plan.removals.isEmpty else { return }
        guard [.filter, .channel, .neuron, .shape].contains(plan.granularity) else {
            throw PruningError.granularityNotApplicable(plan.granularity, layer: "the model",
                                                        reason: "compensation applies to filter, channel, neuron and shape groups")
        }
        let targets = try plan.removals.map { layer, removed in
            (consumer: try ObsCriterion.consumer(of: layer, granularity: plan.granularity, in: model), removed: removed)
        }
        let statistics = try LayerHessian.collectWithMeans(model, consumers: Array(Set(targets.map(\.consumer.layer))),
                                                           images: images, batchSize: batchSize)
        for (consumer, removed) in targets {
            let columns = removed.flatMap { ($0 * consumer.block)..<(($0 + 1) * consumer.block) }
            let (h, mean) = statistics[consumer.layer]!
            let (weight, bias) = (model.weight(of: consumer.layer), model.bias(of: consumer.layer))
            let rows = weight.value.shape[0], inputs = weight.value.itemSize
            switch method {
            case .none:
                continue
            case .obs:
                var w = try Matrix<Double>(rows: rows, cols: inputs, storage: weight.value.values.map(Double.init))
                try OptimalBrainSurgeon(hessian: h, relativeDamping: damping).remove(columns, from: &w)
                weight.value.values = w.storage.map(Float.init)
            case .leastSquares:
                var extended = Matrix<Double>(rows: inputs + 1, cols: inputs + 1)
                for i in 0..<inputs {
                    for j in 0..<inputs { extended[i, j] = h[i, j] }
                    (extended[i, inputs], extended[inputs, i]) = (mean[i], mean[i])
                }
                extended[inputs, inputs] = 2
                var w = Matrix<Double>(rows: rows, cols: inputs + 1)
                for r in 0..<rows {
                    for q in 0..<inputs { w[r, q] = Double(weight.value.values[r * inputs + q]) }
                    w[r, inputs] = Double(bias.value.values[r])
                }
                try OptimalBrainSurgeon(hessian: extended, relativeDamping: 0).remove(columns, from: &w)
                for r in 0..<rows {
                    for q in 0..<inputs { weight.value.values[r * inputs + q] = Float(w[r, q]) }
                    bias.value.values[r] = Float(w[r, inputs])
                }
            }
        }
    }
}

extension Surgeon {
    /// Repairs the consumers with `compensation` (fitted on calibration images: `data`, and
    /// `pool` where a consumer's Hessian needs more; `damping` is OBS's relative δ), then
    /// applies the plan.
    public static func apply(_ plan: PruningPlan, to model: VGG, compensation: Compensation, data: Dataset,
                             pool: Dataset? = nil, batchSize: Int = 256,
                             damping: Double = OptimalBrainSurgeon.defaultRelativeDamping) throws {
        try Compensator.compensate(plan, model: model, method: compensation, images: HessianImages(data: data, pool: pool),
                                   batchSize: batchSize, damping: damping)
        try apply(plan, to: model)
    }
}
