extension GraphNetwork {
    /// `forward(input, training: false)`'s output, with each conv → ReLU → 2x2 max-pool chain in
    /// `poolingFusions` computed inside the conv: every image's output is pooled while still in
    /// cache and the unpooled activations are never written, which a forward pass cannot do
    /// (the ReLU's and the pool's backward read them); and each of `depthFirstSegments` run
    /// a few images at a time (`DepthFirstSegment`), so that only what is read after a segment is
    /// written for the batch. The same bits as `forward`; `backward` may not follow (it checks).
    public func predict(_ input: Tensor) -> Tensor {
        precondition(Array(input.shape.dropFirst()) == specification.inputShape,
                     "GraphNetwork.predict: expected [N] + \(specification.inputShape), got \(input.shape)")
        guard fusesReLUsNow else { return forward(input, training: false) }
        lastPassWasForward = false
        let chains = fusesPooling ? poolingFusions : [:]
        var fusions = reluFusions
        for conv in chains.keys { fusions[conv] = nil }
        return run(input, training: false, reluFusions: fusions, poolingFusions: chains,
                   depthFirst: runsImagesDepthFirst && fusesPooling ? depthFirstSegments : [])
    }

    /// The chains `predict` runs inside their conv: for each conv that runs by the direct
    /// kernels (`Conv2D.usesDirect`) and whose only reader is a ReLU whose only reader is a 2x2,
    /// stride-2 max-pool, that ReLU's and that pool's indices (vgg-s: its three conv → ReLU →
    /// pool chains; resnet-s has none).
    public var poolingFusions: [Int: (relu: Int, pool: Int)] {
        let readers = nodeReaders
        var chains: [Int: (relu: Int, pool: Int)] = [:]
        for (index, relu) in reluFusions {
            guard let conv = nodes[index].layer as? Conv2D, conv.usesDirect, readers[relu].count == 1,
                  let pool = nodes[readers[relu][0]].layer as? MaxPool2D, pool.size == 2, pool.stride == 2 else { continue }
            chains[index] = (relu, readers[relu][0])
        }
        return chains
    }
}
