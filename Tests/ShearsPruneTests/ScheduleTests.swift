import Foundation
import ShearsNet
import Testing
@testable import ShearsPrune

@Suite("Penalty and dynamic schedules")
struct ScheduleTests {
    @Test("the group-LASSO proximal step shrinks each group's norm by ηλ√|g| and zeroes the small ones; LASSO soft-thresholds")
    func proximalStep() throws {
        let model = VGG(.vggS.scaled(by: 0.25), seed: 1)
        let conv = model.convolutions[1].layer
        let size = conv.weight.value.itemSize
        for i in 0..<size { conv.weight.value.values[i] *= 1e-3 }  // filter 0: tiny, will be zeroed
        let before = conv.weight.value.values
        func norm(_ w: [Float], _ f: Int) -> Double {
            (f * size..<(f + 1) * size).reduce(0.0) { $0 + Double(w[$1]) * Double(w[$1]) }.squareRoot()
        }
        let (eta, lambda) = (0.1, 0.01)
        try GroupLasso(strength: lambda, granularity: .filter).proximalStep(model, learningRate: eta)
        let threshold = eta * lambda * Double(size).squareRoot()
        #expect(norm(conv.weight.value.values, 0) == 0)
        for f in 1..<conv.outChannels {
            #expect(abs(norm(conv.weight.value.values, f) - (norm(before, f) - threshold)) < 1e-5)
        }
        let linear = model.linears[1]
        let w = linear.weight.value.values
        try GroupLasso(strength: 0.05, granularity: .element).proximalStep(model, learningRate: 1)
        for (old, new) in zip(w, linear.weight.value.values) {
            #expect(abs(new - (old > 0 ? 1 : -1) * max(0, abs(old) - 0.05)) < 1e-7)
        }
    }

    @Test("groups that the penalty zeroed are removed without changing the outputs")
    func zeroGroupsRemovedExactly() throws {
        let model = VGG(.vggS.scaled(by: 0.25), seed: 2)
        try GroupLasso(strength: 0.5, granularity: .filter).proximalStep(model, learningRate: 0.1)
        let plan = try GroupLasso.zeroGroups(model, granularity: .filter)
        #expect(plan.removedGroups > 0)
        let images = Dataset.synthetic(count: 4, seed: 3).batch(Array(0..<4)[...]).images
        let outputs = model.forward(images, training: false).values
        let macs = ModelCost(model).macs
        try Surgeon.apply(plan, to: model)
        let gap = zip(outputs, model.forward(images, training: false).values).map { abs($0 - $1) }.max()!
        #expect(gap < 1e-4 && ModelCost(model).macs < macs)
    }
}
