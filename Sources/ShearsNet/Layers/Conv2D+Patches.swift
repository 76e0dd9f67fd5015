extension Conv2D {
    /// Calls `body(n, patches)` for every image of `input`, where `patches` is image n's
    /// im2col matrix (`C·kh·kw x Ho·Wo`, row-major): column j holds the inputs that output
    /// position j sees. Layer Hessians `H = (2/N) Σ x xᵀ` (OBS) are Gram matrices of these.
    public func forEachPatchMatrix(_ input: Tensor, _ body: (Int, UnsafeBufferPointer<Float>) -> Void) {
        precondition(input.shape.count == 4 && input.shape[1] == inChannels,
                     "Conv2D.forEachPatchMatrix: expected [N, \(inChannels), H, W], got \(input.shape)")
        let g = geometry(input.shape)
        var col = [Float](repeating: 0, count: g.patchSize * g.outPixels)
        input.values.withUnsafeBufferPointer { x in
            col.withUnsafeMutableBufferPointer { c in
                for n in 0..<input.shape[0] {
                    g.im2col(x.baseAddress! + n * g.inputSize, into: c.baseAddress!)
                    body(n, UnsafeBufferPointer(c))
                }
            }
        }
    }
}
