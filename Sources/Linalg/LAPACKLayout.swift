/// LAPACKE's layout codes and the character arguments, as Swift values.
///
/// Symmetric routines are called in column-major layout on our row-major buffers: a symmetric
/// matrix is its own transpose, so no copy is needed, and the row-major *lower* triangle is the
/// column-major *upper* one. This avoids the transposed copy LAPACKE makes for row-major input.
enum LAPACKLayout {
    static let rowMajor: Int32 = 101
    static let columnMajor: Int32 = 102
}

extension CChar {
    init(ascii: Unicode.Scalar) { self = CChar(bitPattern: UInt8(ascii: ascii)) }
}

/// Checks that a matrix is square before a routine that needs it.
func requireSquare<T>(_ m: Matrix<T>, _ operation: String) throws {
    guard m.rows == m.cols else {
        throw LinalgError.shapeMismatch(operation: operation, detail: "needs a square matrix, got \(m.shapeDescription)")
    }
}
