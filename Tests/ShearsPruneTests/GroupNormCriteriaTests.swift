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

/// The l_p norm of `row` by hand: p = 0 counts non-zeros, p = ∞ takes the largest magnitude.
func rowNorm(_ row: ArraySlice<Float>, p: Double) -> Double {
    let magnitudes = row.map { Double(abs($0)) }
    switch p {
    case 0: return Double(magnitudes.filter { $0 != 0 }.count)
    case .infinity: return magnitudes.max()!
    default: return pow(magnitudes.reduce(0) { $0 + pow($1, p) }, 1 / p)
    }
}

@Suite("Group l_p norms: l0, l1, l2, linf and lp:<p>")
struct GroupNormCriteriaTests {
    static let norms = ["l0", "l1", "l2", "linf", "lp:0.5", "lp:3"]

    @Test("on a VGG-shaped graph each group's scores are its producer's row norms, by hand", arguments: norms, [false, true])
    func rowNormsByHand(name: String, batchNorm: Bool) throws {
        let network = try smallVGGGraph(batchNorm: batchNorm)
        zeroSomeWeights(network.nodes.compactMap { $0.layer is Conv2D || $0.layer is Linear ? $0.layer!.parameters[0] : nil },
                        share: 0.3, seed: 5)
        let groups = try DependencyGraph(network.specification).prunableGroups
        let criterion = try #require(GroupCriteria.named(name, seed: 0))
        #expect(criterion.input == .weights)
        let scores = try criterion.scores(network, groups: groups, calibration: nil)
        #expect(scores.map(\.count) == [4, 6, 5] && groups.allSatisfy { $0.producers.count == 1 })
        let p = try exponent(name)
        for (index, group) in groups.enumerated() {
            let w = network.nodes[group.producers[0]].layer!.parameters[0].value
            for channel in 0..<group.width {
                let expected = rowNorm(w.values[(channel * w.itemSize)..<((channel + 1) * w.itemSize)], p: p)
                // Double sums of at most 54 Float magnitudes, in another order: 1e-12 relative.
                #expect(abs(scores[index][channel] - expected) <= 1e-12 * max(1, expected),
                        "group \(index) channel \(channel): \(scores[index][channel]) vs \(expected)")
            }
            #expect(Set(scores[index]).count > 1, "group \(index): every channel scores \(scores[index][0]): a weak test")
        }
    }

    /// The p of an l_p criterion's name.
    func exponent(_ name: String) throws -> Double {
        guard case let .norm(p) = try CriterionName(parsing: name) else { throw PruningError.unknownCriterion(name, valid: []) }
        return p
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
        let p = try exponent(name)
        for (index, group) in groups.enumerated() {
            for channel in 0..<group.width {
                let expected = group.producers.reduce(0.0) { sum, producer in
                    let w = network.nodes[producer].layer!.parameters[0].value
                    return sum + rowNorm(w.values[(channel * w.itemSize)..<((channel + 1) * w.itemSize)], p: p)
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
