import ArgumentParser
import Linalg
import ShearsNet

/// The thread count, which every command takes.
struct ThreadOptions: ParsableArguments {
    @Option(parsing: .unconditional, help: "Cores to use: batch workers for layers, each with single-threaded BLAS.")
    var threads: Int = 2

    /// More workers than this only adds contention on the machines Shears targets.
    static let maximum = 256

    func validate() throws {
        guard (1...Self.maximum).contains(threads) else {
            throw ValidationError("--threads must be in 1...\(Self.maximum), got \(threads)")
        }
    }

    /// Applies the thread setting (layers split batches; BLAS stays single-threaded inside).
    func apply() {
        Compute.configure(threads: threads)
    }
}

/// Options every command with random choices shares: the seed and the thread count.
struct ComputeOptions: ParsableArguments {
    @Option(parsing: .unconditional, help: "Seed for initialisation, shuffling and every random choice.")
    var seed: UInt64 = 0

    @OptionGroup var threadOptions: ThreadOptions

    var threads: Int { threadOptions.threads }

    func apply() { threadOptions.apply() }
}

/// Batch sizes every command accepts: larger batches' activations do not fit in memory
/// (vgg-s at batch 1024 holds about 1 GB of activations while training).
func validateBatchSize(_ batchSize: Int, flag: String = "--batch-size") throws {
    guard (1...1_024).contains(batchSize) else { throw ValidationError("\(flag) must be in 1...1024, got \(batchSize)") }
}

/// The preset named by `--model`, or a validation error listing the valid names.
func modelPreset(_ name: String) throws -> VGGConfiguration {
    guard let preset = VGGConfiguration.preset(name) else {
        throw ValidationError("unknown --model '\(name)'; choose one of \(VGGConfiguration.presetNames.joined(separator: ", "))")
    }
    return preset
}

/// Any checkpoint, VGG or graph, as a graph network (a VGG as `VGGConfiguration.graph`),
/// refused unless it takes 1 x 28 x 28 images into 10 classes.
func loadFashionMNISTGraph(_ path: String) throws -> (model: GraphNetwork, metadata: [String: String]) {
    let loaded = try GraphNetwork.load(from: path)
    try checkFashionMNISTShape(input: loaded.model.specification.inputShape, classes: loaded.model.specification.classes, path: path)
    return loaded
}

/// Another input shape traps the forward pass, fewer classes the loss.
private func checkFashionMNISTShape(input: [Int], classes: Int, path: String) throws {
    guard input == [1, FashionMNIST.imageSize, FashionMNIST.imageSize] else {
        throw CheckpointError.architectureMismatch(
            path: path, reason: "the model takes \(input.map(String.init).joined(separator: "x")) images; Fashion-MNIST's are 1x28x28")
    }
    guard classes == FashionMNIST.classCount else {
        throw CheckpointError.architectureMismatch(
            path: path, reason: "the model has \(classes) classes; Fashion-MNIST has \(FashionMNIST.classCount)")
    }
}
