import ShearsNet
import Testing
@testable import ShearsPrune

@Suite("Stored values and output offsets in the parameter count")
struct StoredValuesTests {
    @Test("a folded output offset counts as parameters: 8x28x28 for features.2 of a quarter-width vgg-s")
    func offsetCounted() throws {
        let model = VGG(.vggS.scaled(by: 0.25), seed: 11)
        model.keepFilters(ofConvolution: 0, [0, 2, 4, 6])
        try #require(model.convolutions[1].layer.outputOffset?.shape == [8, 28, 28])
        let cost = ModelCost(model)
        // features.2: 8x4x3x3 weights + 8 biases + 8·28·28 offsets.
        #expect(cost.layers[1].parameters == 288 + 8 + 6_272)
        #expect(StoredValues(model).parameters == cost.parameters)
        #expect(StoredValues(model).total == model.stateTensors.values.reduce(0) { $0 + $1.count })
    }

    @Test("every stored value is counted once, by kind, after masking, shape pruning and batch norm")
    func everyKind() {
        var configuration = VGGConfiguration.vggS.scaled(by: 0.25)
        configuration.batchNorm = true
        let model = VGG(configuration, seed: 3)
        let conv = model.convolutions[2].layer
        conv.keepPatchRows(Array(stride(from: 0, to: 72, by: 2)))
        model.linears[1].weight.mask = Array(repeating: 1, count: model.linears[1].weight.value.count)
        let stored = StoredValues(model)
        #expect(stored.patchRows == 36 && stored.masks == 10 * 256)
        #expect(stored.runningStatistics == 2 * (8 + 8 + 16 + 16 + 32))
        #expect(stored.parameters == ModelCost(model).parameters)
        #expect(stored.total == model.stateTensors.values.reduce(0) { $0 + $1.count })
    }
}
