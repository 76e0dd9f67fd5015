import Linalg

/// Layer-wise Optimal Brain Surgeon (Hassibi & Stork 1993), in the tractable per-layer form
/// of OBC/SparseGPT (Frantar & Alistarh 2022).
///
/// For a linear map with weights `W` (`rows x K`) and inputs `x`, the reconstruction error
/// `E(W') = (1/N) Σₙ ‖(W' − W) xₙ‖²` has, for every row, the Hessian `H = (2/N) Σₙ xₙ xₙᵀ`,
/// so `E = ½ Σ_r δw_rᵀ H δw_r` exactly. Removing the input columns `S` (setting `W[:, S] = 0`)
/// at least cost, with the other weights free, costs
/// `ΔE = ½ Σ_r w_{r,S}ᵀ ([H⁻¹]_SS)⁻¹ w_{r,S}` and is achieved by the update
/// `δW = −W_S ([H⁻¹]_SS)⁻¹ (H⁻¹)_{S,:}`. For one weight this is Hassibi's `w_q² / (2 [H⁻¹]_qq)`.
///
/// `H` is damped, `H + λI`, with λ = δ · mean(diag H) (SparseGPT's `percdamp`, Frantar &
/// Alistarh 2023; OBC offers the same relative damping). A layer Hessian built from fewer
/// samples than its order is singular, and the smallest λ that merely lets Cholesky succeed
/// leaves `H⁻¹` dominated by rounding in its null space, so saliencies there change with the
/// order the samples were added in; a relative λ fixes the scale of that null space.
/// δ = 0 asks for the smallest λ on a ladder of powers of 10 that factors `H`
/// (`DampedCholesky`): the exact inverse when `H` is positive definite. `damping` reports λ.
public struct OptimalBrainSurgeon: Sendable {
    /// δ by default: 1% of the mean diagonal, SparseGPT's default.
    public static let defaultRelativeDamping = 0.01

    /// `(H + λI)⁻¹`.
    public let inverseHessian: Matrix<Double>
    /// The λ added to the diagonal (0 if δ = 0 and `H` was positive definite).
    public let damping: Double

    /// Damps the symmetric `n x n` `hessian` by λ = δ · mean(diag H) and inverts it through Cholesky, climbing
    /// `DampedCholesky`'s ladder if `H + λI` still does not factor; throws `LinalgError` when no λ works.
    public init(hessian: Matrix<Double>, relativeDamping delta: Double = defaultRelativeDamping) throws {
        precondition(delta >= 0 && delta.isFinite, "OptimalBrainSurgeon: relative damping \(delta)")
        var shifted = hessian, lambda = 0.0
        if delta > 0, hessian.rows > 0 {
            lambda = delta * (0..<hessian.rows).reduce(0.0) { $0 + abs(hessian[$1, $1]) } / Double(hessian.rows)
            for i in 0..<hessian.rows { shifted[i, i] += lambda }
        }
        // An all-zero H (every input dead) gives λ = 0: the ladder still finds a shift.
        let factor = try DampedCholesky(shifted)
        inverseHessian = try factor.factor.inverse()
        damping = lambda + factor.lambda
    }

    /// `([H⁻¹]_SS)⁻¹`, the |S| x |S| matrix both the saliency and the update use.
    func blockInverse(_ columns: [Int]) throws -> Matrix<Double> {
        var block = Matrix<Double>(rows: columns.count, cols: columns.count)
        for (i, p) in columns.enumerated() { for (j, q) in columns.enumerated() { block[i, j] = inverseHessian[p, q] } }
        return try Cholesky(block).inverse()
    }

    /// Predicted increase of `E` when columns `S` of every row of `weights` are removed
    /// with the optimal update of the remaining weights.
    public func saliency(of columns: [Int], in weights: Matrix<Double>) throws -> Double {
        let m = try blockInverse(columns)
        var total = 0.0
        for r in 0..<weights.rows {
            let w = columns.map { weights[r, $0] }
            for i in columns.indices { for j in columns.indices { total += w[i] * m[i, j] * w[j] } }
        }
        return total / 2
    }

    /// Sets `weights[:, S]` to zero and applies the optimal update to the other columns.
    public func remove(_ columns: [Int], from weights: inout Matrix<Double>) throws {
        let m = try blockInverse(columns)
        // W_S · M  (rows x |S|), then δW = −(W_S M) · (H⁻¹)_{S,:}.
        var ws = Matrix<Double>(rows: weights.rows, cols: columns.count)
        for r in 0..<weights.rows { for (i, q) in columns.enumerated() { ws[r, i] = weights[r, q] } }
        let wsm = try Matrix.product(ws, m)
        var rowsOfInverse = Matrix<Double>(rows: columns.count, cols: weights.cols)
        for (i, q) in columns.enumerated() { for c in 0..<weights.cols { rowsOfInverse[i, c] = inverseHessian[q, c] } }
        let delta = try Matrix.product(wsm, rowsOfInverse)
        for i in weights.storage.indices { weights.storage[i] -= delta.storage[i] }
        // Exactly zero, not rounding residue.
        for r in 0..<weights.rows { for q in columns { weights[r, q] = 0 } }
    }
}
