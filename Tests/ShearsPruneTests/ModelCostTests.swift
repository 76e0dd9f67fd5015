import ShearsNet
import Testing
@testable import ShearsPrune

@Suite("FLOPs and parameter accounting")
struct ModelCostTests {
    @Test("vgg-s: every layer as in the reference table")
    func vggS() {
        let cost = ModelCost(VGG(.vggS, seed: 1))
        #expect(cost.layers.map(\.name) == ["features.0", "features.2", "features.5", "features.7", "features.10",
                                            "classifier.0", "classifier.2"])
        #expect(cost.layers.map(\.parameters) == [320, 9_248, 18_496, 36_928, 73_856, 295_168, 2_570])
        #expect(cost.layers.map(\.macs) == [225_792, 7_225_344, 3_612_672, 7_225_344, 3_612_672, 294_912, 2_560])
        #expect(cost.parameters == 436_586 && cost.macs == 22_199_296 && cost.flops == 44_398_592)
        #expect(ModelCost(VGGConfiguration.vggS) == cost, "the shape-only count must equal the built model's")
    }

    @Test("VGG-16 at 224 x 224 costs 15.47 GMACs")
    func vgg16() {
        var configuration = VGGConfiguration.vgg16
        configuration.inputSize = 224
        configuration.hidden = [4096, 4096]
        configuration.classes = 1000
        let macs = ModelCost(configuration).macs
        #expect(abs(Double(macs) / 1e9 - 15.47) <= 0.01, "\(macs) MACs")
    }

    @Test("after surgery: counts follow the new shapes; zeroed weights drop only the non-zero counts")
    func afterSurgery() {
        let model = VGG(.vggS, seed: 2)
        model.keepFilters(ofConvolution: 0, Array(0..<16))
        let cost = ModelCost(model)
        // conv0: 16x1x3x3 + 16 = 160 params, 144·784 MACs; conv1: 32x16x3x3 + 32 = 4,640, 4,608·784 MACs,
        // plus its folded output offset (32x28x28 when a removed filter's output was not zero).
        let offset = model.convolutions[1].layer.outputOffset?.count ?? 0
        #expect(cost.layers[0].parameters == 160 && cost.layers[0].macs == 144 * 784)
        #expect(cost.layers[1].parameters == 4_640 + offset && cost.layers[1].macs == 4_608 * 784)
        let conv = model.convolutions[1].layer
        for i in 0..<144 { conv.weight.value.values[i] = 0 }
        let masked = ModelCost(model)
        #expect(masked.layers[1].macs == 4_608 * 784)
        #expect(masked.layers[1].nonZeroMacs == (4_608 - 144) * 784)
        #expect(masked.layers[1].nonZeroParameters == cost.layers[1].nonZeroParameters - 144)
    }
}
