import COpenBLAS

/// Level-3 and level-2 BLAS on row-major views, with shapes checked before the C call.
public enum BLAS {
    /// `C ← alpha · op(A) · op(B) + beta · C` (`sgemm`/`dgemm`), on strided views, without copies.
    ///
    /// `op(A)` is `m x k`, `op(B)` is `k x n`, `C` is `m x n`.
    public static func gemm<T: LinalgScalar>(
        _ a: MatrixView<T>, _ b: MatrixView<T>, into c: MutableMatrixView<T>,
        transA: Transpose = .none, transB: Transpose = .none, alpha: T = 1, beta: T = 0
    ) throws {
        let opA = transA.apply(rows: a.rows, cols: a.cols)
        let opB = transB.apply(rows: b.rows, cols: b.cols)
        guard opA.cols == opB.rows, c.rows == opA.rows, c.cols == opB.cols else {
            throw LinalgError.shapeMismatch(
                operation: "gemm",
                detail: "op(A) is \(opA.rows)x\(opA.cols) (A \(a.shapeDescription)), "
                    + "op(B) is \(opB.rows)x\(opB.cols) (B \(b.shapeDescription)), C is \(c.shapeDescription)")
        }
        let m = try blasInt(opA.rows, "gemm"), n = try blasInt(opB.cols, "gemm")
        let k = try blasInt(opA.cols, "gemm")
        if m == 0 || n == 0 { return }
        T.cGemm(transA.cblas, transB.cblas, m, n, k, alpha, a.base, try blasInt(a.rowStride, "gemm"),
                b.base, try blasInt(b.rowStride, "gemm"), beta, c.base, try blasInt(c.rowStride, "gemm"))
    }

    /// `y ← alpha · op(A) · x + beta · y` (`sgemv`/`dgemv`); `x` and `y` are contiguous.
    public static func gemv<T: LinalgScalar>(
        _ a: MatrixView<T>, _ x: UnsafeBufferPointer<T>, into y: UnsafeMutableBufferPointer<T>,
        trans: Transpose = .none, alpha: T = 1, beta: T = 0
    ) throws {
        let op = trans.apply(rows: a.rows, cols: a.cols)
        guard x.count == op.cols, y.count == op.rows else {
            throw LinalgError.shapeMismatch(
                operation: "gemv",
                detail: "op(A) is \(op.rows)x\(op.cols) (A \(a.shapeDescription)), x has \(x.count), y has \(y.count)")
        }
        guard op.rows > 0 else { return }
        T.cGemv(trans.cblas, try blasInt(a.rows, "gemv"), try blasInt(a.cols, "gemv"), alpha, a.base,
                try blasInt(a.rowStride, "gemv"), x.baseAddress!, 1, beta, y.baseAddress!, 1)
    }

    /// `C ← alpha · op(A)ᵀ·op(A)`-style Gram products (`ssyrk`/`dsyrk`), filling **both** triangles of C.
    ///
    /// `trans = .transposed`: `C = alpha · AᵀA + beta · C` for `A` `k x n` (rows are samples);
    /// `trans = .none`: `C = alpha · A·Aᵀ + beta · C` for `A` `n x k` (columns are samples, as in
    /// im2col). Either way `C` is `n x n`: the Gram matrix behind layer Hessians
    /// `H = (2/N) Σ x xᵀ` (OBS, Hassibi & Stork 1993; OBC, Frantar & Alistarh 2022).
    /// SYRK does half the multiplications of the equivalent GEMM; the mirror copy is O(n²).
    public static func syrk<T: LinalgScalar>(
        _ a: MatrixView<T>, into c: MutableMatrixView<T>, trans: Transpose = .transposed, alpha: T = 1, beta: T = 0
    ) throws {
        let (n, k) = trans == .transposed ? (a.cols, a.rows) : (a.rows, a.cols)
        guard c.rows == n, c.cols == n else {
            throw LinalgError.shapeMismatch(
                operation: "syrk",
                detail: "\(trans == .transposed ? "AᵀA" : "A·Aᵀ") of A \(a.shapeDescription) is \(n)x\(n), C is \(c.shapeDescription)")
        }
        let n32 = try blasInt(n, "syrk")
        guard n32 > 0 else { return }
        T.cSyrk(CblasUpper, trans.cblas, n32, try blasInt(k, "syrk"), alpha, a.base,
                try blasInt(a.rowStride, "syrk"), beta, c.base, try blasInt(c.rowStride, "syrk"))
        mirrorUpperToLower(c)
    }

    /// Copies the upper triangle of a square view into its lower triangle.
    static func mirrorUpperToLower<T: LinalgScalar>(_ c: MutableMatrixView<T>) {
        for i in 0..<c.rows {
            for j in 0..<i { c.base[i * c.rowStride + j] = c.base[j * c.rowStride + i] }
        }
    }
}

extension Matrix {
    /// `op(A) · op(B)` as a new matrix (convenience over `BLAS.gemm`).
    public static func product(_ a: Matrix, _ b: Matrix,
                               transA: Transpose = .none, transB: Transpose = .none) throws -> Matrix {
        let rows = transA.apply(rows: a.rows, cols: a.cols).rows
        let cols = transB.apply(rows: b.rows, cols: b.cols).cols
        var c = Matrix(rows: rows, cols: cols)
        try a.withView { av in
            try b.withView { bv in
                try c.withMutableView { cv in try BLAS.gemm(av, bv, into: cv, transA: transA, transB: transB) }
            }
        }
        return c
    }

    /// `AᵀA` as a new symmetric matrix (convenience over `BLAS.syrk`).
    public func gram() throws -> Matrix {
        var c = Matrix(rows: cols, cols: cols)
        try withView { av in
            try c.withMutableView { cv in try BLAS.syrk(av, into: cv) }
        }
        return c
    }
}
