import ArgumentParser
import ShearsNet

/// `shears eval`: test loss and accuracy of a checkpoint.
struct EvalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval", abstract: "Evaluate a checkpoint on the Fashion-MNIST test set.")

    @Option(help: "Checkpoint to evaluate.")
    var model: String

    @Option(help: "Inference batch size.")
    var batchSize = 256

    @OptionGroup var compute: ComputeOptions
    @OptionGroup var data: DataOptions

    func run() throws {
        compute.apply()
        let (network, _) = try VGG.load(from: model)
        let test = try data.load(.test)
        let result = Trainer.evaluate(network, on: test, batchSize: batchSize)
        print("\(model): \(result.images) test images, loss \(fmt(result.loss, 4)), "
              + "top-1 \(fmt(100 * result.accuracy, 2))%, top-5 \(fmt(100 * result.top5Accuracy, 2))%")
    }
}
