import ShearsNet
import Testing
@testable import ShearsPrune

@Suite("Rank correlation")
struct RankCorrelationTests {
    @Test("Spearman: monotone maps give ±1, ties take average ranks, a known value by hand")
    func spearman() {
        #expect(RankCorrelation.spearman([1, 2, 3, 4], [10, 20, 30, 1000]) == 1)
        #expect(RankCorrelation.spearman([1, 2, 3, 4], [4, 3, 2, 1]) == -1)
        #expect(RankCorrelation.ranks([5, 1, 5, 3]) == [3.5, 1, 3.5, 2])
        // x ranks 1..5, y ranks [2, 1, 4, 3, 5]: Σd² = 4, ρ = 1 − 6·4/(5·24) = 0.8.
        #expect(abs(RankCorrelation.spearman([1, 2, 3, 4, 5], [2, 1, 4, 3, 5]) - 0.8) < 1e-12)
    }

    @Test("the bootstrap interval of the mean ρ is a point for identical rankings and straddles 0 for unrelated ones")
    func bootstrapInterval() {
        var rng = SeededGenerator(seed: 4)
        let a = (0..<3).map { _ in (0..<40).map { _ in Double(rng.nextUnitFloat()) } }
        let same = RankCorrelation.meanSpearmanWithInterval(a, a, resamples: 200)
        #expect(abs(same.mean - 1) < 1e-12 && abs(same.low - 1) < 1e-12 && abs(same.high - 1) < 1e-12)
        let b = (0..<3).map { _ in (0..<40).map { _ in Double(rng.nextUnitFloat()) } }
        let unrelated = RankCorrelation.meanSpearmanWithInterval(a, b, resamples: 400)
        #expect(unrelated.low < unrelated.mean && unrelated.mean < unrelated.high)
        #expect(unrelated.low < 0 && unrelated.high > 0 && unrelated.high - unrelated.low < 0.6, "\(unrelated)")
    }
}
