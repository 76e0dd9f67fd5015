import Foundation
import Testing
@testable import ShearsNet

/// Hostile safetensors files (issue 12): refused with the file and the tensor or key named,
/// before anything large is allocated.
@Suite("safetensors files from untrusted sources")
struct CheckpointHardeningTests {
    /// A safetensors file from a literal JSON header and a data section.
    func raw(_ header: String, data: [UInt8]) -> Data {
        var bytes = withUnsafeBytes(of: UInt64(header.utf8.count).littleEndian) { Array($0) }
        bytes += Array(header.utf8) + data
        return Data(bytes)
    }

    @Test("shapes and offsets near 2^62 and 2^63 are refused, not overflowed",
          arguments: [#"{"t":{"dtype":"F32","shape":[4611686018427387904,4],"data_offsets":[0,16]}}"#,
                      #"{"t":{"dtype":"F32","shape":[4],"data_offsets":[0,9223372036854775807]}}"#,
                      #"{"t":{"dtype":"F32","shape":[4],"data_offsets":[9223372036854775800,9223372036854775807]}}"#,
                      #"{"t":{"dtype":"F32","shape":[3037000500,3037000500,4],"data_offsets":[0,16]}}"#])
    func overflow(header: String) throws {
        let message = thrownMessage { _ = try SafeTensorsFile.decode(raw(header, data: [UInt8](repeating: 0, count: 16)), path: "x.st") }
        #expect(message?.hasPrefix("x.st: tensor 't': ") == true, "\(message ?? "accepted")")
    }

    /// A small VGG checkpoint as the VGG class of earlier versions wrote it (its tensors, under
    /// the same names, are its graph's), with its architecture metadata replaced by `architecture`,
    /// written into `directory`.
    func model(architecture: String?, in directory: URL, edit: (inout [String: Tensor]) -> Void = { _ in }) throws -> String {
        let path = directory.appendingPathComponent("m.safetensors").path
        let configuration = VGGConfiguration.vggS.scaled(by: 0.25)
        var tensors = try GraphNetwork(configuration.graph, seed: 1).stateTensors
        edit(&tensors)
        var metadata = [VGGConfiguration.architectureKey: String(decoding: try JSONEncoder().encode(configuration), as: UTF8.self)]
        if let architecture { metadata[VGGConfiguration.architectureKey] = architecture }
        try SafeTensorsFile(tensors: tensors, metadata: metadata).write(to: path)
        return path
    }

    static let hostileArchitectures: [(String, String)] = [
        (#"{"features":[0,8,"M",16,16,"M",32,"M"],"hidden":[256],"inputChannels":1,"inputSize":28,"classes":10,"batchNorm":false}"#, "features[0] is 0"),
        (#"{"features":[-8,8,"M",16,16,"M",32,"M"],"hidden":[256],"inputChannels":1,"inputSize":28,"classes":10,"batchNorm":false}"#, "features[0] is -8"),
        (#"{"features":[8,8,"M",16,16,"M",32,"M"],"hidden":[256],"inputChannels":1,"inputSize":28,"classes":0,"batchNorm":false}"#, "classes is 0"),
        (#"{"features":[8,8,"M",16,16,"M",32,"M"],"hidden":[256],"inputChannels":0,"inputSize":28,"classes":10,"batchNorm":false}"#, "inputChannels is 0"),
        (#"{"features":[8,8,"M",16,16,"M",32,"M"],"hidden":[256],"inputChannels":1,"inputSize":0,"classes":10,"batchNorm":false}"#, "inputSize is 0"),
        (#"{"features":[8,8,"M",16,16,"M",32,"M"],"hidden":[256],"inputChannels":1,"inputSize":1,"classes":10,"batchNorm":false}"#, "pooled below 1x1"),
        (#"{"features":[8,8,"M",16,16,"M",32,"M"],"hidden":[256],"inputChannels":1,"inputSize":1099511627776,"classes":10,"batchNorm":false}"#, "inputSize is 1099511627776"),
        (#"{"features":[8,8,"M",16,16,"M",32,"M"],"hidden":[0],"inputChannels":1,"inputSize":28,"classes":10,"batchNorm":false}"#, "hidden[0] is 0"),
        (#"{"features":[8,8,"M",16,16,"M",32,"M"],"hidden":[1099511627776],"inputChannels":1,"inputSize":28,"classes":10,"batchNorm":false}"#, "hidden[0] is 1099511627776"),
        (#"{"features":[100000000,8,"M",16,16,"M",32,"M"],"hidden":[256],"inputChannels":1,"inputSize":28,"classes":10,"batchNorm":false}"#, "features[0] is 100000000"),
        (#"{"features":[60000,8,"M",16,16,"M",32,"M"],"hidden":[256],"inputChannels":1,"inputSize":28,"classes":10,"batchNorm":false}"#, "the file holds"),
        (#"{"features":[8,8,"M",16,16,"M",32,"M"],"hidden":[256],"inputChannels":1,"inputSize":28,"batchNorm":false}"#, "classes is missing"),
        (#"{"features":[8,8,"M",16,16,"M",32,"M"],"hidden":[256],"inputChannels":1,"inputSize":1e300,"classes":10,"batchNorm":false}"#, "not a valid architecture"),
    ]

    @Test("architecture metadata out of bounds or larger than the file is refused before allocating",
          arguments: hostileArchitectures)
    func architecture(json: String, expected: String) throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = try model(architecture: json, in: directory)
        let message = thrownMessage { _ = try GraphNetwork.load(from: path) }
        #expect(message?.contains(path) == true, "\(message ?? "accepted")")
        #expect(message?.contains(expected) == true, "\(message ?? "accepted")")
        #expect(message?.contains("\n") == false)
    }

    @Test("a graph much larger than the file is refused before allocating, even when it names a shape-pruned conv")
    func graphLargerThanFile() throws {
        func graph(width: Int) -> GraphSpecification {
            var b = GraphBuilder(inputShape: [1, 8, 8])
            let first = b.conv("a", b.input, outChannels: 4, kernelSize: 3, padding: 1)
            let wide = b.conv("b", first, outChannels: width, kernelSize: 3, padding: 1)
            b.linear("out", b.flatten("flat", b.globalAveragePool("pool", wide)), outFeatures: 3)
            return b.specification
        }
        let small = try GraphNetwork(graph(width: 6), seed: 1)
        var tensors = small.stateTensors
        // A claimed shape-pruned first conv: its dense weights may be missing, the wide conv's may not.
        tensors["a.patch_rows"] = Tensor(shape: [9], values: (0..<9).map(Float.init))
        let large = String(decoding: try JSONEncoder().encode(graph(width: 20_000)), as: UTF8.self)
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("g.safetensors").path
        try SafeTensorsFile(tensors: tensors, metadata: [GraphNetwork.architectureKey: large]).write(to: path)
        let message = thrownMessage { _ = try GraphNetwork.load(SafeTensorsFile.read(from: path), path: path) }
        #expect(message?.contains("the file holds") == true, "\(message ?? "accepted")")
        #expect(message?.contains("\n") == false)
    }

    @Test("NaN or infinite weights are refused, naming the tensor", arguments: [Float.nan, .infinity, -.infinity])
    func nonFinite(value: Float) throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = try model(architecture: nil, in: directory) { tensors in
            tensors["classifier.0.weight"]!.values = [Float](repeating: value, count: tensors["classifier.0.weight"]!.count)
        }
        let count = try GraphNetwork(VGGConfiguration.vggS.scaled(by: 0.25).graph, seed: 1).stateTensors["classifier.0.weight"]!.count
        #expect(throws: CheckpointError.nonFinite(path: path, tensor: "classifier.0.weight", count: count, total: count)) {
            try GraphNetwork.load(from: path)
        }
    }

    @Test("a mask holding anything but 0 and 1 is refused", arguments: [Float(0.5), 2, -1])
    func mask(value: Float) throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = try model(architecture: nil, in: directory) { tensors in
            var mask = [Float](repeating: 1, count: tensors["features.0.weight"]!.count)
            mask[3] = value
            tensors["features.0.weight_mask"] = Tensor(shape: tensors["features.0.weight"]!.shape, values: mask)
        }
        #expect(throws: CheckpointError.badTensor(path: path, tensor: "features.0.weight_mask", reason: "a mask must hold only 0 and 1")) {
            try GraphNetwork.load(from: path)
        }
    }

    @Test("a patch-row count of 1e30 or NaN is refused, not trapped on converting", arguments: [Float(1e30), .nan, 2.5])
    func patchRows(value: Float) throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = try model(architecture: nil, in: directory) { tensors in
            tensors["features.0.patch_rows"] = Tensor(shape: [2], values: [0, value])
        }
        let message = thrownMessage { _ = try GraphNetwork.load(from: path) }
        #expect(message?.contains("features.0.patch_rows") == true, "\(message ?? "accepted")")
    }

    @Test("a directory given as a checkpoint is named as a directory")
    func directory() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        #expect(throws: CheckpointError.unreadable(path: dir.path, reason: "it is a directory")) { try GraphNetwork.load(from: dir.path) }
    }
}
