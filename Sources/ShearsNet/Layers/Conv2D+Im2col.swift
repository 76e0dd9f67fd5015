/// The im2col algorithm (`ConvolutionAlgorithm.im2col`, and whatever no faster algorithm
/// applies to: strided, 1x1 and shape-pruned convs): the patch matrices of a group of images
/// side by side, `col = [col_1 … col_G]` (`patchSize x G·outPixels`), so that each GEMM is
/// one per group rather than one per image:
/// `Y_group = W · col` (forward), `∂W += ∂Y_group · colᵀ`, `∂col = Wᵀ · ∂Y_group` (backward),
/// `∂Y_group = [∂Y_1 … ∂Y_G]` likewise. A per-image GEMM of a stride-2 layer is small (32 x 144
/// x 196 in resnet-s, with `∂col`'s inner dimension only the filter count), and OpenBLAS spent
/// more on each call's packing than on its products (docs/performance.md).
extension Conv2D {
    /// Columns a group's patch matrix aims for: wide enough that OpenBLAS's packing is spread
    /// over many products, small enough that the matrices stay in the core's cache.
    static let im2colGroupColumns = 1536

    /// `images` in consecutive groups of nearly equal size, each about
    /// `im2colGroupColumns / pixels` images (at least one).
    static func im2colGroups(_ images: Range<Int>, pixels: Int) -> [Range<Int>] {
        guard !images.isEmpty else { return [] }
        let groups = max(1, (images.count * pixels + im2colGroupColumns - 1) / im2colGroupColumns)
        let count = min(groups, images.count)
        return (0..<count).map { group in
            (images.lowerBound + images.count * group / count)..<(images.lowerBound + images.count * (group + 1) / count)
        }
    }

    /// Forward by im2col: `y[n] = start + W · col(x[n])`, then `max(0, ·)` when `thenReLU`.
    func im2colForward(_ input: Tensor, start: [Float], thenReLU: Bool, into y: UnsafeMutablePointer<Float>) {
        let g = geometry(input.shape)
        let (n, f, k, p) = (input.shape[0], outChannels, g.patchSize, g.outPixels)
        input.values.withUnsafeBufferPointer { x in
            weight.value.values.withUnsafeBufferPointer { w in
                start.withUnsafeBufferPointer { s in
                    Compute.parallelShares(n) { _, images in
                        let groups = Conv2D.im2colGroups(images, pixels: p)
                        let most = groups.map(\.count).max() ?? 0
                        let col = UnsafeMutablePointer<Float>.allocate(capacity: k * most * p)
                        let product = UnsafeMutablePointer<Float>.allocate(capacity: f * most * p)
                        defer { col.deallocate(); product.deallocate() }
                        for group in groups {
                            let columns = group.count * p
                            for (i, image) in group.enumerated() {
                                g.im2col(x.baseAddress! + image * g.inputSize, into: col + i * p, rowStride: columns)
                            }
                            gemm(w.baseAddress!, [f, k], col, [k, columns], into: product, [f, columns])
                            for (i, image) in group.enumerated() {
                                let out = y + image * f * p
                                for filter in 0..<f {
                                    let sums = product + filter * columns + i * p, initial = s.baseAddress! + filter * p
                                    for q in 0..<p { out[filter * p + q] = initial[q] + sums[q] }
                                }
                                if thenReLU { ReLU.clampNegatives(out, count: f * p) }
                            }
                        }
                    }
                }
            }
        }
    }

    /// Backward by im2col: adds `∂W` and `∂b` (summed over the batch) and returns `∂X` (zeros
    /// when `computesInputGradient` is false).
    func im2colBackward(_ outputGradient: Tensor, input: Tensor) -> Tensor {
        var inputGradient = Tensor(shape: input.shape)
        inputGradient.values.withUnsafeMutableBufferPointer { dx in
            im2colGradients(outputGradient, input: input, addingInputGradientTo: computesInputGradient ? dx.baseAddress! : nil)
        }
        return inputGradient
    }

    /// Adds `∂W` and `∂b` (summed over the batch) and, when `dx` is given, `∂X` to it. Each
    /// worker sums its images' `∂W` in its own buffer; the buffers are added in worker order at the end.
    func im2colGradients(_ outputGradient: Tensor, input: Tensor, addingInputGradientTo dx: UnsafeMutablePointer<Float>?) {
        let g = geometry(input.shape)
        let (n, f, k, p) = (input.shape[0], outChannels, g.patchSize, g.outPixels)
        let shares = max(1, min(Compute.workers, n))
        var partialWeight = [Float](repeating: 0, count: shares * f * k)
        var partialBias = [Float](repeating: 0, count: shares * f)
        input.values.withUnsafeBufferPointer { x in
            outputGradient.values.withUnsafeBufferPointer { dy in
                weight.value.values.withUnsafeBufferPointer { w in
                    partialWeight.withUnsafeMutableBufferPointer { dwAll in
                        partialBias.withUnsafeMutableBufferPointer { dbAll in
                            Compute.parallelShares(n) { worker, images in
                                let dw = dwAll.baseAddress! + worker * f * k, db = dbAll.baseAddress! + worker * f
                                let groups = Conv2D.im2colGroups(images, pixels: p)
                                let most = groups.map(\.count).max() ?? 0
                                let col = UnsafeMutablePointer<Float>.allocate(capacity: k * most * p)
                                let dyGroup = UnsafeMutablePointer<Float>.allocate(capacity: f * most * p)
                                let dc = dx == nil ? nil : UnsafeMutablePointer<Float>.allocate(capacity: k * most * p)
                                defer { col.deallocate(); dyGroup.deallocate(); dc?.deallocate() }
                                for group in groups {
                                    let columns = group.count * p
                                    for (i, image) in group.enumerated() {
                                        g.im2col(x.baseAddress! + image * g.inputSize, into: col + i * p, rowStride: columns)
                                        let dyImage = dy.baseAddress! + image * f * p
                                        for filter in 0..<f {
                                            (dyGroup + filter * columns + i * p).update(from: dyImage + filter * p, count: p)
                                            db[filter] += PlaneSums.sum(dyImage + filter * p, count: p)
                                        }
                                    }
                                    gemm(dyGroup, [f, columns], col, [k, columns], transB: .transposed, into: dw, [f, k], beta: 1)
                                    guard let dc, let dx else { continue }
                                    gemm(w.baseAddress!, [f, k], dyGroup, [f, columns], transA: .transposed, into: dc, [k, columns])
                                    for (i, image) in group.enumerated() {
                                        g.col2imAdd(dc + i * p, into: dx + image * g.inputSize, rowStride: columns)
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        addWorkerGradients(partialWeight, partialBias, size: f * k, shares: shares)
    }
}
