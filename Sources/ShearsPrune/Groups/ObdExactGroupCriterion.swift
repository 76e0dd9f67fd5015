import ShearsNet

/// Optimal Brain Damage (LeCun, Denker & Solla 1990) on dependency groups with the exact
/// Hessian diagonal of the mean cross-entropy, as the VGG `obd-exact` computes it
/// (`HessianDiagonal.gaussNewton(.crossEntropy)`). The paper expands the loss change of a
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
/// each single weight (ReLU, max-pool, evaluation-mode BatchNorm; `docs/criteria.md`). As in
/// the VGG criterion, only the producers' weights count, not their biases nor BatchNorm
/// parameters. A VGG filter or neuron scores as the VGG `obd-exact` does
/// (`ObdExactGroupCriterionTests`).
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
            for factor in ObdCriterion.outputCurvatureFactors(logits, loss: .crossEntropy) {
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
}
