/// FLOPs regularisation (Molchanov et al. 2017, eq. 9): `Θ − λ · FLOPs(group)`, so that
/// among similarly important groups the expensive ones go first. FLOPs are counted in
/// GFLOPs per image (2 x the group's MACs / 1e9) so λ has a readable scale.
public enum FlopsRegularization {
    /// Each score minus `λ · 2 · macsPerGroup / 1e9` (the group's GFLOPs per image), `comparableAcrossLayers` kept;
    /// λ must be finite and ≥ 0 (a precondition).
    public static func apply(_ scores: [LayerScores], lambda: Double) -> [LayerScores] {
        precondition(lambda >= 0 && lambda.isFinite, "FLOPs regularisation: λ = \(lambda)")
        return scores.map { layer in
            LayerScores(groups: layer.groups, scores: zip(layer.scores, layer.groups.macsPerGroup).map {
                $0 - lambda * 2 * Double($1) / 1e9
            }, comparableAcrossLayers: layer.comparableAcrossLayers)
        }
    }
}
