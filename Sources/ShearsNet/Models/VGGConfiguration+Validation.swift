/// Limits on an architecture read from a file, checked before anything is allocated.
extension VGGConfiguration {
    /// The largest channel, hidden or class count accepted (VGG-16's widest layer is 512).
    public static let maximumWidth = 1 << 16
    /// The largest input side accepted (ImageNet's 224 fits; an input this size is 64 MB).
    public static let maximumInputSize = 4096
    /// The most feature items or hidden layers accepted (VGG-19 has 21 feature items).
    public static let maximumDepth = 256
    /// The most parameters a model may have, 32 M (VGG-16 for CIFAR has 15 M): values and
    /// gradients then take at most 256 MB.
    public static let maximumParameters = 32 << 20

    /// Every reason this architecture cannot be built, as one sentence, or nil when it can.
    /// Checks positivity, bounds, that the input survives the pools, and the dense parameter
    /// count, without overflowing and without allocating.
    public var problem: String? {
        func bad(_ what: String, _ value: Int, _ range: ClosedRange<Int>) -> String? {
            range.contains(value) ? nil : "\(what) is \(value), must be in \(range.lowerBound)...\(range.upperBound)"
        }
        if features.count > Self.maximumDepth || hidden.count > Self.maximumDepth {
            return "\(features.count) feature items and \(hidden.count) hidden layers; at most \(Self.maximumDepth) each"
        }
        if let problem = bad("inputChannels", inputChannels, 1...Self.maximumWidth)
            ?? bad("inputSize", inputSize, 1...Self.maximumInputSize) ?? bad("classes", classes, 1...Self.maximumWidth) {
            return problem
        }
        for (index, item) in features.enumerated() {
            if case let .conv(width) = item, let problem = bad("features[\(index)]", width, 1...Self.maximumWidth) { return problem }
        }
        for (index, width) in hidden.enumerated() {
            if let problem = bad("hidden[\(index)]", width, 1...Self.maximumWidth) { return problem }
        }
        guard featureOutput.size >= 1 else {
            return "a \(inputSize)x\(inputSize) input is pooled below 1x1 by \(features.filter { $0 == .pool }.count) pools"
        }
        guard let count = denseParameterCount, count <= Self.maximumParameters else {
            return "more than \(Self.maximumParameters) parameters"
        }
        return nil
    }

    /// Parameters (and batch-norm statistics) of the unpruned layers, or nil on overflow.
    /// Needs the bounds of `problem` to be meaningful, not to be safe.
    public var denseParameterCount: Int? {
        var total = 0, channels = inputChannels
        func add(_ terms: Int...) -> Bool {
            var product = 1
            for term in terms {
                let (p, overflow) = product.multipliedReportingOverflow(by: term)
                if overflow { return false }
                product = p
            }
            let (sum, overflow) = total.addingReportingOverflow(product)
            total = sum
            return !overflow
        }
        for case let .conv(width) in features {
            guard add(channels, width, 9), add(width, batchNorm ? 5 : 1) else { return nil }
            channels = width
        }
        var inputs = featureOutput.size
        guard !(inputs.multipliedReportingOverflow(by: inputs).overflow) else { return nil }
        inputs *= inputs
        guard !(inputs.multipliedReportingOverflow(by: featureOutput.channels).overflow) else { return nil }
        inputs *= featureOutput.channels
        for width in hidden + [classes] {
            guard add(inputs, width), add(width) else { return nil }
            inputs = width
        }
        return total
    }
}
