import Testing
@testable import ShearsNet

/// Class prototypes plus seeded noise: learnable, deterministic, tiny.
struct PrototypeImages: ImageBatchSource {
    let images: [[Float]]
    let labels: [Int]
    let imageShape = [1, 8, 8]
    var count: Int { labels.count }

    init(count: Int, classes: Int, noise: Float, seed: UInt64) {
        var rng = SeededGenerator(seed: 99)
        let prototypes = (0..<classes).map { _ in (0..<64).map { _ in rng.nextGaussian() } }
        var sampler = SeededGenerator(seed: seed)
        labels = (0..<count).map { $0 % classes }
        images = labels.map { label in prototypes[label].map { $0 + noise * sampler.nextGaussian() } }
    }

    func batch(_ indices: ArraySlice<Int>) -> (images: Tensor, labels: [Int]) {
        (Tensor(shape: [indices.count] + imageShape, values: indices.flatMap { images[$0] }), indices.map { labels[$0] })
    }
}

@Suite("Trainer")
struct TrainerTests {
    @Test("a small convnet's loss falls and it beats chance on held-out data")
    func lossFalls() throws {
        let train = PrototypeImages(count: 256, classes: 4, noise: 1.0, seed: 1)
        let test = PrototypeImages(count: 128, classes: 4, noise: 1.0, seed: 2)
        let model = try GraphNetwork(VGGConfiguration(features: [.conv(4), .pool], hidden: [16], inputChannels: 1, inputSize: 8,
                                                      classes: 4).graph, seed: 3)
        let trainer = Trainer(batchSize: 16, seed: 4)
        let optimizer = SGD(learningRate: 0.05, momentum: 0.9)
        let before = Trainer.evaluate(model, on: test)
        var reports = 0
        for epoch in 0..<3 {
            _ = try trainer.trainEpoch(model, optimizer: optimizer, data: train, epoch: epoch, epochs: 3) { progress in
                reports += 1
                #expect(progress.imagesPerSecond > 0 && progress.secondsRemaining >= 0)
            }
        }
        let after = Trainer.evaluate(model, on: test)
        #expect(reports == 48)
        #expect(after.loss < 0.5 * before.loss, "loss \(before.loss) -> \(after.loss)")
        #expect(after.accuracy > 0.8, "accuracy \(after.accuracy)")
        #expect(after.top5Accuracy == 1)
    }

    @Test("a residual network with BatchNorm learns: its loss falls and it beats chance on held-out data")
    func residualLossFalls() throws {
        let train = PrototypeImages(count: 256, classes: 4, noise: 1.0, seed: 1)
        let test = PrototypeImages(count: 128, classes: 4, noise: 1.0, seed: 2)
        let model = try GraphNetwork(ResNet.specification(inputShape: [1, 8, 8], widths: [4, 8], blocksPerStage: 1, classes: 4),
                                     seed: 3)
        let optimizer = SGD(learningRate: 0.05, momentum: 0.9, weightDecay: 5e-4, decaysEveryParameter: true)
        let before = Trainer.evaluate(model, on: test)
        for epoch in 0..<3 {
            _ = try Trainer(batchSize: 16, seed: 4).trainEpoch(model, optimizer: optimizer, data: train, epoch: epoch, epochs: 3)
        }
        let after = Trainer.evaluate(model, on: test)
        #expect(after.loss < 0.5 * before.loss, "loss \(before.loss) -> \(after.loss)")
        #expect(after.accuracy > 0.8, "accuracy \(after.accuracy)")
    }

    @Test("the epoch order is a seeded permutation that changes between epochs")
    func order() {
        let trainer = Trainer(batchSize: 8, seed: 5)
        let first = trainer.order(count: 100, epoch: 0)
        #expect(first.sorted() == Array(0..<100))
        #expect(first == Trainer(batchSize: 8, seed: 5).order(count: 100, epoch: 0))
        #expect(first != trainer.order(count: 100, epoch: 1))
    }

    @Test("a diverging run stops with an error naming the step")
    func divergence() throws {
        let data = PrototypeImages(count: 64, classes: 4, noise: 1.0, seed: 6)
        let model = try GraphNetwork(VGGConfiguration.mlp(inputChannels: 1, inputSize: 8, hidden: [32], classes: 4).graph, seed: 7)
        let optimizer = SGD(learningRate: 1e12)
        #expect(throws: TrainingError.self) {
            for epoch in 0..<5 { _ = try Trainer(batchSize: 16, seed: 8).trainEpoch(model, optimizer: optimizer, data: data, epoch: epoch, epochs: 5) }
        }
    }
}
