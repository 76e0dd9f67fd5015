import Linalg

/// How a `Conv2D` computes its forward pass and gradients; all agree up to rounding.
public enum ConvolutionAlgorithm: String, CaseIterable, Sendable {
    /// im2col and one GEMM per group of images, `Y = W·col(X) + b` (any kernel, stride and
    /// padding, masked weights, shape-wise pruning; `Conv2D+Im2col.swift`).
    case im2col
    /// Winograd's F(2x2, 3x3) (Lavin & Gray 2016, §4.1), `Y = Aᵀ[(G g Gᵀ) ⊙ (Bᵀ d B)]A` per
    /// 2x2 output tile, with the 16 transform-domain products as GEMMs over all tiles of a group
    /// of images: 16 multiplications per tile instead of 36. Used where it applies (3x3 kernel,
    /// stride 1, padding ≤ 2, no mask, no shape-wise pruning); elsewhere the layer uses im2col.
    /// The input gradient is the same algorithm on `∂Y` with the filters rotated by 180°; the
    /// weight gradient is its adjoint, `∂W = Gᵀ [Σ_tiles (A ∂Y Aᵀ) ⊙ (Bᵀ d B)] G`.
    case winograd
    /// The im2col GEMM regrouped by kernel row (`KernelRowPatches`): `Y = b + Σ_i W_i·P_i`,
    /// `kh` GEMMs over views of a patch matrix gathered over the kernel's columns only, a
    /// kh-th the size of im2col's, for stride-1 layers whose output is as wide as their input
    /// and that are not shape-pruned; elsewhere the layer uses im2col. Same products as
    /// im2col, summed in a different order.
    case kernelRows
    /// The direct 3x3 convolution (`Conv2D+Direct.swift`): forward, input and weight gradients
    /// by register-tiled kernels over a zero-padded copy of each image (C, AVX2 + FMA where
    /// the CPU has them), with no patch matrix and no BLAS call. For 3x3, padding-1 layers of
    /// stride 1 that are not shape-pruned; at stride 2 the forward pass and the input gradient
    /// (`Conv2D+StridedDirect.swift`, over phases), the weight gradient by im2col; elsewhere the
    /// layer uses im2col. Same products as im2col, summed channel by channel and tap by tap with
    /// fused multiply-adds.
    case direct
    /// Winograd's F(2x2, 3x3) image by image (`Conv2D+WinogradTiles.swift`,
    /// `Sources/CDirectConvolution/WinogradTiles.c`): the forward pass and the input gradient of
    /// 3x3, padding-1, stride-1 layers that are not shape-pruned, the transforms and the 16
    /// products of one image kept in cache by AVX-512 register tiles, the start values, ReLU and
    /// 2x2 pooling fused into the output transform; the weight gradient by the direct kernels.
    /// Elsewhere as `.direct`. The same values as `.direct` up to the rounding of the transforms.
    case winogradTiles
    /// Winograd's F(4x4, 3x3) image by image (`Sources/CDirectConvolution/WinogradTiles4.c`),
    /// where `.winogradTiles` would run F(2x2, 3x3): 36 products per 4x4 output tile and
    /// channel instead of 64, larger rounding errors. Elsewhere as `.direct`.
    case winogradTiles4
    /// Winograd where it applies, both channel counts are at least
    /// `Conv2D.winogradMinimumChannels` and OpenBLAS runs generic (pre-AVX) GEMM kernels;
    /// im2col elsewhere. Measured layer by layer (`shears bench conv`, docs/performance.md):
    /// with generic kernels Winograd's 2.25x fewer multiplications take 0.6–0.95 of im2col's
    /// time for every reference conv with ≥ 16 channels; with AVX-512 kernels GEMM is 4–6x
    /// faster, the transforms' memory traffic dominates, and im2col wins on every reference
    /// conv at every width (Winograd 1.05–2.2x slower). With few channels the 16 GEMMs are too
    /// thin for BLAS either way (vgg-s's 1 → 32 conv: 3.7x slower by Winograd). Where Winograd
    /// is not picked: the direct kernels where they apply and the CPU runs them fast
    /// (`Conv2D.directKernelsAreFast`; faster than kernel rows on every reference conv with at
    /// least `Conv2D.kernelRowsMinimumChannels` input channels, and than im2col in the forward
    /// pass of the 1-channel first layers, whose backward stays on im2col:
    /// docs/performance.md, "A direct convolution"), the weight gradient included (channels
    /// last: 0.73–0.95 of kernel rows' time, "∂W channels last"), with their forward pass and
    /// `∂X` by Winograd tiles where the CPU has AVX-512 (F(4x4, 3x3) alone where it has AVX2:
    /// `Conv2D.winogradTiles4AreFast`, "Without AVX-512"), both channel counts are at least
    /// `Conv2D.winogradTilesMinimumChannels` and the maps' sides at least
    /// `Conv2D.winogradTilesMinimumSide` (`Conv2D.usesWinogradTiles(height:width:)`; vgg-s
    /// trains 1.1–1.2x faster, "Winograd tiles"), F(4x4, 3x3) rather than F(2x2, 3x3) where
    /// `Conv2D.automaticPicksFourByFour`, and then `∂W` by its transpose F(3x3, 4x4) (vgg-s
    /// trains 1.24x faster, "∂W by Winograd"); else kernel rows
    /// where they apply to a layer of at least `Conv2D.kernelRowsMinimumChannels` input channels
    /// (faster than im2col on every such conv: "Kernel rows"); im2col elsewhere.
    case automatic
}

