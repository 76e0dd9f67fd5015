import Foundation
import ShearsNet
import Testing
@testable import ShearsPrune

@Suite("Output deviation")
struct OutputDeviationTests {
    @Test("KL divergence and top-1 agreement against a hand computation; zero for the same model")
    func deviation() throws {
        let data = Dataset.synthetic(count: 12, height: 4, width: 4, classCount: 3, seed: 1)
        let mlp = VGGConfiguration.mlp(inputChannels: 1, inputSize: 4, hidden: [5], classes: 3).graph
        let a = try GraphNetwork(mlp, seed: 1)
        let b = try GraphNetwork(mlp, seed: 2)
        let (ra, rb) = (ModelOutputs(a, on: data, batchSize: 5), ModelOutputs(b, on: data, batchSize: 5))
        #expect(ra.deviation(from: ra) == (0, 1))
        let (images, _) = data.batch(Array(0..<12)[...])
        let (za, zb) = (a.forward(images, training: false).values, b.forward(images, training: false).values)
        var (kl, agree) = (0.0, 0)
        for n in 0..<12 {
            func softmax(_ z: ArraySlice<Float>) -> [Double] {
                let e = z.map { exp(Double($0)) }
                return e.map { $0 / e.reduce(0, +) }
            }
            let p = softmax(za[(3 * n)..<(3 * n + 3)]), q = softmax(zb[(3 * n)..<(3 * n + 3)])
            kl += zip(p, q).reduce(0) { $0 + $1.0 * log($1.0 / $1.1) } / 12
            if p.firstIndex(of: p.max()!) == q.firstIndex(of: q.max()!) { agree += 1 }
        }
        let measured = rb.deviation(from: ra)
        #expect(abs(measured.klDivergence - kl) < 1e-6 * max(kl, 1e-3) && measured.top1Agreement == Double(agree) / 12)
        #expect(abs(ra.evaluation.accuracy - Trainer.evaluate(a, on: data).accuracy) < 1e-12)
    }
}
