/// Least-squares solutions of `min ‖A·X − B‖_F` for a full-rank `A` by QR (`gels`).
///
/// Castellano et al. (1997) re-fit the next layer's weights after removing units this way, so
/// that its pre-activations on a data subset are preserved.
public enum LeastSquares {
    /// `X` (`n x nrhs`) minimising `‖A·X − B‖_F`, for `A` `m x n` with `m ≥ n` and full column rank.
    ///
    /// Throws `LinalgError.rankDeficient` when `A` has dependent columns.
    public static func solve<T: LinalgScalar>(_ a: Matrix<T>, _ b: Matrix<T>) throws -> Matrix<T> {
        guard a.rows == b.rows else {
            throw LinalgError.shapeMismatch(
                operation: "gels", detail: "A is \(a.shapeDescription) but B is \(b.shapeDescription): row counts differ")
        }
        guard a.rows >= a.cols else {
            throw LinalgError.shapeMismatch(
                operation: "gels", detail: "A is \(a.shapeDescription): needs at least as many rows as columns")
        }
        guard a.cols > 0, b.cols > 0 else { return Matrix(rows: a.cols, cols: b.cols) }
        var factored = a
        var solution = b
        let m = try blasInt(a.rows, "gels"), n = try blasInt(a.cols, "gels"), nrhs = try blasInt(b.cols, "gels")
        let info = factored.storage.withUnsafeMutableBufferPointer { ab in
            solution.storage.withUnsafeMutableBufferPointer { bb in
                T.cGels(LAPACKLayout.rowMajor, CChar(ascii: "N"), m, n, nrhs, ab.baseAddress!, n, bb.baseAddress!, nrhs)
            }
        }
        try checkArguments(info, routine: "gels")
        if info > 0 { throw LinalgError.rankDeficient(routine: "gels", diagonalElement: Int(info)) }
        // The first n rows of the overwritten B hold X.
        return try Matrix(rows: a.cols, cols: b.cols, storage: Array(solution.storage.prefix(a.cols * b.cols)))
    }
}
