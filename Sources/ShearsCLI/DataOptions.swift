import ArgumentParser
import ShearsNet

/// Where the images come from.
struct DataOptions: ParsableArguments {
    @Option(help: "Directory with the Fashion-MNIST (or MNIST) IDX files, gzip-compressed or plain.")
    var dataDir: String = FashionMNIST.defaultDirectory

    @Option(help: "Use only the first N training images (0 = all).")
    var trainLimit: Int = 0

    @Option(help: "Evaluate on the first N test images (0 = all 10,000).")
    var testLimit: Int = 0

    @Flag(help: "Hold the calibration split (the last 5,000 training images) out of training and fine-tuning.")
    var holdOutCalibration = false

    func validate() throws {
        guard trainLimit >= 0, testLimit >= 0 else { throw ValidationError("--train-limit and --test-limit must be >= 0") }
    }

    /// Training images (less the calibration split with `--hold-out-calibration`), or test images.
    func load(_ split: FashionMNIST.Split) throws -> Dataset {
        var data = try FashionMNIST.load(split, directory: dataDir)
        if split == .train, holdOutCalibration { data = data.excludingCalibration() }
        let limit = split == .train ? trainLimit : testLimit
        return limit > 0 ? data.prefix(limit) : data
    }

    /// The first `samples` images of the calibration split (`Dataset.calibrationSplit`):
    /// what every scoring, oracle, Hessian and compensation step of the CLI uses.
    func calibration(samples: Int) throws -> (subset: Dataset, pool: Dataset) {
        let pool = try FashionMNIST.load(.train, directory: dataDir).calibrationSplit
        return (pool.prefix(samples), pool)
    }
}
