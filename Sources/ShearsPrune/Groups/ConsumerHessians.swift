import Linalg
import ShearsNet

/// The input Hessians `H = (2/N) Σ x xᵀ` of a graph network's convs and linear layers (the
/// consumers a group's channels feed), summed by `LayerHessian`: every output
/// position of a conv is one sample x (an im2col column, `C·kh·kw` long), every image one
/// sample of a linear layer. Also `(2/N) Σ x`, the extra row a bias's constant input adds.
enum ConsumerHessians {
    /// The Hessian and input mean of one consumer node.
    typealias Statistics = (hessian: Matrix<Double>, mean: [Double])

    /// Samples one image adds to node `node`'s Hessian: its output positions, 1 for a linear layer.
    static func samplesPerImage(_ network: GraphNetwork, _ node: Int) -> Int {
        network.nodes[node].layer is Conv2D ? network.nodeShapes[node].dropFirst(2).reduce(1, *) : 1
    }

    /// The Hessian's order: the inputs of one weight row.
    static func order(_ network: GraphNetwork, _ node: Int) -> Int {
        network.nodes[node].layer!.parameters[0].value.itemSize
    }

    /// The images node `node`'s Hessian is built from: `images.images(needing:)` enough for at
    /// least as many samples as its order.
    static func images(for node: Int, in network: GraphNetwork, from images: HessianImages) -> Dataset {
        let perImage = samplesPerImage(network, node)
        return images.images(needing: (order(network, node) + perImage - 1) / perImage)
    }

    /// Hessians of `consumers` (conv or linear node indices), each from `images(for:in:from:)`:
    /// one recorded pass per distinct image count.
    static func collect(_ network: GraphNetwork, consumers: [Int], images: HessianImages,
                        batchSize: Int) throws -> [Int: Statistics] {
        let byImages = Dictionary(grouping: consumers) { self.images(for: $0, in: network, from: images).count }
        var result: [Int: Statistics] = [:]
        for (count, nodes) in byImages.sorted(by: { $0.key < $1.key }) {
            result.merge(try collect(network, consumers: nodes.sorted(), data: images.images(needing: count),
                                     batchSize: batchSize)) { $1 }
        }
        return result
    }

    /// Hessians of `consumers` from one recorded evaluation pass over `data`.
    static func collect(_ network: GraphNetwork, consumers: [Int], data: Dataset, batchSize: Int) throws -> [Int: Statistics] {
        var sums: [Int: Matrix<Double>] = [:], inputSums: [Int: [Double]] = [:], samples: [Int: Int] = [:]
        for node in consumers {
            let k = order(network, node)
            (sums[node], inputSums[node], samples[node]) = (Matrix(rows: k, cols: k), Array(repeating: 0, count: k), 0)
        }
        network.isRecording = true
        defer { network.isRecording = false }
        var start = 0
        while start < data.count {
            let end = min(data.count, start + batchSize)
            let images = data.batch(Array(start..<end)[...]).images
            _ = network.forward(images, training: false)
            for node in consumers {
                let source = network.nodes[node].inputs[0]
                let input = source < 0 ? images : network.recordedOutputs[source]
                switch network.nodes[node].layer {
                case let conv as Conv2D:
                    try LayerHessian.accumulatePatches(conv, input: input, into: &sums[node]!, inputSums: &inputSums[node]!,
                                                       samples: &samples[node]!)
                case is Linear:
                    let (rows, cols) = (input.shape[0], input.itemSize)
                    try LayerHessian.accumulate(input.values, rows: rows, cols: cols, into: &sums[node]!)
                    for n in 0..<rows { for q in 0..<cols { inputSums[node]![q] += Double(input.values[n * cols + q]) } }
                    samples[node]! += rows
                default:
                    preconditionFailure("ConsumerHessians: node '\(network.nodes[node].name)' is neither a conv nor a linear layer")
                }
            }
            start = end
        }
        var result: [Int: Statistics] = [:]
        for node in consumers {
            let scale = 2 / Double(max(1, samples[node]!))
            var h = sums[node]!
            for i in h.storage.indices { h.storage[i] *= scale }
            result[node] = (h, inputSums[node]!.map { $0 * scale })
        }
        return result
    }

    /// The columns of a consumer's weight rows that read `channels` of a group placed at
    /// `placements` in its input: for a conv, the `kh·kw` im2col rows of each input channel;
    /// for a linear layer, the `span` flattened columns of each channel. A shape-pruned conv
    /// no longer reads whole channels and is refused.
    static func columns(of channels: [Int], _ placements: [ChannelGroup.Placement],
                        in network: GraphNetwork) throws -> [Int] {
        let node = network.nodes[placements[0].node]
        var block = 1
        if let conv = node.layer as? Conv2D {
            guard conv.patchRows == nil else {
                throw PruningError.granularityNotApplicable(.filter, layer: node.name,
                                                            reason: "it was shape-pruned, so its inputs are no longer whole channels")
            }
            block = conv.kernelHeight * conv.kernelWidth
        }
        var columns: [Int] = []
        for placement in placements {
            for channel in channels {
                let first = placement.offset + channel * placement.span
                for input in first..<(first + placement.span) { columns.append(contentsOf: (input * block)..<((input + 1) * block)) }
            }
        }
        return columns.sorted()
    }
}
