import ArgumentParser
import ShearsNet
import ShearsPrune

/// `shears correlate`: how well each criterion's ranking matches the oracle's
/// (Spearman's ρ per dependency group and its mean over groups, as Molchanov et al. 2017, Table 1).
struct CorrelateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "correlate",
        abstract: "Spearman rank correlation of criteria with the oracle (oracle-abs), per dependency group (- for a group of one unit) and averaged.")

    @Option(help: "Checkpoint to score (any graph network; a VGG checkpoint is read as its graph).")
    var model: String

    @Option(help: "Comma-separated criteria to compare with the oracle.")
    var criteria = "random,l1,l2,activation,activation-std,apoz,taylor,taylor-weight,obd,obs"

    @Option(help: "Granularity: filter, channel or neuron.")
    var granularity: Granularity = .filter

    @Option(help: "Score on the first N calibration images (the last 5,000 training images; the oracle costs one pass over them per channel).")
    var samples = 256

    @OptionGroup var compute: ComputeOptions
    @OptionGroup var data: DataOptions

    /// The criteria named by `--criteria`, in order.
    var criterionNames: [String] { criteria.split(separator: ",").map(String.init) }

    func validate() throws {
        for name in criterionNames where !GroupCriteria.accepts(name) {
            throw ValidationError("unknown criterion '\(name)' in --criteria; valid: \(GroupCriteria.names.joined(separator: ", "))")
        }
        guard samples >= 1 else { throw ValidationError("--samples must be at least 1, got \(samples)") }
    }

    func run() throws {
        compute.apply()
        let (network, _) = try loadFashionMNISTGraph(model)
        // A network without such groups (neuron on resnet-s) is refused before any data is read.
        let groups = try DependencyGraph(network.specification).prunableGroups(at: granularity)
        try refuseInapplicable(criterionNames, groups: groups, granularity: granularity)
        // A rank correlation needs two units to rank; a group pruned to one unit gets `-`.
        guard groups.contains(where: { $0.width >= 2 }) else {
            throw ValidationError("\(model): no \(granularity) group has two or more units to rank")
        }
        let calibration = try data.calibration(samples: samples)
        // The oracle applies to every group, so its groups are all the prunable groups at `granularity`, in order.
        let oracle = try GroupPruner.scoredGroups(network, criterion: OracleGroupCriterion(signed: false),
                                                  granularity: granularity, calibration: calibration.subset)
        let names = oracle.groups.map { network.nodes[$0.producers[0]].name }
        // Columns of 12 as before, wider where a name needs it (resnet-s's `layer1.0.conv1`).
        let width = max(12, (names.map(\.count).max() ?? 0) + 1)
        print("criterion        " + names.map { pad($0, width) }.joined() + "        mean  95% bootstrap interval")
        for name in criterionNames {
            guard let criterion = GroupCriteria.named(name, seed: compute.seed, granularity: granularity, pool: calibration.pool) else {
                throw ValidationError("unknown criterion '\(name)'; valid: \(GroupCriteria.names.joined(separator: ", "))")
            }
            // OBS's Hessians may draw more images from the calibration pool than the scoring subset holds.
            let scored = try GroupPruner.scoredGroups(network, criterion: criterion, granularity: granularity,
                                                      calibration: calibration.subset)
            // Each oracle group with the criterion's scores, nil where it does not apply (bn-scale
            // without BatchNorm) or has a single unit, whose ranking ρ cannot measure.
            let pairs = zip(oracle.groups, oracle.scores).map { group, oracleScores in
                group.width < 2 ? nil
                    : scored.groups.firstIndex(of: group).map { (criterion: scored.scores[$0], oracle: oracleScores) }
            }
            let scoredPairs = pairs.compactMap { $0 }
            guard !scoredPairs.isEmpty else {
                throw ValidationError("criterion '\(name)' applies to no group of \(model) with two or more units")
            }
            let interval = RankCorrelation.meanSpearmanWithInterval(scoredPairs.map(\.criterion), scoredPairs.map(\.oracle),
                                                                    seed: compute.seed)
            let rhos = pairs.map { $0.map { fmt(RankCorrelation.spearman($0.criterion, $0.oracle), 3) } ?? "-" }
            print(pad(name, 16, left: true) + rhos.map { pad($0, width) }.joined() + pad(fmt(interval.mean, 3), 12)
                  + "  [\(fmt(interval.low, 3)), \(fmt(interval.high, 3))]")
        }
    }
}

/// Refuses, before any data is read, a criterion among `names` that applies to none of
/// `groups` (`bn-scale` on a network without BatchNorm), as scoring it later would.
func refuseInapplicable(_ names: [String], groups: [ChannelGroup], granularity: Granularity) throws {
    for name in names {
        guard let criterion = GroupCriteria.named(name, seed: 0, granularity: granularity),
              !groups.contains(where: criterion.applies) else { continue }
        throw PruningError.granularityNotApplicable(granularity, layer: "the network",
                                                    reason: "criterion '\(name)' applies to none of its groups")
    }
}
