import Linalg
import ShearsNet
import Testing
@testable import ShearsPrune

@Suite("OBS on a network")
struct ObsCriterionTests {
    let configuration = VGGConfiguration(features: [.conv(4), .pool, .conv(6), .pool], hidden: [5], inputChannels: 1,
                                         inputSize: 8, classes: 3)
    let data = Dataset.synthetic(count: 64, height: 8, width: 8, classCount: 3, seed: 1)

    @Test("the collected conv Hessian equals (2/N) Σ x xᵀ over every im2col column, computed directly")
    func convHessian() throws {
        let model = VGG(configuration, seed: 2)
        let hessians = try LayerHessian.collect(model, consumers: [.convolution(1), .linear(0)], data: data, batchSize: 20)
        let (images, _) = data.batch(Array(0..<64)[...])
        let pooled = model.features.layers[2].forward(model.features.layers[1].forward(
            model.features.layers[0].forward(images, training: false), training: false), training: false)
        var direct = Matrix<Double>(rows: 36, cols: 36)
        var samples = 0
        model.convolutions[1].layer.forEachPatchMatrix(pooled) { _, patches in
            let columns = patches.count / 36
            for j in 0..<columns {
                for p in 0..<36 { for q in 0..<36 { direct[p, q] += Double(patches[p * columns + j]) * Double(patches[q * columns + j]) } }
            }
            samples += columns
        }
        for i in direct.storage.indices { direct.storage[i] *= 2 / Double(samples) }
        let collected = try #require(hessians[.convolution(1)])
        let scale = direct.storage.map(abs).max()!
        for i in direct.storage.indices { #expect(abs(collected.storage[i] - direct.storage[i]) <= 1e-9 * scale) }
        #expect(hessians[.linear(0)]?.rows == 6 * 2 * 2)
    }

    @Test("OBS filter scores predict the consumer's reconstruction error after removal with the update")
    func filterScores() throws {
        let model = VGG(configuration, seed: 3)
        let (scores, spectra) = try ObsCriterion.scores(model, granularity: .filter, data: data, batchSize: 32)
        #expect(scores.map(\.groups.count) == [4, 6] && spectra.count == 2)
        #expect(spectra.allSatisfy { $0.trace > 0 && $0.conditionNumber >= 1 })
        let h = try LayerHessian.collect(model, consumers: [.convolution(1)], data: data, batchSize: 32)[.convolution(1)]!
        let surgeon = try OptimalBrainSurgeon(hessian: h, relativeDamping: OptimalBrainSurgeon.defaultRelativeDamping)
        let weight = model.convolutions[1].layer.weight.value
        let w = try Matrix<Double>(rows: 6, cols: 36, storage: weight.values.map(Double.init))
        for f in 0..<4 {
            let columns = Array((f * 9)..<((f + 1) * 9))
            var updated = w
            try surgeon.remove(columns, from: &updated)
            var delta = updated
            for i in delta.storage.indices { delta.storage[i] -= w.storage[i] }
            // E = ½ Σ_r δw_rᵀ (H + λI) δw_r, the damped objective the scores price.
            var damped = h
            for i in 0..<damped.rows { damped[i, i] += surgeon.damping }
            let hd = try Matrix.product(delta, damped)
            var measured = 0.0
            for i in delta.storage.indices { measured += delta.storage[i] * hd.storage[i] }
            measured /= 2
            #expect(abs(measured - scores[0].scores[f]) <= 1e-6 * max(measured, 1e-12), "filter \(f)")
        }
    }
}
