/// The Cholesky factorisation `A = L·Lᵀ` of a symmetric positive-definite matrix
/// (`potrf`), with solves (`potrs`) and the inverse (`potri`).
public struct Cholesky<T: LinalgScalar>: Sendable {
    /// Row-major buffer whose lower triangle holds `L`; the strict upper triangle is unused.
    private var packed: Matrix<T>

    /// Order of the factored matrix.
    public var order: Int { packed.rows }

    /// Factors a symmetric positive-definite `a` (only its lower triangle is read).
    ///
    /// Throws `LinalgError.notPositiveDefinite` naming the first leading minor that is not positive.
    public init(_ a: Matrix<T>) throws {
        try requireSquare(a, "potrf")
        packed = a
        let n = try blasInt(a.rows, "potrf")
        guard n > 0 else { return }
        let info = packed.storage.withUnsafeMutableBufferPointer {
            // Column-major 'U' on a row-major buffer is the row-major lower triangle.
            T.cPotrf(LAPACKLayout.columnMajor, CChar(ascii: "U"), n, $0.baseAddress!, n)
        }
        try checkArguments(info, routine: "potrf")
        if info > 0 { throw LinalgError.notPositiveDefinite(routine: "potrf", leadingMinor: Int(info)) }
    }

    /// The lower-triangular factor `L` with `A = L·Lᵀ`.
    public var lower: Matrix<T> {
        var l = packed
        for i in 0..<order {
            for j in (i + 1)..<order { l[i, j] = 0 }
        }
        return l
    }

    /// Solves `A·X = B` for `X` (`B` is `n x nrhs`).
    public func solve(_ b: Matrix<T>) throws -> Matrix<T> {
        guard b.rows == order else {
            throw LinalgError.shapeMismatch(
                operation: "potrs", detail: "A is \(order)x\(order) but B is \(b.shapeDescription)")
        }
        guard order > 0, b.cols > 0 else { return b }
        // potrs in column-major wants B column-major: solve on Bᵀ's buffer, then transpose back.
        var x = b.transposed
        let n = try blasInt(order, "potrs"), nrhs = try blasInt(b.cols, "potrs")
        let info = packed.storage.withUnsafeBufferPointer { a in
            x.storage.withUnsafeMutableBufferPointer { xb in
                T.cPotrs(LAPACKLayout.columnMajor, CChar(ascii: "U"), n, nrhs, a.baseAddress!, n, xb.baseAddress!, n)
            }
        }
        try checkArguments(info, routine: "potrs")
        return x.transposed
    }

    /// `A⁻¹`, symmetric, both triangles filled (`potri`).
    public func inverse() throws -> Matrix<T> {
        var inv = packed
        let n = try blasInt(order, "potri")
        guard n > 0 else { return inv }
        let info = inv.storage.withUnsafeMutableBufferPointer {
            T.cPotri(LAPACKLayout.columnMajor, CChar(ascii: "U"), n, $0.baseAddress!, n)
        }
        try checkArguments(info, routine: "potri")
        if info > 0 { throw LinalgError.singular(routine: "potri", pivot: Int(info)) }
        // potri filled the row-major lower triangle; mirror it into the upper one.
        for i in 0..<order {
            for j in 0..<i { inv[j, i] = inv[i, j] }
        }
        return inv
    }
}
