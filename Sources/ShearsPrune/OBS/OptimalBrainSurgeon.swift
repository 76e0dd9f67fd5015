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
/// `H` is damped (`H + λI`) when it is singular; `damping` reports λ.
public struct OptimalBrainSurgeon: Sendable {
    /// `(H + λI)⁻¹`.
    public let inverseHessian: Matrix<Double>
    /// The λ that made `H + λI` positive definite (0 if `H` already was).
    public let damping: Double

    public init(hessian: Matrix<Double>) throws {
        let factor = try DampedCholesky(hessian)
        inverseHessian = try factor.factor.inverse()
        damping = factor.lambda
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
