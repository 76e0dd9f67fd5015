import ArgumentParser
import Foundation
import ShearsNet
import ShearsPrune

/// `shears bench latency`: inference time of several checkpoints measured in turn, in the same
/// run, as ratios to the first — does structural pruning really make the model faster?
struct LatencyBenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "latency",
        abstract: "Batch-1 and batch-256 inference time of checkpoints, relative to the first, measured alternately.")

    @Argument(help: "Checkpoints; the first is the reference (e.g. the unpruned model).")
    var models: [String]

    @Option(help: "Rounds; each round times every model once, the fastest round counts.")
    var rounds = 5

    @Option(help: "Single images timed per round for batch 1.")
    var singles = 64

    @Option(help: "Also time the first model pruned (filters, no fine-tuning) to these FLOPs fractions, e.g. 0.5,0.25.")
    var flops: String?

    @Option(help: "Criterion for --flops.")
    var criterion = "l1"

    @OptionGroup var compute: ComputeOptions
    @OptionGroup var data: DataOptions

    func validate() throws {
        guard !models.isEmpty else { throw ValidationError("give at least one checkpoint") }
        guard rounds >= 1, singles >= 1 else { throw ValidationError("--rounds and --singles must be at least 1") }
    }

    func run() throws {
        compute.apply()
        var networks = try models.map { try VGG.load(from: $0).model }
        var names = models.map { ($0 as NSString).lastPathComponent }
        let test = try data.load(.test).prefix(256)
        let fractions = try (flops ?? "").split(separator: ",").map { text in
            guard let fraction = Double(text), fraction > 0, fraction < 1 else {
                throw ValidationError("--flops takes fractions in (0, 1), got '\(text)'")
            }
            return fraction
        }
        for fraction in fractions {
            let pruned = networks[0].copy()
            try pruneToFlops(pruned, fraction: fraction, of: networks[0], criterion: try CriterionName(parsing: criterion),
                             granularity: .filter, data: try data.load(.train).prefix(256), seed: compute.seed)
            networks.append(pruned)
            names.append("\(names[0]) -> \(criterion) \(fraction)")
        }
        var best = Array(repeating: (batch1: Double.infinity, batch256: Double.infinity), count: networks.count)
        // Alternating rounds spread the machine's slow moments over every model alike.
        for _ in 0..<rounds {
            for (index, network) in networks.enumerated() {
                let measured = Latency.measure(network, data: test, singles: singles)
                best[index] = (min(best[index].batch1, measured.batch1), min(best[index].batch256, measured.batch256))
            }
        }
        let reference = (ModelCost(networks[0]).flops, best[0])
        print("model                                     FLOPs %   b1 ms/img   ratio   b256 ms/img   ratio")
        for (index, network) in networks.enumerated() {
            let flops = 100 * Double(ModelCost(network).flops) / Double(reference.0)
            print(pad(names[index], 40, left: true), pad(fmt(flops, 1), 8),
                  pad(fmt(best[index].batch1, 4), 11), pad(fmt(best[index].batch1 / reference.1.batch1, 3), 7),
                  pad(fmt(best[index].batch256, 4), 13), pad(fmt(best[index].batch256 / reference.1.batch256, 3), 7))
        }
    }
}
