import Foundation
import Testing
@testable import ShearsNet

@Suite("BatchNorm folded into convs for inference")
struct GraphFoldingTests {
    /// Largest |a − b| over the largest |b|.
    func relativeDifference(_ a: Tensor, _ b: Tensor) -> Float {
        zip(a.values, b.values).map { abs($0 - $1) }.max()! / b.values.map(abs).max()!
    }

    @Test("resnet-s folded: every BatchNorm after a conv leaves the graph, the logits stay, and the copy round-trips")
    func resnet() throws {
        let network = try GraphNetwork(ResNet.small, seed: 1)
        randomizeBatchNorms(network, seed: 2)
        let folded = try network.foldingBatchNorms()
        #expect(network.nodes.filter { $0.layer is BatchNorm2D }.count == 21)
        #expect(folded.nodes.count == network.nodes.count - 21 && !folded.nodes.contains { $0.layer is BatchNorm2D })
        #expect(folded.macs == network.macs)
        let input = randomTensor([4, 1, 28, 28], seed: 3)
        let reference = network.forward(input, training: false)
        let output = folded.forward(input, training: false)
        #expect(relativeDifference(output, reference) < 1e-5, "\(relativeDifference(output, reference))")

        let path = FileManager.default.temporaryDirectory.appendingPathComponent("folded-\(UUID().uuidString).safetensors").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try folded.save(to: path)
        #expect(try GraphNetwork.load(from: path).model.forward(input, training: false).values == output.values)
    }

    @Test("a BatchNorm on the input or after a non-conv stays; offsets of pruned inputs are scaled with the weights")
    func keepsUnfoldable() throws {
        let network = try GraphNetwork(residualTestGraph(), seed: 4)
        randomizeBatchNorms(network, seed: 5)
        let conv = try #require(network.nodes.first { $0.name == "block.conv2" }?.layer as? Conv2D)
        conv.outputOffset = randomTensor([3, 3, 3], seed: 6)
        let folded = try network.foldingBatchNorms()
        #expect(folded.nodes.filter { $0.layer is BatchNorm2D }.map(\.name) == ["pre"])
        let input = randomTensor([2, 2, 5, 5], seed: 7)
        let difference = relativeDifference(folded.forward(input, training: false), network.forward(input, training: false))
        #expect(difference < 1e-5, "\(difference)")
    }
}
