import ShearsNet

/// Optimal Brain Damage (LeCun, Denker & Solla 1990): saliency `½ Σ_{q∈group} h_qq w_q²`,
/// with the Hessian diagonal approximated by the empirical Fisher
/// `h_qq ≈ (1/N) Σ_n (∂ℓ_n/∂w_q)²`, the mean squared per-example gradient (for the
/// cross-entropy of a well-fitted model this is the Gauss–Newton diagonal's estimate).
public enum ObdCriterion {
    public static func scores(_ model: VGG, granularity: Granularity, data: ImageBatchSource,
                              batchSize: Int) throws -> [LayerScores] {
        let groups = try GroupEnumeration.groups(of: model, at: granularity)
        let diagonal = fisherDiagonal(model, layers: groups.map(\.layer), data: data, batchSize: batchSize)
        return try groups.map { layerGroups in
            let weight = model.weight(of: layerGroups.layer)
            guard let layout = GroupLayout(granularity, weightShape: weight.value.shape) else {
                throw PruningError.granularityNotApplicable(granularity, layer: layerGroups.name, reason: "weight shape \(weight.value.shape)")
            }
            let h = diagonal[layerGroups.layer]!, w = weight.value.values
            return LayerScores(groups: layerGroups, scores: (0..<layerGroups.count).map { group in
                layout.indices(group).reduce(0.0) { $0 + h[$1] * Double(w[$1]) * Double(w[$1]) } / 2
            })
        }
    }

    /// `(1/N) Σ_n (∂ℓ_n/∂w)²` for the weights of each layer, from per-example gradients.
    static func fisherDiagonal(_ model: VGG, layers: [PrunableLayer], data: ImageBatchSource,
                               batchSize: Int) -> [PrunableLayer: [Double]] {
        var sums: [PrunableLayer: [Double]] = [:]
        for layer in layers { sums[layer] = Array(repeating: 0, count: model.weight(of: layer).value.count) }
        RecordedPasses.run(model, data: data, batchSize: batchSize, backward: true) { images, count in
            for layer in layers {
                let input = LayerHessian.layerInput(model, layer, images: images)
                // The batch loss is a mean: N · ∂L/∂y is the per-example gradient.
                var outputGradient = outputGradient(model, layer)
                for i in outputGradient.values.indices { outputGradient.values[i] *= Float(count) }
                let add: (Int, UnsafeBufferPointer<Float>) -> Void = { _, g in
                    for i in 0..<g.count { sums[layer]![i] += Double(g[i]) * Double(g[i]) }
                }
                switch layer {
                case let .convolution(k):
                    model.convolutions[k].layer.forEachSampleWeightGradient(input: input, outputGradient: outputGradient, add)
                case let .linear(k):
                    model.linears[k].forEachSampleWeightGradient(input: input, outputGradient: outputGradient, add)
                }
            }
        }
        return sums.mapValues { $0.map { $0 / Double(max(1, data.count)) } }
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
