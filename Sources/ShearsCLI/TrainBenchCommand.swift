import ArgumentParser
import ShearsNet

extension ConvolutionAlgorithm: ExpressibleByArgument {}

/// `shears bench train`: training and inference throughput of a model, against sgemm.
struct TrainBenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Training images/s (batch 64) and inference images/s (batch 256), as a fraction of sgemm GFLOP/s.")

    @Option(help: "Model preset: \((VGGConfiguration.presetNames + [TrainCommand.resnetName]).joined(separator: ", ")).")
    var model = "vgg-s"

    @Option(help: "Comma-separated thread counts to measure.")
    var threads = "1,2"

    @Option(help: "Timed training steps per thread count (median reported).")
    var steps = 20

    @Option(help: "Training batch size.")
    var trainBatch = 64

    @Option(help: "Inference batch size.")
    var inferenceBatch = 256

    @Option(help: "How the convs compute forward and backward: \(ConvolutionAlgorithm.allCases.map(\.rawValue).joined(separator: ", ")) (Winograd, direct and Winograd tiles only for 3x3 dense layers, stride 1, or 2 for direct; automatic: Winograd only where OpenBLAS runs generic kernels and both channel counts are ≥ \(Conv2D.winogradMinimumChannels), else the direct kernels where the CPU has AVX2 and FMA, their forward pass and ∂X by Winograd tiles (F(4x4, 3x3) where it needs at most 0.65 of F(2x2, 3x3)'s products and the batch has at least 16 of its tiles, else F(2x2, 3x3)) where it has AVX-512, both channel counts are ≥ \(Conv2D.winogradTilesMinimumChannels) and maps' sides are ≥ \(Conv2D.winogradTilesMinimumSide), else kernel rows from \(Conv2D.kernelRowsMinimumChannels) input channels, else im2col).")
    var convAlgorithm = Conv2D.defaultAlgorithm

    @Flag(help: "Run every ReLU as its own pass instead of inside the conv or BatchNorm before it (to measure the fusion).")
    var noReluFusion = false

    @Flag(help: "Run inference's max-pools as their own pass instead of inside the direct conv before them (to measure the fusion).")
    var noPoolFusion = false

    @Flag(help: "Run inference's chains of direct convs layer by layer over the batch instead of image by image (to measure depth-first inference).")
    var noDepthFirst = false

    @Flag(help: "Print JSON instead of a table.")
    var json = false

    @Flag(help: "Also time every node's forward and backward pass (per thread count).")
    var profile = false

    func validate() throws {
        if model != TrainCommand.resnetName { _ = try modelPreset(model) }
        guard steps >= 1, trainBatch >= 1, inferenceBatch >= 1 else {
            throw ValidationError("--steps, --train-batch and --inference-batch must be positive")
        }
        _ = try parsedList(threads, "--threads")
    }

    func run() throws {
        BLASKernelNote.print()
        var benchmark = try TrainBenchmark(model: model, steps: steps, convolutionAlgorithm: convAlgorithm)
        benchmark.fusesReLUs = !noReluFusion
        benchmark.fusesPooling = !noPoolFusion
        benchmark.runsImagesDepthFirst = !noDepthFirst
        var results: [TrainBenchResult] = []
        for threadCount in try parsedList(threads, "--threads") {
            results.append(try benchmark.measure(threads: threadCount, trainBatch: trainBatch, inferenceBatch: inferenceBatch))
        }
        let report = TrainBenchReport(
            environment: .current(), model: model, convAlgorithm: convAlgorithm.rawValue, reluFusion: !noReluFusion,
            poolFusion: !noPoolFusion, depthFirst: !noDepthFirst,
            trainBatch: trainBatch,
            inferenceBatch: inferenceBatch,
            trainFlopsPerImage: benchmark.trainFlopsPerImage, results: results, peakResidentMiB: peakResidentMiB())
        var profiles: [[LayerTiming]] = []
        if profile {
            for threadCount in try parsedList(threads, "--threads") {
                Compute.configure(threads: threadCount)
                profiles.append(try LayerProfile.measure(benchmark.specification, algorithm: convAlgorithm,
                                                         batch: trainBatch, steps: steps))
            }
        }
        if json { try printJSON(ProfiledReport(report: report, layerProfiles: profiles)); return }
        print("\(model), \(convAlgorithm.rawValue) convs\(noReluFusion ? ", ReLUs unfused" : ""): \(fmt(benchmark.trainFlopsPerImage / 1e6)) MFLOP per training image; batch \(trainBatch) / \(inferenceBatch)")
        print("threads  train img/s  infer img/s  train GFLOP/s  sgemm GFLOP/s  train/sgemm")
        for r in results {
            print(pad("\(r.threads)", 7), pad(fmt(r.trainImagesPerSecond), 12), pad(fmt(r.inferenceImagesPerSecond), 12),
                  pad(fmt(r.trainGflops), 14), pad(fmt(r.sgemmGflops), 14), pad(fmt(r.trainFractionOfSgemm, 3), 12))
        }
        print("peak resident memory: \(fmt(report.peakResidentMiB)) MiB")
        for (threadCount, timings) in zip(try parsedList(threads, "--threads"), profiles) {
            print("per-node time, \(threadCount) thread(s), batch \(trainBatch) (median ms; GFLOP/s counts forward 2·MACs, backward 4·MACs)")
            print("layer                        forward  backward   fwd GFLOP/s  bwd GFLOP/s   fwd CPU ms  bwd CPU ms")
            for t in timings {
                let forwardRate = t.macs > 0 ? fmt(2 * Double(t.macs) / t.forwardMilliseconds / 1e6) : "-"
                let backwardRate = t.macs > 0 ? fmt(4 * Double(t.macs) / t.backwardMilliseconds / 1e6) : "-"
                print(pad(t.layer, 26, left: true), pad(fmt(t.forwardMilliseconds, 2), 9), pad(fmt(t.backwardMilliseconds, 2), 9),
                      pad(forwardRate, 13), pad(backwardRate, 12), pad(fmt(t.forwardCPUMilliseconds, 2), 12),
                      pad(fmt(t.backwardCPUMilliseconds, 2), 11))
            }
            let total = timings.reduce(0) { $0 + $1.forwardMilliseconds + $1.backwardMilliseconds }
            let cpu = timings.reduce(0) { $0 + $1.forwardCPUMilliseconds + $1.backwardCPUMilliseconds }
            print("sum of nodes: \(fmt(total, 1)) ms per step, \(fmt(cpu, 1)) CPU ms (all threads)")
            // Each node runs alone here, so the profile has no fused ReLUs or pools: its sum is not
            // the step's time, which the table above measured whole.
            if let whole = results.first(where: { $0.threads == threadCount }) {
                print("(nodes timed one at a time, without ReLU fusion; the whole training step took "
                      + "\(fmt(1e3 * Double(trainBatch) / whole.trainImagesPerSecond, 1)) ms)")
            }
        }
    }
}

/// `bench train --json` output: the throughput report plus optional per-layer profiles.
struct ProfiledReport: Codable {
    var report: TrainBenchReport
    var layerProfiles: [[LayerTiming]]
}
