import Foundation
import ShearsNet
import ShearsPrune
import Testing

@Suite("The DocC article's library example")
struct LibraryExampleTests {
    @Test("calibration split, a criterion by name, GroupPruner.prune(toFlops:) with floors, evaluate, save: the article's calls on a small model")
    func prunesFromSwift() throws {
        let network = try GraphNetwork(VGGConfiguration.vggS.scaled(by: 0.25).graph, seed: 1)
        let train = Dataset.synthetic(count: 600, seed: 2)
        let calibration = train.calibrationSplit
        #expect(calibration.count == 50)
        let criterion = try #require(GroupCriteria.named("taylor", seed: 1))
        let flops = 2 * (try network.specification.macs())
        let before = try DependencyGraph(network.specification).prunableGroups.map(\.width)
        // Remove filters until 25% of the FLOPs remain, re-scoring as the network shrinks;
        // every group keeps at least 10% of its channels.
        try GroupPruner.prune(network, toFlops: flops / 4, criterion: criterion, ranking: .global,
                              floors: try GroupPruner.floors(network, minimumKeep: 0.1),
                              calibration: calibration.prefix(32), pool: calibration)
        #expect(2 * (try network.specification.macs()) <= flops / 4)
        let widths = try DependencyGraph(network.specification).prunableGroups.map(\.width)
        #expect(widths.allSatisfy { $0 >= 1 } && widths.reduce(0, +) < before.reduce(0, +), "\(before) -> \(widths)")
        let accuracy = Trainer.evaluate(network, on: Dataset.synthetic(count: 64, seed: 3)).accuracy
        #expect(accuracy >= 0 && accuracy <= 1)
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("example-\(UUID().uuidString).safetensors").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try network.save(to: path)
        let loaded = try GraphNetwork.load(from: path).model
        #expect(loaded.specification == network.specification)
    }
}
