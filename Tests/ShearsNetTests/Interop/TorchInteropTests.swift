import Foundation
import Testing
@testable import ShearsNet

@Suite("PyTorch state dicts")
struct TorchInteropTests {
    @Test("a shape-pruned conv's dense weight (zeros at removed rows) computes the same output")
    func denseWeightOfShapePrunedConv() {
        var rng = SeededGenerator(seed: 4)
        let conv = Conv2D(inChannels: 3, outChannels: 4, kernelSize: 3, padding: 1, rng: &rng)
        conv.keepPatchRows([0, 2, 5, 9, 13, 20, 26])
        let dense = Conv2D(inChannels: 3, outChannels: 4, kernelSize: 3, padding: 1, rng: &rng)
        dense.weight.value = conv.denseWeight
        dense.bias.value = conv.bias.value
        #expect(conv.denseWeight.shape == [4, 3, 3, 3])
        let x = randomTensor([2, 3, 6, 6], seed: 5)
        let worst = zip(conv.forward(x, training: false).values, dense.forward(x, training: false).values)
            .map { abs($0 - $1) }.max()!
        #expect(worst < 1e-5, "outputs differ by \(worst)")
    }

    /// A PyTorch state dict imported as `shears import --model vgg-s` does: the widths from its
    /// shapes on `layout`, then the tensors into that configuration's graph.
    func importVGG(_ tensors: [String: Tensor], layout: VGGConfiguration, source: String = "test") throws -> GraphNetwork {
        let configuration = try VGGConfiguration.fromTorchShapes(tensors, layout: layout, source: source)
        return try GraphNetwork.fromTorchStateDict(tensors, specification: configuration.graph, source: source)
    }

    func vgg(_ configuration: VGGConfiguration = .vggS.scaled(by: 0.25), seed: UInt64) throws -> GraphNetwork {
        try GraphNetwork(configuration.graph, seed: seed)
    }

    @Test("an unpruned VGG's state dict is its parameters, and imports back at its widths to the same outputs")
    func unprunedRoundTrip() throws {
        let model = try vgg(seed: 2)
        let (tensors, folds) = try model.torchStateDict()
        #expect(folds.isEmpty && tensors == Dictionary(uniqueKeysWithValues: model.namedParameters.map { ($0.0, $0.1.value) }))
        let back = try importVGG(tensors, layout: .vggS)
        #expect(back.specification == model.specification)
        let x = randomTensor([2, 1, 28, 28], seed: 3)
        #expect(back.forward(x, training: false) == model.forward(x, training: false))
    }

    @Test("offsets folded by their interior value: exact inside the border, different on it")
    func interiorFolding() throws {
        let model = try vgg(seed: 11)
        // What a removed filter leaves a 3x3 padded conv: a constant per channel inside, other
        // values on the border rows and columns, where the padding cuts the kernel.
        let conv = model.nodes.first { $0.name == "features.2" }!.layer as! Conv2D
        var offset = Tensor(shape: [conv.outChannels, 28, 28])
        for channel in 0..<conv.outChannels {
            for row in 0..<28 {
                for column in 0..<28 {
                    let border = !(1..<27).contains(row) || !(1..<27).contains(column)
                    offset.values[(channel * 28 + row) * 28 + column] = Float(channel + 1) * (border ? 0.05 : 0.1)
                }
            }
        }
        conv.outputOffset = offset
        let (tensors, folds) = try model.torchStateDict()
        #expect(folds == [TorchOffsetFold(offset: "features.2.output_offset", target: "features.2.bias", exact: false)])
        let exported = try importVGG(tensors, layout: .vggS)
        #expect(Set(exported.stateTensors.keys) == Set(model.namedParameters.map(\.0)))
        let x = randomTensor([1, 1, 28, 28], seed: 12)
        func convolved(_ network: GraphNetwork) -> Tensor {
            network.nodes[...2].reduce(x) { $1.layer!.forward($0, training: false) }
        }
        let (exact, folded) = (convolved(model), convolved(exported))
        var interior: Float = 0, border: Float = 0
        for channel in 0..<conv.outChannels {
            for row in 0..<28 {
                for column in 0..<28 {
                    let i = (channel * 28 + row) * 28 + column
                    let difference = abs(exact.values[i] - folded.values[i])
                    if (1..<27).contains(row) && (1..<27).contains(column) {
                        interior = max(interior, difference)
                    } else {
                        border = max(border, difference)
                    }
                }
            }
        }
        #expect(interior < 1e-5 && border > 1e-4, "interior \(interior), border \(border)")
    }

