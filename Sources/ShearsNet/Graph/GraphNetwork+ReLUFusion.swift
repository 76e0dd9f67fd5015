extension GraphNetwork {
    /// The ReLUs `forward` computes inside the node before them: for each node whose layer is
    /// `ReLUFusing`, or which is an `add`, and whose output only one node reads, a ReLU, that
    /// ReLU's index.
    ///
    /// Fusing needs the layer's own output nowhere else: it is overwritten by `max(0, ·)`. The
    /// backward passes are unchanged (the ReLU's reads its adopted output, the layer's its
    /// input or passes the gradient on). vgg-s fuses its five conv → ReLU pairs, resnet-s its
    /// ten BatchNorm → ReLU pairs and its nine add → ReLU pairs (a block's second BatchNorm
    /// feeds an `add`, not a ReLU).
    public var reluFusions: [Int: Int] {
        let readers = nodeReaders
        var fusions: [Int: Int] = [:]
        for (index, node) in nodes.enumerated() where node.layer is ReLUFusing || node.operation == .add {
            if readers[index].count == 1, case .relu = nodes[readers[index][0]].operation { fusions[index] = readers[index][0] }
        }
        return fusions
    }

    /// The ReLUs whose backward pass `backward` computes inside the conv after them: for each
    /// conv whose input is a ReLU's output that no other node reads, that ReLU's index. The conv
    /// masks its `∂X` by its input, which is the ReLU's output (`Conv2D.masksInputGradientByInput`;
    /// the direct kernels do it image by image while `∂X` is in cache, in parallel): the same
    /// bits as the ReLU's own pass, which ran on one thread over the whole batch. vgg-s:
    /// `features.1` and `features.6`; resnet-s: each block's first ReLU. (The same for a ReLU
    /// before a max-pool, unpooling and masking in one pass, measured slower than the two
    /// passes: a scalar loop over the windows.)
    public var reluBackwardFusions: [Int: Int] {
        let readers = nodeReaders
        var fusions: [Int: Int] = [:]
        for (index, node) in nodes.enumerated() where node.layer is Conv2D {
            let input = node.inputs[0]
            guard input >= 0, nodes[input].operation == .relu, readers[input] == [index] else { continue }
            fusions[index] = input
        }
        return fusions
    }

    /// For each node, the nodes that read its output, in order.
    var nodeReaders: [[Int]] {
        var readers = [[Int]](repeating: [], count: nodes.count)
        for (reader, node) in nodes.enumerated() { for input in node.inputs where input >= 0 { readers[input].append(reader) } }
        return readers
    }

    /// Whether `forward` fuses now: never while recording (criteria read the layers' own
    /// outputs) or while a profiler times each node.
    var fusesReLUsNow: Bool { fusesReLUs && !isRecording && nodeObserver == nil }

    /// Node `node`'s output followed by `max(0, ·)`, for a node in `reluFusions`.
    static func runThenReLU(_ node: Node, _ inputs: [Tensor], training: Bool) -> Tensor {
        if let layer = node.layer as? ReLUFusing { return layer.forward(inputs[0], training: training, thenReLU: true) }
        return GraphKernels.sum(inputs, thenReLU: true)
    }
}
