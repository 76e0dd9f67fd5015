/// Running a `DepthFirstSegment`: each worker takes its share of the batch and moves it,
/// `depthFirstImages` images at a time, through every step, between per-worker slots, writing
/// only the materialized outputs for the batch. Every step computes exactly what its layer
/// computes on those images (the same kernels, start values and expressions, in the same order;
/// a Winograd-tiles call's images get the bits each gets alone), so `predict` keeps the bits of
/// `forward(training: false)`.
extension GraphNetwork {
    /// Images a depth-first step takes at once: enough for Winograd tiles' calls to fill their
    /// register tiles on 7 x 7 maps (F(4x4, 3x3) has 4 tiles an image there) while the slots of
    /// a 28 x 28 segment stay in L2. Measured (`bench latency`, `bench train`; 2 threads,
    /// batch 256, alternating): against one image at a time, vgg-s in 0.89–0.90 of the time and
    /// its pruned models in 0.89–0.91, resnet-s 1.08–1.11x the images/s; 2 images left vgg-s at
    /// 0.98, 8 and 16 gave what 4 did or less (docs/performance.md, "Depth-first groups").
    static let depthFirstImages = 4

    /// The materialized outputs of `segment` (node index and batch tensor) for a batch of `n`
    /// images, reading node outputs outside the segment from `outputs` (`-1`: `input`).
    func runDepthFirst(_ segment: DepthFirstSegment, input: Tensor, outputs: [Tensor?]) -> [(node: Int, output: Tensor)] {
        let n = input.shape[0]
        func imageShape(_ node: Int) -> [Int] { node < 0 ? specification.inputShape : Array(nodeShapes[node].dropFirst()) }
        let sizes = segment.steps.map { imageShape($0.last).reduce(1, *) }
        let prepared = segment.steps.map { prepare($0, inputShape: imageShape($0.inputs[0]), batch: n) }
        let slotSize = zip(segment.slots, sizes).compactMap { $0 == nil ? nil : $1 }.max() ?? 0
        let group = GraphNetwork.depthFirstImages
        // Outside tensors the steps read, each node's once, and where each step's inputs are.
        var externalNodes: [Int] = []
        let producer = Dictionary(uniqueKeysWithValues: segment.steps.enumerated().map { ($1.last, $0) })
        for node in segment.steps.flatMap(\.inputs) where producer[node] == nil && !externalNodes.contains(node) {
            externalNodes.append(node)
        }
        let external = externalNodes.map { $0 < 0 ? input : outputs[$0]! }
        let externalSizes = externalNodes.map { imageShape($0).reduce(1, *) }
        let written = segment.steps.indices.filter { segment.materialized[$0] }
        let most = segment.steps.map(\.inputs.count).max() ?? 1
        let results = withReadPointers(external) { bases in
            withNewArrays(written.map { n * sizes[$0] }) { targets in
                // Per step: its batch output (materialized steps), and per input the step that
                // produces it or an outside tensor's values and floats per image.
                let batchOutput = segment.steps.indices.map { step in written.firstIndex(of: step).map { targets[$0] } }
                let externalBase = Dictionary(uniqueKeysWithValues: zip(externalNodes, zip(bases, externalSizes)))
                let sourcesOf = segment.steps.map { step in
                    step.inputs.map { node in (step: producer[node], outside: externalBase[node]) }
                }
                Compute.parallelShares(n) { _, images in
                    let scratch = DepthFirstScratch(prepared, slots: segment.slotCount, slotSize: slotSize * group, inputs: most)
                    for first in Swift.stride(from: images.lowerBound, to: images.upperBound, by: group) {
                        let count = min(group, images.upperBound - first)
                        func output(_ step: Int) -> UnsafeMutablePointer<Float> {
                            segment.slots[step].map { scratch.slot($0) } ?? batchOutput[step]! + first * sizes[step]
                        }
                        for (index, step) in segment.steps.enumerated() {
                            for (k, source) in sourcesOf[index].enumerated() {
                                if let producing = source.step {
                                    scratch.sources[k] = UnsafePointer(output(producing))
                                } else {
                                    scratch.sources[k] = source.outside!.0 + first * source.outside!.1
                                }
                            }
                            run(prepared[index], step, scratch: scratch, index: index,
                                inputs: UnsafeBufferPointer(start: scratch.sources, count: step.inputs.count), images: count,
                                count: sizes[index], into: output(index))
                        }
                    }
                }
            }
        }
        return zip(written, results).map { index, values in
            (node: segment.steps[index].last, output: Tensor(shape: [n] + imageShape(segment.steps[index].last), values: values))
        }
    }

    private func prepare(_ step: DepthFirstSegment.Step, inputShape: [Int], batch: Int) -> PreparedStep {
        let layer = nodes[step.node].layer
        switch step.operation {
        case .directConv:
            let conv = layer as! Conv2D
            let tile = conv.winogradTile(height: inputShape[1], width: inputShape[2], batch: batch)
            return .directConv(conv, packed: conv.imageFilters(rotated: false, height: inputShape[1], width: inputShape[2], batch: batch),
                               start: conv.startValues(conv.geometry([1] + inputShape)), input: inputShape, tile: tile)
        case .batchNorm:
            let (scale, shift) = (layer as! BatchNorm2D).evaluationAffine
            return .batchNorm(scale: scale, shift: shift, plane: inputShape[1] * inputShape[2])
        case .add: return .add
        case .relu: return .relu
        case .globalAveragePool: return .globalAveragePool(plane: inputShape[1] * inputShape[2])
        }
    }

