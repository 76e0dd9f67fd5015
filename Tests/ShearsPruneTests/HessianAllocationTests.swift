import Linalg
import ShearsNet
import Testing
@testable import ShearsPrune

@Suite("Hessian-aware allocation")
struct HessianAllocationTests {
    let data = Dataset.synthetic(count: 24, classCount: 10, seed: 2)

    @Test("flat or weakly weighted layers give up more; the total matches the ratio; the plan follows the shares")
    func shares() throws {
        let model = VGG(.vggS.scaled(by: 0.25), seed: 3)
        // conv 2 reads conv 1's filters: shrinking its weights makes conv 1's filters cheap.
        let reader = model.convolutions[2].layer.weight
        for i in reader.value.values.indices { reader.value.values[i] *= 0.05 }
        let shares = try HessianAllocation.shares(model, granularity: .filter, ratio: 0.4, data: data, batchSize: 8)
        let ordered = (0..<5).map { shares[.convolution($0)]! }
        #expect(ordered[1].share == ordered.map(\.share).max()!)
        for a in ordered { for b in ordered where a.costPerGroup < b.costPerGroup { #expect(a.share >= b.share) } }
        let total = ordered.reduce(0.0) { $0 + $1.share * Double($1.groups) }
        #expect(abs(total - 0.4 * Double(ordered.reduce(0) { $0 + $1.groups })) < 1e-6)
        #expect(ordered.allSatisfy { $0.share <= 0.9 })
        // The mean eigenvalue is the spectrum's: tr H / n from syevd.
        let h = try LayerHessian.collect(model, consumers: [.convolution(2)], data: data, batchSize: 8)[.convolution(2)]!
        let eigen = try SymmetricEigen(h)
        let spectrumMean = eigen.values.reduce(0, +) / Double(h.rows)
        #expect(abs(ordered[1].meanEigenvalue - spectrumMean) <= 1e-9 * spectrumMean)
        let scores = try WeightCriteria.norms(model, granularity: .filter, p: 1)
        let plan = try Planner.plan(scores, granularity: .filter, ratio: 0.4, ranking: .hessian,
                                    layerShares: shares.mapValues(\.share))
        for k in 0..<5 {
            let expected = Int((ordered[k].share * Double(ordered[k].groups)).rounded(.down))
            #expect((plan.removals[.convolution(k)]?.count ?? 0) == expected)
        }
        #expect(throws: PruningError.self) {
            try Planner.plan(scores, granularity: .filter, ratio: 0.4, ranking: .hessian)
        }
    }
}
