import Linalg
import ShearsNet

/// Calibration images for layer Hessians: the scoring subset `data`, extended from `pool`
/// (of which `data` is a prefix) for a consumer whose Hessian would otherwise have fewer
/// samples than its order.
public struct HessianImages {
    /// The scoring subset: every layer Hessian uses at least these images.
    public let data: Dataset
    /// Images whose prefix is `data` (a seed's ordering of the calibration split); a consumer needing ⌈n / samples per
    /// image⌉ images, more than `data` has, takes that many from its start. Nil: `data` only.
    public let pool: Dataset?

    /// The images of `data`, extended from `pool` where a Hessian needs more.
    public init(data: Dataset, pool: Dataset? = nil) {
        (self.data, self.pool) = (data, pool)
    }

    /// `data`, or the first `needed` images of `pool` when `data` has fewer (at most all of `pool`).
    func images(needing needed: Int) -> Dataset {
        guard let pool, needed > data.count else { return data }
        return pool.prefix(needed)
    }
}

/// The sums behind a layer's input Hessian `H = (2/N) Σ x xᵀ`, in Double, fast: for a conv,
/// every output position of every image is one sample x (an im2col column, length C·kh·kw);
/// for a linear layer every image is one (length in-features). `ConsumerHessians` runs the
/// passes and scales the sums.
enum LayerHessian {
    /// Bytes of Double patches gathered for one `dsyrk` call. Per-image calls are too small
    /// for BLAS to run fast (k = 49 to 784 samples); a chunk this size gives k in the
    /// thousands yet stays in the last-level cache between being written and read by dsyrk.
    static let gramChunkBytes = 6 << 20

    /// Whole images per `dsyrk` call for a layer with `rows` inputs and `perImage` samples per image.
    static func imagesPerGramCall(rows: Int, perImage: Int) -> Int {
        max(1, min(64, gramChunkBytes / (8 * rows * perImage)))
    }

    /// Adds a conv input batch's `Σ x xᵀ` (over every im2col column) and `Σ x`.
    ///
    /// Each worker takes a share of the images and, chunk by chunk, gathers their columns
    /// (im2col, Float → Double) and adds their Gram matrix with a single-threaded `dsyrk`
    /// into its own sum; the sums are added at the end. Independent single-threaded calls
    /// scale better than one two-threaded `dsyrk` on these thin (n = 288 … 1152) matrices,
    /// and each chunk is still in cache when `dsyrk` reads it.
    static func accumulatePatches(_ conv: Conv2D, input: Tensor, into sum: inout Matrix<Double>,
                                          inputSums: inout [Double], samples: inout Int) throws {
        let rows = conv.weight.value.itemSize, images = input.shape[0]
        let size = conv.outputShape(for: input.shape)
        let perImage = size[2] * size[3], imagesPerCall = imagesPerGramCall(rows: rows, perImage: perImage)
        let stride = imagesPerCall * perImage
        let workers = max(1, min(Compute.workers, images))
        // Per worker: rows x rows sum, rows column totals, rows x stride chunk (row-major:
        // each image's columns side by side).
        let sums = UnsafeMutableBufferPointer<Double>.allocate(capacity: workers * rows * rows)
        let totals = UnsafeMutableBufferPointer<Double>.allocate(capacity: workers * rows)
        let chunks = UnsafeMutableBufferPointer<Double>.allocate(capacity: workers * rows * stride)
        defer { sums.deallocate(); totals.deallocate(); chunks.deallocate() }
        sums.initialize(repeating: 0)
        totals.initialize(repeating: 0)
        var failures = [Error?](repeating: nil, count: workers)
        failures.withUnsafeMutableBufferPointer { failure in
            Compute.parallelShares(images) { worker, share in
                let chunk = chunks.baseAddress! + worker * rows * stride
                let total = totals.baseAddress! + worker * rows
                let gram = MutableMatrixView(base: sums.baseAddress! + worker * rows * rows, rows: rows, cols: rows)
                var first = share.lowerBound
                while first < share.upperBound, failure[worker] == nil {
                    let batch = first..<min(share.upperBound, first + imagesPerCall)
                    conv.forEachPatchMatrix(input, images: batch, concurrently: false) { _, n, patches in
                        let column = (n - batch.lowerBound) * perImage
                        for r in 0..<rows {
                            let source = patches.baseAddress! + r * perImage, target = chunk + r * stride + column
                            var rowTotal = 0.0
                            for j in 0..<perImage {
                                let value = Double(source[j])
                                target[j] = value
                                rowTotal += value
                            }
                            total[r] += rowTotal
                        }
                    }
                    let view = MatrixView(base: UnsafePointer(chunk), rows: rows, cols: batch.count * perImage, rowStride: stride)
                    do { try BLAS.syrk(view, into: gram, trans: .none, beta: 1) } catch { failure[worker] = error }
                    first = batch.upperBound
                }
            }
        }
        if let failure = failures.compactMap({ $0 }).first { throw failure }
        sum.withMutableView { target in
            for worker in 0..<workers {
                for i in 0..<rows {
                    for j in 0..<rows { target.base[i * target.rowStride + j] += sums[(worker * rows + i) * rows + j] }
                }
            }
        }
        for worker in 0..<workers { for r in 0..<rows { inputSums[r] += totals[worker * rows + r] } }
        samples += images * perImage
    }

    /// Runs one large BLAS call with as many BLAS threads as the layers have batch workers;
    /// it runs between the layers' passes, never beside them, so nothing is oversubscribed.
    private static func withBLASThreads<R>(_ body: () throws -> R) rethrows -> R {
        let layerThreads = BLASRuntime.threads
        BLASRuntime.threads = max(layerThreads, Compute.workers)
        defer { BLASRuntime.threads = layerThreads }
        return try body()
    }

    /// `sum += Xᵀ X` for a linear layer's inputs (samples are rows), in Double via dsyrk.
    static func accumulate(_ values: [Float], rows: Int, cols: Int, into sum: inout Matrix<Double>) throws {
        let x = try Matrix<Double>(rows: rows, cols: cols, storage: values.map(Double.init))
        try withBLASThreads {
            try x.withView { xv in try sum.withMutableView { try BLAS.syrk(xv, into: $0, trans: .transposed, beta: 1) } }
        }
    }
}
