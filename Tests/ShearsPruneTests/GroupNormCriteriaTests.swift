import Foundation
import ShearsNet
import Testing
@testable import ShearsPrune

/// Sets a seeded share of each weight's entries to exactly zero, so that `l0` counts differ
/// between channels and `linf` is not the same entry everywhere.
func zeroSomeWeights(_ weights: [Parameter], share: Float, seed: UInt64) {
    var rng = SeededGenerator(seed: seed)
    for weight in weights {
        for i in weight.value.values.indices where rng.nextUnitFloat() < share { weight.value.values[i] = 0 }
    }
}

@Suite("Group l_p norms: l0, l1, l2, linf and lp:<p>")
struct GroupNormCriteriaTests {
    static let norms = ["l0", "l1", "l2", "linf", "lp:0.5", "lp:3"]

    @Test("on a VGG's graph, each group's scores equal the VGG criterion's filter and neuron scores",
          arguments: norms, [false, true])
    func matchesVGG(name: String, batchNorm: Bool) throws {
        let configuration = VGGConfiguration(features: [.conv(4), .pool, .conv(6), .pool], hidden: [5], inputChannels: 1,
                                             inputSize: 8, classes: 3, batchNorm: batchNorm)
        let vgg = VGG(configuration, seed: 2)
        zeroSomeWeights(vgg.convolutions.map(\.layer.weight) + vgg.linears.map(\.weight), share: 0.3, seed: 5)
        let network = try vgg.asGraph()
        let groups = try DependencyGraph(network.specification).prunableGroups
        let criterion = try #require(GroupCriteria.named(name, seed: 0))
        #expect(criterion.input == .weights)
        let scores = try criterion.scores(network, groups: groups, calibration: nil)

        let engine = CriterionEngine(data: Dataset.synthetic(count: 2, height: 8, width: 8, classCount: 3, seed: 1), seed: 0)
        let reference = try CriterionName(parsing: name)
        let expected = try engine.scores(vgg, criterion: reference, granularity: .filter)
            + engine.scores(vgg, criterion: reference, granularity: .neuron)
        #expect(scores.map(\.count) == [4, 6, 5] && expected.map(\.scores.count) == [4, 6, 5])
        for (layer, (computed, byVGG)) in zip(scores, expected.map(\.scores)).enumerated() {
            // The same Float weights summed in the same order on both sides: equal up to rounding.
            let scale = byVGG.map(abs).max() ?? 0
            #expect(scale > 0, "layer \(layer): all scores are zero")
            #expect(zip(computed, byVGG).allSatisfy { abs($0 - $1) <= 1e-12 * scale }, "layer \(layer): \(computed) vs \(byVGG)")
            #expect(Set(computed).count > 1, "layer \(layer): every channel scores \(computed[0]): a weak test")
        }
    }

    @Test("on a residual group with two producers, a channel scores the sum of its producers' row norms",
          arguments: norms)
    func sumsOverProducers(name: String) throws {
        let specification = residualTestGraph(rectifyFlattened: false)
        let network = try GraphNetwork(specification, seed: 3)
        zeroSomeWeights(network.nodes.compactMap { $0.layer?.parameters.first }, share: 0.4, seed: 7)
        let groups = try DependencyGraph(specification).prunableGroups
        #expect(groups[0].producers.map { network.nodes[$0].name } == ["stem", "block.conv2"])
        let scores = try #require(GroupCriteria.named(name, seed: 0)).scores(network, groups: groups, calibration: nil)
        guard case let .norm(p) = try CriterionName(parsing: name) else {
            Issue.record("\(name) is not a norm")
            return
        }
        func norm(_ row: ArraySlice<Float>) -> Double {
            let magnitudes = row.map { Double(abs($0)) }
            switch p {
            case 0: return Double(magnitudes.filter { $0 != 0 }.count)
            case .infinity: return magnitudes.max()!
            default: return pow(magnitudes.reduce(0) { $0 + pow($1, p) }, 1 / p)
            }
        }
        for (index, group) in groups.enumerated() {
            for channel in 0..<group.width {
                let expected = group.producers.reduce(0.0) { sum, producer in
                    let w = network.nodes[producer].layer!.parameters[0].value
                    return sum + norm(w.values[(channel * w.itemSize)..<((channel + 1) * w.itemSize)])
                }
                // Double sums of at most 36 Float magnitudes per row, in another order: 1e-12 relative.
                #expect(abs(scores[index][channel] - expected) <= 1e-12 * max(1, expected),
                        "group \(index) channel \(channel): \(scores[index][channel]) vs \(expected)")
            }
        }
        // Three stem rows and four conv2 rows of 9 and 27 weights, 40% zeroed: the counts differ.
        #expect(Set(scores[0]).count > 1)
    }

    @Test("l0, linf and lp:<p> are registered as CriterionName spells them; other lp values are refused")
    func registration() throws {
        let spelled = ["l0": "l0", "linf": "linf", "lp:0": "l0", "lp:inf": "linf", "lp:1": "l1", "lp:3": "lp:3.0",
                       "lp:0.5": "lp:0.5"]
        for (name, canonical) in spelled {
            let criterion = try #require(GroupCriteria.named(name, seed: 0) as? GroupNormCriterion, "\(name)")
            let parsed = try CriterionName(parsing: name)
            #expect(criterion.name == canonical && criterion.name == parsed.description)
            #expect(GroupCriteria.accepts(name))
        }
        for refused in ["lp:-1", "lp:", "lp:x", "lp:nan", "l3", "lp"] {
            #expect(GroupCriteria.named(refused, seed: 0) == nil && !GroupCriteria.accepts(refused), "\(refused)")
        }
        #expect(GroupCriteria.names == GroupCriteria.fixedNames + ["lp:<p>"])
        #expect(["l0", "linf", "obd-exact"].allSatisfy(GroupCriteria.fixedNames.contains))
        #expect(GroupCriteria.fixedNames.allSatisfy { GroupCriteria.named($0, seed: 1)?.name == $0 })
    }
}
