import ArgumentParser
import Foundation
import ShearsNet

/// `shears bench conv`: each distinct convolution of a model timed by each of `--algorithms`
/// (im2col, kernel rows, Winograd, the direct kernels, Winograd tiles F(2x2, 3x3) and F(4x4, 3x3),
/// and as `.automatic` runs it), alternately, at the model's widths and at scaled (pruned) widths,
/// with the weight gradient alone by kernel rows and by the direct kernels when they are timed —
/// the measurement that decides where `ConvolutionAlgorithm.automatic` should pick which.
struct ConvBenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "conv",
        abstract: "Forward and backward time of each distinct conv of a model by each convolution algorithm, alternately.")

    @Option(help: "Model preset: \((VGGConfiguration.presetNames + [TrainCommand.resnetName]).joined(separator: ", ")).")
    var model = "vgg-s"

    @Option(help: "Comma-separated width fractions (both channel counts scaled, at least 1), e.g. 1,0.5,0.25.")
    var widths = "1"

    @Option(help: "Comma-separated algorithms to time, the first the ratios' reference: \(ConvBenchCommand.algorithmNames).")
    var algorithms = ConvBenchCommand.algorithmNames

    @Option(help: "Images per pass (the training batch).")
    var batch = 64

    @Option(help: "Timed repeats per algorithm (median reported), after one warm-up each.")
    var steps = 10

    @Flag(help: "Print JSON instead of a table.")
    var json = false

    @OptionGroup var threads: ThreadOptions

    static let algorithmNames = ConvolutionAlgorithm.allCases.map(\.rawValue).joined(separator: ",")

    func validate() throws {
        if model != TrainCommand.resnetName { _ = try modelPreset(model) }
        guard (1...1024).contains(batch), (1...10_000).contains(steps) else {
            throw ValidationError("--batch must be in 1...1024 and --steps in 1...10000, got \(batch) and \(steps)")
        }
        _ = try widthFractions()
        _ = try chosenAlgorithms()
    }

    func run() throws {
        BLASKernelNote.print()
        threads.apply()
        let specification = model == TrainCommand.resnetName ? ResNet.small : try modelPreset(model).graph
        let chosen = try chosenAlgorithms()
        var timings: [ConvTiming] = []
        for fraction in try widthFractions() {
            for shape in try ConvShape.distinct(in: specification, widthFraction: fraction) {
                timings.append(ConvTiming.measure(shape, algorithms: chosen, batch: batch, steps: steps))
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
        let reference = chosen[0].rawValue
        let gradients = chosen.filter { ConvTiming.weightGradientAlgorithms.contains($0) }
        print("\(model), batch \(batch), \(Compute.workers) threads; ms per pass (median of \(steps)); "
              + "ratio = (forward + backward) / \(reference)'s\(gradients.isEmpty ? "" : "; ∂W alone = backward without ∂X")")
        let columns = chosen.map { max($0.rawValue.count, 6) }
        print(pad("conv (C -> K, H x W)", 26, left: true)
              + zip(chosen, columns).map { "  " + pad($0.rawValue + " fwd", $1 + 4) + pad("bwd", 7) + pad("ratio", 7) }.joined()
              + gradients.map { "  " + pad("∂W " + $0.rawValue, $0.rawValue.count + 3) }.joined())
        for t in timings {
            let name = "\(t.shape.inChannels) -> \(t.shape.outChannels), \(t.shape.height) x \(t.shape.width)"
            let cells = zip(chosen, columns).map { algorithm, width -> String in
                let time = t.times[algorithm.rawValue]!
                return "  " + pad(fmt(time.forward, 2), width + 4) + pad(fmt(time.backward, 2), 7)
                    + pad(fmt(t.trainRatio(time, over: reference), 2), 7)
            }
            let gradientCells = gradients.map { "  " + pad(fmt(t.weightGradients[$0.rawValue]!, 2), $0.rawValue.count + 3) }
            print(pad(name, 26, left: true) + cells.joined() + gradientCells.joined())
        }
    }

    /// `--algorithms` parsed, in order, each once.
    private func chosenAlgorithms() throws -> [ConvolutionAlgorithm] {
        let names = algorithms.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        var chosen: [ConvolutionAlgorithm] = []
        for name in names {
            guard let algorithm = ConvolutionAlgorithm(rawValue: name) else {
                throw ValidationError("--algorithms: unknown algorithm '\(name)' (known: \(Self.algorithmNames))")
            }
            guard !chosen.contains(algorithm) else { throw ValidationError("--algorithms names '\(name)' twice") }
            chosen.append(algorithm)
        }
        guard !chosen.isEmpty else { throw ValidationError("--algorithms names no algorithm") }
        return chosen
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

/// Median forward and backward milliseconds of one conv shape by each algorithm timed.
struct ConvTiming: Codable {
    /// One algorithm's median milliseconds per pass.
    struct Time: Codable {
        var forward: Double
        var backward: Double
    }

    var shape: ConvShape
    /// By `ConvolutionAlgorithm` raw value.
    var times: [String: Time]
    /// Median milliseconds of a backward pass that computes no `∂X` (`computesInputGradient`
    /// false), `∂W` and `∂b` alone, by those of `weightGradientAlgorithms` timed (raw values).
    var weightGradients: [String: Double]

    /// The algorithms whose weight gradient is also timed alone.
    static let weightGradientAlgorithms: [ConvolutionAlgorithm] = [.kernelRows, .direct]

    /// `time`'s forward + backward over those of the algorithm named `reference`: below 1, it
    /// trains faster.
    func trainRatio(_ time: Time, over reference: String) -> Double {
        let base = times[reference]!
        return (time.forward + time.backward) / (base.forward + base.backward)
    }

    /// Times `shape` on random input of `batch` images: each repeat runs every one of
    /// `algorithms` in turn (kernel rows and direct a second time without `∂X`), so all see the
    /// same machine state; the first repeat is a warm-up.
    static func measure(_ shape: ConvShape, algorithms: [ConvolutionAlgorithm], batch: Int, steps: Int) -> ConvTiming {
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
                guard weightGradientAlgorithms.contains(algorithm) else { continue }
                conv.computesInputGradient = false
                weightGradient[algorithm, default: []].append(Stopwatch.seconds { _ = conv.backward(dy) })
                conv.computesInputGradient = true
            }
        }
        func milliseconds(_ values: [Double]) -> Double { 1e3 * Stopwatch.median(of: Array(values.dropFirst())) }
        return ConvTiming(
            shape: shape,
            times: Dictionary(uniqueKeysWithValues: algorithms.map {
                ($0.rawValue, Time(forward: milliseconds(forward[$0]!), backward: milliseconds(backward[$0]!)))
            }),
            weightGradients: Dictionary(uniqueKeysWithValues: weightGradient.map { ($0.key.rawValue, milliseconds($0.value)) }))
    }
}

struct ConvBenchReport: Codable {
    var environment: EnvironmentReport
    var model: String
    var batch: Int
    var threads: Int
    var convs: [ConvTiming]
}
