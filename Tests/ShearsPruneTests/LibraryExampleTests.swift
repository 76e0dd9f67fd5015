import Foundation
import ShearsNet
import ShearsPrune
import Testing

@Suite("The DocC article's library example")
struct LibraryExampleTests {
    @Test("calibration split, engine, pruneToFlops with a floor, evaluate, save: the article's calls on a small model")
    func prunesFromSwift() throws {
        let model = VGG(.vggS.scaled(by: 0.25), seed: 1)
        let train = Dataset.synthetic(count: 600, seed: 2)
        let calibration = train.calibrationSplit
        #expect(calibration.count == 50)
        let engine = CriterionEngine(data: calibration.prefix(32), pool: calibration, seed: 1)
        let base = model.copy()
        try pruneToFlops(model, fraction: 0.25, of: base, criterion: .taylor, granularity: .filter,
                         engine: engine, minLayerKeep: 0.1)
        #expect(Double(ModelCost(model).flops) <= 0.25 * Double(ModelCost(base).flops))
        #expect(model.convolutions.allSatisfy { $0.layer.outChannels >= 1 })
        let accuracy = Trainer.evaluate(model, on: Dataset.synthetic(count: 64, seed: 3)).accuracy
        #expect(accuracy >= 0 && accuracy <= 1)
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("example-\(UUID().uuidString).safetensors").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try model.save(to: path)
        #expect(try VGG.load(from: path).model.convolutions.map(\.layer.outChannels) == model.convolutions.map(\.layer.outChannels))
    }
}
