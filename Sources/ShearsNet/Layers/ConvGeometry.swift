/// Index arithmetic of one image's convolution: im2col and its adjoint col2im.
///
/// `col[(c·kh + i)·kw + j][oy·Wo + ox] = x[c][oy·s − p + i][ox·s − p + j]` (0 outside).
/// For each kernel offset `j`, the output columns whose input column lies inside the image
/// form one contiguous range, computed once, so the inner loops carry no bounds tests.
/// `rows`, when set, lists the patch rows `(c·kh + i)·kw + j` a shape-pruned layer still
/// reads (ascending); only those are gathered, so its GEMMs really shrink.
struct ConvGeometry {
    let channels, height, width, kernelHeight, kernelWidth, stride, padding: Int
    var rows: [Int]? = nil

    var outHeight: Int { (height + 2 * padding - kernelHeight) / stride + 1 }
    var outWidth: Int { (width + 2 * padding - kernelWidth) / stride + 1 }
    var outPixels: Int { outHeight * outWidth }
    var patchSize: Int { rows?.count ?? channels * kernelHeight * kernelWidth }
    var inputSize: Int { channels * height * width }

    /// Output columns `ox` with `0 ≤ ox·s − p + j < width`.
    private func validColumns(_ j: Int) -> Range<Int> {
        let first = max(0, (padding - j + stride - 1) / stride)
        let last = min(outWidth, (width - 1 + padding - j) / stride + 1)
        return first..<max(first, last)
    }

    /// Calls `body(c, i, j)` for every patch row in order.
    @inline(__always)
    private func forEachPatchRow(_ body: (_ c: Int, _ i: Int, _ j: Int) -> Void) {
        if let rows {
            let kernel = kernelHeight * kernelWidth
            for row in rows { body(row / kernel, row % kernel / kernelWidth, row % kernelWidth) }
        } else {
            for c in 0..<channels {
                for i in 0..<kernelHeight {
                    for j in 0..<kernelWidth { body(c, i, j) }
                }
            }
        }
    }

    /// Fills `col` (`patchSize x outPixels`) from one image.
    func im2col(_ x: UnsafePointer<Float>, into col: UnsafeMutablePointer<Float>) {
        let (ho, wo) = (outHeight, outWidth)
        var row = col
        forEachPatchRow { c, i, j in
            let valid = validColumns(j)
            for oy in 0..<ho {
                let line = row + oy * wo
                let iy = oy * stride - padding + i
                guard iy >= 0 && iy < height, !valid.isEmpty else {
                    line.update(repeating: 0, count: wo)
                    continue
                }
                line.update(repeating: 0, count: valid.lowerBound)
                let src = x + (c * height + iy) * width - padding + j
                if stride == 1 {
                    (line + valid.lowerBound).update(from: src + valid.lowerBound, count: valid.count)
                } else {
                    for ox in valid { line[ox] = src[ox * stride] }
                }
                (line + valid.upperBound).update(repeating: 0, count: wo - valid.upperBound)
            }
            row += ho * wo
        }
    }

    /// Adds the columns' contributions back into one image's gradient (the adjoint of im2col).
    func col2imAdd(_ col: UnsafePointer<Float>, into x: UnsafeMutablePointer<Float>) {
        let (ho, wo) = (outHeight, outWidth)
        var row = col
        forEachPatchRow { c, i, j in
            let valid = validColumns(j)
            for oy in 0..<ho {
                let iy = oy * stride - padding + i
                guard iy >= 0 && iy < height else { continue }
                let line = row + oy * wo
                let dst = x + (c * height + iy) * width - padding + j
                for ox in valid { dst[ox * stride] += line[ox] }
            }
            row += ho * wo
        }
    }
}
