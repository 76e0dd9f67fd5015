import ShearsNet

/// (Group) LASSO on the groups inside each conv and linear node's weight (`MaskedLayer.all`):
/// at `element` granularity every weight is its own group and the proximal step is LASSO's
/// soft-thresholding `w ← sign(w)·max(0, |w| − ηλ)` (Tibshirani 1996; Parikh & Boyd 2014,
/// §6.5.2); at `kernel` a group is `W[f, c, :, :]`, shrunk by `max(0, 1 − η·λ·√|g| / ‖w_g‖₂)`.
/// Groups driven exactly to zero are masked, which removes them as masking does everywhere.
extension GroupLasso {
    /// The proximal step on every element or kernel group of `network`'s conv and linear
    /// weights, for a gradient step of size `learningRate`.
    func maskedProximalStep(_ network: GraphNetwork, learningRate: Double) throws {
        for layer in try MaskedLayer.all(in: network, granularity: granularity) {
            let size = layer.layout.groupSize
            let threshold = learningRate * strength * Double(size).squareRoot()
            layer.weight.value.values.withUnsafeMutableBufferPointer { w in
                guard granularity != .element else {
                    // One weight per group: ‖w_g‖₂ = |w| exactly, so the same scale in one pass over the weights.
                    for i in w.indices {
                        let norm = Double(w[i].magnitude)
                        w[i] *= norm > threshold ? Float(1 - threshold / norm) : 0
                    }
                    return
                }
                for group in 0..<layer.layout.groupCount {
                    let indices = layer.layout.indices(group)
                    let norm = indices.reduce(0.0) { $0 + Double(w[$1]) * Double(w[$1]) }.squareRoot()
                    let scale = norm > threshold ? Float(1 - threshold / norm) : 0
                    for i in indices { w[i] *= scale }
                }
            }
        }
    }

    /// Masks every element or kernel group whose weights are all exactly zero and not yet
    /// masked; every layer keeps at least one group. Returns the masked groups by node name.
    static func maskZeroGroups(_ network: GraphNetwork, granularity: Granularity) throws -> [String: [Int]] {
        var masked: [String: [Int]] = [:]
        for layer in try MaskedLayer.all(in: network, granularity: granularity) {
            let values = layer.weight.value.values, mask = layer.weight.mask
            var zero = (0..<layer.layout.groupCount).filter { group in
                layer.layout.indices(group).allSatisfy { values[$0] == 0 && (mask?[$0] ?? 1) != 0 }
            }
            if zero.count == layer.layout.groupCount { zero.removeLast() }
            guard !zero.isEmpty else { continue }
            layer.mask(zero)
            masked[layer.name] = zero
        }
        return masked
    }
}
