import Dispatch
import Linalg
import ShearsNet

/// The spectrum of a layer's input Hessian, reported with OBS scores.
public struct HessianSpectrum: Sendable, Codable {
    /// Checkpoint name of the layer whose input Hessian this is: the one that reads the scored groups.
    public let layer: String
    /// n, the Hessian's size: the inputs of one weight row (`C·kh·kw` im2col rows of a conv, in-features of a linear
    /// layer).
    public let order: Int
    /// `tr H`, the sum of the undamped eigenvalues.
    public let trace: Double
    /// λ_min of `H` before damping (`syevd`); rounding can make it slightly negative when `H` is singular.
    public let smallestEigenvalue: Double
    /// λ_max of `H` before damping (`syevd`).
    public let largestEigenvalue: Double
    /// λ_max / λ_min of `H + λI` (with the damping that was used).
    public let conditionNumber: Double
    /// The λ added to the diagonal: δ · mean(diag H), plus any shift `DampedCholesky` still needed.
    public let damping: Double
    /// Samples the Hessian was built from: images for a linear layer, images x output
    /// positions for a conv.
    public let samples: Int

    /// Fewer samples than the Hessian's order: `H` is singular by construction and its null
    /// space is priced by the damping alone.
    public var isUnderSampled: Bool { samples < order }
}

/// OBS scores: the least increase of the consumer layer's reconstruction error when a group
/// is removed with the optimal update of the remaining weights (`OptimalBrainSurgeon`).
///
/// The weights examined are those that *read* the group's output: removing filter f of conv k
/// removes input channel f (9 columns) of conv k + 1, or its column block of the first linear
/// layer; removing hidden neuron j removes column j of the next linear layer; a channel group
/// of conv k is its own 9 columns. Element, kernel and shape groups (one GEMM column across
/// all filters) use the layer's own weights.
public enum ObsCriterion {
    /// - Parameters:
    ///   - model: the network whose groups are scored.
    ///   - granularity: the groups.
    ///   - data: calibration images.
    ///   - pool: more calibration images (`data` is its prefix) for a consumer whose Hessian
    ///     would have fewer samples than its order (`HessianImages`).
    ///   - batchSize: images per recorded pass.
    ///   - damping: δ of `OptimalBrainSurgeon`'s relative damping λ = δ · mean(diag H).
    public static func scores(_ model: VGG, granularity: Granularity, data: Dataset, pool: Dataset? = nil, batchSize: Int,
                              damping: Double = OptimalBrainSurgeon.defaultRelativeDamping)
        throws -> (scores: [LayerScores], spectra: [HessianSpectrum]) {
        let groups = try GroupEnumeration.groups(of: model, at: granularity)
        let consumers = try groups.map { try consumer(of: $0.layer, granularity: granularity, in: model) }
        let images = HessianImages(data: data, pool: pool)
        let hessians = try LayerHessian.collect(model, consumers: Array(Set(consumers.map(\.layer))), images: images,
                                                batchSize: batchSize)
        var surgeons: [PrunableLayer: OptimalBrainSurgeon] = [:]
        var spectra: [HessianSpectrum] = []
        var scores: [LayerScores] = []
        for (layerGroups, consumer) in zip(groups, consumers) {
            if surgeons[consumer.layer] == nil {
                let h = hessians[consumer.layer]!
                let surgeon = try OptimalBrainSurgeon(hessian: h, relativeDamping: damping)
                surgeons[consumer.layer] = surgeon
                spectra.append(try spectrum(h, damping: surgeon.damping, name: model.checkpointName(of: consumer.layer),
                                            samples: images.images(for: consumer.layer, in: model).count
                                                * LayerHessian.samplesPerImage(model, consumer.layer)))
            }
            let surgeon = surgeons[consumer.layer]!
            let weight = model.weight(of: consumer.layer).value
            let w = try Matrix<Double>(rows: weight.shape[0], cols: weight.itemSize, storage: weight.values.map(Double.init))
            var values: [Double] = []
            for group in 0..<layerGroups.count {
                values.append(try saliency(group, granularity: granularity, consumer: consumer, weights: w, surgeon: surgeon))
            }
            scores.append(LayerScores(groups: layerGroups, scores: values))
        }
        return (scores, spectra)
    }

