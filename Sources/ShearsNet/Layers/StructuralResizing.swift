/// Structural resizing: a layer keeps some of its units and drops the others physically, so
/// tensors, FLOPs and latency really shrink. Kept units stay bit-exact.
extension Conv2D {
    /// Keeps output channels (filters) `indices`: weight rows and biases.
    public func keepOutputChannels(_ indices: [Int]) {
        weight.keep(indices, alongAxis: 0)
        bias.keep(indices, alongAxis: 0)
    }

    /// Keeps input channels `indices`: weight slices along dimension 1.
    public func keepInputChannels(_ indices: [Int]) {
        weight.keep(indices, alongAxis: 1)
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
