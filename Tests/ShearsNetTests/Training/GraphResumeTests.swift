import Foundation
import Testing
@testable import ShearsNet

@Suite("Resuming a graph network's training")
struct GraphResumeTests {
    @Test("a residual net resumed from its epoch checkpoint ends bit-identical to an uninterrupted run")
    func resumeIsExact() throws {
        let specification = ResNet.specification(inputShape: [1, 8, 8], widths: [4, 8], blocksPerStage: 1, classes: 4)
        let data = PrototypeImages(count: 64, classes: 4, noise: 1.0, seed: 1)
        let trainer = Trainer(batchSize: 16, seed: 2)
        func optimizer() -> SGD { SGD(learningRate: 0.05, momentum: 0.9, weightDecay: 5e-4, decaysEveryParameter: true) }

        let straight = try GraphNetwork(specification, seed: 3), straightOptimizer = optimizer()
        for epoch in 0..<2 { _ = try trainer.trainEpoch(straight, optimizer: straightOptimizer, data: data, epoch: epoch, epochs: 2) }

        let path = FileManager.default.temporaryDirectory.appendingPathComponent("graph-resume-\(UUID()).safetensors").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let checkpoint = EpochCheckpoint(path: path, recipe: ["model": "test"])
        let first = try GraphNetwork(specification, seed: 3), firstOptimizer = optimizer()
        _ = try trainer.trainEpoch(first, optimizer: firstOptimizer, data: data, epoch: 0, epochs: 2)
        try checkpoint.save(model: first, optimizer: firstOptimizer, epochsDone: 1, history: ["{}"])

        let resumedOptimizer = optimizer()
        let state = try #require(try checkpoint.resume(GraphNetwork.self, optimizer: resumedOptimizer))
        #expect(state.epochsDone == 1)
        _ = try trainer.trainEpoch(state.model, optimizer: resumedOptimizer, data: data, epoch: 1, epochs: 2)
        #expect(state.model.stateTensors == straight.stateTensors)
        #expect(throws: CheckpointError.self) {
            _ = try EpochCheckpoint(path: path, recipe: ["model": "other"]).resume(GraphNetwork.self, optimizer: optimizer())
        }
    }
}