extension Conv2D {
    /// The fewest input and output channels for which `.automatic` picks Winograd.
    public static let winogradMinimumChannels = 8

    /// Whether forward and backward run by Winograd: the layer is 3x3, stride 1,
    /// padding ≤ 2, dense (no `patchRows`) and unmasked, and `algorithm` is `.winograd`, or
    /// `.automatic` with at least `winogradMinimumChannels` input and output channels.
    public var usesWinograd: Bool {
        let applies = kernelHeight == 3 && kernelWidth == 3 && stride == 1 && padding <= 2
            && patchRows == nil && weight.mask == nil
        switch algorithm {
        case .im2col, .kernelRows, .direct, .winogradTiles, .winogradTiles4: return false
        case .winograd: return applies
        case .automatic:
            return applies && Conv2D.automaticPicksWinograd(inChannels: inChannels, outChannels: outChannels,
                                                            genericGEMM: Conv2D.gemmRunsGenericKernels)
        }
    }

    /// The fewest input channels for which `.automatic` picks kernel rows: measured by `shears
    /// bench conv` (docs/performance.md, "Kernel rows"), a 1-channel conv (the first layer of the
    /// reference models) trains 1.8x slower by kernel rows than by im2col, whose single GEMM
    /// then has an inner dimension of 9 instead of 3; from 4 channels on kernel rows are faster.
    public static let kernelRowsMinimumChannels = 4

    /// Whether forward and backward run by kernel rows: the layer has stride 1, an output as
    /// wide as its input (`kw = 2p + 1`) and no `patchRows`, and `algorithm` is `.kernelRows`, or
    /// `.automatic` where neither Winograd nor the direct kernels are used and the layer reads
    /// at least `kernelRowsMinimumChannels` channels.
    public var usesKernelRows: Bool {
        let applies = KernelRowPatches.applies(kernelWidth: kernelWidth, stride: stride, padding: padding)
            && patchRows == nil
        switch algorithm {
        case .im2col, .winograd: return false
        case .kernelRows: return applies
        // Forced direct (or Winograd tiles) runs everything by the per-image kernels, or by im2col
        // where they do not apply.
        case .direct, .winogradTiles, .winogradTiles4: return false
        case .automatic:
            return applies && !usesWinograd && !usesDirect && inChannels >= Conv2D.kernelRowsMinimumChannels
        }
    }

    /// Whether OpenBLAS runs generic pre-AVX kernels in this process (read once: OpenBLAS
    /// chooses its kernels when it is loaded), the case where `.automatic` picks Winograd.
    public static let gemmRunsGenericKernels = BLASRuntime.runsGenericKernels

    /// `.automatic`'s rule for an applicable layer: Winograd when GEMM runs generic kernels and
    /// both channel counts are at least `winogradMinimumChannels` (measurements in
    /// `ConvolutionAlgorithm.automatic`).
    public static func automaticPicksWinograd(inChannels: Int, outChannels: Int, genericGEMM: Bool) -> Bool {
        genericGEMM && min(inChannels, outChannels) >= winogradMinimumChannels
    }

