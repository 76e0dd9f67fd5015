/// Per-sample weight gradients, for criteria that need squared per-sample gradients
/// (the Fisher / Gauss–Newton diagonal of OBD): `∂ℓₙ/∂W` for each sample `n` of a batch.
///
/// Computed from a recorded input and output gradient, one sample at a time, so memory stays
/// one weight-sized buffer. Note the batch loss is a mean: with `∂y` taken from a mean loss
/// over N samples, each per-sample gradient carries a factor 1/N.
extension Linear {
    /// Calls `body(n, ∂ℓₙ/∂W)` (row-major `out x in`) for every sample.
    public func forEachSampleWeightGradient(input: Tensor, outputGradient: Tensor,
                                            _ body: (Int, UnsafeBufferPointer<Float>) -> Void) {
        requireShape(input.shape, [input.shape[0], inFeatures], "Linear per-sample input")
        requireShape(outputGradient.shape, [input.shape[0], outFeatures], "Linear per-sample output gradient")
        var buffer = [Float](repeating: 0, count: outFeatures * inFeatures)
        input.values.withUnsafeBufferPointer { x in
            outputGradient.values.withUnsafeBufferPointer { dy in
                buffer.withUnsafeMutableBufferPointer { dw in
                    for n in 0..<input.shape[0] {
                        gemm(dy.baseAddress! + n * outFeatures, [outFeatures, 1], x.baseAddress! + n * inFeatures,
                             [1, inFeatures], into: dw.baseAddress!, [outFeatures, inFeatures])
                        body(n, UnsafeBufferPointer(dw))
                    }
                }
            }
        }
    }
}

extension Conv2D {
    /// Calls `body(n, ∂ℓₙ/∂W)` (`F x C·kh·kw`, row-major) for every sample: `∂Yₙ · col(Xₙ)ᵀ`.
    public func forEachSampleWeightGradient(input: Tensor, outputGradient: Tensor,
                                            _ body: (Int, UnsafeBufferPointer<Float>) -> Void) {
        let g = geometry(input.shape)
        let (f, k, p) = (outChannels, g.patchSize, g.outPixels)
        requireShape(outputGradient.shape, [input.shape[0], f, g.outHeight, g.outWidth], "Conv2D per-sample output gradient")
        var col = [Float](repeating: 0, count: k * p)
        var buffer = [Float](repeating: 0, count: f * k)
        input.values.withUnsafeBufferPointer { x in
            outputGradient.values.withUnsafeBufferPointer { dy in
                col.withUnsafeMutableBufferPointer { c in
                    buffer.withUnsafeMutableBufferPointer { dw in
                        for n in 0..<input.shape[0] {
                            g.im2col(x.baseAddress! + n * g.inputSize, into: c.baseAddress!)
                            gemm(dy.baseAddress! + n * f * p, [f, p], c.baseAddress!, [k, p], transB: .transposed,
                                 into: dw.baseAddress!, [f, k])
                            body(n, UnsafeBufferPointer(dw))
                        }
                    }
                }
            }
        }
    }
}
