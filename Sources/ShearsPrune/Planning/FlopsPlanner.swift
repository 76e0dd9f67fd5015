/// Plans by FLOPs rather than by a share of groups: the curve's operating points are
/// fractions of the original FLOPs.
extension Planner {
    /// Removes the lowest-ranked groups until their estimated saving reaches `macsToSave`
    /// (forward MACs per image), never a layer's last group. `skip` lists groups already
    /// removed by masks. Global ranking uses the l2-normalised scores; per-layer ranking finds
    /// the smallest common share of every layer's lowest groups that saves enough.
    ///
    /// The estimate counts each group's own MACs and its consumer's share, so removing a
    /// filter and a consumer filter together is counted twice: callers re-measure and plan
    /// again until the target is reached.
    /// `floors` is the least number of groups each layer keeps (at least one everywhere);
    /// `rounding` keeps each layer's width a multiple of its `multiple` at the granularities
    /// that change widths (filter, channel, neuron).
    public static func plan(_ scores: [LayerScores], granularity: Granularity, macsToSave: Int, ranking: Ranking,
                            skip: [PrunableLayer: Set<Int>] = [:], floors: [PrunableLayer: Int] = [:],
                            rounding: WidthRounding = .none) throws -> PruningPlan {
        guard ranking != .hessian else {
            throw PruningError.granularityNotApplicable(granularity, layer: "a FLOPs target",
                                                        reason: "Hessian-aware shares are by groups; use global or per-layer")
        }
        // Candidates per layer, lowest score first, without skipped groups and keeping the floor.
        let candidates: [[Int]] = scores.map { layer in
            let skipped = skip[layer.groups.layer] ?? []
            let alive = lowest(layer.scores, layer.scores.count).filter { !skipped.contains($0) }
            return Array(alive.dropLast(max(1, floors[layer.groups.layer] ?? 1)))
        }
        let rounding = [.filter, .channel, .neuron].contains(granularity) ? rounding : .none
        var removals: [PrunableLayer: [Int]] = [:]
        guard macsToSave > 0 else { return PruningPlan(granularity: granularity, removals: [:]) }
        switch ranking {
        case .global, .hessian:
            var all: [(score: Double, layer: Int, group: Int)] = []
            for (index, layer) in scores.enumerated() {
                let comparable = layer.globallyComparable
                for group in candidates[index] { all.append((comparable[group], index, group)) }
            }
            all.sort { ($0.score, $0.layer, $0.group) < ($1.score, $1.layer, $1.group) }
            let taken = rounding.take(all.map { ($0.layer, $0.group) }, widths: scores.map(\.groups.count),
                                      savings: scores.map(\.groups.macsPerGroup), target: macsToSave)
            for (layer, groups) in zip(scores, taken) { removals[layer.groups.layer] = groups }
        case .perLayer:
            func saving(_ share: Double) -> Int {
                zip(scores, candidates).reduce(0) { total, pair in
                    let count = rounding.removals(min(pair.1.count, Int((share * Double(pair.0.groups.count)).rounded(.up))),
                                                  width: pair.0.groups.count)
                    return total + pair.1.prefix(count).reduce(0) { $0 + pair.0.groups.macsPerGroup[$1] }
                }
            }
            var (low, high) = (0.0, 1.0)
            for _ in 0..<60 {
                let middle = (low + high) / 2
                if saving(middle) >= macsToSave { high = middle } else { low = middle }
            }
            for (layer, alive) in zip(scores, candidates) {
                let count = rounding.removals(min(alive.count, Int((high * Double(layer.groups.count)).rounded(.up))),
                                              width: layer.groups.count)
                if count > 0 { removals[layer.groups.layer] = Array(alive.prefix(count)) }
            }
        }
        return PruningPlan(granularity: granularity, removals: removals.filter { !$0.value.isEmpty }.mapValues { $0.sorted() })
    }
}
