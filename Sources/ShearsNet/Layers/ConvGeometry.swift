/// Index arithmetic of one image's convolution: im2col and its adjoint col2im.
///
/// `col[(c·kh + i)·kw + j][oy·Wo + ox] = x[c][oy·s − p + i][ox·s − p + j]` (0 outside).
struct ConvGeometry {
    let channels, height, width, kernelHeight, kernelWidth, stride, padding: Int

    var outHeight: Int { (height + 2 * padding - kernelHeight) / stride + 1 }
    var outWidth: Int { (width + 2 * padding - kernelWidth) / stride + 1 }
    var outPixels: Int { outHeight * outWidth }
    var patchSize: Int { channels * kernelHeight * kernelWidth }
    var inputSize: Int { channels * height * width }

    /// Fills `col` (`patchSize x outPixels`) from one image.
    func im2col(_ x: UnsafePointer<Float>, into col: UnsafeMutablePointer<Float>) {
        let (ho, wo) = (outHeight, outWidth)
        var row = 0
        for c in 0..<channels {
            for i in 0..<kernelHeight {
                for j in 0..<kernelWidth {
                    let dst = col + row * ho * wo
                    for oy in 0..<ho {
                        let iy = oy * stride - padding + i
                        let line = dst + oy * wo
                        if iy < 0 || iy >= height { line.update(repeating: 0, count: wo); continue }
                        let src = x + (c * height + iy) * width
                        for ox in 0..<wo {
                            let ix = ox * stride - padding + j
                            line[ox] = ix >= 0 && ix < width ? src[ix] : 0
                        }
                    }
                    row += 1
                }
            }
        }
    }

    /// Adds the columns' contributions back into one image's gradient (the adjoint of im2col).
    func col2imAdd(_ col: UnsafePointer<Float>, into x: UnsafeMutablePointer<Float>) {
        let (ho, wo) = (outHeight, outWidth)
        var row = 0
        for c in 0..<channels {
            for i in 0..<kernelHeight {
                for j in 0..<kernelWidth {
                    let src = col + row * ho * wo
                    for oy in 0..<ho {
                        let iy = oy * stride - padding + i
                        if iy < 0 || iy >= height { continue }
                        let dst = x + (c * height + iy) * width
                        let line = src + oy * wo
                        for ox in 0..<wo {
                            let ix = ox * stride - padding + j
                            if ix >= 0 && ix < width { dst[ix] += line[ox] }
                        }
                    }
                    row += 1
                }
            }
        }
    }
}
