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

    @Option(help: "With --flops, round kept widths up to a multiple of N (1 = none).")
    var roundTo = 1

    @Flag(help: "Also time every layer's forward pass at batch 256, with each model's ratio to the first.")
    var profile = false

    @Flag(help: "Also time each graph model with every BatchNorm after a conv folded into it (the deployment form; same logits up to rounding).")
    var foldBatchNorm = false

    @OptionGroup var compute: ComputeOptions
    @OptionGroup var data: DataOptions

    func validate() throws {
        guard !models.isEmpty else { throw ValidationError("give at least one checkpoint") }
        guard rounds >= 1, singles >= 1 else { throw ValidationError("--rounds and --singles must be at least 1") }
        guard (1...256).contains(roundTo) else { throw ValidationError("--round-to must be in 1...256, got \(roundTo)") }
    }

    func run() throws {
        BLASKernelNote.print()
        compute.apply()
        // Flags are checked before any file is read.
        let fractions = try (flops ?? "").split(separator: ",").map { text in
            guard let fraction = Double(text), fraction > 0, fraction < 1 else {
                throw ValidationError("--flops takes fractions in (0, 1), got '\(text)'")
            }
            return fraction
        }
        var models = try self.models.map { try TimedModel(loading: $0) }
        var names = self.models.map { ($0 as NSString).lastPathComponent }
        let test = try data.load(.test).prefix(256)
        let calibration = fractions.isEmpty ? nil : try data.calibration(samples: 256)
        for fraction in fractions {
            // Scores see calibration images only.
            models.append(try models[0].pruned(toFraction: fraction, criterion: criterion, calibration: calibration!,
                                               seed: compute.seed, roundTo: roundTo))
            names.append("\(names[0]) -> \(criterion) \(fraction)" + (roundTo > 1 ? " /\(roundTo)" : ""))
        }
        if foldBatchNorm {
            // Beside each model, its folded copy, timed in the same rounds.
            models += try models.map { try $0.foldingBatchNorms() }
            names += names.map { "\($0) +fold" }
        }
        var best = Array(repeating: (batch1: Double.infinity, batch256: Double.infinity), count: models.count)
        // Alternating rounds spread the machine's slow moments over every model alike.
        for _ in 0..<rounds {
            for (index, model) in models.enumerated() {
                let measured = Latency.measure(model.network, data: test, singles: singles)
                best[index] = (min(best[index].batch1, measured.batch1), min(best[index].batch256, measured.batch256))
            }
        }
        let reference = (models[0].flops, best[0])
        print("model                                     FLOPs %   b1 ms/img   ratio   b256 ms/img   ratio")
        for (index, model) in models.enumerated() {
            let flops = 100 * Double(model.flops) / Double(reference.0)
            print(pad(names[index], 40, left: true), pad(fmt(flops, 1), 8),
                  pad(fmt(best[index].batch1, 4), 11), pad(fmt(best[index].batch1 / reference.1.batch1, 3), 7),
                  pad(fmt(best[index].batch256, 4), 13), pad(fmt(best[index].batch256 / reference.1.batch256, 3), 7))
        }
        print("\nconv widths (in->out, node order)")
        for (index, model) in models.enumerated() { print("\(names[index]): \(model.convWidths)") }
        if profile { printProfile(models, names: names, batch: test.batch(Array(0..<test.count)[...]).images) }
    }

    /// Per-node batch-256 forward milliseconds of every model, and
    /// each layer's time and MACs as ratios to the first model's layer of the same name ("-"
    /// where a model has no such layer: a layer replaced by the identity).
    private func printProfile(_ models: [TimedModel], names: [String], batch: Tensor) {
        let profiles = models.map { $0.profile(batch: batch, rounds: rounds) }
        print("\nper-layer forward ms at batch \(batch.shape[0]) (fastest of \(rounds) rounds); time and MACs as ratios to model 0")
        print("(nodes timed one at a time: no ReLU or pool fusion, no depth-first images: a model's sum is not its batch time above)")
        for (index, profile) in profiles.enumerated() {
            print("model \(index) \(names[index]): \(fmt(profile.map(\.milliseconds).reduce(0, +), 2)) ms")
        }
        print(pad("layer", 24, left: true), profiles.indices.map { pad("\($0): ms", 9) + pad("time", 6) + pad("MACs", 6) }.joined(separator: " "))
        for entry in profiles[0] {
            let cells = profiles.map { profile in
                guard let same = profile.first(where: { $0.key == entry.key }) else { return pad("-", 9) + pad("-", 6) + pad("-", 6) }
                var macRatio = "-"
                if let reference = entry.macs, let macs = same.macs { macRatio = fmt(Double(macs) / Double(max(reference, 1)), 2) }
                return pad(fmt(same.milliseconds, 2), 9) + pad(fmt(same.milliseconds / max(entry.milliseconds, 1e-9), 2), 6) + pad(macRatio, 6)
            }
            print(pad(entry.label, 24, left: true), cells.joined(separator: " "))
        }
    }
}
