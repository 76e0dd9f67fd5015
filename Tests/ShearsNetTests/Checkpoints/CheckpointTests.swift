import Foundation
import Testing
@testable import ShearsNet

@Suite("safetensors checkpoints")
struct CheckpointTests {
    @Test("the byte layout: header length, sorted JSON header padded to 8, little-endian floats in name order")
    func byteLayout() throws {
        let file = SafeTensorsFile(tensors: ["b": Tensor(shape: [2], values: [1, -2]), "a": Tensor(shape: [1, 1], values: [0.5])],
                                   metadata: ["k": "v"])
        let bytes = [UInt8](try file.encoded())
        let headerLength = Int((0..<8).reduce(UInt64(0)) { $0 | UInt64(bytes[$1]) << (8 * UInt64($1)) })
        #expect((8 + headerLength) % 8 == 0)
        let header = try #require(try JSONSerialization.jsonObject(with: Data(bytes[8..<(8 + headerLength)])) as? [String: Any])
        #expect(header["__metadata__"] as? [String: String] == ["k": "v"])
        let a = try #require(header["a"] as? [String: Any]), b = try #require(header["b"] as? [String: Any])
        #expect(a["dtype"] as? String == "F32" && a["shape"] as? [Int] == [1, 1] && a["data_offsets"] as? [Int] == [0, 4])
        #expect(b["shape"] as? [Int] == [2] && b["data_offsets"] as? [Int] == [4, 12])
        let buffer = Array(bytes[(8 + headerLength)...])
        let expected: [Float] = [0.5, 1, -2]
        #expect(buffer == expected.flatMap { value in withUnsafeBytes(of: value.bitPattern.littleEndian) { Array($0) } })
    }

