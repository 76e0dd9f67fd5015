import Linalg

/// Forward and backward by kernel rows (`ConvolutionAlgorithm.kernelRows`, `KernelRowPatches`):
/// per image, `Y = b + Σ_i W_i·P_i(X)` and `∂W_i += ∂Y·P_i(X)ᵀ`, where `P_i` is the view of the
/// patch matrix from column `i·W`. For stride 1 and `kw = 2p + 1`, `∂X` is itself such a
/// convolution, of `∂Y` with the filters rotated by 180° and transposed in their channels,
/// `∂x[c][y][x] = Σ_f,i,j w[f][c][kh−1−i][kw−1−j]·∂y[f][y − p + i][x − p + j]`, so it is computed
/// the same way (inner dimension `F·kw`) instead of by a scatter of `Wᵀ·∂Y` (inner dimension `F`).
extension Conv2D {
    func kernelRowPatches(channels: Int, height: Int, width: Int) -> KernelRowPatches {
        KernelRowPatches(channels: channels, height: height, width: width,
                         kernelHeight: kernelHeight, kernelWidth: kernelWidth, padding: padding)
    }

    /// The weight regrouped by kernel row: `W_i[f][c·kw + j] = w[f][c][i][j]` (`kh x F x C·kw`),
    /// or with `rotated`, the filters of `∂X`, `W'_i[c][f·kw + j] = w[f][c][kh−1−i][kw−1−j]`
    /// (`kh x C x F·kw`). Rebuilt on every pass (the weights change every step); on unsafe
    /// buffers, since at batch 1 it is a visible share of a small layer's time.
    private func weightByKernelRow(rotated: Bool) -> [Float] {
        let (f, c, kh, kw) = (outChannels, inChannels, kernelHeight, kernelWidth)
        return weight.value.values.withUnsafeBufferPointer { w in
            [Float](unsafeUninitializedCapacity: w.count) { blocks, initialized in
                for filter in 0..<f {
                    for channel in 0..<c {
                        let kernel = w.baseAddress! + (filter * c + channel) * kh * kw
                        for i in 0..<kh {
                            if rotated {
                                let row = blocks.baseAddress! + (((kh - 1 - i) * c + channel) * f + filter) * kw + kw - 1
                                for j in 0..<kw { row[-j] = kernel[i * kw + j] }
                            } else {
                                let row = blocks.baseAddress! + ((i * f + filter) * c + channel) * kw
                                for j in 0..<kw { row[j] = kernel[i * kw + j] }
                            }
                        }
                    }
                }
                initialized = w.count
            }
        }
    }

    /// `out ← Σ_i blocks_i·P_i(source)` (`+ out` with `accumulate`) for one image, `out` being
    /// `blocks_i`'s rows x `g.outPixels`; `patches` is scratch of `g.rows x g.columns`.
    private func convolveByKernelRows(_ g: KernelRowPatches, blocks: UnsafePointer<Float>, outputs: Int,
                                      source: UnsafePointer<Float>, patches: UnsafeMutablePointer<Float>,
                                      into out: UnsafeMutablePointer<Float>, accumulate: Bool) {
        g.fill(from: source, into: patches)
        for i in 0..<kernelHeight {
            kernelRowGemm(a: blocks + i * outputs * g.rows, (outputs, g.rows), b: patches + i * g.width,
                          (g.rows, g.outPixels), rowStride: g.columns, into: out, (outputs, g.outPixels),
                          beta: accumulate || i > 0 ? 1 : 0)
        }
    }

    /// Forward by kernel rows: `y[n] = start + Σ_i W_i·P_i(x[n])`, `start` the bias (+ offset),
    /// then `max(0, ·)` on each image's block while it is in cache when `thenReLU`.
    func kernelRowsForward(_ input: Tensor, start: [Float], thenReLU: Bool, into y: UnsafeMutablePointer<Float>) {
        let g = kernelRowPatches(channels: inChannels, height: input.shape[2], width: input.shape[3])
        let (n, f, p) = (input.shape[0], outChannels, g.outPixels)
        let blocks = weightByKernelRow(rotated: false)
        input.values.withUnsafeBufferPointer { x in
            blocks.withUnsafeBufferPointer { w in
                start.withUnsafeBufferPointer { s in
                    Compute.parallelShares(n) { _, images in
                        let patches = UnsafeMutablePointer<Float>.allocate(capacity: g.rows * g.columns)
                        defer { patches.deallocate() }
                        for image in images {
                            let out = y + image * f * p
                            out.update(from: s.baseAddress!, count: f * p)
                            convolveByKernelRows(g, blocks: w.baseAddress!, outputs: f, source: x.baseAddress! + image * g.inputSize,
                                                 patches: patches, into: out, accumulate: true)
                            if thenReLU { ReLU.clampNegatives(out, count: f * p) }
                        }
                    }
                }
            }
        }
    }

