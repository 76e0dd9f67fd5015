/// Running a `DepthFirstSegment`: each worker takes its share of the batch and moves each
/// image through every step, between per-worker slots, writing only the materialized outputs
/// for the batch. Every step computes exactly what its layer computes on that image (the same
/// kernels, start values and expressions, in the same order), so `predict` keeps the bits of
/// `forward(training: false)`.
/// What a step needs for every image, prepared once per pass.
private enum PreparedStep {
    case directConv(Conv2D, packed: [Float], start: [Float], input: [Int])
    case batchNorm(scale: [Float], shift: [Float], plane: Int)
    case add
    case relu
    case globalAveragePool(plane: Int)
}

extension GraphNetwork {
    /// The materialized outputs of `segment` (node index and batch tensor) for a batch of `n`
    /// images, reading node outputs outside the segment from `outputs` (`-1`: `input`).
    func runDepthFirst(_ segment: DepthFirstSegment, input: Tensor, outputs: [Tensor?]) -> [(node: Int, output: Tensor)] {
        let n = input.shape[0]
        func imageShape(_ node: Int) -> [Int] { node < 0 ? specification.inputShape : Array(nodeShapes[node].dropFirst()) }
        let sizes = segment.steps.map { imageShape($0.last).reduce(1, *) }
        let prepared = segment.steps.map { prepare($0, inputShape: imageShape($0.inputs[0])) }
        let slotSize = zip(segment.slots, sizes).compactMap { $0 == nil ? nil : $1 }.max() ?? 0
        // Outside tensors a step reads: node index → (values, floats per image).
        var external: [Int: (Tensor, Int)] = [:]
        let producer = Dictionary(uniqueKeysWithValues: segment.steps.enumerated().map { ($1.last, $0) })
        for step in segment.steps {
            for node in step.inputs where producer[node] == nil {
                external[node] = (node < 0 ? input : outputs[node]!, imageShape(node).reduce(1, *))
            }
        }
        let written = segment.steps.indices.filter { segment.materialized[$0] }
        let buffers = written.map { UnsafeMutableBufferPointer<Float>.allocate(capacity: n * sizes[$0]) }
        defer { for buffer in buffers { buffer.deallocate() } }
        let bufferOf = Dictionary(uniqueKeysWithValues: zip(written, buffers.map { $0.baseAddress! }))
        let inputs = external.mapValues { tensor, size in (tensor.values.withUnsafeBufferPointer { $0.baseAddress! }, size) }
        withExtendedLifetime(external) {
            Compute.parallelShares(n) { _, images in
                let scratch = DepthFirstScratch(prepared, slots: segment.slotCount, slotSize: slotSize)
                for image in images {
                    func output(_ step: Int) -> UnsafeMutablePointer<Float> {
                        segment.slots[step].map { scratch.slot($0) } ?? bufferOf[step]! + image * sizes[step]
                    }
                    for (index, step) in segment.steps.enumerated() {
                        let sources = step.inputs.map { node in
                            if let source = producer[node] { return UnsafePointer(output(source)) }
                            let (base, size) = inputs[node]!
                            return base + image * size
                        }
                        run(prepared[index], step, scratch: scratch, index: index, inputs: sources, count: sizes[index],
                            into: output(index))
                    }
                }
            }
        }
        return zip(written, buffers).map { index, buffer in
            (node: segment.steps[index].last, output: Tensor(shape: [n] + imageShape(segment.steps[index].last), values: Array(buffer)))
        }
    }

    private func prepare(_ step: DepthFirstSegment.Step, inputShape: [Int]) -> PreparedStep {
        let layer = nodes[step.node].layer
        switch step.operation {
        case .directConv:
            let conv = layer as! Conv2D
            return .directConv(conv, packed: conv.directPackedFilters(rotated: false),
                               start: conv.startValues(conv.geometry([1] + inputShape)), input: inputShape)
        case .batchNorm:
            let (scale, shift) = (layer as! BatchNorm2D).evaluationAffine
            return .batchNorm(scale: scale, shift: shift, plane: inputShape[1] * inputShape[2])
        case .add: return .add
        case .relu: return .relu
        case .globalAveragePool: return .globalAveragePool(plane: inputShape[1] * inputShape[2])
        }
    }

    /// One step on one image: `inputs` its inputs' values, `count` floats of output into `y`.
    private func run(_ prepared: PreparedStep, _ step: DepthFirstSegment.Step, scratch: DepthFirstScratch, index: Int,
                     inputs: [UnsafePointer<Float>], count: Int, into y: UnsafeMutablePointer<Float>) {
        switch prepared {
        case let .directConv(_, packed, start, _):
            packed.withUnsafeBufferPointer { filters in
                start.withUnsafeBufferPointer { s in
                    scratch.direct[index]!.convolve(inputs[0], filters.baseAddress!, start: s.baseAddress!, relu: step.relu,
                                                    pooled: step.pooled, into: y)
                }
            }
        case let .batchNorm(scale, shift, plane):
            // As `BatchNorm2D.forward(training: false)`: `a·x + b`, then the ReLU in the same pass.
            for channel in scale.indices {
                let (a, b, source, out) = (scale[channel], shift[channel], inputs[0] + channel * plane, y + channel * plane)
                if step.relu {
                    for q in 0..<plane { out[q] = max(a * source[q] + b, 0) }
                } else {
                    for q in 0..<plane { out[q] = a * source[q] + b }
                }
            }
        case .add:
            // As `GraphKernels.sum`: the first two in one pass (clamped there when they are all),
            // then any others in order, then the ReLU.
            let (a, b) = (inputs[0], inputs[1])
            if step.relu && inputs.count == 2 {
                for q in 0..<count { y[q] = max(a[q] + b[q], 0) }
                return
            }
            for q in 0..<count { y[q] = a[q] + b[q] }
            for other in inputs.dropFirst(2) { for q in 0..<count { y[q] += other[q] } }
            if step.relu { ReLU.clampNegatives(y, count: count) }
        case .relu:
            for q in 0..<count { y[q] = max(inputs[0][q], 0) }
        case let .globalAveragePool(plane):
            // As `GlobalAveragePool.forward`: each plane summed in order, then divided.
            for channel in 0..<count {
                var sum: Float = 0
                for q in (channel * plane)..<((channel + 1) * plane) { sum += inputs[0][q] }
                y[channel] = sum / Float(plane)
            }
        }
    }
}

/// One worker's buffers for a depth-first segment: the slots between steps, and each conv
/// step's scratch for the direct kernels.
private final class DepthFirstScratch {
    private let slots: UnsafeMutablePointer<Float>
    private let slotSize: Int
    let direct: [DirectScratch?]

    init(_ prepared: [PreparedStep], slots count: Int, slotSize: Int) {
        self.slotSize = slotSize
        slots = .allocate(capacity: max(1, count * slotSize))
        direct = prepared.map { step in
            guard case let .directConv(conv, _, _, input) = step else { return nil }
            return DirectScratch(inputs: input[0], outputs: conv.outChannels, height: input[1], width: input[2], stride: conv.stride)
        }
    }

    deinit { slots.deallocate() }

    func slot(_ index: Int) -> UnsafeMutablePointer<Float> { slots + index * slotSize }
}
