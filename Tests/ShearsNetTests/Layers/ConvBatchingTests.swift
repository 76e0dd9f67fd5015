import Testing
@testable import ShearsNet

@Suite("Conv2D groups small images into one GEMM")
struct ConvBatchingTests {
    @Test("a batch's outputs equal each image's own forward pass, for grouped and ungrouped planes", arguments: [5, 7, 40])
    func groupedEqualsSingle(size: Int) {
        var rng = SeededGenerator(seed: 1)
        let conv = Conv2D(inChannels: 3, outChannels: 4, kernelSize: 3, padding: 1, rng: &rng)
        let batch = randomTensor([9, 3, size, size], seed: 2)
        #expect((size * size < Conv2D.gemmColumns) == (Conv2D.gemmColumns / (size * size) > 1))
        let together = conv.forward(batch, training: false)
        let plane = 3 * size * size, out = 4 * size * size
        for n in 0..<9 {
            let single = conv.forward(Tensor(shape: [1, 3, size, size], values: Array(batch.values[(n * plane)..<((n + 1) * plane)])),
                                      training: false)
            let worst = zip(single.values, together.values[(n * out)..<((n + 1) * out)]).map { abs($0 - $1) }.max()!
            #expect(worst < 1e-5, "image \(n): \(worst)")
        }
    }
}