    /// Backward by kernel rows: adds `∂W` and `∂b` (summed over the batch) and returns `∂X`
    /// (zeros when `computesInputGradient` is false).
    func kernelRowsBackward(_ outputGradient: Tensor, input: Tensor) -> Tensor {
        let (n, c, f) = (input.shape[0], inChannels, outChannels)
        let g = kernelRowPatches(channels: c, height: input.shape[2], width: input.shape[3])
        let transposed = kernelRowPatches(channels: f, height: g.outHeight, width: g.width)
        let p = g.outPixels
        let rotated = weightByKernelRow(rotated: true)
        let shares = max(1, min(Compute.workers, n))
        // Per-worker gradient accumulators (by kernel row, `kh x F x C·kw`), summed afterwards.
        var partialWeight = [Float](repeating: 0, count: shares * rotated.count)
        var partialBias = [Float](repeating: 0, count: shares * f)
        // Uninitialised: every image's block is written whole.
        let dx = [Float](unsafeUninitializedCapacity: input.count) { dx, initialized in
            defer { initialized = input.count }
            input.values.withUnsafeBufferPointer { x in
                outputGradient.values.withUnsafeBufferPointer { dy in
                    rotated.withUnsafeBufferPointer { wRotated in
                        partialWeight.withUnsafeMutableBufferPointer { dwAll in
                            partialBias.withUnsafeMutableBufferPointer { dbAll in
                                Compute.parallelShares(n) { worker, images in
                                    let patches = UnsafeMutablePointer<Float>.allocate(
                                        capacity: max(g.rows * g.columns, transposed.rows * transposed.columns))
                                    defer { patches.deallocate() }
                                    let dw = dwAll.baseAddress! + worker * rotated.count, db = dbAll.baseAddress! + worker * f
                                    for image in images {
                                        let dyImage = dy.baseAddress! + image * f * p, dxImage = dx.baseAddress! + image * g.inputSize
                                        accumulateKernelRowWeightGradient(g, x: x.baseAddress! + image * g.inputSize,
                                                                          dy: dyImage, patches: patches, into: dw)
                                        for channel in 0..<f { db[channel] += PlaneSums.sum(dyImage + channel * p, count: p) }
                                        guard computesInputGradient else {
                                            dxImage.update(repeating: 0, count: g.inputSize)
                                            continue
                                        }
                                        convolveByKernelRows(transposed, blocks: wRotated.baseAddress!, outputs: c, source: dyImage,
                                                             patches: patches, into: dxImage, accumulate: false)
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        addKernelRowGradients(partialWeight, partialBias, shares: shares)
        return Tensor(shape: input.shape, values: dx)
    }

    /// `dw_i += ∂Y·P_i(X)ᵀ` for every kernel row `i` of one image (`x` `C x H x W`, `dy` `F x Ho x W`),
    /// into `dw` laid out by kernel row (`kh x F x C·kw`); `patches` is scratch of `g.rows x g.columns`.
    /// One GEMM per kernel row with inner dimension `Ho·W` and no scatter.
    func accumulateKernelRowWeightGradient(_ g: KernelRowPatches, x: UnsafePointer<Float>, dy: UnsafePointer<Float>,
                                           patches: UnsafeMutablePointer<Float>, into dw: UnsafeMutablePointer<Float>) {
        let (f, k, p) = (outChannels, g.rows, g.outPixels)
        g.fill(from: x, into: patches)
        for i in 0..<kernelHeight {
            kernelRowGemm(a: dy, (f, p), b: patches + i * g.width, (k, p), rowStride: g.columns, transB: true,
                          into: dw + i * f * k, (f, k), beta: 1)
        }
    }

    /// Sums the workers' accumulators into `weight.gradient` (back in `F x C x kh x kw`) and `bias.gradient`.
    func addKernelRowGradients(_ partialWeight: [Float], _ partialBias: [Float], shares: Int) {
        let (f, c, kh, kw) = (outChannels, inChannels, kernelHeight, kernelWidth)
        let size = f * c * kh * kw
        weight.gradient.values.withUnsafeMutableBufferPointer { dw in
            partialWeight.withUnsafeBufferPointer { partial in
                for worker in 0..<shares {
                    for i in 0..<kh {
                        for filter in 0..<f {
                            for channel in 0..<c {
                                let source = partial.baseAddress! + worker * size + ((i * f + filter) * c + channel) * kw
                                let target = dw.baseAddress! + ((filter * c + channel) * kh + i) * kw
                                for j in 0..<kw { target[j] += source[j] }
                            }
                        }
                    }
                }
            }
        }
        guard hasBias else { return }
        for worker in 0..<shares {
            for i in 0..<f { bias.gradient.values[i] += partialBias[worker * f + i] }
        }
    }
}

/// `C ← A·op(B) + beta·C` where `B` (`k x p`, or its transpose) is a view with row stride `rowStride`
/// into a kernel-row patch matrix. Shapes are the stored (rows, columns); a mismatch is a programming error.
private func kernelRowGemm(a: UnsafePointer<Float>, _ aShape: (Int, Int), b: UnsafePointer<Float>, _ bShape: (Int, Int),
                           rowStride: Int, transB: Bool = false, into c: UnsafeMutablePointer<Float>, _ cShape: (Int, Int),
                           beta: Float) {
    do {
        try BLAS.gemm(MatrixView(base: a, rows: aShape.0, cols: aShape.1),
                      MatrixView(base: b, rows: bShape.0, cols: bShape.1, rowStride: rowStride),
                      into: MutableMatrixView(base: c, rows: cShape.0, cols: cShape.1),
                      transB: transB ? .transposed : .none, beta: beta)
    } catch {
        preconditionFailure("kernel-row GEMM: \(error)")
    }
}
