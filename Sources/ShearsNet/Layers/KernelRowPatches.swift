/// The patch matrix of a stride-1 convolution whose output is as wide as its input (`kw = 2p + 1`:
/// 3x3 with padding 1, 1x1, 5x5 with padding 2), gathered over the kernel's columns only.
///
/// `P[c·kw + j][(y + p)·W + x] = x[c][y][x + j − p]` (0 outside the image) for `y` in
/// `−p ..< H + p`: each row is an input plane shifted by `j − p` columns, with `p` zero lines
/// above and below. Kernel row `i`'s im2col rows are then `P`'s columns `i·W ..< i·W + Ho·W`,
/// so a convolution is `kh` GEMMs over views of one matrix,
/// `Y = b + Σ_i W_i · P[:, i·W ..< i·W + Ho·W]` with `W_i[f][c·kw + j] = w[f][c][i][j]`,
/// instead of one GEMM over im2col's `C·kh·kw x Ho·Wo` copy: `P` is about a kh-th of its size,
/// so it stays in cache between being written and being read (docs/performance.md, "Kernel
/// rows").
struct KernelRowPatches {
    let channels, height, width, kernelHeight, kernelWidth, padding: Int

    /// Whether a layer can use this layout: stride 1, output as wide as the input.
    static func applies(kernelWidth: Int, stride: Int, padding: Int) -> Bool {
        stride == 1 && kernelWidth == 2 * padding + 1
    }

    var outHeight: Int { height + 2 * padding - kernelHeight + 1 }
    var outPixels: Int { outHeight * width }
    /// Columns of `P`: the image's lines plus `p` zero lines above and below.
    var columns: Int { (height + 2 * padding) * width }
    /// Rows of `P` (the inner dimension of every GEMM): `C·kw`.
    var rows: Int { channels * kernelWidth }
    var inputSize: Int { channels * height * width }

    /// Fills `patches` (`rows x columns`) from one image `x` (`C x H x W`).
    func fill(from x: UnsafePointer<Float>, into patches: UnsafeMutablePointer<Float>) {
        let (plane, margin) = (height * width, padding * width)
        for c in 0..<channels {
            for j in 0..<kernelWidth {
                let row = patches + (c * kernelWidth + j) * columns
                row.update(repeating: 0, count: margin)
                (row + margin + plane).update(repeating: 0, count: margin)
                let shift = j - padding, body = row + margin
                // body[t] = x[t + shift] where the column stays inside its line: one contiguous
                // copy, then the |shift| columns per line that took a neighbouring line's pixels
                // are zeroed.
                let valid = copiedRange(shift)
                (body + valid.lowerBound).update(from: x + c * plane + valid.lowerBound + shift, count: valid.count)
                body.update(repeating: 0, count: valid.lowerBound)
                (body + valid.upperBound).update(repeating: 0, count: plane - valid.upperBound)
                zeroWrappedColumns(body, shift: shift)
            }
        }
    }

    /// The positions `t` of a row's body whose source `t + shift` lies inside the plane.
    private func copiedRange(_ shift: Int) -> Range<Int> {
        let plane = height * width
        let lower = min(plane, max(0, -shift))
        return lower..<max(lower, plane - max(0, shift))
    }

    /// Zeroes, in each of the image's lines of `body`, the columns `x` whose `x + shift` falls
    /// outside the line (they read padding).
    private func zeroWrappedColumns(_ body: UnsafeMutablePointer<Float>, shift: Int) {
        guard shift != 0 else { return }
        let count = min(abs(shift), width), from = shift < 0 ? 0 : width - count
        for y in 0..<height { (body + y * width + from).update(repeating: 0, count: count) }
    }
}
