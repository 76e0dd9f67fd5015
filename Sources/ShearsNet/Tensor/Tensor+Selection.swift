extension Tensor {
    /// The slices at `indices` along `axis`, in the given order (structural pruning keeps
    /// these units). `indices` must be valid and may not repeat.
    public func selecting(_ indices: [Int], alongAxis axis: Int) -> Tensor {
        precondition(axis >= 0 && axis < shape.count, "Tensor.selecting: axis \(axis) of shape \(shape)")
        precondition(indices.allSatisfy { $0 >= 0 && $0 < shape[axis] } && Set(indices).count == indices.count,
                     "Tensor.selecting: indices \(indices) along axis \(axis) of shape \(shape)")
        let outer = shape[..<axis].reduce(1, *), inner = shape[(axis + 1)...].reduce(1, *)
        var newShape = shape
        newShape[axis] = indices.count
        var result = [Float](repeating: 0, count: outer * indices.count * inner)
        values.withUnsafeBufferPointer { src in
            result.withUnsafeMutableBufferPointer { dst in
                for o in 0..<outer {
                    for (k, index) in indices.enumerated() {
                        (dst.baseAddress! + (o * indices.count + k) * inner)
                            .update(from: src.baseAddress! + (o * shape[axis] + index) * inner, count: inner)
                    }
                }
            }
        }
        return Tensor(shape: newShape, values: result)
    }
}

extension Parameter {
    /// Keeps the slices at `indices` along `axis` of the value, gradient and mask together.
    public func keep(_ indices: [Int], alongAxis axis: Int) {
        let oldShape = value.shape
        value = value.selecting(indices, alongAxis: axis)
        gradient = gradient.selecting(indices, alongAxis: axis)
        if let mask {
            self.mask = Tensor(shape: oldShape, values: mask).selecting(indices, alongAxis: axis).values
        }
    }
}
