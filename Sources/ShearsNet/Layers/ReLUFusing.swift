/// A layer that can apply the ReLU that follows it while it writes its output, so that the
/// ReLU costs no pass of its own over memory.
///
/// A separate ReLU reads and writes every activation once more after the layer has written
/// it: at batch 256 on vgg-s the five ReLUs after the convs are 6% of inference time
/// (docs/performance.md, "ReLU fused into the layer before it"). Applied per image, right
/// after that image's output is computed, the values are still in cache. `GraphNetwork`
/// fuses a conforming layer with a ReLU that is its only reader, when it is not recording
/// node outputs (`GraphNetwork+ReLUFusion.swift`); `max(0, y)` on the same `y` gives the same
/// bits either way.
public protocol ReLUFusing: Layer {
    /// `forward(input, training:)`, then `max(0, ·)` on every output value when `thenReLU`.
    func forward(_ input: Tensor, training: Bool, thenReLU: Bool) -> Tensor
}

extension ReLU {
    /// `values[i] ← max(values[i], 0)` for `count` values in place: the fused ReLU's epilogue.
    static func clampNegatives(_ values: UnsafeMutablePointer<Float>, count: Int) {
        for i in 0..<count { values[i] = max(values[i], 0) }
    }
}
