import Foundation
import ShearsNet
import Testing
@testable import ShearsPrune

/// A stem conv (BatchNorm, ReLU) added to a 1x1 side conv, so one group has two producers,
/// then global pooling into the logits layer. The side conv and the logits layer reach the
/// logits without a ReLU: the logits are exactly linear in each of their weights.
func obdTestGraph() -> GraphSpecification {
    var b = GraphBuilder(inputShape: [1, 5, 5])
    let stem = b.relu("stem.relu", b.batchNorm("stem.bn", b.conv("stem", b.input, outChannels: 3, kernelSize: 3, padding: 1)))
    let side = b.conv("side", b.input, outChannels: 3, kernelSize: 1)
    let pooled = b.flatten("flatten", b.globalAveragePool("pool", b.add("sum", [stem, side])))
    b.linear("out", pooled, outFeatures: 4)
    return b.specification
}

@Suite("obd-exact on dependency groups: the exact Hessian diagonal of the mean cross-entropy")
struct ObdExactGroupCriterionTests {
    let data = Dataset.synthetic(count: 7, height: 5, width: 5, classCount: 4, seed: 11)

    /// The mean cross-entropy over `data`, in Double from the Float logits.
    func meanLoss(_ network: GraphNetwork) -> Double {
        let (images, labels) = data.batch(Array(0..<data.count)[...])
        let logits = network.forward(images, training: false)
        let classes = logits.shape[1]
        var total = 0.0
        for n in 0..<data.count {
            let row = (0..<classes).map { Double(logits.values[n * classes + $0]) }
            let top = row.max()!
            total += top + log(row.reduce(0) { $0 + exp($1 - top) }) - row[labels[n]]
        }
        return total / Double(data.count)
    }

    /// `∂²L/∂w_q²` by the central second difference at the Float steps actually taken
    /// (`w ± ε` rounded), `f'' ≈ 2(b·f₊ − (a + b)·f₀ + a·f₋) / (a·b·(a + b))`; nil when a
    /// pre-activation of `watched` changes sign within the steps (a ReLU kink: no second
    /// derivative there).
    func secondDifference(_ network: GraphNetwork, _ weight: Parameter, _ q: Int, epsilon: Float, watched: Int) -> Double? {
        let w = weight.value.values[q]
        var losses: [Double] = [], signs: [[Bool]] = []
        network.isRecording = true
        defer { network.isRecording = false }
        for value in [w + epsilon, w, w - epsilon] {
            weight.value.values[q] = value
            losses.append(meanLoss(network))
            signs.append(network.recordedOutputs[watched].values.map { $0 > 0 })
        }
        weight.value.values[q] = w
        guard signs[0] == signs[1] && signs[2] == signs[1] else { return nil }
        let a = Double(w + epsilon) - Double(w), b = Double(w) - Double(w - epsilon)
        return 2 * (b * losses[0] - (a + b) * losses[1] + a * losses[2]) / (a * b * (a + b))
    }

    @Test("the diagonal equals second differences of the mean loss, weight by weight, on a graph with BatchNorm and an add")
    func diagonalBySecondDifferences() throws {
        let network = try GraphNetwork(obdTestGraph(), seed: 4)
        randomizeNormalization(network, seed: 5)
        func node(_ name: String) -> Int { network.nodes.firstIndex { $0.name == name }! }
        // A shift that keeps most of the stem's pre-activations positive (all but 12 of 525),
        // so that most stem weights can move by ±ε without crossing a ReLU kink.
        (network.nodes[node("stem.bn")].layer as! BatchNorm2D).bias.value.values = [1.5, 1.5, 1.5]
        let producers = ["stem", "side", "out"].map(node)
        // Batches of 3 over 7 images: the last batch is short, and the sum is over batches.
        let diagonal = ObdExactGroupCriterion(batchSize: 3).hessianDiagonal(network, producers: Set(producers), data: data)
        let fisher = ObdGroupCriterion(batchSize: 3).fisherDiagonal(network, producers: Set(producers), data: data)
        var (checked, fisherMisses) = ([String: Int](), 0)
        for producer in producers {
            let name = network.nodes[producer].name, weight = network.nodes[producer].layer!.parameters[0]
            let h = try #require(diagonal[producer])
            #expect(h.count == weight.value.count)
            for q in h.indices {
                guard let measured = secondDifference(network, weight, q, epsilon: 0.05, watched: node("stem.bn")) else { continue }
                // The logits are Float (about 1e-7 relative), so the Double loss carries ~3e-7 of
                // rounding, which 4/ε² = 1600 amplifies to at most 5e-4 and in practice (rounding
                // shared between the three passes) below 1e-4; the truncation ε²/12 · ∂⁴L/∂w⁴ is
                // below 1e-3 relative for logits that move by at most ~2 per unit of weight.
                let tolerance = 1e-4 + 1e-3 * h[q]
                #expect(abs(h[q] - measured) <= tolerance, "\(name)[\(q)]: \(h[q]) vs second difference \(measured)")
                checked[name, default: 0] += 1
                // The empirical Fisher is a different matrix: the test tells them apart.
                if abs(fisher[producer]![q] - measured) > tolerance { fisherMisses += 1 }
            }
        }
        // side and out reach the logits without a ReLU, so every one of their weights is checked.
        #expect(checked["side"] == 3 && checked["out"] == 12 && checked["stem", default: 0] >= 10, "\(checked)")
        #expect(fisherMisses >= 20, "the empirical Fisher misses only \(fisherMisses) of \(checked.values.reduce(0, +))")
    }

    @Test("a channel's score is ½ Σ h w² over both producers' rows; registered as obd-exact, refusing to score without images")
    func scoresSumOverProducers() throws {
        let network = try GraphNetwork(obdTestGraph(), seed: 6)
        randomizeNormalization(network, seed: 7)
        let groups = try DependencyGraph(network.specification).prunableGroups
        #expect(groups.count == 1 && groups[0].producers.map { network.nodes[$0].name } == ["stem", "side"])
        let criterion = try #require(GroupCriteria.named("obd-exact", seed: 0) as? ObdExactGroupCriterion)
        #expect(criterion.name == "obd-exact" && criterion.input == .calibrationImages)
        let scores = try criterion.scores(network, groups: groups, calibration: data)[0]
        let diagonal = criterion.hessianDiagonal(network, producers: Set(groups[0].producers), data: data)
        for channel in 0..<groups[0].width {
            var expected = 0.0
            for producer in groups[0].producers {
                let w = network.nodes[producer].layer!.parameters[0].value
                for q in (channel * w.itemSize)..<((channel + 1) * w.itemSize) {
                    expected += diagonal[producer]![q] * Double(w.values[q]) * Double(w.values[q]) / 2
                }
            }
            #expect(expected > 0 && abs(scores[channel] - expected) <= 1e-12 * expected, "channel \(channel)")
        }
        #expect(throws: PruningError.needsCalibration(criterion: "obd-exact")) {
            try criterion.scores(network, groups: groups, calibration: nil)
        }
    }
}
