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
    }
}
