import Linalg
import ShearsNet
import Testing
@testable import ShearsPrune

@Suite("The consumers' input Hessians")
struct ConsumerHessiansTests {
    @Test("a conv's Hessian is (2/N) Σ x xᵀ over every im2col column, a linear layer's over its inputs, both built directly; the mean row is (2/N) Σ x")
    func hessiansByHand() throws {
        let network = try smallVGGGraph(batchNorm: false)
        let data = Dataset.synthetic(count: 64, height: 8, width: 8, classCount: 3, seed: 1)
        let (conv, linear) = (nodeIndex(network, "features.3"), nodeIndex(network, "classifier.0"))
        // Batches of 20 over 64 images: the last one is short.
        let collected = try ConsumerHessians.collect(network, consumers: [conv, linear], data: data, batchSize: 20)
        for (node, order, samplesPerImage) in [(conv, 36, 16), (linear, 24, 1)] {
            let samples = inputSamples(network, node: node, data: data)
            #expect(samples.count == 64 * samplesPerImage && samples[0].count == order)
            let direct = inputHessian(samples)
            let statistics = try #require(collected[node])
            #expect(statistics.hessian.rows == order && statistics.hessian.cols == order)
            let scale = direct.joined().map(abs).max()!
            // Double sums of Float products in another order: 1e-9 of the largest entry.
            var worst = 0.0
            for p in 0..<order { for q in 0..<order { worst = max(worst, abs(statistics.hessian[p, q] - direct[p][q])) } }
            #expect(worst <= 1e-9 * scale, "\(network.nodes[node].name): worst difference \(worst) of \(scale)")
            for q in 0..<order {
                let mean = samples.reduce(0.0) { $0 + $1[q] } * 2 / Double(samples.count)
                #expect(abs(statistics.mean[q] - mean) <= 1e-9 * max(1, abs(mean)))
            }
        }
    }

    @Test("OBS on a rank-deficient Hessian (10 images, 24 inputs) ranks the same whatever the sample order and batching")
    func obsStableUnderPermutation() throws {
        let data = Dataset.synthetic(count: 10, height: 8, width: 8, classCount: 3, seed: 3)
        let network = try smallVGGGraph(batchNorm: false)
        #expect(network.nodes[nodeIndex(network, "classifier.0")].layer!.parameters[0].value.shape == [5, 24])
        let groups = try DependencyGraph(network.specification).prunableGroups
        let forward = try ObsGroupCriterion(update: false, batchSize: 3).scores(network, groups: groups, calibration: data)
        let reversed = try ObsGroupCriterion(update: false, batchSize: 4)
            .scores(network, groups: groups, calibration: data.subset(Array((0..<10).reversed())))
        for (index, (a, b)) in zip(forward, reversed).enumerated() {
            #expect(lowestFirst(a) == lowestFirst(b), "group \(index): \(a) vs \(b)")
            // The damping (1% of the mean diagonal) bounds the condition number: sums in another order agree to 1e-6.
            for (x, y) in zip(a, b) { #expect(abs(x - y) <= 1e-6 * max(abs(x), 1e-12)) }
        }
    }
}
