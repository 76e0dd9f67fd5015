import ArgumentParser
import Foundation
import ShearsNet

/// `shears bench conv`: each distinct convolution of a model timed by im2col, by kernel rows, by
/// Winograd, by the direct kernels, by Winograd tiles and as `.automatic` runs it, alternately, at the model's widths and at
/// scaled (pruned) widths, with the weight gradient alone by kernel rows and by the direct kernel — the
/// measurement that decides where `ConvolutionAlgorithm.automatic` should pick which.
struct ConvBenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "conv",
        abstract: "Forward and backward time of each distinct conv of a model by im2col, kernel rows, Winograd, the direct kernels, Winograd tiles and automatic, alternately.")

    @Option(help: "Model preset: \((VGGConfiguration.presetNames + [TrainCommand.resnetName]).joined(separator: ", ")).")
    var model = "vgg-s"

    @Option(help: "Comma-separated width fractions (both channel counts scaled, at least 1), e.g. 1,0.5,0.25.")
    var widths = "1"

    @Option(help: "Images per pass (the training batch).")
    var batch = 64

    @Option(help: "Timed repeats per algorithm (median reported), after one warm-up each.")
    var steps = 10

    @Flag(help: "Print JSON instead of a table.")
    var json = false

    @OptionGroup var threads: ThreadOptions

    func validate() throws {
        if model != TrainCommand.resnetName { _ = try modelPreset(model) }
        guard (1...1024).contains(batch), (1...10_000).contains(steps) else {
            throw ValidationError("--batch must be in 1...1024 and --steps in 1...10000, got \(batch) and \(steps)")
        }
        _ = try widthFractions()
    }

    func run() throws {
        BLASKernelNote.print()
        threads.apply()
        let specification = model == TrainCommand.resnetName ? ResNet.small : try modelPreset(model).graph
        var timings: [ConvTiming] = []
        for fraction in try widthFractions() {
            for shape in try ConvShape.distinct(in: specification, widthFraction: fraction) {
                timings.append(ConvTiming.measure(shape, batch: batch, steps: steps))
            }
        }
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            print(String(decoding: try encoder.encode(ConvBenchReport(environment: .current(), model: model, batch: batch,
                                                                      threads: Compute.workers, convs: timings)),
                         as: UTF8.self))
            return
        }
        print("\(model), batch \(batch), \(Compute.workers) threads; ms per pass (median of \(steps)); "
              + "train ratio = (forward + backward) / im2col's; ∂W alone = backward without ∂X")
        print("conv (C -> K, H x W)        im2col fwd   bwd   kernel rows fwd   bwd  ratio   Winograd fwd   bwd  ratio"
              + "   direct fwd   bwd  ratio   Winograd tiles fwd   bwd  ratio   4x4 tiles fwd   bwd  ratio"
              + "   automatic fwd   bwd  ratio"
              + "   ∂W alone: kernel rows  direct")
        for t in timings {
            let name = "\(t.shape.inChannels) -> \(t.shape.outChannels), \(t.shape.height) x \(t.shape.width)"
            let (rows, winograd, direct, tiles, automatic) = (t.kernelRows, t.winograd, t.direct, t.winogradTiles, t.automatic)
            let tiles4 = t.winogradTiles4
            print(name.padding(toLength: 26, withPad: " ", startingAt: 0)
                  + String(format: " %9.2f %6.2f %15.2f %6.2f %6.2f %14.2f %6.2f %6.2f %12.2f %6.2f %6.2f %20.2f %6.2f %6.2f"
                           + " %15.2f %6.2f %6.2f %15.2f %6.2f %6.2f %22.2f %7.2f", t.im2col.forward,
                           t.im2col.backward, rows.forward, rows.backward, t.trainRatio(rows), winograd.forward,
                           winograd.backward, t.trainRatio(winograd), direct.forward, direct.backward, t.trainRatio(direct),
                           tiles.forward, tiles.backward, t.trainRatio(tiles), tiles4.forward, tiles4.backward,
                           t.trainRatio(tiles4),
                           automatic.forward, automatic.backward, t.trainRatio(automatic), t.kernelRowsWeightGradient,
                           t.directWeightGradient))
        }
    }

    private func widthFractions() throws -> [Double] {
        let values = widths.split(separator: ",").map { Double($0.trimmingCharacters(in: .whitespaces)) }
        guard !values.isEmpty, values.allSatisfy({ $0 != nil && $0! > 0 && $0! <= 1 }) else {
            throw ValidationError("--widths takes comma-separated fractions in (0, 1], got '\(widths)'")
        }
        return values.map { $0! }
    }
}

/// One 3x3 stride-1 convolution's geometry, the case where the two algorithms compete.
struct ConvShape: Codable, Hashable {
    var inChannels: Int
    var outChannels: Int
    var height: Int
    var width: Int
    var padding: Int

