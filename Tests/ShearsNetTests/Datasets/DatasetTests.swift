import Foundation
import Testing
@testable import ShearsNet

/// A fresh temporary directory for one test.
func temporaryDirectory() throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("shears-test-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

/// gzip-compresses a file with the system's gzip (Debian's base system has it).
func gzipFile(_ url: URL) throws {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/bin/gzip")
    process.arguments = ["-f", url.path]
    try process.run()
    process.waitUntilExit()
    #expect(process.terminationStatus == 0)
}

@Suite("IDX files and datasets")
struct DatasetTests {
    let pixels: [UInt8] = (0..<(3 * 2 * 2)).map { UInt8($0 * 20) }
    let labelBytes: [UInt8] = [2, 0, 9]

    func write(_ bytes: [UInt8], _ name: String, in dir: URL) throws -> URL {
        let url = dir.appendingPathComponent(name)
        try Data(bytes).write(to: url)
        return url
    }

    @Test("plain and gzip-compressed IDX files give the same dataset", arguments: [false, true])
    func roundTrip(compressed: Bool) throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        var images = try write(IDXFile.encode(dimensions: [3, 2, 2], bytes: pixels), "i.idx", in: dir)
        var labels = try write(IDXFile.encode(dimensions: [3], bytes: labelBytes), "l.idx", in: dir)
        if compressed {
            try gzipFile(images)
            try gzipFile(labels)
            images = images.appendingPathExtension("gz")
            labels = labels.appendingPathExtension("gz")
        }
        let data = try Dataset.loadIDX(images: images.path, labels: labels.path, normalization: .fashionMNIST)
        #expect(data.count == 3 && data.height == 2 && data.width == 2 && data.pixels == pixels)
        let (batch, batchLabels) = data.batch([2, 0])
        #expect(batch.shape == [2, 1, 2, 2] && batchLabels == [9, 2])
        // Image 2's first pixel is 160: (160/255 − 0.2860)/0.3530.
        #expect(abs(batch.values[0] - (160.0 / 255 - 0.2860) / 0.3530) < 1e-5)
        #expect(abs(batch.values[4] - (0 - 0.2860) / 0.3530) < 1e-5)
    }

    @Test("broken files are errors that name the file and the problem")
    func errors() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let good = IDXFile.encode(dimensions: [3, 2, 2], bytes: pixels)
        let truncated = try write(Array(good.dropLast(3)), "truncated.idx", in: dir)
        #expect(throws: DataError.truncated(path: truncated.path, expectedBytes: good.count, actualBytes: good.count - 3)) {
            try IDXFile(path: truncated.path)
        }
        let trailing = try write(good + [1], "trailing.idx", in: dir)
        #expect(throws: DataError.trailingBytes(path: trailing.path, expectedBytes: good.count, actualBytes: good.count + 1)) {
            try IDXFile(path: trailing.path)
        }
        let magic = try write([1, 2, 3, 4, 5], "magic.idx", in: dir)
        #expect(throws: DataError.badMagic(path: magic.path, found: [1, 2, 3, 4])) { try IDXFile(path: magic.path) }
        let floats = try write([0, 0, 0x0d, 1, 0, 0, 0, 0], "floats.idx", in: dir)
        #expect(throws: DataError.unsupportedType(path: floats.path, typeCode: 0x0d)) { try IDXFile(path: floats.path) }

        let images = try write(good, "images.idx", in: dir)
        let fewLabels = try write(IDXFile.encode(dimensions: [2], bytes: [1, 2]), "labels.idx", in: dir)
        let message = "\(DataError.countMismatch(imagesPath: images.path, images: 3, labelsPath: fewLabels.path, labels: 2))"
        #expect(message.contains("images.idx has 3 images") && message.contains("labels.idx has 2 labels"))
        #expect(throws: DataError.countMismatch(imagesPath: images.path, images: 3, labelsPath: fewLabels.path, labels: 2)) {
            try Dataset.loadIDX(images: images.path, labels: fewLabels.path, normalization: .mnist)
        }
        let badLabel = try write(IDXFile.encode(dimensions: [3], bytes: [1, 12, 0]), "bad-labels.idx", in: dir)
        #expect(throws: DataError.labelOutOfRange(path: badLabel.path, index: 1, label: 12, classes: 10)) {
            try Dataset.loadIDX(images: images.path, labels: badLabel.path, normalization: .mnist)
        }
    }

    @Test("a corrupt or truncated gzip stream is an error naming the file")
    func corruptGzip() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = try write(IDXFile.encode(dimensions: [3, 2, 2], bytes: pixels), "x.idx", in: dir)
        try gzipFile(url)
        let gz = url.appendingPathExtension("gz")
        let compressed = [UInt8](try Data(contentsOf: gz))
        let cut = try write(Array(compressed.prefix(compressed.count / 2)), "cut.idx.gz", in: dir)
        #expect(throws: DataError.self) { try IDXFile(path: cut.path) }
        #expect(thrownMessage { _ = try IDXFile(path: cut.path) }?.contains("cut.idx.gz: gzip stream is corrupt") == true)
        var garbled = compressed
        for i in 12..<min(garbled.count, 20) { garbled[i] ^= 0xff }
        let bad = try write(garbled, "garbled.idx.gz", in: dir)
        #expect(thrownMessage { _ = try IDXFile(path: bad.path) }?.contains("garbled.idx.gz") == true)
    }

    @Test("a missing data directory says which file --data-dir lacks")
    func missing() {
        let message = thrownMessage { _ = try FashionMNIST.load(.test, directory: "/nonexistent/shears") }
        #expect(message?.contains("/nonexistent/shears/t10k-images-idx3-ubyte.gz") == true)
        #expect(message?.contains("--data-dir must hold") == true)
    }

    @Test("the installed Fashion-MNIST test split: 10,000 28x28 images, 1,000 per class")
    func realTestSplit() throws {
        // scripts/setup installs dataset-fashion-mnist; its absence is a failure, not a skip.
        let data = try FashionMNIST.load(.test)
        #expect(data.count == 10_000 && data.height == 28 && data.width == 28)
        var histogram = [Int](repeating: 0, count: 10)
        for label in data.labels { histogram[Int(label)] += 1 }
        #expect(histogram == [Int](repeating: 1_000, count: 10))
        #expect(data.prefix(100).count == 100 && data.prefix(100).labels == Array(data.labels.prefix(100)))
    }

    @Test("the synthetic data set is deterministic per seed and learnable by a linear model")
    func synthetic() throws {
        let a = Dataset.synthetic(count: 200, height: 8, width: 8, classCount: 4, seed: 1)
        #expect(a.pixels == Dataset.synthetic(count: 200, height: 8, width: 8, classCount: 4, seed: 1).pixels)
        #expect(a.pixels != Dataset.synthetic(count: 200, height: 8, width: 8, classCount: 4, seed: 2).pixels)
        #expect(Set(a.labels).count == 4)
        let model = try GraphNetwork(VGGConfiguration.mlp(inputChannels: 1, inputSize: 8, hidden: [], classes: 4).graph, seed: 3)
        let optimizer = SGD(learningRate: 0.05, momentum: 0.9)
        for epoch in 0..<5 { _ = try Trainer(batchSize: 20, seed: 4).trainEpoch(model, optimizer: optimizer, data: a, epoch: epoch, epochs: 5) }
        let held = Dataset.synthetic(count: 100, height: 8, width: 8, classCount: 4, seed: 5)
        #expect(Trainer.evaluate(model, on: held).accuracy > 0.9)
    }
}

func thrownMessage(_ body: () throws -> Void) -> String? {
    do { try body(); return nil } catch { return "\(error)" }
}
