import Testing
@testable import ShearsNet

@Suite("BatchNorm, average pooling and dropout")
struct MoreLayerTests {
    @Test("BatchNorm2D in training mode: gradients against finite differences")
    func batchNormGradients() {
        let layer = BatchNorm2D(channels: 3)
        var rng = SeededGenerator(seed: 1)
        for i in 0..<3 {
            layer.weight.value.values[i] = 0.5 + rng.nextUnitFloat()
            layer.bias.value.values[i] = rng.nextGaussian()
        }
        // Normalisation is non-linear in x: a small step, and a tolerance for Float sums.
        let errors = GradientCheck(step: 1e-2, tolerance: 5e-3)
            .worstError(layer, input: randomTensor([4, 3, 3, 3], seed: 2), seed: 3)
        #expect(errors.input < 5e-3 && errors.parameters < 5e-3, "\(errors)")
    }

    @Test("BatchNorm2D normalises per channel, tracks running statistics, and evaluates with them")
    func batchNormStatistics() {
        let layer = BatchNorm2D(channels: 2, momentum: 0.5)
        var x = randomTensor([8, 2, 4, 4], seed: 4)
        for i in x.values.indices { x.values[i] = x.values[i] * 3 + 5 }
        let y = layer.forward(x, training: true)
        for c in 0..<2 {
            var values: [Float] = []
            for n in 0..<8 { values += y.values[((n * 2 + c) * 16)..<((n * 2 + c) * 16 + 16)] }
            let mean = values.reduce(0, +) / Float(values.count)
            let variance = values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Float(values.count)
            #expect(abs(mean) < 1e-5 && abs(variance - 1) < 1e-3)
            #expect(abs(layer.runningMean[c] - 2.5) < 0.6, "running mean \(layer.runningMean[c]) should be near 0.5·5")
        }
        layer.runningMean = [1, 2]
        layer.runningVariance = [4, 9]
        let one = Tensor(shape: [1, 2, 1, 1], values: [3, 5])
        let evaluated = layer.forward(one, training: false)
        #expect(abs(evaluated.values[0] - (3 - 1) / (4 + 1e-5 as Float).squareRoot()) < 1e-5)
        #expect(abs(evaluated.values[1] - (5 - 2) / (9 + 1e-5 as Float).squareRoot()) < 1e-5)
    }

    @Test("BatchNorm2D's batch variance stays exact when the mean dwarfs the spread (a single-pass E[x²] − E[x]² loses it)")
    func batchNormVarianceOfOffsetData() {
        let layer = BatchNorm2D(channels: 1, momentum: 1)
        // Mean 1000, standard deviation about 0.01: in Float, E[x²] ≈ 1e6 carries an error of
        // about 0.06, six hundred times the variance of 1e-4.
        var x = randomTensor([4, 1, 9, 9], seed: 12)
        for i in x.values.indices { x.values[i] = 1000 + 0.01 * x.values[i] }
        let values = x.values.map(Double.init)
        let mean = values.reduce(0, +) / Double(values.count)
        let unbiased = values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(values.count - 1)
        _ = layer.forward(x, training: true)
        // With momentum 1 the running variance is the batch's unbiased variance.
        #expect(abs(Double(layer.runningVariance[0]) / unbiased - 1) < 1e-3,
                "running variance \(layer.runningVariance[0]) against \(unbiased)")
    }

    @Test("BatchNorm2D's batch statistics are exact over planes whose means differ far more than their spread")
    func batchNormStatisticsAcrossPlanes() {
        let layer = BatchNorm2D(channels: 2, momentum: 1)
        // Per-plane means 1000 + 3·image (channel 0) and −7·image (channel 1), spread ~0.01:
        // most of the variance is between the planes, the rest within each.
        var x = randomTensor([5, 2, 7, 7], seed: 21)
        for image in 0..<5 {
            for channel in 0..<2 {
                let offset: Float = channel == 0 ? 1000 + 3 * Float(image) : -7 * Float(image)
                for q in 0..<49 { x.values[(image * 2 + channel) * 49 + q] = offset + 0.01 * x.values[(image * 2 + channel) * 49 + q] }
            }
        }
        _ = layer.forward(x, training: true)
        for channel in 0..<2 {
            let values = (0..<5).flatMap { image in (0..<49).map { Double(x.values[(image * 2 + channel) * 49 + $0]) } }
            let mean = values.reduce(0, +) / Double(values.count)
            let unbiased = values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(values.count - 1)
            #expect(abs(Double(layer.runningMean[channel]) - mean) < 1e-6 * max(1, abs(mean)))
            #expect(abs(Double(layer.runningVariance[channel]) / unbiased - 1) < 1e-5,
                    "channel \(channel): running variance \(layer.runningVariance[channel]) against \(unbiased)")
        }
    }

    @Test("AvgPool2D and global average pooling: values and gradients")
    func averagePooling() {
        let x = Tensor(shape: [1, 1, 2, 2], values: [1, 2, 3, 6])
        #expect(AvgPool2D.global().forward(x, training: false).values == [3])
        let check = GradientCheck(step: 0.25, tolerance: 1e-3)
        let windowed = check.worstError(AvgPool2D(size: 2, stride: 1), input: randomTensor([2, 2, 5, 5], seed: 5), seed: 6)
        let global = check.worstError(AvgPool2D.global(), input: randomTensor([2, 3, 4, 4], seed: 7), seed: 8)
        #expect(windowed.input < 1e-3 && global.input < 1e-3, "\(windowed) \(global)")
    }

    @Test("Dropout: zeroes about p of the values, rescales the rest, identity in evaluation")
    func dropout() {
        let layer = Dropout(probability: 0.25, seed: 9)
        let x = Tensor(shape: [1, 10_000], repeating: 1)
        let y = layer.forward(x, training: true)
        let zeros = y.values.filter { $0 == 0 }.count
        #expect(abs(Double(zeros) / 10_000 - 0.25) < 0.02)
        #expect(y.values.allSatisfy { $0 == 0 || abs($0 - 4.0 / 3.0) < 1e-6 })
        let g = layer.backward(Tensor(shape: [1, 10_000], repeating: 1))
        #expect(g.values == y.values)
        #expect(layer.forward(x, training: false) == x)
    }
}