    /// One step on `images` consecutive images: `inputs` their inputs' values, `count` floats of
    /// output per image into `y`.
    private func run(_ prepared: PreparedStep, _ step: DepthFirstSegment.Step, scratch: DepthFirstScratch, index: Int,
                     inputs: UnsafeBufferPointer<UnsafePointer<Float>>, images: Int, count: Int, into y: UnsafeMutablePointer<Float>) {
        switch prepared {
        case let .directConv(_, packed, start, input, _):
            let direct = scratch.direct[index]!, inputSize = input.reduce(1, *)
            packed.withUnsafeBufferPointer { filters in
                start.withUnsafeBufferPointer { s in
                    for first in Swift.stride(from: 0, to: images, by: direct.group) {
                        direct.convolve(inputs[0] + first * inputSize, filters.baseAddress!, images: min(direct.group, images - first),
                                        start: s.baseAddress!, relu: step.relu, pooled: step.pooled, into: y + first * count)
                    }
                }
            }
        case let .batchNorm(scale, shift, plane):
            // As `BatchNorm2D.forward(training: false)`: `a·x + b`, then the ReLU in the same pass.
            for image in 0..<images {
                for channel in scale.indices {
                    let (a, b) = (scale[channel], shift[channel])
                    let (source, out) = (inputs[0] + image * count + channel * plane, y + image * count + channel * plane)
                    if step.relu {
                        for q in 0..<plane { out[q] = max(a * source[q] + b, 0) }
                    } else {
                        for q in 0..<plane { out[q] = a * source[q] + b }
                    }
                }
            }
        case .add:
            // As `GraphKernels.sum`: the first two in one pass (clamped there when they are all),
            // then any others in order, then the ReLU.
            let (a, b, total) = (inputs[0], inputs[1], images * count)
            if step.relu && inputs.count == 2 {
                for q in 0..<total { y[q] = max(a[q] + b[q], 0) }
                return
            }
            for q in 0..<total { y[q] = a[q] + b[q] }
            for other in inputs.dropFirst(2) { for q in 0..<total { y[q] += other[q] } }
            if step.relu { ReLU.clampNegatives(y, count: total) }
        case .relu:
            for q in 0..<images * count { y[q] = max(inputs[0][q], 0) }
        case let .globalAveragePool(plane):
            // As `GlobalAveragePool.forward`: each plane summed in order, then divided.
            for channel in 0..<images * count {
                var sum: Float = 0
                for q in (channel * plane)..<((channel + 1) * plane) { sum += inputs[0][q] }
                y[channel] = sum / Float(plane)
            }
        }
    }
}

/// What a step needs for every image, prepared once per pass.
private enum PreparedStep {
    case directConv(Conv2D, packed: [Float], start: [Float], input: [Int], tile: WinogradTile?)
    case batchNorm(scale: [Float], shift: [Float], plane: Int)
    case add
    case relu
    case globalAveragePool(plane: Int)
}

/// One worker's buffers for a depth-first segment: the slots between steps (each for
/// `depthFirstImages` images), each conv step's scratch for the direct kernels or Winograd
/// tiles, and room for a step's input addresses (nothing is allocated per image).
private final class DepthFirstScratch {
    private let slots: UnsafeMutablePointer<Float>
    private let slotSize: Int
    let direct: [DirectScratch?]
    let sources: UnsafeMutablePointer<UnsafePointer<Float>>

    init(_ prepared: [PreparedStep], slots count: Int, slotSize: Int, inputs: Int) {
        self.slotSize = slotSize
        slots = .allocate(capacity: max(1, count * slotSize))
        sources = .allocate(capacity: max(1, inputs))
        direct = prepared.map { step in
            guard case let .directConv(conv, _, _, input, tile) = step else { return nil }
            return DirectScratch(inputs: input[0], outputs: conv.outChannels, height: input[1], width: input[2], stride: conv.stride,
                                 winograd: tile, atMost: GraphNetwork.depthFirstImages)
        }
    }

    deinit {
        slots.deallocate()
        sources.deallocate()
    }

    func slot(_ index: Int) -> UnsafeMutablePointer<Float> { slots + index * slotSize }
}

/// `body` with the values of each of `tensors` (read only), the tensors kept alive meanwhile.
private func withReadPointers<R>(_ tensors: [Tensor], _ body: ([UnsafePointer<Float>]) -> R) -> R {
    guard let first = tensors.first else { return body([]) }
    return first.values.withUnsafeBufferPointer { values in
        withReadPointers(Array(tensors.dropFirst())) { rest in body([values.baseAddress!] + rest) }
    }
}

/// New arrays of `counts` floats, every value of which `body` writes through its pointers.
private func withNewArrays(_ counts: [Int], _ body: ([UnsafeMutablePointer<Float>]) -> Void) -> [[Float]] {
    guard let first = counts.first else {
        body([])
        return []
    }
    var rest: [[Float]] = []
    let array = [Float](unsafeUninitializedCapacity: first) { buffer, initialized in
        rest = withNewArrays(Array(counts.dropFirst())) { pointers in body([buffer.baseAddress!] + pointers) }
        initialized = first
    }
    return [array] + rest
}
