/// Eigendecomposition `A = V·diag(λ)·Vᵀ` of a symmetric matrix, eigenvalues ascending.
///
/// Used to report a layer Hessian's spectrum (trace, condition number) and for
/// Hessian-aware pruning allocation.
public struct SymmetricEigen<T: LinalgScalar>: Sendable {
    /// Eigenvalues in ascending order.
    public let values: [T]
    /// `n x k` matrix whose column `j` is the unit eigenvector of `values[j]`.
    public let vectors: Matrix<T>

    /// All eigenpairs by divide and conquer (`syevd`). Only the lower triangle of `a` is read.
    public init(_ a: Matrix<T>) throws {
        try requireSquare(a, "syevd")
        let n = try blasInt(a.rows, "syevd")
        var work = a
        var w = [T](repeating: 0, count: a.rows)
        if n > 0 {
            let info = work.storage.withUnsafeMutableBufferPointer { buffer in
                T.cSyevd(LAPACKLayout.columnMajor, CChar(ascii: "V"), CChar(ascii: "U"), n, buffer.baseAddress!, n, &w)
            }
            try checkArguments(info, routine: "syevd")
            if info > 0 { throw LinalgError.noConvergence(routine: "syevd", info: Int(info)) }
        }
        values = w
        // Column-major eigenvectors are rows of the row-major buffer: transpose once.
        vectors = work.transposed
    }

    /// The `k` largest eigenpairs only (`syevr` with an index range), ascending.
    ///
    /// Cheaper than `init(_:)` when `k` is small: the tridiagonal eigenproblem is solved only
    /// for the wanted indices (MRRR).
    public init(largest k: Int, of a: Matrix<T>) throws {
        try requireSquare(a, "syevr")
        guard k >= 1, k <= a.rows else {
            throw LinalgError.shapeMismatch(operation: "syevr", detail: "asked for \(k) eigenpairs of a \(a.shapeDescription) matrix")
        }
        let n = try blasInt(a.rows, "syevr")
        var work = a
        var found: Int32 = 0
        var w = [T](repeating: 0, count: a.rows)
        var z = [T](repeating: 0, count: a.rows * k)
        var support = [Int32](repeating: 0, count: 2 * k)
        let info = work.storage.withUnsafeMutableBufferPointer { buffer in
            T.cSyevr(LAPACKLayout.columnMajor, CChar(ascii: "V"), CChar(ascii: "I"), CChar(ascii: "U"), n,
                     buffer.baseAddress!, n, 0, 0, n - Int32(k) + 1, n, 0, &found, &w, &z, n, &support)
        }
        try checkArguments(info, routine: "syevr")
        if info > 0 { throw LinalgError.noConvergence(routine: "syevr", info: Int(info)) }
        values = Array(w.prefix(Int(found)))
        // z is n x found column-major: its transpose's buffer is the row-major n x found matrix.
        vectors = try Matrix(rows: Int(found), cols: a.rows, storage: Array(z.prefix(a.rows * Int(found)))).transposed
    }
}
