import Foundation
import Testing
@testable import ShearsPrune

@Suite("Groups and norms")
struct GroupLayoutTests {
    // Conv weight 2 filters x 3 channels x 2 x 2 = 24 values, value = flat index.
    let conv = [2, 3, 2, 2]

    @Test("each granularity's groups on a conv weight, by hand")
    func convGroups() throws {
        let filter = try #require(GroupLayout(.filter, weightShape: conv))
        #expect(filter.groupCount == 2 && Array(filter.indices(1)) == Array(12..<24))
        let channel = try #require(GroupLayout(.channel, weightShape: conv))
        #expect(channel.groupCount == 3 && Array(channel.indices(1)) == [4, 5, 6, 7, 16, 17, 18, 19])
        let kernel = try #require(GroupLayout(.kernel, weightShape: conv))
        #expect(kernel.groupCount == 6 && Array(kernel.indices(4)) == [16, 17, 18, 19])
        let shape = try #require(GroupLayout(.shape, weightShape: conv))
        #expect(shape.groupCount == 12 && Array(shape.indices(5)) == [5, 17])
        #expect(GroupLayout(.element, weightShape: conv)?.groupCount == 24)
        #expect(GroupLayout(.filter, weightShape: conv).map { Array($0.indices(1)) } == Array(12..<24))
    }

    @Test("every granularity's groups partition the weight: each index in exactly one group, groupSize apiece, in increasing order",
          arguments: [Granularity.element, .filter, .channel, .kernel, .shape, .layer])
    func partition(granularity: Granularity) throws {
        for shape in [[3, 5, 3, 3], [4, 7, 1, 1], [1, 1, 2, 3], [6, 4]] {
            guard let layout = GroupLayout(granularity, weightShape: shape) else {
                #expect(shape.count == 2 && [.channel, .kernel].contains(granularity), "\(granularity) \(shape)")
                continue
            }
            var seen = [Int](repeating: 0, count: shape.reduce(1, *))
            for group in 0..<layout.groupCount {
                let indices = Array(layout.indices(group))
                #expect(indices.count == layout.groupSize && layout.indices(group).count == indices.count)
                #expect(indices == indices.sorted(), "\(granularity) \(shape) group \(group)")
                for index in indices { seen[index] += 1 }
            }
            #expect(seen.allSatisfy { $0 == 1 }, "\(granularity) \(shape)")
        }
    }

    @Test("on a matrix (linear, or a shape-pruned conv's F x K'): rows and columns, but no channels or kernels")
    func matrixGroups() {
        #expect(GroupLayout(.neuron, weightShape: [4, 5]).map { Array($0.indices(2)) } == Array(10..<15))
        #expect(GroupLayout(.filter, weightShape: [4, 5]).map { Array($0.indices(2)) } == Array(10..<15))
        #expect(GroupLayout(.shape, weightShape: [4, 5]).map { Array($0.indices(3)) } == [3, 8, 13, 18])
        #expect(GroupLayout(.channel, weightShape: [4, 5]) == nil)
        #expect(GroupLayout(.kernel, weightShape: [4, 5]) == nil)
    }

    @Test("l_p norms: l0, l1, l2, l∞ and a general p, by hand")
    func norms() {
        let w: [Float] = [3, -4, 0, 1]
        let all = [0, 1, 2, 3]
        #expect(groupNorm(w, indices: all, p: 0) == 3)
        #expect(groupNorm(w, indices: all, p: 1) == 8)
        #expect(abs(groupNorm(w, indices: all, p: 2) - 26.0.squareRoot()) < 1e-12)
        #expect(groupNorm(w, indices: all, p: .infinity) == 4)
        #expect(abs(groupNorm(w, indices: all, p: 3) - pow(92.0, 1.0 / 3)) < 1e-12)
    }

    @Test("a layout's l_p norms are each group's, by hand: l1 of filters, l2 of columns, l0 and l∞ of kernels")
    func layoutNorms() throws {
        // Value = flat index: filter 1 holds 12..<24, column 5 holds 5 and 17, kernel 0 holds 0..<4.
        let values = (0..<24).map(Float.init)
        #expect(try #require(GroupLayout(.filter, weightShape: conv)).norms(of: values, p: 1) == [66, 210])
        let columns = try #require(GroupLayout(.shape, weightShape: conv)).norms(of: values, p: 2)
        #expect(columns.count == 12 && abs(columns[5] - (25.0 + 289).squareRoot()) < 1e-12)
        let kernels = try #require(GroupLayout(.kernel, weightShape: conv))
        #expect(kernels.norms(of: values, p: 0) == [3, 4, 4, 4, 4, 4])
        #expect(kernels.norms(of: values, p: .infinity) == [3, 7, 11, 15, 19, 23])
    }

    @Test("criterion names parse and print back; unknown names list the valid ones")
    func names() throws {
        for name in ["random", "l0", "l1", "l2", "linf", "activation", "activation-std", "apoz", "taylor",
                     "taylor-weight", "obd", "obs", "oracle", "oracle-abs"] {
            #expect(try CriterionName(parsing: name).description == name)
        }
        #expect(try CriterionName(parsing: "lp:0.5") == .norm(p: 0.5))
        #expect(throws: PruningError.self) { try CriterionName(parsing: "lp:-1") }
        do {
            _ = try CriterionName(parsing: "magnitude")
            Issue.record("no error")
        } catch {
            #expect("\(error)".contains("unknown criterion 'magnitude'") && "\(error)".contains("taylor-weight"))
        }
    }
}
