import Foundation
import ShearsNet

/// The loss whose curvature in the network's outputs the Gauss–Newton diagonal uses.
public enum OutputLoss: Sendable {
    /// Mean softmax cross-entropy: output Hessian `diag(p) − p pᵀ = Σ_c p_c (e_c − p)(e_c − p)ᵀ`.
    case crossEntropy
    /// Mean of `½‖z − onehot(y)‖²` (LeCun et al. 1990 used squared error): output Hessian `I`.
    case squaredError
}

/// The Hessian diagonal OBD weighs each weight by.
public enum HessianDiagonal: Sendable {
    /// `h_qq ≈ (1/N) Σ_n (∂ℓ_n/∂w_q)²`: squared per-example gradients at the true labels.
    case empiricalFisher
    /// `h_qq = (1/N) Σ_n Σ_c (J_nᵀ v_nc)_q²` with `J_n = ∂z_n/∂w` and `Σ_c v_nc v_ncᵀ` the
    /// loss's Hessian in the outputs `z_n` (one backward pass per class). This is the
    /// Gauss–Newton diagonal, and the *exact* Hessian diagonal whenever the outputs are
    /// piecewise linear in each single weight (ReLU, max-pool, evaluation-mode batch norm):
    /// then `∂²z/∂w_q² = 0` almost everywhere and `H = Jᵀ H_out J` on the diagonal.
    case gaussNewton(OutputLoss)
}

/// Optimal Brain Damage (LeCun, Denker & Solla 1990): saliency `½ Σ_{q∈group} h_qq w_q²`,
/// with the Hessian diagonal `h` from `HessianDiagonal` (criterion `obd`: empirical Fisher;
/// `obd-exact`: the exact diagonal for cross-entropy, 10 backward passes per batch on vgg-s).
public enum ObdCriterion {
    /// One `LayerScores` per layer the granularity reaches: each group's `½ Σ h_qq w_q²`, the diagonal of kind
    /// `diagonal` estimated over `data` in batches of `batchSize`. Throws `granularityNotApplicable` for a weight
    /// without such groups.
    public static func scores(_ model: VGG, granularity: Granularity, data: ImageBatchSource, batchSize: Int,
                              diagonal kind: HessianDiagonal = .empiricalFisher) throws -> [LayerScores] {
        let groups = try GroupEnumeration.groups(of: model, at: granularity)
        let diagonal = hessianDiagonal(model, layers: groups.map(\.layer), data: data, batchSize: batchSize, kind: kind)
        return try groups.map { layerGroups in
            let weight = model.weight(of: layerGroups.layer)
            guard let layout = GroupLayout(granularity, weightShape: weight.value.shape) else {
                throw PruningError.granularityNotApplicable(granularity, layer: layerGroups.name, reason: "weight shape \(weight.value.shape)")
            }
            return LayerScores(groups: layerGroups, scores: saliencies(weight: weight.value.values,
                                                                       diagonal: diagonal[layerGroups.layer]!, layout: layout))
        }
    }

    /// `½ Σ_{q∈group} h_qq w_q²` for every group of one layer, `h` the Hessian diagonal in the weight's layout (`layout`
    /// must describe both): the per-layer formula the VGG and graph paths share.
    public static func saliencies(weight w: [Float], diagonal h: [Double], layout: GroupLayout) -> [Double] {
        (0..<layout.groupCount).map { group in
            layout.indices(group).reduce(0.0) { $0 + h[$1] * Double(w[$1]) * Double(w[$1]) } / 2
        }
    }

    /// The Hessian diagonal of the mean loss over `data` for the weights of each layer.
    static func hessianDiagonal(_ model: VGG, layers: [PrunableLayer], data: ImageBatchSource, batchSize: Int,
                                kind: HessianDiagonal) -> [PrunableLayer: [Double]] {
        var sums: [PrunableLayer: [Double]] = [:]
        for layer in layers { sums[layer] = Array(repeating: 0, count: model.weight(of: layer).value.count) }
        switch kind {
        case .empiricalFisher:
            RecordedPasses.run(model, data: data, batchSize: batchSize, backward: true) { images, count in
                // The batch loss is a mean: N · ∂L/∂y is the per-example gradient.
                addSquaredSampleGradients(model, layers: layers, images: images, scale: Float(count), into: &sums)
            }
        case let .gaussNewton(loss):
            RecordedPasses.run(model, data: data, batchSize: batchSize, backward: false) { images, _ in
                for factor in outputCurvatureFactors(model.classifier.recordedOutputs.last!, loss: loss) {
                    _ = model.backward(factor)
                    addSquaredSampleGradients(model, layers: layers, images: images, scale: 1, into: &sums)
                }
                model.zeroGradients()
            }
        }
        return sums.mapValues { $0.map { $0 / Double(max(1, data.count)) } }
    }

    /// The tensors `V_c` (`N x classes`, row n = `v_nc`) with `Σ_c v_nc v_ncᵀ` the loss's
    /// Hessian in sample n's outputs (neither loss's curvature depends on the labels).
    static func outputCurvatureFactors(_ logits: Tensor, loss: OutputLoss) -> [Tensor] {
        let (n, classes) = (logits.shape[0], logits.shape[1])
        switch loss {
        case .squaredError:
            return (0..<classes).map { c in
                var v = Tensor(shape: [n, classes])
                for row in 0..<n { v.values[row * classes + c] = 1 }
                return v
            }
        case .crossEntropy:
            // Softmax p per row; v_c = √p_c (p − e_c), p − e_c being the gradient for label c.
            var p = logits.values
            for row in 0..<n {
                let slice = (row * classes)..<((row + 1) * classes)
                let top = p[slice].max()!
                for j in slice { p[j] = exp(p[j] - top) }
                let sum = p[slice].reduce(0, +)
                for j in slice { p[j] /= sum }
            }
            return (0..<classes).map { c in
                var v = Tensor(shape: [n, classes])
                for row in 0..<n {
                    let weight = p[row * classes + c].squareRoot()
                    for j in 0..<classes {
                        v.values[row * classes + j] = weight * (p[row * classes + j] - (j == c ? 1 : 0))
                    }
                }
                return v
            }
        }
    }

    /// Adds `(scale · g_n)²` for every sample's weight gradient `g_n`, from the recorded
    /// inputs and output gradients of the last backward pass.
    private static func addSquaredSampleGradients(_ model: VGG, layers: [PrunableLayer], images: Tensor, scale: Float,
                                                  into sums: inout [PrunableLayer: [Double]]) {
        for layer in layers {
            let input = LayerHessian.layerInput(model, layer, images: images)
            var gradient = outputGradient(model, layer)
            if scale != 1 { for i in gradient.values.indices { gradient.values[i] *= scale } }
            sums[layer]!.withUnsafeMutableBufferPointer { total in
                let add: (Int, UnsafeBufferPointer<Float>) -> Void = { _, g in
                    for i in 0..<g.count { total[i] += Double(g[i]) * Double(g[i]) }
                }
                switch layer {
                case let .convolution(k):
                    model.convolutions[k].layer.forEachSampleWeightGradient(input: input, outputGradient: gradient, add)
                case let .linear(k):
                    model.linears[k].forEachSampleWeightGradient(input: input, outputGradient: gradient, add)
                }
            }
        }
    }

    private static func outputGradient(_ model: VGG, _ layer: PrunableLayer) -> Tensor {
        switch layer {
        case let .convolution(k):
            return model.features.recordedOutputGradients[model.convolutions[k].position]
        case let .linear(k):
            return model.classifier.recordedOutputGradients[model.classifier.layers.firstIndex { $0 === model.linears[k] }!]
        }
    }
}
