import Foundation
import ShearsExperiments

/// libFuzzer target: any bytes as a curve configuration, as YAML and as JSON.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzConfig(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let bytes = Data(bytes: data, count: size)
    _ = try? CurveConfiguration.load(file: bytes, source: "input.yaml")
    _ = try? CurveConfiguration.load(file: bytes, source: "input.json")
    return 0
}
