import ShearsNet
import Testing
@testable import ShearsPrune

@Suite("Timing OBS's Hessian path on dependency groups")
struct ObsGroupTimingTests {
    /// conv(4) on 8x8, pool, conv(6) on 4x4, pool, flatten (6·2·2 = 24), hidden 5, 3 classes.
    let configuration = VGGConfiguration(features: [.conv(4), .pool, .conv(6), .pool], hidden: [5], inputChannels: 1,
                                         inputSize: 8, classes: 3, batchNorm: false)
    let pool = Dataset.synthetic(count: 30, height: 8, width: 8, classCount: 3, seed: 1)

    // The filter groups' consumers: conv 1 (n = 4·3·3 = 36, 4·4 = 16 samples per image) and the
    // first linear layer (n = 24, one sample per image); flops = Σ n(n+1)·k + n³.
    @Test("flops count n(n+1)·k + n³ per consumer, by hand")
    func flopsByHand() throws {
        let network = try GraphNetwork(configuration.graph, seed: 2)
        let groups = try DependencyGraph(network.specification).prunableGroups(at: .filter)
        let data = pool.prefix(12)
        let timing = try ObsGroupCriterion(update: true).timeHessianPath(network, groups: groups, data: data)
        let conv = 36.0 * 37 * 16 * 12 + 36 * 36 * 36, linear = 24.0 * 25 * 12 + 24 * 24 * 24
        #expect(timing.flops == conv + linear && timing.seconds > 0, "\(timing)")
    }

    @Test("with a pool, a consumer with fewer samples than its order takes more images, as scoring does")
    func poolExtendsUndersampledConsumers() throws {
        let network = try GraphNetwork(configuration.graph, seed: 2)
        let groups = try DependencyGraph(network.specification).prunableGroups(at: .filter)
        let timing = try ObsGroupCriterion(update: true, pool: pool).timeHessianPath(network, groups: groups,
                                                                                     data: pool.prefix(12))
        // The conv needs ⌈36 / 16⌉ = 3 images and keeps the 12; the linear layer needs 24.
        let conv = 36.0 * 37 * 16 * 12 + 36 * 36 * 36, linear = 24.0 * 25 * 24 + 24 * 24 * 24
        #expect(timing.flops == conv + linear, "\(timing)")
    }
}
