import Foundation
import Testing
@testable import ShearsNet

/// resnet-s's graph (torchvision names) with stage widths `stages` (the stem is stage 1's) and
/// the inner widths `inner` of its 9 blocks in order: the shape a pruned state dict has.
private func resnetS(stages: [Int], inner: [Int]) -> GraphSpecification {
    var b = GraphBuilder(inputShape: [1, 28, 28])
    var x = b.relu("relu", b.batchNorm("bn1", b.conv("conv1", b.input, outChannels: stages[0], kernelSize: 3, padding: 1,
                                                     bias: false)))
    for stage in 0..<3 {
        for block in 0..<3 {
            let (p, stride) = ("layer\(stage + 1).\(block)", stage > 0 && block == 0 ? 2 : 1)
            let a = b.relu("\(p).relu1", b.batchNorm("\(p).bn1", b.conv("\(p).conv1", x, outChannels: inner[3 * stage + block],
                                                                        kernelSize: 3, stride: stride, padding: 1, bias: false)))
            let r = b.batchNorm("\(p).bn2", b.conv("\(p).conv2", a, outChannels: stages[stage], kernelSize: 3, padding: 1,
                                                   bias: false))
            let s = stride == 1 ? x : b.batchNorm("\(p).downsample.1", b.conv("\(p).downsample.0", x, outChannels: stages[stage],
                                                                              kernelSize: 1, stride: 2, bias: false))
            x = b.relu("\(p).relu2", b.add("\(p).add", [r, s]))
        }
    }
    b.linear("fc", b.flatten("flatten", b.globalAveragePool("avgpool", x)), outFeatures: 10)
    return b.specification
}

private let prunedWidths = (stages: [11, 20, 57], inner: [3, 16, 9, 32, 1, 25, 64, 40, 7])

/// The torch tensors of `specification` built from `seed`, and the network.
private func torchTensors(_ specification: GraphSpecification, seed: UInt64) throws -> ([String: Tensor], GraphNetwork) {
    let network = try GraphNetwork(specification, seed: seed)
    return (try network.torchStateDict().tensors, network)
}

/// The reason of an `architectureMismatch` thrown by importing `tensors`, or nil.
private func importProblem(_ tensors: [String: Tensor], batchCounters: [String] = []) -> String? {
    do {
        let specification = try ResNet.specification(fromTorchShapes: tensors, source: "f")
        _ = try GraphNetwork.fromTorchStateDict(tensors, batchCounters: batchCounters, specification: specification, source: "f")
        return nil
    } catch let CheckpointError.architectureMismatch(_, reason) {
        return reason
    } catch {
        return "\(error)"
    }
}

@Suite("resnet-s from a PyTorch state dict: widths from the shapes")
struct ResNetTorchImportTests {
    @Test("the helper graph at the reference widths is ResNet.small")
    func helperIsResNetSmall() {
        #expect(resnetS(stages: [16, 32, 64], inner: [16, 16, 16, 32, 32, 32, 64, 64, 64]) == ResNet.small)
    }

    @Test("the inferred graph is the one that wrote the tensors, reference and pruned widths; every tensor restores",
          arguments: [false, true])
    func infersWidths(pruned: Bool) throws {
        let specification = pruned ? resnetS(stages: prunedWidths.stages, inner: prunedWidths.inner) : ResNet.small
        let (tensors, network) = try torchTensors(specification, seed: 5)
        #expect(try ResNet.specification(fromTorchShapes: tensors, source: "f") == specification)
        let counters = specification.nodes.filter { if case .batchNorm = $0.operation { true } else { false } }
            .map { "\($0.name).num_batches_tracked" }
        #expect(counters.count == 21)
        let imported = try GraphNetwork.fromTorchStateDict(tensors, batchCounters: counters,
                                                           specification: specification, source: "f")
        #expect(imported.stateTensors == network.stateTensors)
    }

