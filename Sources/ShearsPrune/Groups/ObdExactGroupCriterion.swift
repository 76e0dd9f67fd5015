import Foundation
import ShearsNet

/// Optimal Brain Damage (LeCun, Denker & Solla 1990) on dependency groups with the exact
/// Hessian diagonal of the mean cross-entropy. The paper expands the loss change of a
/// perturbation δu as `δE = Σ_i g_i δu_i + ½ Σ_i h_ii δu_i² + ½ Σ_{i≠j} h_ij δu_i δu_j + O(‖δu‖³)`
/// (its eq. 1), keeps the diagonal term at a minimum, and prices deleting weight k (δu_k = −u_k)
/// by the saliency `s_k = h_kk u_k² / 2` (step 4 of its recipe). Channel c of a group sums the
/// saliencies of row c of every producer's weight W_p:
///
///     s_c = ½ Σ_p Σ_{q ∈ W_p[c]} h_qq w_q²,   h_qq = (1/N) Σ_n Σ_k (J_nᵀ v_nk)_q²,
///     v_nk = √p_nk (p_n − e_k)
///
/// with `J_n = ∂z_n/∂w` the Jacobian of example n's logits and p_n its softmax, so that
/// `Σ_k v_nk v_nkᵀ = diag p_n − p_n p_nᵀ` is the cross-entropy's Hessian in the logits: one
/// backward pass per class from each batch's single forward pass, in evaluation mode. This
/// Gauss–Newton diagonal is the exact Hessian diagonal when the logits are piecewise linear in
/// each single weight (ReLU, max-pool, evaluation-mode BatchNorm; `docs/criteria.md`;
/// checked against second differences in `ObdExactGroupCriterionTests`). Only the producers'
/// weights count, not their biases nor BatchNorm parameters.
public struct ObdExactGroupCriterion: GroupCriterion {
    public let name = "obd-exact"
    public let input = CriterionInput.calibrationImages
    /// Calibration images per forward pass; each is followed by one backward pass per class.
    public let batchSize: Int

    /// The criterion, reading the calibration images `batchSize` (≥ 1) at a time.
    public init(batchSize: Int = 128) {
        precondition(batchSize >= 1, "ObdExactGroupCriterion: batch size \(batchSize)")
        self.batchSize = batchSize
    }

    public func scores(_ network: GraphNetwork, groups: [ChannelGroup], calibration: Dataset?) throws -> [[Double]] {
        guard let data = calibration, data.count > 0 else { throw PruningError.needsCalibration(criterion: name) }
        let diagonal = hessianDiagonal(network, producers: Set(groups.flatMap(\.producers)), data: data)
        return ObdGroupCriterion.saliencies(network, groups: groups, diagonal: diagonal)
    }

    /// `h_qq = (1/N) Σ_n Σ_k (J_nᵀ v_nk)_q²` for the weight of each producer, in its layout.
    func hessianDiagonal(_ network: GraphNetwork, producers: Set<Int>, data: Dataset) -> [Int: [Double]] {
        let producers = producers.sorted()
        var sums = producers.map { [Double](repeating: 0, count: network.nodes[$0].layer?.parameters.first?.value.count ?? 0) }
        let perExample = ObdGroupCriterion(batchSize: batchSize)
        network.isRecording = true
        defer {
            network.isRecording = false
            for parameter in network.parameters { parameter.zeroGradient() }
        }
        var start = 0
        while start < data.count {
            let end = min(data.count, start + batchSize)
            let images = data.batch(Array(start..<end)[...]).images
            let logits = network.forward(images, training: false)
            // The curvature of the loss in the logits does not depend on the labels.
            for factor in Self.curvatureFactors(logits) {
                _ = network.backward(factor)
                for (index, producer) in producers.enumerated() {
                    perExample.addSquaredSampleGradients(network, producer, images: images, scale: 1, into: &sums[index])
                }
            }
            for parameter in network.parameters { parameter.zeroGradient() }
            start = end
        }
        return Dictionary(uniqueKeysWithValues: zip(producers, sums.map { $0.map { $0 / Double(data.count) } }))
    }

    /// The tensors `V_k` (`N x classes`, row n = `v_nk = √p_nk (p_n − e_k)`, p_n the softmax of
    /// row n of `logits`), whose `Σ_k v_nk v_nkᵀ = diag p_n − p_n p_nᵀ` is the cross-entropy's
    /// Hessian in example n's logits; `p_n − e_k` is the loss gradient for label k.
    static func curvatureFactors(_ logits: Tensor) -> [Tensor] {
        let (n, classes) = (logits.shape[0], logits.shape[1])
        var p = logits.values
        for row in 0..<n {
            let slice = (row * classes)..<((row + 1) * classes)
            let top = p[slice].max()!
            for j in slice { p[j] = exp(p[j] - top) }
            let sum = p[slice].reduce(0, +)
            for j in slice { p[j] /= sum }
        }
        return (0..<classes).map { k in
            var v = Tensor(shape: [n, classes])
            for row in 0..<n {
                let weight = p[row * classes + k].squareRoot()
                for j in 0..<classes { v.values[row * classes + j] = weight * (p[row * classes + j] - (j == k ? 1 : 0)) }
            }
            return v
        }
    }
}
