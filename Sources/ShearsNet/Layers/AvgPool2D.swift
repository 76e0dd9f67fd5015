/// Average pooling over `size x size` windows with a stride (floor mode); `global()` averages
/// each whole feature map to 1 x 1.
///
/// Backward spreads each output gradient evenly over its window: `∂x += ∂y / size²`.
public final class AvgPool2D: Layer {
    /// Window size, or nil for global pooling (window = the whole map).
    public let size: Int?
    /// Step between windows (default `size`), or nil for global pooling.
    public let stride: Int?
    private var inputShape: [Int] = []

    /// Average pooling over `size x size` windows, `stride` apart (default: non-overlapping).
    public init(size: Int, stride: Int? = nil) {
        precondition(size > 0 && (stride ?? size) > 0, "AvgPool2D: size \(size), stride \(stride ?? size)")
        self.size = size
        self.stride = stride ?? size
    }

    private init() {
        size = nil
        stride = nil
    }

    /// Global average pooling: `N x C x H x W → N x C x 1 x 1`.
    public static func global() -> AvgPool2D { AvgPool2D() }

    private func window(_ shape: [Int]) -> (height: Int, width: Int, stride: Int) {
        if let size, let stride { return (size, size, stride) }
        return (shape[2], shape[3], 1)
    }

    public func outputShape(for inputShape: [Int]) -> [Int] {
        let w = window(inputShape)
        return [inputShape[0], inputShape[1], pooledLength(inputShape[2], window: w.height, stride: w.stride),
                pooledLength(inputShape[3], window: w.width, stride: w.stride)]
    }

    /// `[N, C, H, W] → [N, C, Ho, Wo]`, `Ho = ⌊(H − size)/stride⌋ + 1`: each output the mean of its window.
    public func forward(_ input: Tensor, training: Bool) -> Tensor {
        precondition(input.shape.count == 4, "AvgPool2D.forward: expected NCHW, got \(input.shape)")
        inputShape = input.shape
        let w = window(input.shape), out = outputShape(for: input.shape)
        let (h, width, ho, wo) = (input.shape[2], input.shape[3], out[2], out[3])
        let scale = 1 / Float(w.height * w.width)
        var output = Tensor(shape: out)
        for plane in 0..<(input.shape[0] * input.shape[1]) {
            for oy in 0..<ho {
                for ox in 0..<wo {
                    var sum: Float = 0
                    for i in 0..<w.height {
                        for j in 0..<w.width { sum += input.values[(plane * h + oy * w.stride + i) * width + ox * w.stride + j] }
                    }
                    output.values[(plane * ho + oy) * wo + ox] = sum * scale
                }
            }
        }
        return output
    }

    /// Returns `∂x`, each output gradient divided by the window's area and added to every input it averaged.
    public func backward(_ outputGradient: Tensor) -> Tensor {
        let w = window(inputShape), out = outputShape(for: inputShape)
        requireShape(outputGradient.shape, out, "AvgPool2D.backward")
        let (h, width, ho, wo) = (inputShape[2], inputShape[3], out[2], out[3])
        let scale = 1 / Float(w.height * w.width)
        var inputGradient = Tensor(shape: inputShape)
        for plane in 0..<(inputShape[0] * inputShape[1]) {
            for oy in 0..<ho {
                for ox in 0..<wo {
                    let g = outputGradient.values[(plane * ho + oy) * wo + ox] * scale
                    for i in 0..<w.height {
                        for j in 0..<w.width { inputGradient.values[(plane * h + oy * w.stride + i) * width + ox * w.stride + j] += g }
                    }
                }
            }
        }
        return inputGradient
    }
}
