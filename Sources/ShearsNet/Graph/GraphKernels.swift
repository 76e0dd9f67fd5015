/// The tensor arithmetic of `add` and `concat` nodes, in tight loops.
enum GraphKernels {
    /// Elementwise sum of tensors of one shape. The first two are added into a new buffer in one
    /// pass (copying the first, which its producer still holds, and then adding would be two).
    /// With `thenReLU`, `max(0, ·)` of the sum, in the same pass when there are two (an `add`
    /// fused with the ReLU after it, `GraphNetwork.reluFusions`).
    static func sum(_ tensors: [Tensor], thenReLU: Bool = false) -> Tensor {
        guard tensors.count > 1 else {
            guard thenReLU else { return tensors[0] }
            return Tensor(shape: tensors[0].shape, values: tensors[0].values.map { max($0, 0) })
        }
        requireShape(tensors[1].shape, tensors[0].shape, "GraphNetwork add")
        let clampsInPass = thenReLU && tensors.count == 2
        let values = [Float](unsafeUninitializedCapacity: tensors[0].count) { out, initialized in
            tensors[0].values.withUnsafeBufferPointer { a in
                tensors[1].values.withUnsafeBufferPointer { b in
                    if clampsInPass {
                        for i in 0..<a.count { out[i] = max(a[i] + b[i], 0) }
                    } else {
                        for i in 0..<a.count { out[i] = a[i] + b[i] }
                    }
                }
            }
            initialized = tensors[0].count
        }
        var result = Tensor(shape: tensors[0].shape, values: values)
        for tensor in tensors.dropFirst(2) { add(tensor, into: &result) }
        if thenReLU && !clampsInPass {
            result.values.withUnsafeMutableBufferPointer { ReLU.clampNegatives($0.baseAddress!, count: $0.count) }
        }
        return result
    }

    /// `target += addend`, same shapes.
    static func add(_ addend: Tensor, into target: inout Tensor) {
        requireShape(addend.shape, target.shape, "GraphNetwork add")
        target.values.withUnsafeMutableBufferPointer { t in
            addend.values.withUnsafeBufferPointer { a in
                for i in 0..<t.count { t[i] += a[i] }
            }
        }
    }

    /// Sums gradients arriving at one node from several readers.
    static func accumulate(_ gradient: Tensor, into slot: inout Tensor?) {
        if slot == nil { slot = gradient } else { add(gradient, into: &slot!) }
    }

    /// Stacks `[N, C_i, ...]` tensors into `[N, ΣC_i, ...]`.
    static func concatenateChannels(_ tensors: [Tensor]) -> Tensor {
        let n = tensors[0].shape[0], plane = tensors[0].shape.dropFirst(2).reduce(1, *)
        let total = tensors.reduce(0) { $0 + $1.shape[1] }
        var values = [Float](repeating: 0, count: n * total * plane)
        values.withUnsafeMutableBufferPointer { out in
            var offset = 0
            for tensor in tensors {
                let block = tensor.shape[1] * plane
                tensor.values.withUnsafeBufferPointer { x in
                    for image in 0..<n {
                        (out.baseAddress! + image * total * plane + offset).update(from: x.baseAddress! + image * block, count: block)
                    }
                }
                offset += block
            }
        }
        return Tensor(shape: [n, total] + tensors[0].shape.dropFirst(2), values: values)
    }

    /// The inverse of `concatenateChannels`: `[N, ΣC_i, ...]` into tensors of `counts` channels.
    static func splitChannels(_ tensor: Tensor, counts: [Int]) -> [Tensor] {
        let n = tensor.shape[0], total = tensor.shape[1], plane = tensor.shape.dropFirst(2).reduce(1, *)
        precondition(counts.reduce(0, +) == total, "GraphNetwork concat: \(counts) channels from \(tensor.shape)")
        var offset = 0
        return tensor.values.withUnsafeBufferPointer { x in
            counts.map { channels in
                let block = channels * plane
                let values = [Float](unsafeUninitializedCapacity: n * block) { out, initialized in
                    for image in 0..<n {
                        (out.baseAddress! + image * block).update(from: x.baseAddress! + image * total * plane + offset, count: block)
                    }
                    initialized = n * block
                }
                offset += block
                return Tensor(shape: [n, channels] + tensor.shape.dropFirst(2), values: values)
            }
        }
    }
}
