import ShearsNet

/// Criteria computed from post-ReLU activations on a data subset: mean activation,
/// activation standard deviation, APoZ (Hu et al. 2016) and first-order Taylor
/// (Molchanov et al. 2017), for filter, channel and neuron granularities.
public enum ActivationCriteria {
    /// What `scores` reads from each unit's post-ReLU activations z and their gradients ∂ℓ_n/∂z, over N images and the
    /// M positions of the unit's feature map (M = 1 for a neuron).
    public enum Statistic: Sendable {
        /// `mean`: z averaged over images and positions (`activation`); `standardDeviation`: the population standard
        /// deviation of z over the same (`activation-std`), both Molchanov et al. 2017 §2.2; `apoz`: scored as 1 −
        /// APoZ, APoZ the share of z exactly 0 (Hu et al. 2016).
        case mean, standardDeviation, apoz
        /// Molchanov et al. 2017, eq. 8: per example |mean over positions of z·∂ℓ_n/∂z|,
        /// averaged over the examples (`taylor`).
        case taylor
        /// |mean over examples and positions of z·∂ℓ/∂z| (`taylor-batch`).
        case taylorBatch
    }

    /// Scores every group; `data` is the scoring subset (calibration images, `Dataset.calibrationSplit`).
    ///
    /// APoZ is returned as `1 − APoZ`, so that, as for every criterion, lower is removed
    /// first. Taylor scores are l2-normalised per layer (Molchanov et al. 2017, §2.3).
    public static func scores(_ model: VGG, granularity: Granularity, statistic: Statistic,
                              data: ImageBatchSource, batchSize: Int = 256) throws -> [LayerScores] {
        guard [.filter, .channel, .neuron].contains(granularity) else {
            throw PruningError.granularityNotApplicable(granularity, layer: "the model",
                                                        reason: "activation criteria score filters, channels or neurons")
        }
        let groups = try GroupEnumeration.groups(of: model, at: granularity)
        let statistics = gather(model, data: data, batchSize: batchSize)
        return groups.map { layerGroups in
            // A channel of conv k is produced by filter k − 1.
            let unit: PrunableLayer
            if granularity == .channel, case let .convolution(k) = layerGroups.layer { unit = .convolution(k - 1) } else {
                unit = layerGroups.layer
            }
            let stats = statistics[unit]!
            var values: [Double]
            switch statistic {
            case .mean: values = stats.mean
            case .standardDeviation: values = stats.standardDeviation
            case .apoz: values = stats.apoz.map { 1 - $0 }
            case .taylor, .taylorBatch:
                values = statistic == .taylor ? stats.taylorPerExampleMagnitude : stats.taylorBatchMagnitude
                let norm = values.reduce(0) { $0 + $1 * $1 }.squareRoot()
                if norm > 0 { values = values.map { $0 / norm } }
            }
            return LayerScores(groups: layerGroups, scores: values)
        }
    }

    /// Runs the subset through the model with recording on and accumulates each unit's statistics.
    static func gather(_ model: VGG, data: ImageBatchSource, batchSize: Int) -> [PrunableLayer: ActivationStatistics] {
        let sizes = model.convolutionOutputSizes
        var statistics: [PrunableLayer: ActivationStatistics] = [:]
        for (k, conv) in model.convolutions.enumerated() {
            statistics[.convolution(k)] = ActivationStatistics(units: conv.layer.outChannels, perExample: sizes[k] * sizes[k])
        }
        for k in 0..<(model.linears.count - 1) {
            statistics[.linear(k)] = ActivationStatistics(units: model.linears[k].outFeatures, perExample: 1)
        }
        RecordedPasses.run(model, data: data, batchSize: batchSize, backward: true) { _, count in
            for (k, conv) in model.convolutions.enumerated() {
                let relu = model.features.layers[conv.position...].firstIndex { $0 is ReLU }!
                statistics[.convolution(k)]!.add(activation: model.features.recordedOutputs[relu],
                                                 gradient: model.features.recordedOutputGradients[relu], batchSize: count)
            }
            for k in 0..<(model.linears.count - 1) {
                let position = model.classifier.layers.firstIndex { $0 === model.linears[k] }! + 1
                statistics[.linear(k)]!.add(activation: model.classifier.recordedOutputs[position],
                                            gradient: model.classifier.recordedOutputGradients[position], batchSize: count)
            }
        }
        return statistics
    }
}
