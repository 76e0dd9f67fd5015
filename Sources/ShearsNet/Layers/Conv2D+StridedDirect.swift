import CDirectConvolution

/// Backward of a stride-2 3x3 layer whose forward pass runs by the direct kernels (resnet-s's
/// `layer2.0.conv1` and `layer3.0.conv1`): `∂W` by the direct weight-gradient tiles stepping two
/// pixels per output (`DirectWeightGradient.c`; im2col's GEMMs before, whose patch matrix of
/// 2.25 copies of the input cost more than the products), `∂X` by the direct tiles over the four
/// phases of `∂X` (`Sources/CDirectConvolution/DirectStridedGradient.c`), each a small
/// stride-1 correlation of `∂Y` with 4, 2, 2 or 1 of the rotated filters' taps, instead of
/// im2col's `col2im(Wᵀ·∂Y)`, whose GEMM has only the filter count as its inner dimension.
extension Conv2D {
    /// Whether backward takes `∂X` by the direct stride-2 kernel: the forward pass runs direct
    /// (`usesDirect`) at stride 2.
    public var usesDirectStridedInputGradient: Bool { usesDirect && stride == 2 }

    /// Adds `∂W` and `∂b` and returns `∂X` (zeros when `computesInputGradient` is false).
    func stridedDirectBackward(_ outputGradient: Tensor, input: Tensor) -> Tensor {
        stridedWeightGradient(outputGradient, input: input)
        guard computesInputGradient else { return Tensor(shape: input.shape) }
        let (n, c, h, w) = (input.shape[0], inChannels, input.shape[2], input.shape[3])
        let f = outChannels, outputs = outputGradient.count / max(n, 1), pixels = c * h * w
        let filters = directPackedFilters(rotated: true)
        let dx = [Float](unsafeUninitializedCapacity: input.count) { dx, initialized in
            outputGradient.values.withUnsafeBufferPointer { dy in
                filters.withUnsafeBufferPointer { rotated in
                    Compute.parallelShares(n) { _, images in
                        let scratch = DirectStridedGradientScratch(filters: f, channels: c, height: h, width: w)
                        for image in images {
                            scratch.inputGradient(dy.baseAddress! + image * outputs, rotated.baseAddress!,
                                                  into: dx.baseAddress! + image * pixels)
                        }
                    }
                }
            }
            initialized = input.count
        }
        return Tensor(shape: input.shape, values: dx)
    }

    /// Adds `∂W` and `∂b` summed over the batch: each worker sums its images' in its own
    /// buffers, by groups of images (`DirectGradientScratch` at stride 2), and the buffers are
    /// added in worker order at the end.
    private func stridedWeightGradient(_ outputGradient: Tensor, input: Tensor) {
        let (n, c, h, w) = (input.shape[0], inChannels, input.shape[2], input.shape[3])
        let f = outChannels, outputs = outputGradient.count / max(n, 1), plane = outputs / f, size = f * c * 9
        let shares = max(1, min(Compute.workers, n))
        var partialWeight = [Float](repeating: 0, count: shares * size), partialBias = [Float](repeating: 0, count: shares * f)
        input.values.withUnsafeBufferPointer { x in
            outputGradient.values.withUnsafeBufferPointer { dy in
                partialWeight.withUnsafeMutableBufferPointer { dwAll in
                    partialBias.withUnsafeMutableBufferPointer { dbAll in
                        Compute.parallelShares(n) { worker, images in
                            let dw = dwAll.baseAddress! + worker * size, db = dbAll.baseAddress! + worker * f
                            let gradient = DirectGradientScratch(inputs: c, outputs: f, height: h, width: w, stride: 2)
                            for first in Swift.stride(from: images.lowerBound, to: images.upperBound, by: gradient.group) {
                                gradient.accumulate(x.baseAddress! + first * c * h * w, dy.baseAddress! + first * outputs,
                                                    images: min(gradient.group, images.upperBound - first), into: dw)
                            }
                            for image in images {
                                let dyImage = dy.baseAddress! + image * outputs
                                for filter in 0..<f { db[filter] += PlaneSums.sum(dyImage + filter * plane, count: plane) }
                            }
                        }
                    }
                }
            }
        }
        addWorkerGradients(partialWeight, partialBias, size: size, shares: shares)
    }
}

/// One worker's scratch for the stride-2 input gradient (the padded output gradient and the
/// phases' sums), sized once per pass, and the call for one image.
final class DirectStridedGradientScratch {
    let filters: Int32, channels: Int32, height: Int32, width: Int32
    private let scratch: UnsafeMutablePointer<Float>

    /// For a layer of `channels` inputs of `height x width` and `filters` outputs.
    init(filters: Int, channels: Int, height: Int, width: Int) {
        precondition(filters > 0 && channels > 0 && height > 0 && width > 0,
                     "DirectStridedGradientScratch: \(channels) -> \(filters) channels, \(height) x \(width)")
        (self.filters, self.channels, self.height, self.width) = (Int32(filters), Int32(channels), Int32(height), Int32(width))
        scratch = .allocate(capacity: shears_direct3x3_stride2_input_gradient_scratch_count(self.filters, self.channels,
                                                                                            self.height, self.width))
    }

    deinit { scratch.deallocate() }

    /// `dx` (`C x H x W`, every value written) from one image's `dy` (`F x Ho x Wo`), `packed`
    /// the rotated filters (`Conv2D.directPackedFilters(rotated: true)`); by the plain C loop
    /// when `portable` (the same bits, for tests).
    func inputGradient(_ dy: UnsafePointer<Float>, _ packed: UnsafePointer<Float>, portable: Bool = false,
                       into dx: UnsafeMutablePointer<Float>) {
        shears_direct3x3_stride2_input_gradient(dy, filters, height, width, packed, channels, portable ? 1 : 0, scratch, dx)
    }
}
