import Linalg
import ShearsNet

/// The input Hessian `H = (2/N) Σ x xᵀ` of a conv or linear layer over a data subset, in
/// Double: for a conv, every output position of every image is one sample x (an im2col
/// column, length C·kh·kw); for a linear layer every image is one (length in-features).
enum LayerHessian {
    /// Hessians of the given consumers' inputs, from one recorded pass over `data`.
    static func collect(_ model: VGG, consumers: [PrunableLayer], data: ImageBatchSource,
                        batchSize: Int) throws -> [PrunableLayer: Matrix<Double>] {
        try collectWithMeans(model, consumers: consumers, data: data, batchSize: batchSize).mapValues(\.hessian)
    }

    /// Hessians plus `(2/N) Σ x`, the extra row and column a constant-1 input (a bias) adds:
    /// `H̃ = [[H, m], [mᵀ, 2]]` for `x̃ = [x; 1]`.
    static func collectWithMeans(_ model: VGG, consumers: [PrunableLayer], data: ImageBatchSource,
                                 batchSize: Int) throws -> [PrunableLayer: (hessian: Matrix<Double>, mean: [Double])] {
        var sums: [PrunableLayer: Matrix<Double>] = [:]
        var inputSums: [PrunableLayer: [Double]] = [:]
        var samples: [PrunableLayer: Int] = [:]
        for consumer in consumers {
            let k = model.weight(of: consumer).value.itemSize
            sums[consumer] = Matrix(rows: k, cols: k)
            inputSums[consumer] = Array(repeating: 0, count: k)
            samples[consumer] = 0
        }
        try RecordedPasses.run(model, data: data, batchSize: batchSize, backward: false) { images, _ in
            for consumer in consumers {
                let input = layerInput(model, consumer, images: images)
                switch consumer {
                case let .convolution(k):
                    let rows = model.convolutions[k].layer.weight.value.itemSize
                    var failure: Error?
                    model.convolutions[k].layer.forEachPatchMatrix(input) { _, patches in
                        do {
                            try accumulate(Array(patches), rows: rows, cols: patches.count / rows, samplesAreColumns: true,
                                           into: &sums[consumer]!)
                        } catch {
                            failure = error
                        }
                        let columns = patches.count / rows
                        for r in 0..<rows {
                            var total = 0.0
                            for j in 0..<columns { total += Double(patches[r * columns + j]) }
                            inputSums[consumer]![r] += total
                        }
                        samples[consumer]! += columns
                    }
                    if let failure { throw failure }
                case .linear:
                    try accumulate(input.values, rows: input.shape[0], cols: input.itemSize, samplesAreColumns: false,
                                   into: &sums[consumer]!)
                    for n in 0..<input.shape[0] {
                        for q in 0..<input.itemSize { inputSums[consumer]![q] += Double(input.values[n * input.itemSize + q]) }
                    }
                    samples[consumer]! += input.shape[0]
                }
            }
        }
        var result: [PrunableLayer: (hessian: Matrix<Double>, mean: [Double])] = [:]
        for consumer in consumers {
            let scale = 2 / Double(max(1, samples[consumer]!))
            var h = sums[consumer]!
            for i in h.storage.indices { h.storage[i] *= scale }
            result[consumer] = (h, inputSums[consumer]!.map { $0 * scale })
        }
        return result
    }

    /// What the consumer layer saw in the last recorded forward pass.
    static func layerInput(_ model: VGG, _ consumer: PrunableLayer, images: Tensor) -> Tensor {
        switch consumer {
        case let .convolution(k):
            let position = model.convolutions[k].position
            return position == 0 ? images : model.features.recordedOutputs[position - 1]
        case let .linear(k):
            let position = model.classifier.layers.firstIndex { $0 === model.linears[k] }!
            if position > 0 { return model.classifier.recordedOutputs[position - 1] }
            let features = model.features.recordedOutputs.last ?? images
            return features.reshaped([features.shape[0], features.itemSize])
        }
    }

    /// `sum += Xᵀ X` (samples are rows) or `X Xᵀ` (samples are columns), in Double via dsyrk.
    private static func accumulate(_ values: [Float], rows: Int, cols: Int, samplesAreColumns: Bool,
                                   into sum: inout Matrix<Double>) throws {
        let x = try Matrix<Double>(rows: rows, cols: cols, storage: values.map(Double.init))
        try x.withView { xv in
            try sum.withMutableView { try BLAS.syrk(xv, into: $0, trans: samplesAreColumns ? .none : .transposed, beta: 1) }
        }
    }
}
