/// Depth-first inference over chains of direct convs: `predict` runs each chain image by image,
/// every image through all of the chain's convs before the next image starts, so that the
/// activations between them (vgg-s: up to 100 KB per image) stay in the worker's cache instead
/// of being written for the whole batch (25.7 MB after vgg-s's first conv at batch 256) and
/// read back by the next layer. Each conv computes exactly what it computes layer by layer
/// (the same kernels on the same image with the same start values), so the output has the
/// same bits.
extension GraphNetwork {
    /// One conv of an image chain and the epilogue computed inside it: its ReLU, or its ReLU
    /// and 2x2 max-pool (`poolingFusions`), or neither.
    struct ImageChainStep {
        /// The conv's node index.
        let conv: Int
        /// The node whose output the step produces: the conv, its ReLU or its pool.
        let last: Int
        /// The nodes the step computes: the conv, then its ReLU and pool when fused.
        let covered: [Int]
        var relu: Bool { covered.count > 1 }
        var pooled: Bool { covered.count > 2 }
    }

    /// The chains `predict` runs image by image: runs of at least two convs that use the direct
    /// kernels (`Conv2D.usesDirect`), each (with its fused ReLU or ReLU and pool) read only by
    /// the next conv (vgg-s: its five convs, one chain; resnet-s: none, BatchNorm sits between
    /// its convs).
    var imageChains: [[ImageChainStep]] {
        let readers = nodeReaders, pooling = poolingFusions, relus = reluFusions
        var chains: [[ImageChainStep]] = []
        var chainEndingAt: [Int: Int] = [:]
        for (index, node) in nodes.enumerated() {
            guard let conv = node.layer as? Conv2D, conv.usesDirect else { continue }
            let covered = if let chain = pooling[index] {
                [index, chain.relu, chain.pool]
            } else if let relu = relus[index] {
                [index, relu]
            } else {
                [index]
            }
            let step = ImageChainStep(conv: index, last: covered[covered.count - 1], covered: covered)
            if let previous = node.inputs.first, let chain = chainEndingAt[previous], readers[previous].count == 1 {
                chainEndingAt[previous] = nil
                chains[chain].append(step)
                chainEndingAt[step.last] = chain
            } else {
                chains.append([step])
                chainEndingAt[step.last] = chains.count - 1
            }
        }
        return chains.filter { $0.count > 1 }
    }

    /// The output of `chain`'s last step for `input` (`[N] + ` the first conv's input shape),
    /// each image through every step by one worker, between two per-worker buffers.
    func runImageChain(_ chain: [ImageChainStep], input: Tensor) -> Tensor {
        let n = input.shape[0]
        let shapes = [Array(input.shape.dropFirst())] + chain.map { Array(nodeShapes[$0.last].dropFirst()) }
        let sizes = shapes.map { $0.reduce(1, *) }
        let convs = chain.map { nodes[$0.conv].layer as! Conv2D }
        let packed = convs.map { $0.directPackedFilters(rotated: false) }
        let starts = zip(convs, shapes).map { conv, shape in conv.startValues(conv.geometry([1] + shape)) }
        let between = sizes.dropFirst().dropLast().max() ?? 0
        let outputCount = n * sizes[sizes.count - 1]
        let values = [Float](unsafeUninitializedCapacity: outputCount) { y, initialized in
            defer { initialized = outputCount }
            input.values.withUnsafeBufferPointer { x in
                Compute.parallelShares(n) { _, images in
                    let scratches = zip(convs, shapes).map { conv, shape in
                        DirectScratch(inputs: shape[0], outputs: conv.outChannels, height: shape[1], width: shape[2],
                                      stride: conv.stride)
                    }
                    let buffers = UnsafeMutablePointer<Float>.allocate(capacity: 2 * between)
                    defer { buffers.deallocate() }
                    for image in images {
                        var source = x.baseAddress! + image * sizes[0]
                        for (k, step) in chain.enumerated() {
                            let target = k == chain.count - 1 ? y.baseAddress! + image * sizes[k + 1] : buffers + (k % 2) * between
                            packed[k].withUnsafeBufferPointer { filters in
                                starts[k].withUnsafeBufferPointer { start in
                                    scratches[k].convolve(source, filters.baseAddress!, start: start.baseAddress!, relu: step.relu,
                                                          pooled: step.pooled, into: target)
                                }
                            }
                            source = UnsafePointer(target)
                        }
                    }
                }
            }
        }
        return Tensor(shape: [n] + shapes[shapes.count - 1], values: values)
    }
}
