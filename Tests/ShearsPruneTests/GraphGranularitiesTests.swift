import ShearsNet
import Testing
@testable import ShearsPrune

/// Filter, channel and neuron granularities on graph networks: which dependency groups each
/// takes, channel scores from the consumers' side, and removal limited to those groups.
@Suite("Filter, channel and neuron groups on graph networks")
struct GraphGranularitiesTests {
    let data = Dataset.synthetic(count: 12, height: 8, width: 8, classCount: 3, seed: 1)

    @Test("filter takes the conv-produced groups, channel those a conv reads, neuron the hidden linear ones, as VGG enumerates them")
    func groupsByGranularity() throws {
        let network = try smallVGGWithBatchNorm().asGraph()
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

    @Test("channel scores on a VGG's graph equal the VGG criterion's channel scores",
          arguments: ["random", "l1", "lp:3", "activation", "apoz", "taylor-weight", "taylor-sq", "obd", "obd-exact", "oracle",
                      "obs-no-update"])
    func channelMatchesVGG(name: String) throws {
        let vgg = smallVGGWithBatchNorm()
        let network = try vgg.asGraph()
        let groups = try DependencyGraph(network.specification).prunableGroups(at: .channel)
        let criterion = try #require(GroupCriteria.named(name, seed: 7, granularity: .channel))
        #expect(criterion.name == (try CriterionName(parsing: name)).description && groups.allSatisfy(criterion.applies))
        let scores = try criterion.scores(network, groups: groups, calibration: data)
        let expected = try CriterionEngine(data: data, seed: 7, batchSize: 5)
            .scores(vgg, criterion: try CriterionName(parsing: name), granularity: .channel)
        #expect(expected.map(\.scores.count) == [4] && scores.map(\.count) == [4])
        #expect(expected[0].comparableAcrossLayers == criterion.scoresComparableAcrossGroups)
        let (computed, byVGG) = (scores[0], expected[0].scores)
        let scale = byVGG.map(abs).max() ?? 0
        #expect(scale > 0, "all scores are zero")
        // Batches of 128 on the graph side and 5 on VGG's: sums in another order, below 1e-5 of the largest score.
        let worst = zip(computed, byVGG).map { abs($0 - $1) }.max() ?? 0
        #expect(worst <= 1e-5 * scale, "\(computed) vs \(byVGG)")
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
        let network = try smallVGGWithBatchNorm().asGraph()
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

    @Test("channel pruning by l1 removes the input channels the VGG planner removes at channel granularity")
    func channelRemovalMatchesVGG() throws {
        let vgg = smallVGGWithBatchNorm()
        let network = try vgg.asGraph()
        _ = try GroupPruner.prune(network, criterion: #require(GroupCriteria.named("l1", seed: 0, granularity: .channel)),
                                  ratio: 0.5, granularity: .channel)
        let scores = try CriterionEngine(data: data, seed: 0).scores(vgg, criterion: .norm(p: 1), granularity: .channel)
        let plan = try Planner.plan(scores, granularity: .channel, ratio: 0.5, ranking: .perLayer)
        try Surgeon.apply(plan, to: vgg, compensation: .none, data: data, batchSize: 5)
        let images = data.batch(Array(0..<data.count)[...]).images
        let (graphOutput, vggOutput) = (network.forward(images, training: false), vgg.forward(images, training: false))
        #expect(graphOutput.shape == vggOutput.shape)
        let worst = zip(graphOutput.values, vggOutput.values).map { abs($0 - $1) }.max() ?? 0
        #expect(worst <= 1e-5, "largest output difference \(worst)")
    }
}
