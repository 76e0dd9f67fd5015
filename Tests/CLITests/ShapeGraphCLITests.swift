import Foundation
import ShearsNet
import Testing

@Suite("prune --granularity shape on a graph checkpoint", .serialized)
struct ShapeGraphCLITests {
    @Test("shape l1 removes --ratio of the convs' columns, the file holds F x K' weights with their patch rows and reloads; per-layer ranking takes half of every conv's columns; Hessian-aware ranking is refused in one line")
    func shapeResNet() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("shears-shape-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let checkpoint = dir.appendingPathComponent("resnet.safetensors").path
        let network = try GraphNetwork(ResNet.small, seed: 5)
        try network.save(to: checkpoint)
        let columns = network.nodes.compactMap { $0.layer as? Conv2D }.reduce(0) { $0 + $1.weight.value.itemSize }
        let out = dir.appendingPathComponent("shape.safetensors").path
        let prune = try runShears(["prune", "--model", checkpoint, "--criterion", "l1", "--granularity", "shape",
                                   "--ratio", "0.5", "--test-limit", "64", "--out", out])
        #expect(prune.status == 0 && prune.output.contains("removed \(columns / 2) conv columns; FLOPs 62043904 ->"),
                "\(prune.output) \(prune.error)")
        let file = try SafeTensorsFile.read(from: out)
        #expect(file.metadata["granularity"] == "shape" && file.metadata["ranking"] == "global")
        #expect(file.tensors.keys.contains { $0.hasSuffix(".patch_rows") })
        let (loaded, _) = try GraphNetwork.load(from: out)
        let kept = loaded.nodes.compactMap { $0.layer as? Conv2D }.reduce(0) { $0 + $1.weight.value.itemSize }
        #expect(kept == columns - columns / 2)
        #expect(2 * loaded.macs < 62_043_904)

        let perLayer = dir.appendingPathComponent("per-layer.safetensors").path
        let each = try runShears(["prune", "--model", checkpoint, "--criterion", "l1", "--granularity", "shape",
                                  "--ranking", "per-layer", "--ratio", "0.5", "--test-limit", "64", "--out", perLayer])
        #expect(each.status == 0, "\(each.error)")
        let dense = network.nodes.compactMap { $0.layer as? Conv2D }.map(\.weight.value.itemSize)
        let (shared, _) = try GraphNetwork.load(from: perLayer)
        #expect(shared.nodes.compactMap { $0.layer as? Conv2D }.map(\.weight.value.itemSize) == dense.map { $0 - $0 / 2 })
        #expect(try SafeTensorsFile.read(from: perLayer).metadata["ranking"] == "per-layer")

        let refused = try runShears(["prune", "--model", checkpoint, "--criterion", "l1", "--granularity", "shape",
                                     "--ranking", "hessian", "--ratio", "0.5", "--test-limit", "64",
                                     "--out", dir.appendingPathComponent("refused.safetensors").path])
        #expect(refused.status != 0 && refused.error.contains("Hessian-aware ranking"), "\(refused.error)")
        #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("refused.safetensors").path))
        #expect(refused.error.split(separator: "\n").count == 1)
    }
}