    @Test("a batch-norm VGG's state dict has BatchNorm2d's four float tensors and imports back exactly")
    func batchNormExported() throws {
        var configuration = VGGConfiguration.vggS.scaled(by: 0.25)
        configuration.batchNorm = true
        let model = try vgg(configuration, seed: 1)
        var rng = SeededGenerator(seed: 2)
        for case let norm as BatchNorm2D in model.nodes.map(\.layer) {
            norm.runningMean = (0..<norm.channels).map { _ in rng.nextUnitFloat() - 0.5 }
            norm.runningVariance = (0..<norm.channels).map { _ in 0.5 + rng.nextUnitFloat() }
        }
        let tensors = try model.torchStateDict().tensors
        #expect(tensors["features.1.running_var"]?.values == (model.nodes[1].layer as! BatchNorm2D).runningVariance)
        #expect(Set(tensors.keys.filter { $0.hasPrefix("features.1.") })
                    == ["features.1.weight", "features.1.bias", "features.1.running_mean", "features.1.running_var"])
        #expect(!tensors.keys.contains { $0.hasSuffix("num_batches_tracked") })
        let back = try importVGG(tensors, layout: configuration)
        let x = randomTensor([2, 1, 28, 28], seed: 3)
        #expect(back.forward(x, training: false) == model.forward(x, training: false))
    }

    @Test("a state dict that does not fit the layout is refused, naming the tensor")
    func misfitsRefused() throws {
        let tensors = try vgg(seed: 2).torchStateDict().tensors
        var missing = tensors
        missing["features.5.weight"] = nil
        #expect(throws: CheckpointError.architectureMismatch(path: "f", reason: "tensor 'features.5.weight' is missing")) {
            try importVGG(missing, layout: .vggS, source: "f")
        }
        var wrongKernel = tensors
        wrongKernel["features.0.weight"] = Tensor(shape: [8, 1, 5, 5])
        #expect(throws: CheckpointError.self) { try importVGG(wrongKernel, layout: .vggS, source: "f") }
        var foreign = tensors
        foreign["features.3.weight"] = Tensor(shape: [1])
        let message = thrownMessage { _ = try importVGG(foreign, layout: .vggS, source: "f") }
        #expect(message?.hasPrefix("f: ") == true && message?.contains("features.3.weight") == true, "\(message ?? "accepted")")
    }

    /// A safetensors file with an int64 scalar `name` first (as safetensors.numpy orders it)
    /// and a float32 `w` = [1, 2], written as `name`.safetensors into `directory`.
    func fileWithInt64(named name: String, in directory: URL) throws -> String {
        let header = #"{"\#(name)":{"dtype":"I64","shape":[],"data_offsets":[0,8]},"w":{"dtype":"F32","shape":[2],"data_offsets":[8,16]}}"#
        var bytes = withUnsafeBytes(of: UInt64(header.utf8.count).littleEndian) { Array($0) } + Array(header.utf8)
        bytes += withUnsafeBytes(of: Int64(7).littleEndian) { Array($0) }
        bytes += [Float(1), 2].flatMap { value in withUnsafeBytes(of: value.bitPattern.littleEndian) { Array($0) } }
        let path = directory.appendingPathComponent("\(name).safetensors").path
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return path
    }

    @Test("int64 num_batches_tracked is set aside by name; any other int64 tensor is still refused")
    func batchCounters() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let state = try SafeTensorsFile.readTorchStateDict(from: try fileWithInt64(named: "features.1.num_batches_tracked",
                                                                                   in: directory))
        #expect(state.file.tensors == ["w": Tensor(shape: [2], values: [1, 2])])
        #expect(state.batchCounters == ["features.1.num_batches_tracked"])
        let other = try fileWithInt64(named: "steps", in: directory)
        #expect(throws: CheckpointError.unsupportedDType(path: other, tensor: "steps", dtype: "I64")) {
            try SafeTensorsFile.readTorchStateDict(from: other)
        }
    }
}
