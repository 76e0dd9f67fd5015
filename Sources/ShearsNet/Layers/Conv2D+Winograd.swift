/// How a `Conv2D` computes its forward pass and input gradient; both agree up to rounding.
public enum ConvolutionAlgorithm: String, CaseIterable, Sendable {
    /// im2col and one GEMM per image, `Y = W·col(X) + b` (any kernel, stride and padding,
    /// masked weights, shape-wise pruning).
    case im2col
    /// Winograd's F(2x2, 3x3) (Lavin & Gray 2016, §4.1), `Y = Aᵀ[(G g Gᵀ) ⊙ (Bᵀ d B)]A` per
    /// 2x2 output tile, with the 16 transform-domain products as GEMMs over all tiles of a group
    /// of images: 16 multiplications per tile instead of 36. Used where it applies (3x3 kernel,
    /// stride 1, padding ≤ 2, no mask, no shape-wise pruning); elsewhere the layer uses im2col.
    /// The weight gradient always uses im2col.
    case winograd
}

extension Conv2D {
    /// Whether forward and the input gradient run by Winograd: `algorithm` is `.winograd` and
    /// the layer is 3x3, stride 1, padding ≤ 2, dense (no `patchRows`) and unmasked.
    public var usesWinograd: Bool {
        algorithm == .winograd && kernelHeight == 3 && kernelWidth == 3 && stride == 1 && padding <= 2
            && patchRows == nil && weight.mask == nil
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
}
