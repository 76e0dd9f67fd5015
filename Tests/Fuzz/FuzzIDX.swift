import Foundation
import ShearsNet

/// libFuzzer target: any bytes as an IDX file, plain or gzip-compressed, read the way the
/// data loader reads them (through a file, so the size checks and the inflation cap run).
/// Errors are fine; a trap, a hang or more than the RSS limit is a finding.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzIDX(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let bytes = Data(bytes: data, count: size)
    let path = "/dev/shm/shears-fuzz-idx-\(getpid())"
    guard FileManager.default.createFile(atPath: path, contents: bytes) else { return 0 }
    if let file = try? IDXFile(path: path) {
        precondition(file.dimensions.reduce(1, *) == file.bytes.count, "IDXFile accepted \(file.dimensions) with \(file.bytes.count) bytes")
    }
    _ = try? IDXFile(contents: [UInt8](bytes), path: "input")
    return 0
}
