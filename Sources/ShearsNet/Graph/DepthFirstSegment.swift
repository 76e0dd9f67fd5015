/// A run of consecutive nodes that `GraphNetwork.predict` computes a few images at a time
/// (`GraphNetwork.depthFirstImages`): those images through all of the segment's steps before
/// the next start, so that the activations between them (vgg-s: up to 100 KB per image,
/// resnet-s 50 KB) stay in the worker's cache
/// instead of being written for the whole batch (25.7 MB after vgg-s's first conv at batch
/// 256) and read back by the next layer (docs/performance.md, "Depth-first inference").
/// Only the outputs read after the segment are written for the batch.
struct DepthFirstSegment {
    /// One node as an operation on one image, with the ReLU (and the 2x2 max-pool) fused into it.
    struct Step {
        enum Operation: Equatable {
            /// A conv by the per-image kernels (`Conv2D.usesDirect`: direct or Winograd tiles), with its pool when fused.
            case directConv
            /// `BatchNorm2D` in evaluation mode: `a·x + b` per channel.
            case batchNorm
            /// An `add` node: the elementwise sum of its inputs.
            case add
            case relu
            case globalAveragePool
        }

        let operation: Operation
        /// The nodes the step computes: its node, then the ReLU and the pool fused into it.
        let covered: [Int]
        /// The nodes it reads, `-1` for the network's input.
        let inputs: [Int]

        var node: Int { covered[0] }
        /// The node whose output the step produces.
        var last: Int { covered[covered.count - 1] }
        var relu: Bool { covered.count > 1 }
        var pooled: Bool { covered.count > 2 }
    }

    let steps: [Step]
    /// For each step, whether its output is written for the whole batch (a node after the
    /// segment reads it, or it is the network's output); the others live in per-image slots.
    let materialized: [Bool]
    /// For each step not materialized, the per-worker buffer it writes (reused once its last
    /// reader in the segment has run); nil for materialized steps.
    let slots: [Int?]
    let slotCount: Int

    /// Plans `steps` (in node order) of a network whose nodes are read by `readers`; `lastNode`
    /// is the network's output node.
    init(steps: [Step], readers: [[Int]], lastNode: Int) {
        self.steps = steps
        let inside = Set(steps.flatMap(\.covered))
        let producer = Dictionary(uniqueKeysWithValues: steps.enumerated().map { ($1.last, $0) })
        materialized = steps.map { step in step.last == lastNode || readers[step.last].contains { !inside.contains($0) } }
        var lastUse = [Int](repeating: -1, count: steps.count)
        for (index, step) in steps.enumerated() {
            for input in step.inputs { if let source = producer[input] { lastUse[source] = index } }
        }
        var slots = [Int?](repeating: nil, count: steps.count), free: [Int] = [], count = 0
        for (index, step) in steps.enumerated() {
            if !materialized[index] {
                if let reused = free.popLast() {
                    slots[index] = reused
                } else {
                    slots[index] = count
                    count += 1
                }
            }
            for input in Set(step.inputs) {
                if let source = producer[input], lastUse[source] == index, let slot = slots[source] { free.append(slot) }
            }
        }
        (self.slots, slotCount) = (slots, count)
    }
}

extension GraphNetwork {
    /// The segments `predict` runs depth-first: maximal runs of consecutive nodes that each have
    /// an image-by-image form (`DepthFirstSegment.Step.Operation`; a conv only where it runs by
    /// the direct kernels), with at least two steps. vgg-s: its features, one segment of five
    /// convs; resnet-s: three segments, split by its two 1x1 downsamples, which run by im2col
    /// over the batch (one GEMM per group of images: run per image, OpenBLAS rounds some sums
    /// differently, and `predict` keeps `forward`'s bits).
    var depthFirstSegments: [DepthFirstSegment] {
        let readers = nodeReaders, pooling = poolingFusions, relus = reluFusions
        var segments: [DepthFirstSegment] = [], current: [DepthFirstSegment.Step] = [], covered = Set<Int>()
        func close() {
            if current.count >= 2 { segments.append(DepthFirstSegment(steps: current, readers: readers, lastNode: nodes.count - 1)) }
            current = []
        }
        for (index, node) in nodes.enumerated() where !covered.contains(index) {
            guard let operation = depthFirstOperation(node) else {
                // A ReLU fused into this node runs with it, over the batch.
                if let relu = relus[index] { covered.insert(relu) }
                close()
                continue
            }
            let fused = if operation == .directConv, let chain = pooling[index] {
                [chain.relu, chain.pool]
            } else if let relu = relus[index] {
                [relu]
            } else {
                [Int]()
            }
            let step = DepthFirstSegment.Step(operation: operation, covered: [index] + fused, inputs: node.inputs)
            covered.formUnion(step.covered)
            current.append(step)
        }
        close()
        return segments
    }

    /// The image-by-image form of `node`, or nil where it has none (convs by other algorithms
    /// than the direct kernels, max-pools not fused into a conv, linear layers, concatenations).
    private func depthFirstOperation(_ node: Node) -> DepthFirstSegment.Step.Operation? {
        switch node.operation {
        case .convolution: return (node.layer as! Conv2D).usesDirect ? .directConv : nil
        case .batchNorm: return .batchNorm
        case .add: return .add
        case .relu: return .relu
        case .globalAveragePool: return .globalAveragePool
        case .maxPool, .flatten, .linear, .concat: return nil
        }
    }
}
