extension Conv2D {
    /// Calls `body(n, patches)` for every image of `input`, where `patches` is image n's
    /// im2col matrix (`K x Ho·Wo`, row-major, K = C·kh·kw or the kept rows after shape
    /// pruning): column j holds the inputs that output position j sees. Layer Hessians
    /// `H = (2/N) Σ x xᵀ` (OBS) are Gram matrices of these.
    public func forEachPatchMatrix(_ input: Tensor, _ body: (Int, UnsafeBufferPointer<Float>) -> Void) {
        forEachPatchMatrix(input, images: 0..<input.shape[0], concurrently: false) { _, n, patches in body(n, patches) }
    }

    /// `forEachPatchMatrix` for images `range`; with `concurrently`, the images are split
    /// across `Compute.workers` threads and `body(worker, n, patches)` must write only memory
    /// private to its worker or to image n.
    public func forEachPatchMatrix(_ input: Tensor, images range: Range<Int>, concurrently: Bool,
                                   _ body: (Int, Int, UnsafeBufferPointer<Float>) -> Void) {
        precondition(input.shape.count == 4 && input.shape[1] == inChannels && range.clamped(to: 0..<input.shape[0]) == range,
                     "Conv2D.forEachPatchMatrix: expected [N, \(inChannels), H, W] with images \(range), got \(input.shape)")
        let g = geometry(input.shape)
        input.values.withUnsafeBufferPointer { x in
            func run(_ worker: Int, _ images: Range<Int>) {
                var col = [Float](repeating: 0, count: g.patchSize * g.outPixels)
                col.withUnsafeMutableBufferPointer { c in
                    for n in images {
                        g.im2col(x.baseAddress! + n * g.inputSize, into: c.baseAddress!)
                        body(worker, n, UnsafeBufferPointer(c))
                    }
                }
            }
            if concurrently {
                Compute.parallelShares(range.count) { worker, share in
                    run(worker, (range.lowerBound + share.lowerBound)..<(range.lowerBound + share.upperBound))
                }
            } else {
                run(0, range)
            }
        }
    }
}
