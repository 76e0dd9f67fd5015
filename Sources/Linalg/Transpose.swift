import COpenBLAS

/// Whether BLAS uses a matrix as stored or its transpose (`op(A) = A` or `Aᵀ`).
public enum Transpose: Sendable {
    /// `op(A) = A` (`CblasNoTrans`).
    case none
    /// `op(A) = Aᵀ` (`CblasTrans`): BLAS reads the memory transposed; nothing is copied.
    case transposed

    var cblas: CBLAS_TRANSPOSE { self == .none ? CblasNoTrans : CblasTrans }

    /// Rows and columns of `op(A)` for an `rows x cols` matrix `A`.
    func apply(rows: Int, cols: Int) -> (rows: Int, cols: Int) {
        self == .none ? (rows, cols) : (cols, rows)
    }
}
