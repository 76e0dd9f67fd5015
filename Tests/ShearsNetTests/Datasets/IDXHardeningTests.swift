import Foundation
import Testing
@testable import ShearsNet

/// Hostile IDX files (issue 12): each is refused with an error naming the file, before any
/// large allocation.
@Suite("IDX files from untrusted sources")
struct IDXHardeningTests {
    func write(_ bytes: [UInt8], _ name: String, in dir: URL) throws -> URL {
        let url = dir.appendingPathComponent(name)
        try Data(bytes).write(to: url)
        return url
    }

    /// An IDX header of u8 data with `dimensions` (each a big-endian u32).
    func header(_ dimensions: [UInt32]) -> [UInt8] {
        [0, 0, 0x08, UInt8(dimensions.count)] + dimensions.flatMap { d in (0..<4).map { UInt8(d >> (24 - 8 * $0) & 0xff) } }
    }

    @Test("dimensions whose product overflows Int are refused, not trapped on")
    func overflow() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let huge = try write(header([0xFFFF_FFFF, 0xFFFF_FFFF, 0xFFFF_FFFF]), "huge.idx", in: dir)
        #expect(throws: DataError.sizeOverflow(path: huge.path, dimensions: [0xFFFF_FFFF, 0xFFFF_FFFF, 0xFFFF_FFFF])) {
            try IDXFile(path: huge.path)
        }
        let large = try write(header([0xFFFF_FFFF]), "large.idx", in: dir)
        #expect(throws: DataError.tooLarge(path: large.path, bytes: 8 + 0xFFFF_FFFF, limit: IDXFile.maximumBytes)) {
            try IDXFile(path: large.path)
        }
    }

    @Test("a rank byte outside 1...3 is named as such", arguments: [0, 4, 255])
    func rank(rank: Int) throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = try write([0, 0, 0x08, UInt8(rank)] + [UInt8](repeating: 0, count: 12), "rank.idx", in: dir)
        #expect(throws: DataError.unsupportedRank(path: url.path, rank: rank)) { try IDXFile(path: url.path) }
        #expect(thrownMessage { _ = try IDXFile(path: url.path) }?.contains("declares \(rank) dimensions") == true)
    }

    @Test("a plain file shorter than its header promises is refused from its size, unread")
    func truncatedPlain() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = try write(header([100_000, 28, 28]) + [1, 2, 3], "short.idx", in: dir)
        #expect(throws: DataError.truncated(path: url.path, expectedBytes: 16 + 100_000 * 784, actualBytes: 19)) {
            try IDXFile(path: url.path)
        }
    }

    @Test("a gzip stream inflating past the header's size stops one byte after it")
    func gzipBomb() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent("bomb.idx.gz")
        // 16 header bytes promising 10 x 2 x 2 pixels, then 64 MiB of zeros: about 64 KB compressed.
        let prefix = header([10, 2, 2]).map { String(format: "\\%03o", $0) }.joined()
        let shell = Process()
        shell.executableURL = URL(fileURLWithPath: "/bin/sh")
        shell.arguments = ["-c", "{ printf '\(prefix)'; head -c 67108864 /dev/zero; } | gzip -1 > '\(url.path)'"]
        try shell.run()
        shell.waitUntilExit()
        #expect(shell.terminationStatus == 0)
        #expect(throws: DataError.inflatesPastHeader(path: url.path, expectedBytes: 16 + 40)) {
            try IDXFile(path: url.path)
        }
    }

    @Test("zero images or labels are refused")
    func empty() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let images = try write(IDXFile.encode(dimensions: [0, 28, 28], bytes: []), "i.idx", in: dir)
        let labels = try write(IDXFile.encode(dimensions: [0], bytes: []), "l.idx", in: dir)
        #expect(throws: DataError.empty(path: images.path)) {
            try Dataset.loadIDX(images: images.path, labels: labels.path, normalization: .fashionMNIST)
        }
    }

    /// A new data directory (the caller removes it) holding a test split of `count` images of `height x width`.
    func split(height: Int, width: Int, count: Int = 2) throws -> URL {
        let dir = try temporaryDirectory()
        _ = try write(IDXFile.encode(dimensions: [count, height, width], bytes: [UInt8](repeating: 7, count: count * height * width)),
                      "t10k-images-idx3-ubyte", in: dir)
        _ = try write(IDXFile.encode(dimensions: [count], bytes: [UInt8](repeating: 1, count: count)),
                      "t10k-labels-idx1-ubyte", in: dir)
        return dir
    }

    @Test("images of the right byte count but the wrong shape are refused with both shapes",
          arguments: [(14, 56), (0, 0), (28, 27)])
    func shape(height: Int, width: Int) throws {
        let dir = try split(height: height, width: width)
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("t10k-images-idx3-ubyte").path
        #expect(throws: DataError.imageShape(path: path, expected: [1, 28, 28], actual: [1, height, width])) {
            try FashionMNIST.load(.test, directory: dir.path)
        }
        let goodDirectory = try split(height: 28, width: 28)
        defer { try? FileManager.default.removeItem(at: goodDirectory) }
        let good = try FashionMNIST.load(.test, directory: goodDirectory.path)
        #expect(good.count == 2)
    }

    @Test("only the default directory suggests installing the Debian package")
    func missingHint() {
        let name = "t10k-images-idx3-ubyte"
        #expect(FashionMNIST.missingHint(folder: FashionMNIST.defaultDirectory, name: name).contains("dataset-fashion-mnist"))
        let elsewhere = FashionMNIST.missingHint(folder: "/data/mine", name: name)
        #expect(!elsewhere.contains("dataset-fashion-mnist") && elsewhere.contains("--data-dir") && elsewhere.contains(name))
    }

    @Test("a directory given as a data file is named as a directory")
    func directoryAsFile() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        #expect(throws: DataError.unreadable(path: dir.path, reason: "it is a directory")) { try IDXFile(path: dir.path) }
    }
}
