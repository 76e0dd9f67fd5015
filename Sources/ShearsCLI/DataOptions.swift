import ArgumentParser
import ShearsNet

/// Where the images come from.
struct DataOptions: ParsableArguments {
    @Option(help: "Directory with the Fashion-MNIST (or MNIST) IDX files, gzip-compressed or plain.")
    var dataDir: String = FashionMNIST.defaultDirectory

    @Option(parsing: .unconditional, help: "Use only the first N training images (0 = all).")
    var trainLimit: Int = 0

    @Option(parsing: .unconditional, help: "Evaluate on the first N test images (0 = all 10,000).")
    var testLimit: Int = 0

    func validate() throws {
        guard trainLimit >= 0, testLimit >= 0 else {
            throw ValidationError("--train-limit and --test-limit must be >= 0, got \(trainLimit) and \(testLimit)")
        }
    }

    func load(_ split: FashionMNIST.Split) throws -> Dataset {
        let data = try FashionMNIST.load(split, directory: dataDir)
        let limit = split == .train ? trainLimit : testLimit
        return limit > 0 ? data.prefix(limit) : data
    }
}
