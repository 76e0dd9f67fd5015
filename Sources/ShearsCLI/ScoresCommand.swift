import ArgumentParser
import Foundation
import ShearsNet
import ShearsPrune

/// `shears scores`: one row per group with its score, rank, FLOPs and parameters.
struct ScoresCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "scores", abstract: "Score every group of a checkpoint with a criterion and write a CSV.",
        discussion: """
        Rows are named by layer: a dependency group by its first producer (filter, channel, neuron), \
        a conv or linear node by its name (element, kernel, shape), a replaceable conv + BatchNorm + ReLU \
        chain by its conv (layer). Ranks count within the layer (within all chains for layer). flops and \
        params are what removing the group saves, per image.
        """)

    @Option(help: "Checkpoint to score (VGG or graph).")
    var model: String

    @OptionGroup var pruning: PruningOptions

    @Option(help: "CSV file to write (atomically).")
    var out: String

    @OptionGroup var compute: ComputeOptions
    @OptionGroup var data: DataOptions

    /// Groups ranked together: each row's layer and group columns, the scores and what removing each group saves.
    struct Layer {
        let keys: [(layer: String, group: Int)]
        let scores: [Double]
        let flops: [Int]
        let parameters: [Int]

        /// Groups `0..<scores.count` of one layer called `name`.
        init(name: String, scores: [Double], flops: [Int], parameters: [Int]) {
            self.init(keys: scores.indices.map { (name, $0) }, scores: scores, flops: flops, parameters: parameters)
        }

        init(keys: [(layer: String, group: Int)], scores: [Double], flops: [Int], parameters: [Int]) {
            (self.keys, self.scores, self.flops, self.parameters) = (keys, scores, flops, parameters)
        }
    }

    func run() throws {
        compute.apply()
        let (network, _) = try loadFashionMNISTGraph(model)
        let layers: [Layer]
        switch pruning.granularity {
        case .filter, .channel, .neuron: layers = try groupScores(network)
        case .element, .kernel, .shape: layers = try maskedScores(network)
        case .layer: layers = try layerScores(network)
        }
        var rows = ["layer,group,score,rank,flops,params"]
        for layer in layers {
            var rank = [Int](repeating: 0, count: layer.scores.count)
            for (position, index) in layer.scores.indices.sorted(by: { (layer.scores[$0], $0) < (layer.scores[$1], $1) }).enumerated() {
                rank[index] = position + 1
            }
            for group in layer.scores.indices {
                rows.append("\(layer.keys[group].layer),\(layer.keys[group].group),\(layer.scores[group]),\(rank[group]),\(layer.flops[group]),\(layer.parameters[group])")
            }
        }
        try AtomicFile.write(Data((rows.joined(separator: "\n") + "\n").utf8), to: out)
        print("wrote \(rows.count - 1) scores (\(pruning.criterion), \(pruning.granularity.rawValue)) to \(out)")
    }

    /// Channels of the dependency groups at filter, channel or neuron granularity.
    func groupScores(_ network: GraphNetwork) throws -> [Layer] {
        guard let named = GroupCriteria.named(pruning.criterion, seed: compute.seed, granularity: pruning.granularity) else {
            throw ValidationError("--criterion \(pruning.criterion) is not a group criterion; "
                                  + "filter, channel and neuron groups take \(GroupCriteria.names.joined(separator: ", "))")
        }
        let calibration = named.input == .calibrationImages ? try data.calibration(samples: pruning.samples) : nil
        // OBS's Hessians may draw more images from the calibration pool than the scoring subset holds.
        let criterion = GroupCriteria.named(pruning.criterion, seed: compute.seed, granularity: pruning.granularity,
                                            pool: calibration?.pool, obsDamping: pruning.obsDamping) ?? named
        // Scores see calibration images only.
        let (groups, scores) = try GroupPruner.scoredGroups(network, criterion: pruning.regularized(criterion),
                                                            granularity: pruning.granularity, calibration: calibration?.subset)
        let specification = network.specification
        return try zip(groups, scores).map { group, groupScores in
            Layer(name: network.nodes[group.producers[0]].name, scores: groupScores,
                  flops: Array(repeating: 2 * (try group.macsPerChannel(in: specification)), count: group.width),
                  parameters: Array(repeating: group.parametersPerChannel(in: specification), count: group.width))
        }
    }

    /// Weights, kernels or im2col columns of every conv (and linear) node.
    func maskedScores(_ network: GraphNetwork) throws -> [Layer] {
        let granularity = pruning.granularity
        let named = try MaskedCriteria.named(pruning.criterion, granularity: granularity, seed: compute.seed)
        let calibration = named.input == .calibrationImages ? try data.calibration(samples: pruning.samples) : nil
        let criterion = try MaskedCriteria.named(pruning.criterion, granularity: granularity, seed: compute.seed,
                                                 pool: calibration?.pool, obsDamping: pruning.obsDamping)
        let layers = granularity == .shape ? try MaskedLayer.columns(in: network)
                                           : try MaskedLayer.all(in: network, granularity: granularity)
        // Scores see calibration images only.
        let scores = try GraphMaskedPruning.checkedScores(network, layers: layers, criterion: pruning.regularized(criterion),
                                                          calibration: calibration?.subset)
        return zip(layers, scores).map { layer, layerScores in
            Layer(name: layer.name, scores: layerScores, flops: layerScores.indices.map { 2 * layer.nonZeroMacs($0) },
                  parameters: layerScores.indices.map { layer.unmaskedWeights($0) })
        }
    }

    /// The conv + (BatchNorm) + ReLU chains that can become the identity, ranked together.
    func layerScores(_ network: GraphNetwork) throws -> [Layer] {
        guard pruning.flopsLambda == 0 else { throw ValidationError("--granularity layer takes no --flops-lambda") }
        let parsed = try GraphLayerPruning.criterion(pruning.criterion)
        let calibration = parsed == .oracle || parsed == .oracleAbs ? try data.calibration(samples: pruning.samples) : nil
        let candidates = try GraphLayerPruning.candidates(in: network)
        guard !candidates.isEmpty else {
            throw ValidationError("\(model) has no conv + ReLU chain that keeps its shape, so no layer can be replaced")
        }
        // The oracle sees calibration images only.
        let scores = try GraphLayerPruning.scores(network, candidates: candidates, criterion: pruning.criterion,
                                                  seed: compute.seed, calibration: calibration?.subset)
        let specification = network.specification
        return [Layer(keys: candidates.map { ($0.name, 0) }, scores: scores, flops: candidates.map { 2 * $0.macs },
                      parameters: candidates.map { $0.nodes.reduce(0) { $0 + specification.parameterCount(of: $1) } })]
    }
}
