import ArgumentParser
import ShearsNet
import ShearsPrune

/// `shears correlate`: how well each criterion's ranking matches the oracle's
/// (Spearman's ρ per layer and its mean over layers, as Molchanov et al. 2017, Table 1).
struct CorrelateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "correlate",
        abstract: "Spearman rank correlation of criteria with the oracle (oracle-abs), per layer and averaged.")

    @Option(help: "Checkpoint to score.")
    var model: String

    @Option(help: "Comma-separated criteria to compare with the oracle.")
    var criteria = "random,l1,l2,activation,activation-std,apoz,taylor,taylor-weight,obd,obs"

    @Option(help: "Granularity: filter, channel or neuron.")
    var granularity: Granularity = .filter

    @Option(help: "Score on the first N calibration images (the last 5,000 training images; the oracle costs one pass over them per group).")
    var samples = 256

    @OptionGroup var compute: ComputeOptions
    @OptionGroup var data: DataOptions

    func validate() throws {
        for name in criteria.split(separator: ",") {
            do { _ = try CriterionName(parsing: String(name)) } catch { throw ValidationError("\(error)") }
        }
        guard samples >= 1 else { throw ValidationError("--samples must be at least 1, got \(samples)") }
    }

    func run() throws {
        compute.apply()
        let (network, _) = try VGG.load(from: model)
        let (subset, pool) = try data.calibration(samples: samples)
        let engine = CriterionEngine(data: subset, pool: pool, seed: compute.seed)
        let oracle = try engine.scores(network, criterion: .oracleAbs, granularity: granularity)
        print("criterion        " + oracle.map { pad($0.groups.name, 12) }.joined() + "        mean  95% bootstrap interval")
        for name in criteria.split(separator: ",").map(String.init) {
            let scores = try engine.scores(network, criterion: try CriterionName(parsing: name), granularity: granularity)
            let rhos = zip(scores, oracle).map { RankCorrelation.spearman($0.scores, $1.scores) }
            let interval = RankCorrelation.meanSpearmanWithInterval(scores.map(\.scores), oracle.map(\.scores), seed: compute.seed)
            print(pad(name, 16, left: true) + rhos.map { pad(fmt($0, 3), 12) }.joined() + pad(fmt(interval.mean, 3), 12)
                  + "  [\(fmt(interval.low, 3)), \(fmt(interval.high, 3))]")
        }
    }
}