    /// Forward by Winograd: `y[n] = start + x[n] ⋆ w`, with `start` the bias (+ offset), `F x Ho x Wo`.
    func winogradForward(_ input: Tensor, start: [Float], into y: UnsafeMutablePointer<Float>) {
        let (n, f, c) = (input.shape[0], outChannels, inChannels)
        let convolution = WinogradConvolution(channels: c, filters: f, height: input.shape[2], width: input.shape[3],
                                              padding: padding)
        var u = [Float](repeating: 0, count: 16 * f * c)
        weight.value.values.withUnsafeBufferPointer { w in
            u.withUnsafeMutableBufferPointer { ub in
                WinogradConvolution.transformFilters(w.baseAddress!, outChannels: f, inChannels: c, adjoint: false,
                                                     into: ub.baseAddress!)
            }
        }
        input.values.withUnsafeBufferPointer { x in
            u.withUnsafeBufferPointer { ub in
                start.withUnsafeBufferPointer { s in
                    convolution.run(x.baseAddress!, images: n, filters: ub.baseAddress!, start: s.baseAddress!, into: y)
                }
            }
        }
    }

    /// `∂X` by Winograd: for stride 1, `∂x[c][iy][ix] = Σ_k,i,j w[k][c][i][j]·∂y[k][iy + p − i][ix + p − j]`
    /// is the correlation of `∂Y` (padding `2 − p`) with the filters rotated by 180° and
    /// transposed in their channels. Overwrites `dx` (`N x C x H x W`).
    func winogradInputGradient(_ outputGradient: Tensor, into dx: UnsafeMutablePointer<Float>) {
        let (n, f, c) = (outputGradient.shape[0], outChannels, inChannels)
        let convolution = WinogradConvolution(channels: f, filters: c, height: outputGradient.shape[2],
                                              width: outputGradient.shape[3], padding: 2 - padding)
        var u = [Float](repeating: 0, count: 16 * f * c)
        weight.value.values.withUnsafeBufferPointer { w in
            u.withUnsafeMutableBufferPointer { ub in
                WinogradConvolution.transformFilters(w.baseAddress!, outChannels: f, inChannels: c, adjoint: true,
                                                     into: ub.baseAddress!)
            }
        }
        outputGradient.values.withUnsafeBufferPointer { dy in
            u.withUnsafeBufferPointer { ub in
                convolution.run(dy.baseAddress!, images: n, filters: ub.baseAddress!, start: nil, into: dx)
            }
        }
    }

    /// Backward by Winograd: `∂b = Σ ∂y`, `∂W` by the adjoint of the forward transforms
    /// (`WinogradConvolution.addWeightGradient`), `∂X` by `winogradInputGradient`.
    func winogradBackward(_ outputGradient: Tensor, input: Tensor) -> Tensor {
        let (n, f, c) = (input.shape[0], outChannels, inChannels)
        let p = outputGradient.shape[2] * outputGradient.shape[3]
        if hasBias {
            outputGradient.values.withUnsafeBufferPointer { dy in
                // One sum per image, then over images (as the im2col path): shorter float sums.
                for channel in 0..<f {
                    for image in 0..<n {
                        let plane = dy.baseAddress! + (image * f + channel) * p
                        bias.gradient.values[channel] += PlaneSums.sum(plane, count: p)
                    }
                }
            }
        }
        let convolution = WinogradConvolution(channels: c, filters: f, height: input.shape[2], width: input.shape[3],
                                              padding: padding)
        input.values.withUnsafeBufferPointer { x in
            outputGradient.values.withUnsafeBufferPointer { dy in
                weight.gradient.values.withUnsafeMutableBufferPointer { dw in
                    convolution.addWeightGradient(x.baseAddress!, dy.baseAddress!, images: n, into: dw.baseAddress!)
                }
            }
        }
        guard computesInputGradient else { return Tensor(shape: input.shape) }
        // Uninitialised: the Winograd pass writes every element.
        let dx = [Float](unsafeUninitializedCapacity: input.count) { buffer, initialized in
            winogradInputGradient(outputGradient, into: buffer.baseAddress!)
            initialized = input.count
        }
        return Tensor(shape: input.shape, values: dx)
    }
}
