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

    /// Output columns `ox` with `0 ≤ ox·s − p + j < width`. `reach`, the last such `ox·s`, is
    /// negative when the offset passes the image's right edge even at `ox = 0` (a map narrower
    /// than the kernel's reach): none then, where Swift's division, truncating toward zero,
    /// would give one for `s > 1`.
    private func validColumns(_ j: Int) -> Range<Int> {
        let first = max(0, (padding - j + stride - 1) / stride)
        let reach = width - 1 + padding - j
        let last = reach < 0 ? 0 : min(outWidth, reach / stride + 1)
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

    /// Fills `col` (`patchSize x outPixels`) from one image; consecutive patch rows start
    /// `rowStride` floats apart (default `outPixels`: a matrix of its own; larger, the image's
    /// columns of a patch matrix that holds several images side by side).
    func im2col(_ x: UnsafePointer<Float>, into col: UnsafeMutablePointer<Float>, rowStride: Int? = nil) {
        let (ho, wo) = (outHeight, outWidth)
        let sameSize = stride == 1 && wo == width
        let step = rowStride ?? ho * wo
        var row = col
        forEachPatchRow { c, i, j in
            let valid = validColumns(j)
            if sameSize {
                copyShiftedPlane(x + c * height * width, i: i, j: j, valid: valid, into: row)
                row += step
                return
            }
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
            row += step
        }
    }

    /// Output lines `oy` of a stride-1 layer whose input line `oy − p + i` lies inside the image.
    private func insideLines(_ i: Int) -> Range<Int> {
        let first = max(0, padding - i)
        return first..<max(first, min(outHeight, height + padding - i))
    }

    /// Zeroes the columns outside `valid` in each of `lines` consecutive lines of `block`.
    private func zeroBorderColumns(_ block: UnsafeMutablePointer<Float>, lines: Int, valid: Range<Int>) {
        for line in 0..<lines {
            let l = block + line * outWidth
            for ox in 0..<valid.lowerBound { l[ox] = 0 }
            for ox in valid.upperBound..<outWidth { l[ox] = 0 }
        }
    }

    /// One patch row of a stride-1 convolution whose output is as wide as its input (3x3 with
    /// padding 1, the VGG case): the row is the input plane shifted by the constant offset
    /// `(i − p)·W + (j − p)`, so its valid lines are one contiguous copy, after which only the
    /// `|j − p|` border columns of each line, which received the neighbouring line's pixels, are
    /// zeroed. A copy per line (7 to 28 floats) cost more in calls than in bytes: im2col was a
    /// third of the forward time of vgg-s's convs.
    private func copyShiftedPlane(_ plane: UnsafePointer<Float>, i: Int, j: Int, valid: Range<Int>,
                                  into row: UnsafeMutablePointer<Float>) {
        let (ho, wo) = (outHeight, outWidth)
        let lines = insideLines(i)
        guard !lines.isEmpty, !valid.isEmpty else {
            row.update(repeating: 0, count: ho * wo)
            return
        }
        row.update(repeating: 0, count: lines.lowerBound * wo)
        let block = row + lines.lowerBound * wo
        let source = plane + (lines.lowerBound - padding + i) * width + (j - padding)
        // Starting at the first line's first valid column and ending at the last line's last
        // one keeps every read inside the plane.
        let end = lines.count * wo - (wo - valid.upperBound)
        (block + valid.lowerBound).update(from: source + valid.lowerBound, count: end - valid.lowerBound)
        zeroBorderColumns(block, lines: lines.count, valid: valid)
        (block + lines.count * wo).update(repeating: 0, count: (ho - lines.upperBound) * wo)
    }

    /// Adds the columns' contributions back into one image's gradient (the adjoint of im2col,
    /// `rowStride` as there). `col` is scratch: for same-size stride-1 layers its border
    /// entries are zeroed first, so that each patch row adds to the plane in one contiguous
    /// loop (see `copyShiftedPlane`).
    func col2imAdd(_ col: UnsafeMutablePointer<Float>, into x: UnsafeMutablePointer<Float>, rowStride: Int? = nil) {
        let (ho, wo) = (outHeight, outWidth)
        let sameSize = stride == 1 && wo == width
        let step = rowStride ?? ho * wo
        var row = col
        forEachPatchRow { c, i, j in
            let valid = validColumns(j)
            if sameSize {
                addShiftedPlane(row, i: i, j: j, valid: valid, into: x + c * height * width)
                row += step
                return
            }
            for oy in 0..<ho {
                let iy = oy * stride - padding + i
                guard iy >= 0 && iy < height else { continue }
                let line = row + oy * wo
                let dst = x + (c * height + iy) * width - padding + j
                for ox in valid { dst[ox * stride] += line[ox] }
            }
            row += step
        }
    }

    /// The adjoint of `copyShiftedPlane`: zeroes the row's border columns (they read padding,
    /// so they must add nothing), then adds the valid lines to the shifted plane in one loop.
    private func addShiftedPlane(_ row: UnsafeMutablePointer<Float>, i: Int, j: Int, valid: Range<Int>,
                                 into plane: UnsafeMutablePointer<Float>) {
        let wo = outWidth
        let lines = insideLines(i)
        guard !lines.isEmpty, !valid.isEmpty else { return }
        let block = row + lines.lowerBound * wo
        zeroBorderColumns(block, lines: lines.count, valid: valid)
        let target = plane + (lines.lowerBound - padding + i) * width + (j - padding)
        for t in valid.lowerBound..<(lines.count * wo - (wo - valid.upperBound)) { target[t] += block[t] }
    }
}
