extension Dataset {
    /// A deterministic, learnable data set for tests and demos without downloads: each class
    /// is a fixed random byte pattern, and each image is its class's pattern plus seeded noise.
    ///
    /// - Parameters:
    ///   - count: images to make.
    ///   - height: rows of each image.
    ///   - width: columns of each image.
    ///   - classCount: classes, one fixed pattern each.
    ///   - noise: standard deviation of the added noise, in pixel levels (0–255).
    ///   - seed: seeds the labels and the noise (the patterns do not depend on it).
    public static func synthetic(count: Int, height: Int = 28, width: Int = 28, classCount: Int = 10,
                                 noise: Float = 40, seed: UInt64) -> Dataset {
        precondition(count >= 0 && height > 0 && width > 0 && classCount > 0 && noise >= 0,
                     "Dataset.synthetic: count \(count), \(height)x\(width), \(classCount) classes, noise \(noise)")
        var patternSource = SeededGenerator(seed: 0x5EED)
        let size = height * width
        let patterns = (0..<classCount).map { _ in (0..<size).map { _ in 255 * patternSource.nextUnitFloat() } }
        var rng = SeededGenerator(seed: seed)
        var pixels = [UInt8](repeating: 0, count: count * size)
        var labels = [UInt8](repeating: 0, count: count)
        for image in 0..<count {
            let label = Int(rng.next() % UInt64(classCount))
            labels[image] = UInt8(label)
            for q in 0..<size {
                pixels[image * size + q] = UInt8(max(0, min(255, patterns[label][q] + noise * rng.nextGaussian())).rounded())
            }
        }
        return Dataset(height: height, width: width, classCount: classCount, pixels: pixels, labels: labels,
                       normalization: Normalization(mean: 0.5, std: 0.3))
    }
}
