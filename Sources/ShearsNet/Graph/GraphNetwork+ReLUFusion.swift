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
