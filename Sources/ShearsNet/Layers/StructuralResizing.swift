/// Structural resizing: a layer keeps some of its units and drops the others physically, so
/// tensors, FLOPs and latency really shrink. Kept units stay bit-exact.
extension Conv2D {
    /// Keeps output channels (filters) `indices`: weight rows, biases and output offsets.
    public func keepOutputChannels(_ indices: [Int]) {
        weight.keep(indices, alongAxis: 0)
        bias.keep(indices, alongAxis: 0)
        outputOffset = outputOffset?.selecting(indices, alongAxis: 0)
    }

    /// Keeps input channels `indices` (ascending): weight slices along dimension 1, or, after
    /// shape-wise pruning, the kept patch rows of those channels, renumbered.
    public func keepInputChannels(_ indices: [Int]) {
        defer { inChannels = indices.count }
        guard let rows = patchRows else {
            weight.keep(indices, alongAxis: 1)
            return
        }
        let kernel = kernelHeight * kernelWidth
        let newChannel = Dictionary(uniqueKeysWithValues: indices.enumerated().map { ($1, $0) })
        let kept = rows.indices.filter { newChannel[rows[$0] / kernel] != nil }
        weight.keep(kept, alongAxis: 1)
        patchRows = kept.map { newChannel[rows[$0] / kernel]! * kernel + rows[$0] % kernel }
    }

    /// Keeps the im2col rows at `indices` (ascending, positions among the rows currently read):
    /// shape-wise pruning. The weight becomes the `F x K'` matrix of the kept columns.
    public func keepPatchRows(_ indices: [Int]) {
        let rows = patchRows ?? Array(0..<(inChannels * kernelHeight * kernelWidth))
        precondition(indices.allSatisfy { $0 >= 0 && $0 < rows.count } && indices == indices.sorted(),
                     "Conv2D.keepPatchRows: \(indices) of \(rows.count) rows")
        let matrixShape = [outChannels, rows.count]
        weight.value = weight.value.reshaped(matrixShape)
        weight.gradient = weight.gradient.reshaped(matrixShape)
        weight.keep(indices, alongAxis: 1)
        patchRows = indices.map { rows[$0] }
    }

    /// Whether any weight reading input channel `channel` is non-zero (after shape-wise
    /// pruning, any of the kept patch rows of that channel).
    public func readsInputChannel(_ channel: Int) -> Bool {
        let kernel = kernelHeight * kernelWidth
        let columns = patchRows.map { rows in rows.indices.filter { rows[$0] / kernel == channel } }
            ?? Array((channel * kernel)..<((channel + 1) * kernel))
        let width = weight.value.itemSize
        return (0..<outChannels).contains { f in columns.contains { weight.value.values[f * width + $0] != 0 } }
    }

    /// Adds to `outputOffset` this layer's response (without bias) to an input of
    /// `height x width` whose channels `planes` hold those planes and the rest zero: what
    /// those channels contributed when their producers were removed. For a constant plane the
    /// response still differs near the borders, because padding zeros do not see the constant.
    public func foldInputPlanes(_ planes: [Int: [Float]], height: Int, width: Int) {
        guard planes.values.contains(where: { $0.contains { $0 != 0 } }) else { return }
        var image = Tensor(shape: [1, inChannels, height, width])
        for (channel, plane) in planes {
            precondition(plane.count == height * width, "Conv2D.foldInputPlanes: plane of \(plane.count) for \(height)x\(width)")
            let start = channel * height * width
            image.values.replaceSubrange(start..<(start + plane.count), with: plane)
        }
        let g = geometry(image.shape)
        var col = [Float](repeating: 0, count: g.patchSize * g.outPixels)
        var response = outputOffset ?? Tensor(shape: [outChannels, g.outHeight, g.outWidth])
        image.values.withUnsafeBufferPointer { x in
            col.withUnsafeMutableBufferPointer { c in
                g.im2col(x.baseAddress!, into: c.baseAddress!)
                weight.value.values.withUnsafeBufferPointer { w in
                    response.values.withUnsafeMutableBufferPointer { r in
                        gemm(w.baseAddress!, [outChannels, g.patchSize], c.baseAddress!, [g.patchSize, g.outPixels],
                             into: r.baseAddress!, [outChannels, g.outPixels], beta: 1)
                    }
                }
            }
        }
        outputOffset = response
    }
}

extension Linear {
    /// Keeps output neurons `indices`: weight rows and biases.
    public func keepOutputs(_ indices: [Int]) {
        weight.keep(indices, alongAxis: 0)
        bias.keep(indices, alongAxis: 0)
    }

    /// Keeps input features `indices`: weight columns.
    public func keepInputs(_ indices: [Int]) {
        weight.keep(indices, alongAxis: 1)
    }

    /// Folds inputs that have become constants (`values[input]`) into the bias:
    /// `b += W[:, i]·vᵢ`, the contribution they made before their producers were removed.
    public func foldConstantInputs(_ values: [Int: Float]) {
        // In ascending input order: a dictionary's own order follows the per-process hash
        // seed, and Float sums in a different order round differently.
        for (input, value) in values.sorted(by: { $0.key < $1.key }) where value != 0 {
            for o in 0..<outFeatures { bias.value.values[o] += weight.value.values[o * inFeatures + input] * value }
        }
    }
}

extension BatchNorm2D {
    /// Keeps channels `indices`: scale, shift and running statistics.
    public func keepChannels(_ indices: [Int]) {
        weight.keep(indices, alongAxis: 0)
        bias.keep(indices, alongAxis: 0)
        runningMean = indices.map { runningMean[$0] }
        runningVariance = indices.map { runningVariance[$0] }
    }
}
