/// Max pooling over `size x size` windows with a stride (PyTorch floor mode: 7 → 3 for 2x2).
///
/// Backward routes each output gradient to the input position that held the maximum
/// (the first one on ties, as PyTorch does).
public final class MaxPool2D: Layer {
    /// Window side, in pixels.
    public let size: Int
    /// Step between windows, in pixels (default `size`: non-overlapping).
    public let stride: Int
    private var inputShape: [Int] = []
    private var argmax: [Int32] = []

    /// Max pooling over `size x size` windows, `stride` apart (default: non-overlapping, 2x2).
    public init(size: Int = 2, stride: Int? = nil) {
        precondition(size > 0 && (stride ?? size) > 0, "MaxPool2D: size \(size), stride \(stride ?? size)")
        self.size = size
        self.stride = stride ?? size
    }

    public func outputShape(for inputShape: [Int]) -> [Int] {
        [inputShape[0], inputShape[1], pooledLength(inputShape[2], window: size, stride: stride),
         pooledLength(inputShape[3], window: size, stride: stride)]
    }

    /// `[N, C, H, W] → [N, C, Ho, Wo]`, `Ho = ⌊(H − size)/stride⌋ + 1`; remembers each maximum's position.
    public func forward(_ input: Tensor, training: Bool) -> Tensor {
        precondition(input.shape.count == 4, "MaxPool2D.forward: expected NCHW, got \(input.shape)")
        inputShape = input.shape
        let outShape = outputShape(for: input.shape)
        let (planes, h, w, ho, wo) = (input.shape[0] * input.shape[1], input.shape[2], input.shape[3], outShape[2], outShape[3])
        let count = outShape.reduce(1, *)
        // Uninitialised: every output and its arg-max is written below (a zero fill first was
        // a pass over both buffers).
        var outputValues = [Float](unsafeUninitializedCapacity: count) { _, initialized in initialized = count }
        argmax = [Int32](unsafeUninitializedCapacity: count) { _, initialized in initialized = count }
        input.values.withUnsafeBufferPointer { x in
            outputValues.withUnsafeMutableBufferPointer { y in
                argmax.withUnsafeMutableBufferPointer { arg in
                    Compute.parallelShares(planes) { _, planeRange in
                        for plane in planeRange {
                            let base = plane * h * w
                            if size == 2 && stride == 2 {
                                pool2x2(x, y, arg, base: base, width: w, outBase: plane * ho * wo, ho: ho, wo: wo)
                                continue
                            }
                            for oy in 0..<ho {
                                for ox in 0..<wo {
                                    var best = base + oy * stride * w + ox * stride
                                    for i in 0..<size {
                                        for j in 0..<size {
                                            let index = base + (oy * stride + i) * w + ox * stride + j
                                            if x[index] > x[best] { best = index }
                                        }
                                    }
                                    let o = (plane * ho + oy) * wo + ox
                                    y[o] = x[best]
                                    arg[o] = Int32(truncatingIfNeeded: best)
                                }
                            }
                        }
                    }
                }
            }
        }
        return Tensor(shape: outShape, values: outputValues)
    }

    /// The common 2x2, stride-2 window, written with selects instead of branches (a branch per
    /// comparison mispredicts on random data and made this the slowest non-GEMM step).
    private func pool2x2(_ x: UnsafeBufferPointer<Float>, _ y: UnsafeMutableBufferPointer<Float>,
                         _ arg: UnsafeMutableBufferPointer<Int32>, base: Int, width w: Int, outBase: Int, ho: Int, wo: Int) {
        for oy in 0..<ho {
            for ox in 0..<wo {
                let i0 = base + 2 * oy * w + 2 * ox
                var best = i0, value = x[i0]
                for candidate in [i0 + 1, i0 + w, i0 + w + 1] {
                    let larger = x[candidate] > value
                    value = larger ? x[candidate] : value
                    best = larger ? candidate : best
                }
                y[outBase + oy * wo + ox] = value
                arg[outBase + oy * wo + ox] = Int32(truncatingIfNeeded: best)
            }
        }
    }

    /// Returns `∂x`: each output gradient added at its window's arg-max, zeros elsewhere. Every
    /// window lies in one plane, so the planes are split over the workers, each zeroing and
    /// filling its own, in the same order as one pass would (the same bits).
    public func backward(_ outputGradient: Tensor) -> Tensor {
        precondition(outputGradient.count == argmax.count, "MaxPool2D.backward: \(outputGradient.shape)")
        let planes = inputShape[0] * inputShape[1], planeInputs = inputShape[2] * inputShape[3]
        let planeOutputs = planes == 0 ? 0 : argmax.count / planes, count = planes * planeInputs
        guard count > 0 else { return Tensor(shape: inputShape, values: []) }
        let values = [Float](unsafeUninitializedCapacity: count) { dx, initialized in
            outputGradient.values.withUnsafeBufferPointer { dy in
                argmax.withUnsafeBufferPointer { arg in
                    Compute.parallelShares(planes) { _, planeRange in
                        (dx.baseAddress! + planeRange.lowerBound * planeInputs)
                            .initialize(repeating: 0, count: planeRange.count * planeInputs)
                        for o in (planeRange.lowerBound * planeOutputs)..<(planeRange.upperBound * planeOutputs) {
                            dx[Int(arg[o])] += dy[o]
                        }
                    }
                }
            }
            initialized = count
        }
        return Tensor(shape: inputShape, values: values)
    }
}

/// Windows of `window` pixels, `stride` apart, that fit in `length` pixels: `⌊(length − window)/stride⌋ + 1`,
/// and 0 when not even one fits (integer division truncates toward zero, which would give 1
/// for a length just short of the window).
func pooledLength(_ length: Int, window: Int, stride: Int) -> Int {
    length < window ? 0 : (length - window) / stride + 1
}
