/// Labelled single-channel images kept as bytes until batching (60,000 Fashion-MNIST images
/// take 47 MB this way instead of 188 MB as floats).
public struct Dataset: Sendable {
    /// Image height, in pixels.
    public let height: Int
    /// Image width, in pixels.
    public let width: Int
    /// Number of classes; every label is in `0..<classCount`.
    public let classCount: Int
    /// Grey levels 0...255, image after image, each `height x width` row-major.
    public let pixels: [UInt8]
    /// One class index per image.
    public let labels: [UInt8]
    /// How `batch(_:)` turns grey levels into the network's input.
    public var normalization: Normalization

    /// A data set over existing bytes; `pixels.count` must be `labels.count · height · width`.
    public init(height: Int, width: Int, classCount: Int, pixels: [UInt8], labels: [UInt8], normalization: Normalization) {
        precondition(pixels.count == labels.count * height * width,
                     "Dataset: \(pixels.count) pixels for \(labels.count) images of \(height)x\(width)")
        self.height = height
        self.width = width
        self.classCount = classCount
        self.pixels = pixels
        self.labels = labels
        self.normalization = normalization
    }

    /// Loads an image file (`N x H x W`) and a label file (`N`), checking that they agree.
    public static func loadIDX(images imagesPath: String, labels labelsPath: String, classCount: Int = 10,
                               normalization: Normalization) throws -> Dataset {
        let images = try IDXFile(path: imagesPath), labels = try IDXFile(path: labelsPath)
        guard images.dimensions.count == 3 else {
            throw DataError.wrongDimensions(path: imagesPath, expected: 3, actual: images.dimensions.count)
        }
        guard labels.dimensions.count == 1 else {
            throw DataError.wrongDimensions(path: labelsPath, expected: 1, actual: labels.dimensions.count)
        }
        guard images.dimensions[0] == labels.dimensions[0] else {
            throw DataError.countMismatch(imagesPath: imagesPath, images: images.dimensions[0],
                                          labelsPath: labelsPath, labels: labels.dimensions[0])
        }
        guard images.dimensions[0] > 0 else { throw DataError.empty(path: imagesPath) }
        if let bad = labels.bytes.firstIndex(where: { Int($0) >= classCount }) {
            throw DataError.labelOutOfRange(path: labelsPath, index: bad, label: Int(labels.bytes[bad]), classes: classCount)
        }
        return Dataset(height: images.dimensions[1], width: images.dimensions[2], classCount: classCount,
                       pixels: images.bytes, labels: labels.bytes, normalization: normalization)
    }

    /// Throws unless the images are `channels x size x size` (a model's input); `path` names them.
    public func requireImageShape(channels: Int = 1, size: Int, path: String) throws {
        guard imageShape == [channels, size, size] else {
            throw DataError.imageShape(path: path, expected: [channels, size, size], actual: imageShape)
        }
    }

    /// The first `n` examples (reproducible subsets, e.g. the first N calibration images for scoring).
    public func prefix(_ n: Int) -> Dataset {
        let kept = min(n, count)
        return Dataset(height: height, width: width, classCount: classCount,
                       pixels: Array(pixels[0..<(kept * height * width)]), labels: Array(labels[0..<kept]),
                       normalization: normalization)
    }
}

extension Dataset: ImageBatchSource {
    /// Number of images.
    public var count: Int { labels.count }
    public var imageShape: [Int] { [1, height, width] }

    /// Normalised NCHW floats `(pixel/255 − mean)/std` for the images at `indices`.
    public func batch(_ indices: ArraySlice<Int>) -> (images: Tensor, labels: [Int]) {
        let size = height * width
        let scale = 1 / (255 * normalization.std), shift = -normalization.mean / normalization.std
        let values = [Float](unsafeUninitializedCapacity: indices.count * size) { out, initialized in
            pixels.withUnsafeBufferPointer { source in
                for (row, index) in indices.enumerated() {
                    precondition(index >= 0 && index < count, "Dataset.batch: index \(index) outside 0..<\(count)")
                    let src = source.baseAddress! + index * size, dst = out.baseAddress! + row * size
                    for q in 0..<size { dst[q] = Float(src[q]) * scale + shift }
                }
            }
            initialized = indices.count * size
        }
        return (Tensor(shape: [indices.count, 1, height, width], values: values), indices.map { Int(labels[$0]) })
    }
}

/// `x = (pixel/255 − mean)/std`.
public struct Normalization: Equatable, Sendable, Codable {
    /// Subtracted from `pixel/255`: the training set's mean grey level, on the 0...1 scale.
    public let mean: Float
    /// Divides the centred value: the training set's grey-level standard deviation, on the 0...1 scale; positive.
    public let std: Float

    /// A normalization with the given statistics of `pixel/255`.
    public init(mean: Float, std: Float) {
        precondition(std > 0, "Normalization: std \(std) must be positive")
        self.mean = mean
        self.std = std
    }

    /// Fashion-MNIST training-set statistics (`shared/reference/vgg-s.md`).
    public static let fashionMNIST = Normalization(mean: 0.2860, std: 0.3530)
    /// MNIST training-set statistics.
    public static let mnist = Normalization(mean: 0.1307, std: 0.3081)
}
