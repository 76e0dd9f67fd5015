extension WinogradConvolution {
    /// Adds `∂W` (`K x C x 3 x 3`) of the batch to `dw`: the adjoint of the forward pass,
    /// `∂U_ξ = Σ_tiles (A ∂Y Aᵀ)_ξ · (Bᵀ d B)_ξᵀ` (`K x C`, one GEMM per ξ and group of images,
    /// the tiles as its inner dimension), then `∂W = Gᵀ ∂U G` per filter and channel. `x` is the
    /// forward input (`N x C x H x W`), `dy` the output gradient (`N x K x Ho x Wo`).
    func addWeightGradient(_ x: UnsafePointer<Float>, _ dy: UnsafePointer<Float>, images: Int,
                           into dw: UnsafeMutablePointer<Float>) {
        let (c, k) = (channels, filters)
        let shares = max(1, min(Compute.workers, images))
        var partial = [Float](repeating: 0, count: shares * 16 * k * c)
        let groupImages = max(1, min(images, tilesPerGroup / tilesPerImage))
        partial.withUnsafeMutableBufferPointer { pb in
            Compute.parallelShares(images) { worker, share in
                let groupTiles = min(groupImages, share.count) * tilesPerImage
                // Written before read, as in `run`.
                var v = [Float](unsafeUninitializedCapacity: 16 * c * groupTiles) { $1 = $0.count }
                var dm = [Float](unsafeUninitializedCapacity: 16 * k * groupTiles) { $1 = $0.count }
                var scratch = [Float](repeating: 0, count: paddedHeight * paddedWidth + 4 * paddedWidth
                                      + 4 * tileRows * tileColumns)
                let du = pb.baseAddress! + worker * 16 * k * c
                v.withUnsafeMutableBufferPointer { vb in
                    dm.withUnsafeMutableBufferPointer { mb in
                        scratch.withUnsafeMutableBufferPointer { sb in
                            var first = share.lowerBound
                            while first < share.upperBound {
                                let count = min(groupImages, share.upperBound - first)
                                let tiles = count * tilesPerImage
                                for index in 0..<count {
                                    transformInput(x + (first + index) * c * height * width,
                                                   into: vb.baseAddress! + index * tilesPerImage, stride: tiles,
                                                   scratch: sb.baseAddress!)
                                    transformOutputGradient(dy + (first + index) * k * outHeight * outWidth,
                                                            into: mb.baseAddress! + index * tilesPerImage, stride: tiles,
                                                            scratch: sb.baseAddress!)
                                }
                                for xi in 0..<16 {
                                    gemm(mb.baseAddress! + xi * k * tiles, [k, tiles], vb.baseAddress! + xi * c * tiles,
                                         [c, tiles], transB: .transposed, into: du + xi * k * c, [k, c], beta: 1)
                                }
                                first += count
                            }
                        }
                    }
                }
            }
        }
        let size = 16 * k * c
        for worker in 1..<shares {
            for i in 0..<size { partial[i] += partial[worker * size + i] }
        }
        partial.withUnsafeBufferPointer { du in
            for filter in 0..<k {
                for channel in 0..<c {
                    WinogradF2x3.addFilterGradient(du.baseAddress! + filter * c + channel, stride: k * c,
                                                   into: dw + (filter * c + channel) * 9)
                }
            }
        }
    }

    /// `A ∂Y Aᵀ` of every tile of one image's output gradient (`K x Ho x Wo`): element ξ of
    /// filter k and tile t goes to `m[(ξ·K + k)·stride + t]`. The outputs a partial tile has
    /// past the edge were dropped by the forward pass, so their gradient is zero.
    func transformOutputGradient(_ dy: UnsafePointer<Float>, into m: UnsafeMutablePointer<Float>, stride: Int,
                                 scratch: UnsafeMutablePointer<Float>) {
        let (ho, wo, lineWidth) = (outHeight, outWidth, 2 * tileColumns)
        let tiled = scratch + paddedHeight * paddedWidth + 4 * paddedWidth
        // The even-sized plane's extra line and column (odd Ho, Wo) stay zero.
        tiled.update(repeating: 0, count: 2 * tileRows * lineWidth)
        for filter in 0..<filters {
            for oy in 0..<ho { (tiled + oy * lineWidth).update(from: dy + (filter * ho + oy) * wo, count: wo) }
            for ty in 0..<tileRows {
                WinogradF2x3.transformOutputGradientRow(tiled + 2 * ty * lineWidth, lineWidth: lineWidth, tiles: tileColumns,
                                                        into: m + filter * stride + ty * tileColumns,
                                                        stride: filters * stride)
            }
        }
    }
}
