/// Labelled images that can be gathered into NCHW float batches.
public protocol ImageBatchSource {
    /// Number of labelled images.
    var count: Int { get }
    /// Shape of one image: channels, height, width.
    var imageShape: [Int] { get }
    /// The images at `indices` as a `[indices.count] + imageShape` tensor, and their labels.
    func batch(_ indices: ArraySlice<Int>) -> (images: Tensor, labels: [Int])
}
