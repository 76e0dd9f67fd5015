import ArgumentParser
import Foundation
import ShearsNet
import ShearsPrune

/// `shears train`: the reference recipe (SGD, momentum, weight decay) on Fashion-MNIST.
struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train a model on Fashion-MNIST and write a safetensors checkpoint.")

    @Option(help: "Model preset: \((VGGConfiguration.presetNames + [Self.resnetName]).joined(separator: ", ")).")
    var model = "vgg-s"

    @Option(parsing: .unconditional, help: "Width multiplier for every conv layer.")
    var width: Double = 1

    @Flag(help: "Insert batch normalisation after every conv.")
    var batchNorm = false

    @Option(parsing: .unconditional, help: "Training epochs.")
    var epochs = 3

    @Option(parsing: .unconditional, help: "Mini-batch size.")
    var batchSize = 64

    @Option(parsing: .unconditional, help: "Learning rate.")
    var learningRate: Double = 0.01

    @Option(parsing: .unconditional, help: "SGD momentum.")
    var momentum: Double = 0.9

    @Option(parsing: .unconditional, help: "L2 weight decay (weights only, unless --decay-all).")
    var weightDecay: Double = 5e-4

    @Flag(help: "Apply weight decay to biases and BatchNorm too, as torch.optim.SGD(model.parameters()) does.")
    var decayAll = false

    @Option(parsing: .unconditional,
            help: "Network slimming: λ of the l1 penalty on every BatchNorm scale γ (Liu et al. 2017, eq. 1); 0 = off.")
    var slimming: Double = 0

    @Option(help: "Learning-rate schedule: constant, cosine, or step:<epochs>:<factor>.")
    var schedule = "constant"

    @Option(help: "Checkpoint to write (atomically).")
    var out: String

    @OptionGroup var compute: ComputeOptions
    @OptionGroup var data: DataOptions

    /// The residual reference model, a graph (`shared/reference/resnet-s.md`).
    static let resnetName = "resnet-s"

    func validate() throws {
        if model == Self.resnetName {
            guard width == 1, !batchNorm else { throw ValidationError("--width and --batch-norm apply to VGG presets, not \(model)") }
        } else {
            let preset = try modelPreset(model)
            guard preset.inputChannels == 1, preset.inputSize == 28 else {
                throw ValidationError("--model \(model) expects \(preset.inputChannels)x\(preset.inputSize)x\(preset.inputSize) images; Fashion-MNIST is 1x28x28 (use vgg-s)")
            }
        }
        guard slimming >= 0, slimming <= 1 else { throw ValidationError("--slimming must be in [0, 1], got \(slimming)") }
        guard slimming == 0 || model == Self.resnetName || batchNorm else {
            throw ValidationError("--slimming penalises BatchNorm scales; \(model) has none without --batch-norm")
        }
        guard (1...1_000).contains(epochs) else { throw ValidationError("--epochs must be in 1...1000, got \(epochs)") }
        try validateBatchSize(batchSize)
        guard learningRate > 0, learningRate <= 10 else { throw ValidationError("--learning-rate must be in (0, 10], got \(learningRate)") }
        guard (0..<1).contains(momentum), (0...1).contains(weightDecay) else {
            throw ValidationError("--momentum must be in [0, 1) and --weight-decay in [0, 1], got \(momentum) and \(weightDecay)")
        }
        // The widest vgg-s layer (128) times 16 is 2048 channels, about 40 M parameters.
        guard width > 0, width <= 16 else { throw ValidationError("--width must be in (0, 16], got \(width)") }
        _ = try parsedSchedule()
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: out, isDirectory: &isDirectory), isDirectory.boolValue {
            throw ValidationError("--out \(out) is a directory; it names the checkpoint to write")
        }
    }

    func parsedSchedule() throws -> LearningRateSchedule {
        if schedule == "constant" { return .constant }
        if schedule == "cosine" { return .cosine }
        let parts = schedule.split(separator: ":")
        if parts.count == 3, parts[0] == "step", let every = Int(parts[1]), every > 0, let factor = Double(parts[2]), factor > 0 {
            return .step(every: every, factor: factor)
        }
        throw ValidationError("--schedule must be constant, cosine or step:<epochs>:<factor>, got '\(schedule)'")
    }


    /// The epoch checkpoint beside `--out`; removed once `--out` is written.
    var resumePath: String { out + ".resume" }

    func run() throws {
        compute.apply()
        if model == Self.resnetName {
            try train(GraphNetwork(ResNet.small, seed: compute.seed))
        } else {
            // The VGG preset as its graph: the same layers, initialisation and names as the VGG class had.
            var configuration = try modelPreset(model).scaled(by: width)
            configuration.batchNorm = batchNorm
            try train(GraphNetwork(configuration.graph, seed: compute.seed))
        }
    }

    /// Trains `initial` (or the network of an interrupted run) and writes `--out`.
    func train(_ initial: GraphNetwork) throws {
        let log = Logs.logger("train")
        let train = try data.load(.train), test = try data.load(.test)
        let recipe: [String: String] = [
            "model": model, "width": "\(width)", "batch_norm": "\(batchNorm)", "epochs": "\(epochs)",
            "batch_size": "\(batchSize)", "learning_rate": "\(learningRate)", "momentum": "\(momentum)",
            "weight_decay": "\(weightDecay)", "decay_all": "\(decayAll)", "slimming": "\(slimming)", "schedule": schedule, "seed": "\(compute.seed)",
            "threads": "\(compute.threads)", "train_images": "\(train.count)",
        ]
        let optimizer = SGD(learningRate: Float(learningRate), momentum: Float(momentum), weightDecay: Float(weightDecay),
                            decaysEveryParameter: decayAll)
        let checkpoint = EpochCheckpoint(path: resumePath, recipe: recipe)
        var network = initial
        // Per epoch; wall-clock times are printed, not stored, so that a resumed run's file is
        // identical to an uninterrupted one's.
        var history: [String] = []
        if let state = try checkpoint.resume(GraphNetwork.self, optimizer: optimizer) {
            (network, history) = (state.model, state.history)
            log.info("resuming from \(resumePath) after epoch \(state.epochsDone) of \(epochs)")
        }
        let trainer = Trainer(batchSize: batchSize, seed: compute.seed)
        let lrSchedule = try parsedSchedule()
        log.info("training \(model) on \(train.count) images, testing on \(test.count); seed \(compute.seed), \(compute.threads) threads")
        let progress = ProgressLine()
        let start = Date()
        for epoch in history.count..<epochs {
            optimizer.learningRate = Float(lrSchedule.rate(base: learningRate, epoch: epoch, epochs: epochs))
            let norms = network.nodes.compactMap { $0.layer as? BatchNorm2D }, penalty = NetworkSlimming(strength: slimming)
            let loss = try trainer.trainEpoch(network, optimizer: optimizer, data: train, epoch: epoch, epochs: epochs,
                                              progress: progress.show) { _ in
                if slimming > 0 { penalty.proximalStep(norms, learningRate: Double(optimizer.learningRate)) }
            }
            let evaluation = Trainer.evaluate(network, on: test)
            let entry: [String: Double] = ["epoch": Double(epoch + 1), "train_loss": loss, "test_loss": evaluation.loss,
                                           "test_accuracy": evaluation.accuracy]
            history.append(String(decoding: try JSONSerialization.data(withJSONObject: entry, options: [.sortedKeys]), as: UTF8.self))
            try checkpoint.save(model: network, optimizer: optimizer, epochsDone: epoch + 1, history: history)
            emitLine("epoch \(epoch + 1): train loss \(fmt(loss, 4)), test loss \(fmt(evaluation.loss, 4)), "
                  + "test accuracy \(fmt(100 * evaluation.accuracy, 2))%, \(fmt(Date().timeIntervalSince(start), 0)) s")
        }
        let environment = EnvironmentReport.current()
        let historyJSON = "[" + history.joined(separator: ",") + "]"
        try network.save(to: out, metadata: recipe.merging(["history": historyJSON, "blas": environment.blasConfig,
                                                            "swift": environment.swift]) { $1 })
        try checkpoint.remove()
        log.info("wrote \(out)")
    }
}