    /// The distinct Winograd-eligible convs of `specification` (3x3, stride 1, padding ≤ 2), in
    /// order, with both channel counts scaled by `widthFraction` (rounded, at least 1); a conv
    /// reading the image keeps its input channels.
    static func distinct(in specification: GraphSpecification, widthFraction: Double) throws -> [ConvShape] {
        let shapes = try specification.shapes()
        let index = Dictionary(uniqueKeysWithValues: specification.nodes.enumerated().map { ($1.name, $0) })
        func scaled(_ channels: Int) -> Int { max(1, Int((Double(channels) * widthFraction).rounded())) }
        var seen: Set<ConvShape> = [], result: [ConvShape] = []
        for node in specification.nodes {
            guard case let .convolution(c, k, size, stride, padding, _) = node.operation,
                  size == 3, stride == 1, padding <= 2 else { continue }
            let source = node.inputs[0]
            let inputShape = source == GraphSpecification.inputName ? [1] + specification.inputShape : shapes[index[source]!]
            let shape = ConvShape(inChannels: source == GraphSpecification.inputName ? c : scaled(c), outChannels: scaled(k),
                                  height: inputShape[2], width: inputShape[3], padding: padding)
            if seen.insert(shape).inserted { result.append(shape) }
        }
        return result
    }
}

/// Median forward and backward milliseconds of one conv shape by each algorithm.
struct ConvTiming: Codable {
    /// One algorithm's median milliseconds per pass.
    struct Time: Codable {
        var forward: Double
        var backward: Double
    }

    var shape: ConvShape
    var im2col: Time
    var kernelRows: Time
    var winograd: Time
    var direct: Time
    var winogradTiles: Time
    var winogradTiles4: Time
    var automatic: Time
    /// Median milliseconds of a backward pass that computes no `∂X` (`computesInputGradient`
    /// false): `∂W` and `∂b` alone, by kernel rows and by the direct kernel.
    var kernelRowsWeightGradient: Double
    var directWeightGradient: Double

    /// An algorithm's forward + backward time over im2col's: below 1, it trains faster.
    func trainRatio(_ time: Time) -> Double { (time.forward + time.backward) / (im2col.forward + im2col.backward) }

    static let algorithms: [ConvolutionAlgorithm] = [.im2col, .kernelRows, .winograd, .direct, .winogradTiles, .winogradTiles4,
                                                            .automatic]

    /// Times `shape` on random input of `batch` images: each repeat runs every algorithm in
    /// turn (kernel rows and direct a second time without `∂X`), so all see the same machine
    /// state; the first repeat is a warm-up.
    static func measure(_ shape: ConvShape, batch: Int, steps: Int) -> ConvTiming {
        var rng = SeededGenerator(seed: 1)
        let conv = Conv2D(inChannels: shape.inChannels, outChannels: shape.outChannels, kernelSize: 3, stride: 1,
                          padding: shape.padding, bias: true, rng: &rng)
        let count = batch * shape.inChannels * shape.height * shape.width
        let x = Tensor(shape: [batch, shape.inChannels, shape.height, shape.width],
                       values: (0..<count).map { _ in rng.nextGaussian() })
        let y = conv.forward(x, training: true)
        let dy = Tensor(shape: y.shape, values: (0..<y.count).map { _ in rng.nextGaussian() })
        var forward: [ConvolutionAlgorithm: [Double]] = [:], backward: [ConvolutionAlgorithm: [Double]] = [:]
        var weightGradient: [ConvolutionAlgorithm: [Double]] = [:]
        for _ in 0...steps {
            for algorithm in algorithms {
                conv.algorithm = algorithm
                forward[algorithm, default: []].append(Stopwatch.seconds { _ = conv.forward(x, training: true) })
                backward[algorithm, default: []].append(Stopwatch.seconds { _ = conv.backward(dy) })
                guard algorithm == .kernelRows || algorithm == .direct else { continue }
                conv.computesInputGradient = false
                weightGradient[algorithm, default: []].append(Stopwatch.seconds { _ = conv.backward(dy) })
                conv.computesInputGradient = true
            }
        }
        func milliseconds(_ values: [Double]) -> Double { 1e3 * Stopwatch.median(of: Array(values.dropFirst())) }
        func time(_ algorithm: ConvolutionAlgorithm) -> Time {
            Time(forward: milliseconds(forward[algorithm]!), backward: milliseconds(backward[algorithm]!))
        }
        return ConvTiming(shape: shape, im2col: time(.im2col), kernelRows: time(.kernelRows), winograd: time(.winograd),
                          direct: time(.direct), winogradTiles: time(.winogradTiles),
                          winogradTiles4: time(.winogradTiles4), automatic: time(.automatic),
                          kernelRowsWeightGradient: milliseconds(weightGradient[.kernelRows]!),
                          directWeightGradient: milliseconds(weightGradient[.direct]!))
    }
}

struct ConvBenchReport: Codable {
    var environment: EnvironmentReport
    var model: String
    var batch: Int
    var threads: Int
    var convs: [ConvTiming]
}
