import ArgumentParser
import ShearsNet

/// `shears eval`: test loss and accuracy of a checkpoint.
struct EvalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval", abstract: "Evaluate a checkpoint on the Fashion-MNIST test set.")

    @Option(help: "Checkpoint to evaluate.")
    var model: String

    @Option(parsing: .unconditional, help: "Inference batch size, 1...1024.")
    var batchSize = 256

    // Only the options evaluation uses: no --seed (nothing is random) and no --train-limit.
    @OptionGroup var threads: ThreadOptions

    @Option(help: "Directory with the Fashion-MNIST (or MNIST) IDX files, gzip-compressed or plain.")
    var dataDir: String = FashionMNIST.defaultDirectory

    @Option(parsing: .unconditional, help: "Evaluate on the first N test images (0 = all 10,000).")
    var testLimit: Int = 0

    func validate() throws {
        try validateBatchSize(batchSize)
        guard testLimit >= 0 else { throw ValidationError("--test-limit must be >= 0, got \(testLimit)") }
    }

    func run() throws {
        threads.apply()
        let (network, _) = try loadFashionMNISTGraph(model)
        var test = try FashionMNIST.load(.test, directory: dataDir)
        if testLimit > 0 { test = test.prefix(testLimit) }
        let result = Trainer.evaluate(network, on: test, batchSize: batchSize)
        print("\(model): \(result.images) test images, loss \(fmt(result.loss, 4)), "
              + "top-1 \(fmt(100 * result.accuracy, 2))%, top-5 \(fmt(100 * result.top5Accuracy, 2))%")
    }
}
