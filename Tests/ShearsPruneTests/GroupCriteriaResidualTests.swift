import ShearsNet
import Testing
@testable import ShearsPrune

/// A stem and one residual block whose channels form one group (the stem and `block.conv2`
/// produce it, `stem.relu` and `block.relu2` rectify it), a 1x1 side branch that no ReLU
/// follows, concatenated, pooled to 3x3 and flattened (each channel 9 columns) into a hidden
/// layer; `rectifyFlattened` puts a ReLU on the flattened columns, which then rectifies the
/// side branch too and the residual group a third time (at an offset, 9 columns per channel).
func residualTestGraph(rectifyFlattened: Bool) -> GraphSpecification {
    var b = GraphBuilder(inputShape: [1, 6, 6])
    let stem = b.relu("stem.relu", b.batchNorm("stem.bn", b.conv("stem", b.input, outChannels: 4, kernelSize: 3, padding: 1,
                                                                 bias: false)))
    let inner = b.relu("block.relu1", b.batchNorm("block.bn1", b.conv("block.conv1", stem, outChannels: 3, kernelSize: 3,
                                                                        padding: 1, bias: false)))
    let branch = b.batchNorm("block.bn2", b.conv("block.conv2", inner, outChannels: 4, kernelSize: 3, padding: 1, bias: false))
    let sum = b.relu("block.relu2", b.add("block.add", [stem, branch]))
    let side = b.conv("side", b.input, outChannels: 2, kernelSize: 1)
    var flat = b.flatten("flatten", b.maxPool("pool", b.concat("cat", [sum, side])))
    if rectifyFlattened { flat = b.relu("flatten.relu", flat) }
    let hidden = b.relu("hidden.relu", b.linear("hidden", flat, outFeatures: 5))
    b.linear("out", hidden, outFeatures: 3)
    return b.specification
}

@Suite("Activation, OBD and the oracle on the groups of a residual graph")
struct GroupCriteriaResidualTests {
    let data = Dataset.synthetic(count: 6, height: 6, width: 6, classCount: 3, seed: 1)

    func network(rectifyFlattened: Bool, seed: UInt64) throws -> (GraphNetwork, [ChannelGroup]) {
        let specification = residualTestGraph(rectifyFlattened: rectifyFlattened)
        let network = try GraphNetwork(specification, seed: seed)
        randomizeNormalization(network, seed: seed + 1)
        return (network, try DependencyGraph(specification).prunableGroups)
    }

    func names(_ network: GraphNetwork, _ group: ChannelGroup) -> [String] { group.producers.map { network.nodes[$0].name } }

    @Test("the dependency graph lists the ReLUs that carry each group, at the group's place in them")
    func rectifiers() throws {
        let (network, groups) = try network(rectifyFlattened: true, seed: 0)
        #expect(groups.map { names(network, $0) } == [["stem", "block.conv2"], ["block.conv1"], ["side"], ["hidden"]])
        let placements = groups.map { $0.rectifiers.map { (network.nodes[$0.node].name, $0.offset, $0.span) } }
        #expect(placements[0].map(\.0) == ["stem.relu", "block.relu2", "flatten.relu"])
        #expect(placements[0].map(\.1) == [0, 0, 0] && placements[0].map(\.2) == [1, 1, 9])
        #expect(placements[1].map(\.0) == ["block.relu1"])
        #expect(placements[2].map(\.0) == ["flatten.relu"] && placements[2][0].1 == 36 && placements[2][0].2 == 9)
        #expect(placements[3].map(\.0) == ["hidden.relu"])
        let (plain, plainGroups) = try self.network(rectifyFlattened: false, seed: 0)
        #expect(plainGroups.map { names(plain, $0) } == [["stem", "block.conv2"], ["block.conv1"], ["side"], ["hidden"]])
        #expect(plainGroups.map(\.rectifiers.count) == [2, 1, 0, 1])
        #expect(plainGroups.map(ActivationGroupCriterion(.mean).applies) == [true, true, false, true])
    }

