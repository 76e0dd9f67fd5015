/// Replacing a run of nodes by the identity: the structural surgery of `layer` granularity.
extension GraphNetwork {
    /// Removes the nodes `chain` (node indices, ascending: each one the only reader of the one
    /// before it, the first reading a single node or the input) and makes every reader of the
    /// last one read the chain's input instead, as if the chain computed the identity. A
    /// shape-preserving conv with its BatchNorm and ReLU leaves the network this way; its
    /// tensors leave the checkpoints written after. Node indices after the chain shift down.
    /// Throws `GraphError.invalid` for a chain that is not such a run, that includes the
    /// output node, or whose output shape differs from its input's.
    public func bypass(_ chain: [Int]) throws {
        guard let first = chain.first, let last = chain.last, zip(chain, chain.dropFirst()).allSatisfy({ $0 < $1 }),
              first >= 0, last < nodes.count - 1, nodes[first].inputs.count == 1 else {
            throw GraphError.invalid("bypass: \(chain) is not an ascending run of inner nodes whose first reads one input")
        }
        for (node, next) in zip(chain, chain.dropFirst()) {
            let readers = nodes.indices.filter { nodes[$0].inputs.contains(node) }
            guard readers == [next], nodes[next].inputs == [node] else {
                throw GraphError.invalid("bypass: '\(nodes[next].name)' must be the only reader of '\(nodes[node].name)', and read it alone")
            }
        }
        let source = nodes[first].inputs[0]
        let sourceShape = source < 0 ? [1] + specification.inputShape : nodeShapes[source]
        guard nodeShapes[last] == sourceShape else {
            throw GraphError.invalid("bypass: '\(nodes[last].name)' outputs \(nodeShapes[last]), its chain reads \(sourceShape)")
        }
        let removed = Set(chain)
        let (sourceName, lastName) = (source < 0 ? GraphSpecification.inputName : nodes[source].name, nodes[last].name)
        var bypassed = specification
        bypassed.nodes = specification.nodes.indices.filter { !removed.contains($0) }.map { index in
            var node = specification.nodes[index]
            node.inputs = node.inputs.map { $0 == lastName ? sourceName : $0 }
            return node
        }
        if let problem = bypassed.problem { throw GraphError.invalid("bypass: \(problem)") }
        let shapes = try bypassed.shapes()
        var position = [GraphSpecification.inputName: -1]
        var kept: [Node] = []
        for (index, node) in nodes.enumerated() where !removed.contains(index) {
            let inputs = bypassed.nodes[kept.count].inputs.map { position[$0]! }
            // Nothing consumes the image's gradient.
            if inputs == [-1], let conv = node.layer as? Conv2D { conv.computesInputGradient = false }
            position[node.name] = kept.count
            kept.append(Node(name: node.name, operation: node.operation, layer: node.layer, inputs: inputs))
        }
        (specification, nodes, nodeShapes, lastReader) = (bypassed, kept, shapes, Self.lastReaders(of: kept))
        isRecording = false
    }
}
