extension Matrix {
    /// `A⁻¹` of a general square matrix by LU with partial pivoting (`getrf` then `getri`).
    ///
    /// Throws `LinalgError.singular` naming the zero pivot. Prefer `Cholesky` for symmetric
    /// positive-definite matrices: half the work and a clear positive-definiteness check.
    public func inverse() throws -> Matrix {
        try requireSquare(self, "getrf")
        let n = try blasInt(rows, "getrf")
        guard n > 0 else { return self }
        // Column-major LU of the row-major buffer inverts Aᵀ; (Aᵀ)⁻¹ read back row-major is A⁻¹.
        var inv = self
        var pivots = [Int32](repeating: 0, count: rows)
        let factorInfo = inv.storage.withUnsafeMutableBufferPointer { a in
            Scalar.cGetrf(LAPACKLayout.columnMajor, n, n, a.baseAddress!, n, &pivots)
        }
        try checkArguments(factorInfo, routine: "getrf")
        if factorInfo > 0 { throw LinalgError.singular(routine: "getrf", pivot: Int(factorInfo)) }
        let inverseInfo = inv.storage.withUnsafeMutableBufferPointer { a in
            Scalar.cGetri(LAPACKLayout.columnMajor, n, a.baseAddress!, n, pivots)
        }
        try checkArguments(inverseInfo, routine: "getri")
        if inverseInfo > 0 { throw LinalgError.singular(routine: "getri", pivot: Int(inverseInfo)) }
        return inv
    }
}
