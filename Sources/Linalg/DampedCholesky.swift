/// Cholesky of `A + λI` with the smallest λ on a ladder of powers of 10 that makes it succeed.
///
/// Layer Hessians `H = (2/N) Σ x xᵀ` are singular whenever inputs are linearly dependent
/// (dead ReLUs, fewer samples than inputs). OBS needs `H⁻¹`, so it uses `H + λI` as
/// SparseGPT/OBC do (Frantar & Alistarh 2022, "percdamp"). λ = 0 is tried first; then the
/// ladder starts at λ₀ = `relativeStart` · mean|diag A| and climbs by 10 until the factorisation
/// succeeds; if λ₀ already works it descends by 10 until one fails or λ falls below
/// ulp · mean|diag A| (a smaller shift is lost in rounding). Either way the λ returned is
/// within a factor of 10 of the smallest λ that works.
public struct DampedCholesky<T: LinalgScalar>: Sendable {
    /// The factorisation of `A + lambda·I`.
    public let factor: Cholesky<T>
    /// The damping that was needed (0 when `A` itself was positive definite).
    public let lambda: T
    /// How many factorisations were tried.
    public let attempts: Int

    /// - Parameters:
    ///   - a: the symmetric matrix to factor.
    ///   - relativeStart: first non-zero λ as a fraction of the mean |diagonal entry|.
    ///   - maxAttempts: how many factorisations to try before giving up.
    public init(_ a: Matrix<T>, relativeStart: T = 1e-8, maxAttempts: Int = 40) throws {
        try requireSquare(a, "damped Cholesky")
        precondition(relativeStart > 0 && maxAttempts >= 2,
                     "DampedCholesky: relativeStart \(relativeStart), maxAttempts \(maxAttempts)")
        var diagonalMean: T = 0
        for i in 0..<a.rows { diagonalMean += abs(a[i, i]) }
        let scale = a.rows > 0 && diagonalMean > 0 ? diagonalMean / T(a.rows) : 1
        var attempts = 1
        if let undamped = try Self.attempt(a) {
            (factor, lambda, self.attempts) = (undamped, 0, attempts)
            return
        }
        var lambda = relativeStart * scale
        var found: Cholesky<T>?
        while found == nil {
            guard attempts < maxAttempts else {
                throw LinalgError.dampingExhausted(lastLambda: Double(lambda / 10), attempts: attempts)
            }
            attempts += 1
            found = try Self.attempt(Self.shifted(a, by: lambda))
            if found == nil { lambda *= 10 }
        }
        if attempts == 2 {
            // λ₀ worked at once: walk down while smaller shifts still factor.
            let floor = T.ulpOfOne * scale
            while lambda / 10 >= floor, attempts < maxAttempts,
                  let smaller = try Self.attempt(Self.shifted(a, by: lambda / 10)) {
                attempts += 1
                (found, lambda) = (smaller, lambda / 10)
            }
        }
        (factor, self.lambda, self.attempts) = (found!, lambda, attempts)
    }

    /// The factorisation, or nil when the matrix is not positive definite; other errors propagate.
    private static func attempt(_ a: Matrix<T>) throws -> Cholesky<T>? {
        do {
            return try Cholesky(a)
        } catch LinalgError.notPositiveDefinite {
            return nil
        }
    }

    private static func shifted(_ a: Matrix<T>, by lambda: T) -> Matrix<T> {
        var shifted = a
        for i in 0..<a.rows { shifted[i, i] += lambda }
        return shifted
    }
}
