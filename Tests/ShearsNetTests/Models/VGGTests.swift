import Foundation
import Testing
@testable import ShearsNet

@Suite("VGG configurations and their graphs")
struct VGGTests {
    @Test("vgg-s matches the reference table: names, shapes and 436,586 parameters")
    func vggSMatchesReference() throws {
        let model = try GraphNetwork(VGGConfiguration.vggS.graph, seed: 1)
        let shapes = model.namedParameters.map { ($0.0, $0.1.value.shape) }
        let expected: [(String, [Int])] = [
            ("features.0.weight", [32, 1, 3, 3]), ("features.0.bias", [32]),
            ("features.2.weight", [32, 32, 3, 3]), ("features.2.bias", [32]),
            ("features.5.weight", [64, 32, 3, 3]), ("features.5.bias", [64]),
            ("features.7.weight", [64, 64, 3, 3]), ("features.7.bias", [64]),
            ("features.10.weight", [128, 64, 3, 3]), ("features.10.bias", [128]),
            ("classifier.0.weight", [256, 1152]), ("classifier.0.bias", [256]),
            ("classifier.2.weight", [10, 256]), ("classifier.2.bias", [10]),
        ]
        #expect(shapes.map(\.0) == expected.map(\.0))
        #expect(shapes.map(\.1) == expected.map(\.1))
        #expect(model.parameters.reduce(0) { $0 + $1.value.count } == 436_586)
        #expect(model.forward(Tensor(shape: [2, 1, 28, 28]), training: false).shape == [2, 10])
    }

    @Test("presets: vgg11 and vgg16 on 32x32 pool to 1x1x512")
    func presets() {
        #expect(VGGConfiguration.vgg11.flattenedFeatures == 512)
        #expect(VGGConfiguration.vgg16.flattenedFeatures == 512)
        #expect(VGGConfiguration.vgg16.features.filter { $0 != .pool }.count == 13)
        #expect(VGGConfiguration.preset("vgg-s") == .vggS && VGGConfiguration.preset("vgg19") == nil)
    }

    @Test("the configuration round-trips through torchvision-style JSON")
    func json() throws {
        let data = try JSONEncoder().encode(VGGConfiguration.vggS)
        let text = String(decoding: data, as: UTF8.self)
        #expect(text.contains("[32,32,\"M\",64,64,\"M\",128,\"M\"]"))
        #expect(try JSONDecoder().decode(VGGConfiguration.self, from: data) == .vggS)
    }

    @Test("width multiplier scales convs and the classifier input")
    func widthMultiplier() {
        let half = VGGConfiguration.vggS.scaled(by: 0.5)
        #expect(half.features == [.conv(16), .conv(16), .pool, .conv(32), .conv(32), .pool, .conv(64), .pool])
        #expect(half.flattenedFeatures == 576)
    }

    @Test("initialisation is PyTorch's U(±1/√fan_in) and seeded")
    func initialisation() throws {
        let a = try GraphNetwork(VGGConfiguration.vggS.graph, seed: 3), b = try GraphNetwork(VGGConfiguration.vggS.graph, seed: 3)
        #expect(a.parameters.map(\.value) == b.parameters.map(\.value))
        let conv2 = a.namedParameters.first { $0.0 == "features.2.weight" }!.1.value.values
        let bound = 1 / Float(32 * 9).squareRoot()
        #expect(conv2.allSatisfy { abs($0) <= bound })
        #expect(conv2.map(abs).max()! > 0.95 * bound)
    }

    @Test("the batch-norm switch inserts BatchNorm2D after every conv, with PyTorch numbering")
    func batchNorm() throws {
        var configuration = VGGConfiguration.vggS
        configuration.batchNorm = true
        let names = try GraphNetwork(configuration.graph, seed: 1).namedParameters.map(\.0)
        #expect(names.prefix(6) == ["features.0.weight", "features.0.bias", "features.1.weight", "features.1.bias",
                                    "features.3.weight", "features.3.bias"])
    }

    @Test("an MLP is a VGG configuration without convolutions")
    func mlp() throws {
        let model = try GraphNetwork(VGGConfiguration.mlp(inputChannels: 1, inputSize: 4, hidden: [8, 5], classes: 3).graph, seed: 2)
        #expect(model.namedParameters.map { $0.1.value.shape } == [[8, 16], [8], [5, 8], [5], [3, 5], [3]])
        #expect(model.forward(Tensor(shape: [2, 1, 4, 4]), training: false).shape == [2, 3])
    }
}
