import Linalg

/// Fully connected layer `y = x·Wᵀ + b`, weight `out x in` (PyTorch layout).
///
/// Backward: `∂W += ∂yᵀ·x`, `∂b += Σₙ ∂y`, `∂x = ∂y·W`, all through GEMM.
public final class Linear: Layer {
    /// `W`, `out x in`, initialised U(−1/√in, 1/√in) as PyTorch's default.
    public let weight: Parameter
    /// `b`, one per output feature, same initial bound as `weight`; not decayed.
    public let bias: Parameter
    private var input = Tensor(shape: [0])

    /// Input features, the second dimension of `weight`.
    public var inFeatures: Int { weight.value.shape[1] }
    /// Output features, the first dimension of `weight`.
    public var outFeatures: Int { weight.value.shape[0] }

    /// A dense layer with PyTorch's default initialisation drawn from `rng`.
    public init(inFeatures: Int, outFeatures: Int, rng: inout SeededGenerator) {
        precondition(inFeatures > 0 && outFeatures > 0, "Linear: \(inFeatures) -> \(outFeatures)")
        weight = Parameter(name: "weight", value: Tensor(
            shape: [outFeatures, inFeatures],
            values: pytorchDefaultUniform(count: outFeatures * inFeatures, fanIn: inFeatures, rng: &rng)), decays: true)
        bias = Parameter(name: "bias", value: Tensor(
            shape: [outFeatures], values: pytorchDefaultUniform(count: outFeatures, fanIn: inFeatures, rng: &rng)),
            decays: false)
    }

    public var parameters: [Parameter] { [weight, bias] }

    public func outputShape(for inputShape: [Int]) -> [Int] { [inputShape[0], outFeatures] }

    /// `[N, in] → [N, out]`, one GEMM.
    public func forward(_ input: Tensor, training: Bool) -> Tensor {
        precondition(input.shape.count == 2 && input.shape[1] == inFeatures,
                     "Linear.forward: expected [N, \(inFeatures)], got \(input.shape)")
        self.input = input
        let n = input.shape[0]
        var output = Tensor(shape: [n, outFeatures])
        output.values.withUnsafeMutableBufferPointer { out in
            bias.value.values.withUnsafeBufferPointer { b in
                for row in 0..<n { (out.baseAddress! + row * outFeatures).update(from: b.baseAddress!, count: outFeatures) }
            }
        }
        gemm(input.values, [n, inFeatures], weight.value.values, [outFeatures, inFeatures], transB: .transposed,
             into: &output.values, [n, outFeatures], beta: 1)
        return output
    }

    /// Adds `∂W = ∂yᵀ·x` and `∂b = Σₙ ∂y`, and returns `∂x = ∂y·W`.
    public func backward(_ outputGradient: Tensor) -> Tensor {
        let n = input.shape[0]
        requireShape(outputGradient.shape, [n, outFeatures], "Linear.backward")
        gemm(outputGradient.values, [n, outFeatures], input.values, [n, inFeatures], transA: .transposed,
             into: &weight.gradient.values, [outFeatures, inFeatures], beta: 1)
        bias.gradient.values.withUnsafeMutableBufferPointer { db in
            outputGradient.values.withUnsafeBufferPointer { dy in
                for row in 0..<n {
                    for j in 0..<outFeatures { db[j] += dy[row * outFeatures + j] }
                }
            }
        }
        var inputGradient = Tensor(shape: [n, inFeatures])
        gemm(outputGradient.values, [n, outFeatures], weight.value.values, [outFeatures, inFeatures],
             into: &inputGradient.values, [n, inFeatures])
        return inputGradient
    }
}

/// `C ← op(A)·op(B) + beta·C` on whole row-major arrays; shapes are the stored shapes.
func gemm(_ a: [Float], _ aShape: [Int], _ b: [Float], _ bShape: [Int],
          transA: Transpose = .none, transB: Transpose = .none,
          into c: inout [Float], _ cShape: [Int], beta: Float = 0) {
    a.withUnsafeBufferPointer { ab in
        b.withUnsafeBufferPointer { bb in
            c.withUnsafeMutableBufferPointer { cb in
                gemm(ab.baseAddress!, aShape, bb.baseAddress!, bShape, transA: transA, transB: transB,
                     into: cb.baseAddress!, cShape, beta: beta)
            }
        }
    }
}

/// Pointer form of `gemm`, for blocks inside larger buffers (one image of a batch).
/// Shapes are validated by `BLAS.gemm`; a mismatch here is a programming error.
func gemm(_ a: UnsafePointer<Float>, _ aShape: [Int], _ b: UnsafePointer<Float>, _ bShape: [Int],
          transA: Transpose = .none, transB: Transpose = .none,
          into c: UnsafeMutablePointer<Float>, _ cShape: [Int], beta: Float = 0) {
    do {
        try BLAS.gemm(MatrixView(base: a, rows: aShape[0], cols: aShape[1]),
                      MatrixView(base: b, rows: bShape[0], cols: bShape[1]),
                      into: MutableMatrixView(base: c, rows: cShape[0], cols: cShape[1]),
                      transA: transA, transB: transB, beta: beta)
    } catch {
        preconditionFailure("layer GEMM: \(error)")
    }
}
