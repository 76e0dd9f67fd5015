import Foundation

/// Fashion-MNIST (Xiao et al. 2017) from Debian's `dataset-fashion-mnist`, or from a
/// directory holding the same four IDX files (gzip-compressed or plain; MNIST works too).
public enum FashionMNIST {
    /// Where Debian's `dataset-fashion-mnist` installs the files.
    public static let defaultDirectory = "/usr/share/datasets/fashion-mnist"
    /// Every image is 28 x 28 (as in MNIST).
    public static let imageSize = 28
    /// Ten classes of clothing (and ten digits in MNIST).
    public static let classCount = 10

    /// Which of the two standard files to read.
    public enum Split: String, Sendable {
        /// The 60,000 training images (`train-*`); the last 5,000 are also the calibration split
        /// (``Dataset/calibrationSplit``).
        case train
        /// The 10,000 test images (`t10k-*`), only ever reported on.
        case test
    }

    /// The images and labels of `split` from `directory` (default `defaultDirectory`), as `name.gz` or `name`;
    /// checks that the images are 28 x 28.
    public static func load(_ split: Split, directory: String? = nil,
                            normalization: Normalization = .fashionMNIST) throws -> Dataset {
        let prefix = split == .train ? "train" : "t10k"
        let folder = directory ?? defaultDirectory
        let images = try locate(folder, "\(prefix)-images-idx3-ubyte")
        let data = try Dataset.loadIDX(images: images, labels: try locate(folder, "\(prefix)-labels-idx1-ubyte"),
                                       normalization: normalization)
        try data.requireImageShape(size: imageSize, path: images)
        return data
    }

    /// `name.gz` if present, else `name`; a clear error naming both when neither exists.
    private static func locate(_ folder: String, _ name: String) throws -> String {
        let base = (folder as NSString).appendingPathComponent(name)
        for candidate in [base + ".gz", base] where FileManager.default.fileExists(atPath: candidate) { return candidate }
        throw DataError.missingFile(path: base + ".gz", hint: missingHint(folder: folder, name: name))
    }

    /// Only the default directory is the Debian package's; elsewhere the user chose the folder.
    static func missingHint(folder: String, name: String) -> String {
        folder == defaultDirectory
            ? "install the Debian package dataset-fashion-mnist (scripts/setup does) or pass --data-dir"
            : "the directory given by --data-dir must hold \(name).gz or \(name)"
    }
}
