import Foundation
import ShearsNet
import Testing
@testable import ShearsPrune

/// Filter, channel and neuron granularities on graph networks: which dependency groups each
/// takes, channel scores from the consumers' side, and removal limited to those groups.
@Suite("Filter, channel and neuron groups on graph networks")
struct GraphGranularitiesTests {
    let data = Dataset.synthetic(count: 12, height: 8, width: 8, classCount: 3, seed: 1)

    @Test("filter takes the conv-produced groups, channel those a conv reads, neuron the hidden linear ones")
    func groupsByGranularity() throws {
        let network = try smallVGGWithBatchNorm()
        let graph = try DependencyGraph(network.specification)
        let names = { (groups: [ChannelGroup]) in groups.map { network.nodes[$0.producers[0]].name } }
        #expect(names(try graph.prunableGroups(at: .filter)) == ["features.0", "features.4"])
        #expect(names(try graph.prunableGroups(at: .channel)) == ["features.0"])
        #expect(names(try graph.prunableGroups(at: .neuron)) == ["classifier.0"])
        #expect(throws: PruningError.self) { try graph.prunableGroups(at: .shape) }

        // resnet-s: twelve conv groups, all read by a conv, and no hidden linear layer.
        let resnet = try DependencyGraph(ResNet.small)
        #expect(try resnet.prunableGroups(at: .filter).count == 12 && resnet.prunableGroups(at: .channel).count == 12)
        #expect {
            try resnet.prunableGroups(at: .neuron)
        } throws: { error in
            "\(error)" == "granularity 'neuron' cannot apply to the network: it has no hidden linear layer whose neurons can be removed"
        }
    }

    @Test("channel scores: weight criteria on the reading conv's input slices W[:, c, :, :], by hand or measured; the others score as the filter group does",
          arguments: ["random", "l1", "lp:3", "activation", "apoz", "taylor-weight", "taylor-sq", "obd", "obd-exact", "oracle",
                      "obs-no-update"])
    func channelScores(name: String) throws {
        let network = try smallVGGWithBatchNorm()
        let groups = try DependencyGraph(network.specification).prunableGroups(at: .channel)
        #expect(groups.map(\.width) == [4])
        let criterion = try #require(GroupCriteria.named(name, seed: 7, granularity: .channel))
        #expect(criterion.name == (try CriterionName(parsing: name)).description && groups.allSatisfy(criterion.applies))
        let scores = try criterion.scores(network, groups: groups, calibration: data)[0]
        let reader = nodeIndex(network, "features.4")
        let weight = network.nodes[reader].layer!.parameters[0]
        #expect(weight.value.shape == [6, 4, 3, 3])
        func slice(_ c: Int) -> [Int] {
            (0..<6).flatMap { (f: Int) -> Range<Int> in
                let start = (f * 4 + c) * 9
                return start..<(start + 9)
            }
        }
        let w = weight.value.values
        /// The smooth central difference of the mean loss on `data` in a gate scaling slice c, and its tolerance.
        func gateDerivative(_ c: Int) -> (derivative: Double, tolerance: Double)? {
            guard case let (derivative, epsilon)? = smoothCentralDifference({ factor in
                let saved = weight.value
                defer { weight.value = saved }
                for i in slice(c) { weight.value.values[i] *= factor }
                return lossAndKinks(network, data)
            }) else { return nil }
            return (derivative, centralDifferenceTolerance(derivative, epsilon: epsilon))
        }
        var tolerance: (Double) -> Double = { 1e-9 * max(1, abs($0)) }
        let expected: [Double]
        switch name {
        case "l1", "lp:3":
            let p = name == "l1" ? 1.0 : 3.0
            expected = (0..<4).map { c in pow(slice(c).reduce(0.0) { $0 + pow(Double(abs(w[$1])), p) }, 1 / p) }
        case "taylor-weight", "taylor-sq":
            // Twelve images are one minibatch of taylor-sq's 64: the square of one gate derivative.
            let measured = (0..<4).compactMap { c in gateDerivative(c).map { (c, $0.derivative, $0.tolerance) } }
            #expect(measured.count >= 3, "only \(measured.count) of 4 slices are smooth: a weak test")
            for (c, derivative, allowed) in measured {
                let computed = name == "taylor-sq" ? scores[c].squareRoot() : scores[c]
                #expect(abs(computed - abs(derivative)) <= allowed, "channel \(c): \(computed) vs \(abs(derivative))")
            }
            #expect(measured.contains { abs($0.1) > 1e-4 }, "no slice changes the loss measurably")
            return
        case "obd":
            let fisher = fisherDiagonal(network, nodes: [reader], data: data)[reader]!
            expected = (0..<4).map { c in slice(c).reduce(0.0) { $0 + fisher[$1] * Double(w[$1]) * Double(w[$1]) } / 2 }
            // Per-example Float gradients from batches of 128 and of 1: 1e-4 relative.
            tolerance = { 1e-4 * $0 + 1e-15 }
        case "obd-exact":
            let h = ObdExactGroupCriterion(batchSize: 5).hessianDiagonal(network, producers: [reader], data: data)[reader]!
            expected = (0..<4).map { c in slice(c).reduce(0.0) { $0 + h[$1] * Double(w[$1]) * Double(w[$1]) } / 2 }
        default:
            let filter = try DependencyGraph(network.specification).prunableGroups(at: .filter)[0]
            #expect(filter.producers == groups[0].producers)
            expected = try #require(GroupCriteria.named(name, seed: 7)).scores(network, groups: [filter], calibration: data)[0]
        }
        #expect(expected.map(abs).max()! > 0, "all scores are zero")
        for (c, (computed, byHand)) in zip(scores, expected).enumerated() {
            #expect(abs(computed - byHand) <= tolerance(abs(byHand)), "channel \(c): \(computed) vs \(byHand)")
        }
    }

    @Test("a channel read by several convs scores the sum of their input slices' norms; linear readers do not count")
    func channelSumsConvReaders() throws {
        let network = try GraphNetwork(ResNet.small, seed: 4)
        let groups = try DependencyGraph(network.specification).prunableGroups(at: .channel)
        let scores = try #require(GroupCriteria.named("l1", seed: 0, granularity: .channel))
            .scores(network, groups: groups, calibration: nil)
        // The last stage: read by layer3.1.conv1, layer3.2.conv1 and, through pooling, the fc.
        let stage = try #require(groups.firstIndex { $0.producers.contains { network.nodes[$0].name == "layer3.0.conv2" } })
        let readers = groups[stage].consumers.filter { network.nodes[$0.node].layer is Conv2D }
        #expect(readers.count == 2 && groups[stage].consumers.count == 3)
        for channel in [0, 17, 63] {
            var expected = 0.0
            for reader in readers {
                let weight = (network.nodes[reader.node].layer as! Conv2D).weight.value
                let (filters, inputs, kernel) = (weight.shape[0], weight.shape[1], weight.shape[2] * weight.shape[3])
                for f in 0..<filters {
                    let start = (f * inputs + reader.offset + channel) * kernel
                    expected += weight.values[start..<(start + kernel)].reduce(0.0) { $0 + Double(abs($1)) }
                }
            }
            #expect(abs(scores[stage][channel] - expected) <= 1e-9 * expected, "channel \(channel)")
        }
    }

    @Test("pruning at one granularity removes channels of its groups only", arguments: [Granularity.filter, .channel, .neuron])
    func removesOnlyItsGroups(granularity: Granularity) throws {
        let network = try smallVGGWithBatchNorm()
        let indices = try ["features.0", "features.4", "classifier.0"].map { name in
            try #require(network.nodes.firstIndex { $0.name == name })
        }
        let widths = { indices.map { network.nodes[$0].layer!.parameters[0].value.shape[0] } }
        #expect(widths() == [4, 6, 5])
        let changes = try GroupPruner.prune(network, criterion: GroupNormCriterion(p: 1), ratio: 0.5, granularity: granularity)
        switch granularity {
        case .filter: #expect(widths() == [2, 3, 5] && changes.map(\.group) == ["features.0", "features.4"])
        case .channel: #expect(widths() == [2, 6, 5] && changes.map(\.group) == ["features.0"])
        default: #expect(widths() == [4, 6, 3] && changes.map(\.group) == ["classifier.0"])
        }
    }

    @Test("channel pruning by l1 keeps the channels whose input slices in the reading conv have the largest l1, and their filters")
    func channelRemovalKeepsTheLargestSlices() throws {
        let network = try smallVGGWithBatchNorm()
        let original = network.copy()
        let (producer, reader) = (nodeIndex(network, "features.0"), nodeIndex(network, "features.4"))
        let w = original.nodes[reader].layer!.parameters[0].value.values
        func block(_ f: Int, _ c: Int) -> ArraySlice<Float> { w[((f * 4 + c) * 9)..<((f * 4 + c + 1) * 9)] }
        let norms: [Double] = (0..<4).map { c in
            (0..<6).reduce(0.0) { sum, f in sum + block(f, c).reduce(0.0) { $0 + Double(abs($1)) } }
        }
        let kept = (0..<4).sorted { norms[$0] > norms[$1] }.prefix(2).sorted()
        _ = try GroupPruner.prune(network, criterion: #require(GroupCriteria.named("l1", seed: 0, granularity: .channel)),
                                  ratio: 0.5, granularity: .channel)
        let filters = original.nodes[producer].layer!.parameters[0].value.values
        #expect(network.nodes[producer].layer!.parameters[0].value.values == kept.flatMap { filters[($0 * 9)..<(($0 + 1) * 9)] })
        let slices: [Float] = (0..<6).flatMap { f in kept.flatMap { c in block(f, c) } }
        #expect(network.nodes[reader].layer!.parameters[0].value.values == slices)
    }
}