    @Test("missing, misshapen, foreign and uncoupled tensors are refused, naming the tensor")
    func refusesMisfits() throws {
        let (tensors, _) = try torchTensors(resnetS(stages: prunedWidths.stages, inner: prunedWidths.inner), seed: 6)
        var missing = tensors
        missing["layer2.1.conv1.weight"] = nil
        #expect(importProblem(missing) == "tensor 'layer2.1.conv1.weight' is missing")
        var wrongInput = tensors
        wrongInput["layer3.0.conv1.weight"] = Tensor(shape: [64, 19, 3, 3])
        #expect(importProblem(wrongInput)?.hasPrefix("tensor 'layer3.0.conv1.weight' has shape [64, 19, 3, 3], expected [F, 20, 3, 3]")
                == true, "\(importProblem(wrongInput) ?? "")")
        var wrongKernel = tensors
        wrongKernel["layer2.0.downsample.0.weight"] = Tensor(shape: [20, 11, 3, 3])
        #expect(importProblem(wrongKernel)?.contains("'layer2.0.downsample.0.weight' has shape [20, 11, 3, 3], expected [F, 11, 1, 1]")
                == true, "\(importProblem(wrongKernel) ?? "")")
        var uncoupled = tensors
        uncoupled["layer1.1.conv2.weight"] = Tensor(shape: [10, 16, 3, 3])
        let reason = importProblem(uncoupled) ?? ""
        #expect(reason.contains("'layer1.1.conv2.weight' gives 10 channels") && reason.contains("'layer1.1.add'"), "\(reason)")
        var batchNorm = tensors
        batchNorm["layer1.0.bn1.running_var"] = Tensor(shape: [4], values: [1, 1, 1, 1])
        #expect(importProblem(batchNorm) == "tensor 'layer1.0.bn1.running_var' has shape [4], the architecture needs [3]")
        var foreign = tensors
        foreign["layer1.0.conv1.bias"] = Tensor(shape: [3])
        #expect(importProblem(foreign) == "tensor 'layer1.0.conv1.bias' does not belong to the architecture")
        var fc = tensors
        fc["fc.weight"] = Tensor(shape: [9, 57])
        #expect(importProblem(fc)?.hasPrefix("tensor 'fc.weight' has shape [9, 57], expected [10, 57]") == true)
        #expect(importProblem(tensors, batchCounters: ["layer1.0.relu1.num_batches_tracked"])
                == "tensor 'layer1.0.relu1.num_batches_tracked' does not belong to the architecture (it names no BatchNorm)")
    }

    /// A safetensors file holding `bn1.num_batches_tracked` with this dtype, shape and byte span,
    /// then a float32 `w` = [1, 2], written into `directory` under a name of its own.
    private func fileWithCounter(dtype: String, shape: [Int], bytes: Int, in directory: URL) throws -> String {
        let header = #"{"bn1.num_batches_tracked":{"dtype":"\#(dtype)","shape":\#(shape),"data_offsets":[0,\#(bytes)]},"#
            + #""w":{"dtype":"F32","shape":[2],"data_offsets":[\#(bytes),\#(bytes + 8)]}}"#
        var data = withUnsafeBytes(of: UInt64(header.utf8.count).littleEndian) { Array($0) } + Array(header.utf8)
        data += [UInt8](repeating: 0, count: bytes)
        data += [Float(1), 2].flatMap { value in withUnsafeBytes(of: value.bitPattern.littleEndian) { Array($0) } }
        let path = directory.appendingPathComponent("counter-\(dtype)-\(shape.count)-\(bytes).safetensors").path
        try Data(data).write(to: URL(fileURLWithPath: path))
        return path
    }

    @Test("num_batches_tracked must be an int64 scalar of 8 bytes; anything else is refused by name")
    func counterMustBeInt64Scalar() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let good = try fileWithCounter(dtype: "I64", shape: [], bytes: 8, in: directory)
        #expect(try SafeTensorsFile.readTorchStateDict(from: good).batchCounters == ["bn1.num_batches_tracked"])
        for (dtype, shape, bytes, why) in [("F32", [], 4, "it has dtype F32"), ("I64", [1], 8, "it has shape"),
                                           ("I64", [], 16, "its data_offsets are not 8 bytes")] {
            let path = try fileWithCounter(dtype: dtype, shape: shape, bytes: bytes, in: directory)
            do {
                _ = try SafeTensorsFile.readTorchStateDict(from: path)
                Issue.record("\(dtype) \(shape) \(bytes) bytes was accepted")
            } catch let CheckpointError.badTensor(_, tensor, reason) {
                #expect(tensor == "bn1.num_batches_tracked" && reason.contains(why), "\(reason)")
            }
        }
        // Outside readTorchStateDict, the counter is an int64 tensor like any other.
        #expect(throws: CheckpointError.unsupportedDType(path: good, tensor: "bn1.num_batches_tracked", dtype: "I64")) {
            try SafeTensorsFile.read(from: good)
        }
    }
}
