import Foundation
import ShearsNet

/// libFuzzer target: any bytes as a checkpoint: the safetensors header and tensors, then (when
/// they decode) the architecture metadata (a VGG configuration or a graph) and the model built
/// from them.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSafeTensors(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let bytes = Data(bytes: data, count: size)
    guard (try? SafeTensorsFile.decode(bytes, path: "input")) != nil else { return 0 }
    let path = "/dev/shm/shears-fuzz-st-\(getpid())"
    guard FileManager.default.createFile(atPath: path, contents: bytes) else { return 0 }
    // A model that loads must run on an input of the shape it declares.
    // A VGG configuration is read as its graph, so both kinds end here.
    if let graph = (try? GraphNetwork.load(from: path))?.model {
        let input = graph.specification.inputShape
        let activations = graph.nodeShapes.reduce(0) { $0 + $1.reduce(1, *) }
        if input.reduce(1, *) <= 4096, graph.specification.parameterCount <= 1 << 16, activations <= 1 << 20 {
            _ = graph.forward(Tensor(shape: [1] + input), training: false)
        }
    }
    return 0
}
