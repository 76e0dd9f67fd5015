import ShearsNet

/// `layer` granularity on a graph network: a shape-preserving conv with the BatchNorm and ReLU
/// after it (a VGG conv + ReLU, a residual block's `conv1`/`bn1`/`relu1`) is replaced by the
/// identity (`GraphNetwork.bypass`). The
/// candidates are found by walking the graph: a conv whose input and output shapes match
/// (channels in = out, stride 1, "same" padding), read only by a BatchNorm read only by a
/// ReLU, or only by a ReLU. The conv's input is usually rectified already (the previous ReLU,
/// or a block's post-add ReLU), so the identity is what the chain computes with an identity
/// kernel.
///
/// A layer is one group, so the scores are ranked globally as they are: `random`,
/// the l_p norm of the whole conv weight, and the oracle (the mean loss change on the
/// calibration images when the chain is bypassed, on a copy). Replacing a layer is not a
/// deletion of weights, so gradient and Hessian saliencies do not describe it and are refused.
public enum GraphLayerPruning {
    /// One conv + (BatchNorm) + ReLU chain that can become the identity.
    public struct Candidate: Sendable, Equatable {
        /// The chain's node indices, ascending: the conv, its BatchNorm if any, the ReLU.
        public let nodes: [Int]
        /// The conv's node name (`layer1.0.conv1`).
        public let name: String
        /// Forward MACs per image the conv costs, which removal saves.
        public let macs: Int
    }

    /// Every candidate chain of `network`, in node order.
    public static func candidates(in network: GraphNetwork) throws -> [Candidate] {
        let macs = try network.specification.macsPerNode()
        func onlyReader(of node: Int) -> Int? {
            let readers = network.nodes.indices.filter { network.nodes[$0].inputs.contains(node) }
            return readers.count == 1 && network.nodes[readers[0]].inputs == [node] ? readers[0] : nil
        }
        return network.nodes.indices.compactMap { index -> Candidate? in
            guard case let .convolution(inChannels, outChannels, kernelSize, stride, padding, _) = network.nodes[index].operation,
                  inChannels == outChannels, stride == 1, 2 * padding == kernelSize - 1,
                  var next = onlyReader(of: index) else { return nil }
            var chain = [index]
            if case .batchNorm = network.nodes[next].operation {
                chain.append(next)
                guard let after = onlyReader(of: next) else { return nil }
                next = after
            }
            guard case .relu = network.nodes[next].operation, next < network.nodes.count - 1 else { return nil }
            return Candidate(nodes: chain + [next], name: network.nodes[index].name, macs: macs[index])
        }
    }

    /// One score per candidate of `network` by the criterion called `name` (lower replaced
    /// first); `seed` drives `random`, and the oracle reads `calibration`. Throws
    /// `granularityNotApplicable` for a criterion layer groups do not take.
    public static func scores(_ network: GraphNetwork, candidates: [Candidate], criterion name: String, seed: UInt64,
                              calibration: Dataset?, batchSize: Int = 128) throws -> [Double] {
        switch try criterion(name) {
        case .random:
            var rng = SeededGenerator(seed: seed)
            return candidates.map { _ in Double(rng.nextUnitFloat()) }
        case let .norm(p):
            return candidates.map { candidate in
                let weight = (network.nodes[candidate.nodes[0]].layer as! Conv2D).weight.value.values
                return groupNorm(weight, indices: weight.indices, p: p)
            }
        case .oracle, .oracleAbs:
            guard let data = calibration, data.count > 0 else { throw PruningError.needsCalibration(criterion: name) }
            let base = SubsetLoss.meanLoss(network, data: data, batchSize: batchSize)
            return try candidates.map { candidate in
                let without = network.copy()
                try without.bypass(candidate.nodes)
                let change = SubsetLoss.meanLoss(without, data: data, batchSize: batchSize) - base
                return name == "oracle" ? change : abs(change)
            }
        default:
            preconditionFailure("GraphLayerPruning.criterion admitted \(name)")
        }
    }

    /// The parsed criterion `name` if layer groups take it; throws `granularityNotApplicable` (or `unknownCriterion`) otherwise.
    public static func criterion(_ name: String) throws -> CriterionName {
        let parsed = try CriterionName(parsing: name)
        switch parsed {
        case .random, .norm, .oracle, .oracleAbs: return parsed
        default:
            throw PruningError.granularityNotApplicable(.layer, layer: "criterion '\(name)'",
                                                        reason: "layer groups are scored by random, l_p norms or the oracle")
        }
    }

    /// Replaces the lowest-scored `⌊ratio · candidates⌋` chains by the identity (ties: the
    /// earlier one first); returns their conv names in node order.
    @discardableResult
    public static func prune(_ network: GraphNetwork, ratio: Double, criterion: String, seed: UInt64,
                             calibration: Dataset?) throws -> [String] {
        guard ratio >= 0, ratio < 1 else { throw PruningError.ratioOutOfRange(ratio) }
        let candidates = try nonEmptyCandidates(network)
        let scores = try Self.scores(network, candidates: candidates, criterion: criterion, seed: seed, calibration: calibration)
        let count = Int((ratio * Double(candidates.count)).rounded(.down))
        let chosen = lowestFirst(scores).prefix(count).map { candidates[$0] }
        try bypass(chosen, in: network)
        return chosen.sorted { $0.nodes[0] < $1.nodes[0] }.map(\.name)
    }

    /// Replaces chains by the identity, lowest scores first, scoring again after each round,
    /// until the network's FLOPs (2 x MACs) are at most `targetFlops`. Throws
    /// `granularityNotApplicable` when no chain is left to replace and the target is not reached.
    public static func prune(_ network: GraphNetwork, toFlops targetFlops: Int, criterion: String, seed: UInt64,
                             calibration: Dataset?) throws {
        while true {
            let current = 2 * (try network.specification.macs())
            guard current > targetFlops else { return }
            let candidates = try Self.candidates(in: network)
            guard !candidates.isEmpty else {
                throw PruningError.targetNotReached(quantity: "FLOPs", target: targetFlops, reached: current,
                                                    limit: "no shape-preserving conv left to replace")
            }
            let scores = try Self.scores(network, candidates: candidates, criterion: criterion, seed: seed, calibration: calibration)
            var (toSave, chosen) = ((current - targetFlops + 1) / 2, [Candidate]())
            for index in lowestFirst(scores) where toSave > 0 {
                chosen.append(candidates[index])
                toSave -= candidates[index].macs
            }
            try bypass(chosen, in: network)
        }
    }

    /// The candidates of `network`; throws `granularityNotApplicable` when there are none.
    static func nonEmptyCandidates(_ network: GraphNetwork) throws -> [Candidate] {
        let candidates = try Self.candidates(in: network)
        guard !candidates.isEmpty else {
            throw PruningError.granularityNotApplicable(.layer, layer: "the network", reason: "no convolution keeps its input's shape")
        }
        return candidates
    }

    /// Bypasses `chosen`, last in the graph first, so that the earlier chains' indices stay valid.
    static func bypass(_ chosen: [Candidate], in network: GraphNetwork) throws {
        for candidate in chosen.sorted(by: { $0.nodes[0] > $1.nodes[0] }) { try network.bypass(candidate.nodes) }
    }
}
