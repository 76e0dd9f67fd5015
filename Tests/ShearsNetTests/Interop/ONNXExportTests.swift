import Testing
@testable import ShearsNet

@Suite("ONNX export")
struct ONNXExportTests {
    @Test("an exported VGG's initializers are its checkpoint tensors, offsets included, and nodes follow the layers")
    func onnxGraphOfAPrunedVGG() throws {
        let model = VGG(.vggS.scaled(by: 0.25), seed: 11)
        model.keepFilters(ofConvolution: 0, [0, 2, 4, 6])
        let offsetted = model.convolutions.filter { $0.layer.outputOffset != nil }.map(\.position)
        try #require(offsetted == [2], "filter removal with positive biases folds an offset into features.2")
        let graph = try model.onnxModel().graph
        let expected = Set(model.namedParameters.map(\.0) + ["features.2.output_offset"])
        #expect(Set(graph.initializers.map(\.name)) == expected)
        #expect(graph.initializers.first { $0.name == "features.2.output_offset" }?.tensor == model.convolutions[1].layer.outputOffset)
        #expect(graph.nodes.map(\.opType) == ["Conv", "Relu", "Conv", "Add", "Relu", "MaxPool", "Conv", "Relu", "Conv", "Relu",
                                              "MaxPool", "Conv", "Relu", "MaxPool", "Flatten", "Gemm", "Relu", "Gemm"])
        #expect(graph.inputs.map(\.name) == ["input"] && graph.outputs.map(\.name) == ["logits"])
        #expect(graph.inputs[0].shape == [.named("batch"), .fixed(1), .fixed(28), .fixed(28)])
        let bytes = [UInt8](try model.onnxModel().serialized())
        #expect(Array(bytes.prefix(2)) == [0x08, 0x08], "ir_version 8 first")
    }
}