    /// The layer whose weights read a group, and the width of each group's column block there.
    /// Channel blocks need the consumer's dense `C x kh x kw` columns, so a shape-pruned
    /// consumer is refused for filter, channel and kernel groups.
    static func consumer(of layer: PrunableLayer, granularity: Granularity,
                         in model: VGG) throws -> (layer: PrunableLayer, block: Int) {
        func dense(_ k: Int) throws -> Conv2D {
            let conv = model.convolutions[k].layer
            guard conv.patchRows == nil else {
                throw PruningError.granularityNotApplicable(granularity, layer: model.checkpointName(of: .convolution(k)),
                                                            reason: "it was shape-pruned, so its inputs are no longer whole channels")
            }
            return conv
        }
        switch (granularity, layer) {
        case let (.filter, .convolution(k)):
            if k + 1 < model.convolutions.count {
                let next = try dense(k + 1)
                return (.convolution(k + 1), next.kernelHeight * next.kernelWidth)
            }
            let size = model.configuration.featureOutput.size
            return (.linear(0), size * size)
        case let (.channel, .convolution(k)), let (.kernel, .convolution(k)):
            let conv = try dense(k)
            return (.convolution(k), conv.kernelHeight * conv.kernelWidth)
        case let (.neuron, .linear(k)):
            return (.linear(k + 1), 1)
        default:
            return (layer, 1)
        }
    }

    private static func saliency(_ group: Int, granularity: Granularity, consumer: (layer: PrunableLayer, block: Int),
                                 weights w: Matrix<Double>, surgeon: OptimalBrainSurgeon) throws -> Double {
        switch granularity {
        case .filter, .channel, .neuron, .shape:
            return try surgeon.saliency(of: Array((group * consumer.block)..<((group + 1) * consumer.block)), in: w)
        case .element, .kernel:
            return try ownSaliency(group, granularity: granularity, kernel: consumer.block, weights: w, surgeon: surgeon)
        case .layer:
            throw PruningError.granularityNotApplicable(granularity, layer: "OBS",
                                                        reason: "a layer's removal is not a weight deletion OBS can price")
        }
    }

    /// OBS saliency of element, kernel or shape group `group` of a layer's own weights `w`
    /// (`rows x K`, K = C·kh·kw for a conv, K' once shape-pruned), `surgeon` built on that layer's
    /// input Hessian: Hassibi & Stork's `w_q² / (2 [H⁻¹]_qq)` for an element (1993, eqs. 5 and 6,
    /// per layer), `½ w_Sᵀ ([H⁻¹]_SS)⁻¹ w_S` over the `kernel` columns S of one row for a kernel,
    /// and over column `group` of every row for a shape (`OptimalBrainSurgeon.saliency`). Shared
    /// by the VGG and graph paths.
    static func ownSaliency(_ group: Int, granularity: Granularity, kernel: Int, weights w: Matrix<Double>,
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
            preconditionFailure("ObsCriterion.ownSaliency: \(granularity) does not group a layer's own weights")
        }
    }

    static func spectrum(_ h: Matrix<Double>, damping: Double, name: String, samples: Int) throws -> HessianSpectrum {
        let eigen = try SymmetricEigen(h)
        let smallest = eigen.values.first ?? 0, largest = eigen.values.last ?? 0
        return HessianSpectrum(layer: name, order: h.rows, trace: eigen.values.reduce(0, +), smallestEigenvalue: smallest,
                               largestEigenvalue: largest, conditionNumber: (largest + damping) / max(smallest + damping, .leastNormalMagnitude),
                               damping: damping, samples: samples)
    }

    /// Times the OBS numerical path for filter groups (Hessian accumulation and damped
    /// Cholesky inverse of every consumer) and counts its flops: n(n+1)·k for each `dsyrk` of
    /// n inputs over k samples, n³ for each `potrf` + `potri`.
    public static func timeHessianPath(_ model: VGG, data: ImageBatchSource,
                                       batchSize: Int) throws -> (seconds: Double, flops: Double) {
        let consumers = Array(Set(GroupEnumeration.convolutionConsumers(model)))
        let start = DispatchTime.now().uptimeNanoseconds
        let hessians = try LayerHessian.collect(model, consumers: consumers, data: data, batchSize: batchSize)
        for h in hessians.values { _ = try OptimalBrainSurgeon(hessian: h) }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        var flops = 0.0
        for (consumer, h) in hessians {
            let n = Double(h.rows)
            flops += n * (n + 1) * Double(LayerHessian.samplesPerImage(model, consumer) * data.count) + n * n * n
        }
        return (seconds, flops)
    }
}
