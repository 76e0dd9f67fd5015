/// The calibration split: the training images every scoring, oracle, Hessian and
/// compensation step uses, so that no test image ever decides what is removed or how the
/// rest is refit. The test set is for reporting only.
///
/// It is the last `calibrationCount` images of the training file in file order (the last
/// 5,000 of Fashion-MNIST's 60,000; a twelfth of a smaller file). Training uses all of the
/// training file by default, as the reference recipe does, so that figures stay comparable
/// with other frameworks; `excludingCalibration()` holds the split out for users who want
/// it strictly unseen.
extension Dataset {
    /// Images in the calibration split of a training file with `count` images.
    public static func calibrationCount(of count: Int) -> Int { min(5_000, count / 12) }

    /// The calibration split: the last `calibrationCount(of: count)` images, in file order.
    public var calibrationSplit: Dataset { suffix(Self.calibrationCount(of: count)) }

    /// The training file without its calibration split.
    public func excludingCalibration() -> Dataset { prefix(count - Self.calibrationCount(of: count)) }

    /// The last `n` examples.
    public func suffix(_ n: Int) -> Dataset { subset(Array(max(0, count - n)..<count)) }

    /// `n` distinct examples in an order drawn from `seed` (Fisher–Yates with `SeededGenerator`):
    /// each seed of a curve scores on its own subset, and a subset of n is the prefix of the
    /// subset of any larger count with the same seed.
    public func seededSubset(_ n: Int, seed: UInt64) -> Dataset {
        var order = Array(0..<count)
        var rng = SeededGenerator(seed: seed)
        for i in stride(from: count - 1, to: 0, by: -1) {
            order.swapAt(i, Int(rng.next() % UInt64(i + 1)))
        }
        return subset(Array(order.prefix(min(n, count))))
    }

    /// The examples at `indices`, in that order.
    public func subset(_ indices: [Int]) -> Dataset {
        let size = height * width
        var selected = [UInt8](repeating: 0, count: indices.count * size)
        pixels.withUnsafeBufferPointer { source in
            selected.withUnsafeMutableBufferPointer { target in
                for (row, index) in indices.enumerated() {
                    precondition(index >= 0 && index < count, "Dataset.subset: index \(index) outside 0..<\(count)")
                    (target.baseAddress! + row * size).update(from: source.baseAddress! + index * size, count: size)
                }
            }
        }
        return Dataset(height: height, width: width, classCount: classCount, pixels: selected,
                       labels: indices.map { labels[$0] }, normalization: normalization)
    }
}
