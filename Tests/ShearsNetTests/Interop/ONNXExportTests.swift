import Testing
@testable import ShearsNet

@Suite("ONNX export")
struct ONNXExportTests {
    @Test("an exported VGG's initializers are its checkpoint tensors, offsets included, and nodes follow the layers")
    func onnxGraphOfAVGGWithAnOffset() throws {
        let model = try GraphNetwork(VGGConfiguration.vggS.scaled(by: 0.25).graph, seed: 11)
        // A folded constant, as removing filters of features.0 leaves features.2.
        let conv = model.nodes.first { $0.name == "features.2" }!.layer as! Conv2D
        conv.outputOffset = randomTensor([conv.outChannels, 28, 28], seed: 12)
        let graph = try model.onnxModel().graph
        let expected = Set(model.namedParameters.map(\.0) + ["features.2.output_offset"])
        #expect(Set(graph.initializers.map(\.name)) == expected)
        #expect(graph.initializers.first { $0.name == "features.2.output_offset" }?.tensor == conv.outputOffset)
        #expect(graph.nodes.map(\.opType) == ["Conv", "Relu", "Conv", "Add", "Relu", "MaxPool", "Conv", "Relu", "Conv", "Relu",
                                              "MaxPool", "Conv", "Relu", "MaxPool", "Flatten", "Gemm", "Relu", "Gemm"])
        #expect(graph.inputs.map(\.name) == ["input"] && graph.outputs.map(\.name) == ["logits"])
        #expect(graph.inputs[0].shape == [.named("batch"), .fixed(1), .fixed(28), .fixed(28)])
        let bytes = [UInt8](try model.onnxModel().serialized())
        #expect(Array(bytes.prefix(2)) == [0x08, 0x08], "ir_version 8 first")
    }
}