    @Test("a VGG checkpoint of earlier versions loads as its graph bit-exactly: masks, BatchNorm state, offsets, patch rows")
    func vggCheckpointLoadsAsGraph() throws {
        // The VGG class wrote its `stateTensors` (PyTorch's `nn.Sequential` names, which the
        // configuration's graph uses for its nodes) and the configuration JSON under
        // `shears.architecture`; pruned widths were written into the configuration.
        var configuration = VGGConfiguration(features: [.conv(8), .conv(3), .pool, .conv(6), .pool], hidden: [5],
                                             inputChannels: 1, inputSize: 8, classes: 3, batchNorm: true)
        let model = try GraphNetwork(configuration.graph, seed: 3)
        func conv(_ name: String) -> Conv2D { model.nodes.first { $0.name == name }!.layer as! Conv2D }
        let first = conv("features.0")
        first.weight.mask = (0..<first.weight.value.count).map { Float($0 % 3 == 0 ? 0 : 1) }
        first.weight.applyMask()
        conv("features.3").outputOffset = randomTensor([3, 8, 8], seed: 4)
        conv("features.7").keepPatchRows(Array(stride(from: 0, to: 27, by: 2)))
        (model.nodes.first { $0.name == "features.1" }!.layer as! BatchNorm2D).runningMean[2] = 0.75
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let metadata = [VGGConfiguration.architectureKey: String(decoding: try encoder.encode(configuration), as: UTF8.self),
                        "seed": "3"]
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("m.safetensors").path
        try SafeTensorsFile(tensors: model.stateTensors, metadata: metadata).write(to: path)
        let (loaded, read) = try GraphNetwork.load(from: path)
        #expect(read["seed"] == "3" && loaded.specification == configuration.graph)
        #expect(loaded.stateTensors.keys.sorted() == model.stateTensors.keys.sorted())
        for (name, tensor) in model.stateTensors {
            #expect(loaded.stateTensors[name]!.values.map(\.bitPattern) == tensor.values.map(\.bitPattern), "\(name)")
        }
        let x = randomTensor([2, 1, 8, 8], seed: 5)
        #expect(loaded.forward(x, training: false) == model.forward(x, training: false))
        configuration.batchNorm = false
        #expect(throws: CheckpointError.self) {
            try SafeTensorsFile(tensors: model.stateTensors, metadata: [VGGConfiguration.architectureKey:
                String(decoding: try encoder.encode(configuration), as: UTF8.self)]).write(to: path)
            _ = try GraphNetwork.load(from: path)
        }
    }

    @Test("bad files are clear errors naming the file and the problem")
    func errors() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        func write(_ bytes: [UInt8], _ name: String) throws -> String {
            let path = dir.appendingPathComponent(name).path
            try Data(bytes).write(to: URL(fileURLWithPath: path))
            return path
        }
        let short = try write([1, 2, 3], "short.safetensors")
        #expect(thrownMessage { _ = try SafeTensorsFile.read(from: short) }?.contains("short.safetensors: not a valid safetensors file") == true)
        let huge = try write([255, 0, 0, 0, 0, 0, 0, 0, 123], "huge.safetensors")
        #expect(thrownMessage { _ = try SafeTensorsFile.read(from: huge) }?.contains("header length 255 exceeds") == true)
        let good = [UInt8](try SafeTensorsFile(tensors: ["w": Tensor(shape: [2], values: [1, 2])], metadata: [:]).encoded())
        let truncated = try write(Array(good.dropLast(4)), "truncated.safetensors")
        #expect(thrownMessage { _ = try SafeTensorsFile.read(from: truncated) }?.contains("tensor 'w'") == true)
        let notJSON = try write([4, 0, 0, 0, 0, 0, 0, 0] + Array("nope".utf8), "json.safetensors")
        #expect(thrownMessage { _ = try SafeTensorsFile.read(from: notJSON) }?.contains("not a JSON object") == true)
        let header = Array(#"{"w":{"dtype":"F16","shape":[2],"data_offsets":[0,4]}}"#.utf8)
        let f16 = try write(withUnsafeBytes(of: UInt64(header.count).littleEndian) { Array($0) } + header + [0, 0, 0, 0], "f16.safetensors")
        #expect(throws: CheckpointError.unsupportedDType(path: f16, tensor: "w", dtype: "F16")) { try SafeTensorsFile.read(from: f16) }
        #expect(thrownMessage { _ = try SafeTensorsFile.read(from: dir.appendingPathComponent("absent").path) }?.contains("no such file") == true)
    }

    @Test("loading checks the architecture: missing, misshapen and foreign tensors")
    func architectureChecks() throws {
        let model = try GraphNetwork(VGGConfiguration.vggS.scaled(by: 0.25).graph, seed: 1)
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("m.safetensors").path
        try model.save(to: path)
        var file = try SafeTensorsFile.read(from: path)
        file.tensors["features.0.bias"] = Tensor(shape: [3])
        try file.write(to: path)
        #expect(thrownMessage { _ = try GraphNetwork.load(from: path) }?.contains("'features.0.bias' has shape [3], the architecture needs [8]") == true)
        file.tensors["features.0.bias"] = nil
        try file.write(to: path)
        #expect(thrownMessage { _ = try GraphNetwork.load(from: path) }?.contains("'features.0.bias' is missing") == true)
    }

    @Test("atomic writes leave no temporary file, and a failed write leaves the old file intact")
    func atomicity() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("out.bin").path
        try AtomicFile.write(Data([1, 2, 3]), to: path)
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["out.bin"])
        // Renaming a file over a directory fails: the directory (the "old file") must survive.
        let blocked = dir.appendingPathComponent("blocked").path
        try FileManager.default.createDirectory(atPath: blocked + "/inner", withIntermediateDirectories: true)
        #expect(throws: CheckpointError.self) { try AtomicFile.write(Data([9]), to: blocked) }
        #expect(FileManager.default.fileExists(atPath: blocked + "/inner"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted() == ["blocked", "out.bin"])
        #expect(throws: CheckpointError.self) { try AtomicFile.write(Data([9]), to: "/nonexistent-dir/x.bin") }
    }
}