    @Test("activation, activation-std and apoz sum, over the group's ReLUs, the statistics of the recorded ReLU outputs",
          arguments: [false, true])
    func activationsByHand(rectifyFlattened: Bool) throws {
        let (network, groups) = try network(rectifyFlattened: rectifyFlattened, seed: 2)
        let statistics: [ActivationGroupCriterion.Statistic] = [.mean, .standardDeviation, .apoz]
        let scores = try statistics.map { statistic in
            let criterion = ActivationGroupCriterion(statistic, batchSize: 4)
            return try criterion.scores(network, groups: groups.filter(criterion.applies), calibration: data)
        }
        network.isRecording = true
        _ = network.forward(data.batch(Array(0..<data.count)[...]).images, training: false)
        func output(_ name: String) -> Tensor { network.recordedOutputs[network.nodes.firstIndex { $0.name == name }!] }
        // Where channel c sits in each ReLU's output, per example: (node, first value, values per channel).
        let planes = 36, columns = 9
        var carriers: [[(String, (Int) -> Int, Int)]] = [
            [("stem.relu", { $0 * planes }, planes), ("block.relu2", { $0 * planes }, planes)],
            [("block.relu1", { $0 * planes }, planes)],
            [],
            [("hidden.relu", { $0 }, 1)],
        ]
        if rectifyFlattened {
            carriers[0].append(("flatten.relu", { $0 * columns }, columns))
            carriers[2].append(("flatten.relu", { 36 + $0 * columns }, columns))
        }
        let scored = carriers.filter { !$0.isEmpty }
        var active = 0, total = 0
        #expect(scores.allSatisfy { $0.count == scored.count })
        for (index, (group, nodes)) in zip(groups.filter { !$0.rectifiers.isEmpty }, scored).enumerated() {
            for channel in 0..<group.width {
                var expected = [0.0, 0.0, 0.0]
                for (name, first, count) in nodes {
                    let z = output(name)
                    var values: [Double] = []
                    for n in 0..<data.count {
                        let start = n * z.itemSize + first(channel)
                        values += z.values[start..<(start + count)].map(Double.init)
                    }
                    let mean = values.reduce(0, +) / Double(values.count)
                    let variance = values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(values.count)
                    expected[0] += mean
                    expected[1] += variance.squareRoot()
                    expected[2] += 1 - Double(values.filter { $0 == 0 }.count) / Double(values.count)
                }
                for s in 0..<3 {
                    let computed = scores[s][index][channel]
                    #expect(abs(computed - expected[s]) <= 1e-9 * max(1, expected[s]),
                            "\(statistics[s]) group \(index) channel \(channel): \(computed) vs \(expected[s])")
                }
                (active, total) = (active + (expected[0] > 0 ? 1 : 0), total + 1)
            }
        }
        #expect(2 * active > total, "\(active) of \(total) channels are ever active: a weak test")
    }

    @Test("activation leaves a group that no ReLU follows whole, and prunes the others")
    func unrectifiedGroupsStayWhole() throws {
        let (network, _) = try network(rectifyFlattened: false, seed: 4)
        let filters = try GroupPruner.prune(network, criterion: ActivationGroupCriterion(.mean), ratio: 0.5, calibration: data)
        #expect(filters.map(\.group) == ["stem", "block.conv1"] && filters.map(\.after) == [2, 2])
        let neurons = try GroupPruner.prune(network, criterion: ActivationGroupCriterion(.mean), ratio: 0.5, granularity: .neuron,
                                            calibration: data)
        #expect(neurons.map(\.group) == ["hidden"] && neurons.map(\.after) == [3])
        let groups = try DependencyGraph(network.specification).prunableGroups
        let side = try #require(groups.first { names(network, $0) == ["side"] })
        #expect(side.width == 2)
    }

    @Test("the oracle equals the loss change measured by removing each channel with GroupSurgery from a copy",
          arguments: [false, true])
    func oracleByRemoval(rectifyFlattened: Bool) throws {
        let (network, groups) = try network(rectifyFlattened: rectifyFlattened, seed: 6)
        let signed = try OracleGroupCriterion(signed: true, batchSize: 4).scores(network, groups: groups, calibration: data)
        let absolute = try OracleGroupCriterion(signed: false).scores(network, groups: groups, calibration: data)
        let (images, labels) = data.batch(Array(0..<data.count)[...])
        func loss(_ model: GraphNetwork) -> Double {
            Double(CrossEntropy(logits: model.forward(images, training: false), labels: labels).loss)
        }
        let base = loss(network)
        var largest = 0.0
        for (index, group) in groups.enumerated() {
            for channel in 0..<group.width {
                let copy = network.copy()
                let copied = try DependencyGraph(copy.specification).prunableGroups[index]
                try GroupSurgery.keep((0..<group.width).filter { $0 != channel }, of: copied, in: copy)
                let measured = loss(copy) - base
                largest = max(largest, abs(measured))
                // Removal equals masking to ~1e-6 in the logits; the losses are Float means.
                #expect(abs(signed[index][channel] - measured) <= 1e-5,
                        "group \(index) channel \(channel): \(signed[index][channel]) vs \(measured)")
                #expect(abs(absolute[index][channel] - abs(measured)) <= 1e-5)
            }
        }
        #expect(largest > 1e-3, "no removal changes the loss: a weak test")
    }

    @Test("OBD sums ½ h w² over every producer's row, h the mean squared gradient of each example run alone")
    func obdByHand() throws {
        let (network, groups) = try network(rectifyFlattened: true, seed: 8)
        let scores = try ObdGroupCriterion(batchSize: 4).scores(network, groups: groups, calibration: data)
        let producers = Set(groups.flatMap(\.producers))
        var fisher = Dictionary(uniqueKeysWithValues: producers.map {
            ($0, [Double](repeating: 0, count: network.nodes[$0].layer!.parameters[0].value.count))
        })
        for n in 0..<data.count {
            let (image, label) = data.batch([n])
            for parameter in network.parameters { parameter.zeroGradient() }
            _ = network.backward(CrossEntropy(logits: network.forward(image, training: false), labels: label).gradient)
            for producer in producers {
                for (q, g) in network.nodes[producer].layer!.parameters[0].gradient.values.enumerated() {
                    fisher[producer]![q] += Double(g) * Double(g) / Double(data.count)
                }
            }
        }
        for parameter in network.parameters { parameter.zeroGradient() }
        #expect(groups[0].producers.count == 2)
        var positive = 0
        for (index, group) in groups.enumerated() {
            for channel in 0..<group.width {
                var expected = 0.0
                for producer in group.producers {
                    let w = network.nodes[producer].layer!.parameters[0].value
                    for q in (channel * w.itemSize)..<((channel + 1) * w.itemSize) {
                        expected += fisher[producer]![q] * Double(w.values[q]) * Double(w.values[q]) / 2
                    }
                }
                // A channel that is never active has no gradient: 0 on both sides.
                #expect(abs(scores[index][channel] - expected) <= 1e-4 * expected,
                        "group \(index) channel \(channel): \(scores[index][channel]) vs \(expected)")
                positive += expected > 0 ? 1 : 0
            }
        }
        #expect(positive >= 10, "only \(positive) channels have a positive saliency: a weak test")
    }

    @Test("registered by their CLI names, reading calibration images, refusing to score without them",
          arguments: ["activation", "activation-std", "apoz", "obd", "oracle", "oracle-abs"])
    func registration(name: String) throws {
        let criterion = try #require(GroupCriteria.named(name, seed: 1))
        #expect(GroupCriteria.names.contains(name) && criterion.name == name && criterion.input == .calibrationImages)
        switch name {
        case "activation": #expect((criterion as? ActivationGroupCriterion)?.statistic == .mean)
        case "activation-std": #expect((criterion as? ActivationGroupCriterion)?.statistic == .standardDeviation)
        case "apoz": #expect((criterion as? ActivationGroupCriterion)?.statistic == .apoz)
        case "obd": #expect(criterion is ObdGroupCriterion)
        default: #expect((criterion as? OracleGroupCriterion)?.signed == (name == "oracle"))
        }
        let (network, groups) = try network(rectifyFlattened: false, seed: 10)
        #expect(throws: PruningError.needsCalibration(criterion: name)) {
            try criterion.scores(network, groups: groups.filter(criterion.applies), calibration: nil)
        }
    }
}
