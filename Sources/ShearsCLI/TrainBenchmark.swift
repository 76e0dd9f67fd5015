import Foundation
import Linalg
import ShearsNet

/// Throughput of one configuration of `shears bench train`.
struct TrainBenchResult: Codable {
    var threads: Int
    var trainImagesPerSecond: Double
    var inferenceImagesPerSecond: Double
    /// Training-step GFLOP/s, counting `trainFlopsPerImage` per image.
    var trainGflops: Double
    /// sgemm GFLOP/s at n = 2048 with the same number of threads, measured in the same run.
    var sgemmGflops: Double
    var trainFractionOfSgemm: Double
}

struct TrainBenchReport: Codable {
    var environment: EnvironmentReport
    var model: String
    /// `ConvolutionAlgorithm` of the model's convs.
    var convAlgorithm: String
    /// Whether ReLUs were computed inside the layer before them (`GraphNetwork.fusesReLUs`).
    var reluFusion: Bool
    /// Whether inference computed conv → ReLU → max-pool chains inside the conv (`GraphNetwork.fusesPooling`).
    var poolFusion: Bool
    /// Whether inference ran chains of direct convs image by image (`GraphNetwork.runsImagesDepthFirst`).
    var depthFirst: Bool
    var trainBatch: Int
    var inferenceBatch: Int
    var trainFlopsPerImage: Double
    var results: [TrainBenchResult]
    var peakResidentMiB: Double
}

/// Times the reference training step (forward, cross-entropy, backward, SGD) and inference
/// on random inputs of the model's shape; data loading is not part of it.
struct TrainBenchmark {
    /// The benchmarked graph: a VGG preset's (`VGGConfiguration.graph`, what curves train) or resnet-s.
    let specification: GraphSpecification
    /// One image's shape, `[C, H, W]`.
    let inputShape: [Int]
    let classes: Int
    /// Forward MACs per image (`GraphSpecification.macs`, nominal direct-convolution MACs).
    let forwardMacsPerImage: Int
    /// MACs of the convs that read the image, whose input gradient is never computed.
    let firstLayerMacs: Int
    var steps: Int
    var convolutionAlgorithm = Conv2D.defaultAlgorithm
    /// `GraphNetwork.fusesReLUs` of the benchmarked model.
    var fusesReLUs = true
    /// `GraphNetwork.fusesPooling` of the benchmarked model.
    var fusesPooling = true
    /// `GraphNetwork.runsImagesDepthFirst` of the benchmarked model.
    var runsImagesDepthFirst = true

    /// The benchmark of model `name`, a VGG preset or `resnet-s`, as a graph network, its convs
    /// computed by `convolutionAlgorithm`.
    init(model name: String, steps: Int, convolutionAlgorithm: ConvolutionAlgorithm = Conv2D.defaultAlgorithm) throws {
        let specification = name == TrainCommand.resnetName ? ResNet.small : try modelPreset(name).graph
        self.specification = specification
        inputShape = specification.inputShape
        let shapes = try specification.shapes(), macs = try specification.macsPerNode()
        classes = shapes[shapes.count - 1][1]
        forwardMacsPerImage = macs.reduce(0, +)
        firstLayerMacs = specification.nodes.indices.filter { specification.nodes[$0].inputs == [GraphSpecification.inputName] }
            .reduce(0) { $0 + macs[$1] }
        self.steps = steps
        self.convolutionAlgorithm = convolutionAlgorithm
    }

    /// Forward + backward FLOPs per image: 2 x MACs for the forward, the weight gradients and
    /// the input gradients each, less the first layer's input gradient, which is never needed
    /// (132.7 MFLOP for vgg-s).
    var trainFlopsPerImage: Double { 2 * Double(3 * forwardMacsPerImage - firstLayerMacs) }

    func measure(threads: Int, trainBatch: Int, inferenceBatch: Int) throws -> TrainBenchResult {
        let model = try GraphNetwork(specification, seed: 1)
        setConvolutionAlgorithm(convolutionAlgorithm, in: model)
        model.fusesReLUs = fusesReLUs
        model.fusesPooling = fusesPooling
        model.runsImagesDepthFirst = runsImagesDepthFirst
        let optimizer = SGD(learningRate: 0.01, momentum: 0.9, weightDecay: 5e-4)
        var rng = SeededGenerator(seed: 2)
        func batch(_ n: Int) -> Tensor {
            Tensor(shape: [n] + inputShape, values: (0..<(n * inputShape.reduce(1, *))).map { _ in rng.nextGaussian() })
        }
        let x = batch(trainBatch), labels = (0..<trainBatch).map { $0 % classes }
        let inference = batch(inferenceBatch)
        Compute.configure(threads: threads)
        let trainSeconds = Stopwatch.median(repeats: steps, warmups: 2) {
            model.zeroGradients()
            let loss = CrossEntropy(logits: model.forward(x, training: true), labels: labels)
            _ = model.backward(loss.gradient)
            optimizer.step(model.parameters)
        }
        let inferenceSeconds = Stopwatch.median(repeats: max(3, steps / 4), warmups: 1) {
            _ = model.predict(inference)
        }
        BLASRuntime.threads = threads
        let sgemm = try LinalgBenchmark(repeats: 3, syrkRows: 1).gemm(n: 2048, scalar: Float.self, threads: threads)
        Compute.configure(threads: threads)
        let trainGflops = Double(trainBatch) / trainSeconds * trainFlopsPerImage / 1e9
        return TrainBenchResult(
            threads: threads, trainImagesPerSecond: Double(trainBatch) / trainSeconds,
            inferenceImagesPerSecond: Double(inferenceBatch) / inferenceSeconds, trainGflops: trainGflops,
            sgemmGflops: sgemm.directGflops, trainFractionOfSgemm: trainGflops / sgemm.directGflops)
    }
}

/// Sets every conv of `model` to `algorithm`.
func setConvolutionAlgorithm(_ algorithm: ConvolutionAlgorithm, in model: GraphNetwork) {
    for case let conv as Conv2D in model.nodes.map(\.layer) { conv.algorithm = algorithm }
}

/// Peak resident set size of this process so far, in MiB (`getrusage`, KiB on Linux).
func peakResidentMiB() -> Double {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return Double(usage.ru_maxrss) / 1024
}
