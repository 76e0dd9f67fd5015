import Foundation
import ShearsNet
import Testing

@Suite("prune --granularity element|kernel on a graph checkpoint", .serialized)
struct MaskedGraphCLITests {
    @Test("element l1 masks --ratio of the conv and linear weights, zero in the file; kernel l2 runs, per layer too; apoz is refused in one line")
    func maskResNet() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("shears-masked-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let checkpoint = dir.appendingPathComponent("resnet.safetensors").path
        try GraphNetwork(ResNet.small, seed: 5).save(to: checkpoint)
        let out = dir.appendingPathComponent("element.safetensors").path
        let prune = try runShears(["prune", "--model", checkpoint, "--criterion", "l1", "--granularity", "element",
                                   "--ratio", "0.5", "--test-limit", "64", "--out", out])
        #expect(prune.status == 0 && prune.output.contains("element groups; non-zero FLOPs 62043904 ->"), "\(prune.error)")
        let file = try SafeTensorsFile.read(from: out)
        #expect(file.metadata["granularity"] == "element" && file.metadata["ranking"] == "global")
        var (weights, masked) = (0, 0)
        for (name, tensor) in file.tensors where name.hasSuffix(".weight") && tensor.shape.count >= 2 {
            let mask = try #require(file.tensors[name + "_mask"], "\(name) has no mask")
            weights += tensor.count
            masked += mask.values.filter { $0 == 0 }.count
            #expect(zip(mask.values, tensor.values).allSatisfy { $0 != 0 || $1 == 0 }, "\(name): a masked weight is not zero")
        }
        #expect(masked == weights / 2, "\(masked) of \(weights)")

        let kernel = try runShears(["prune", "--model", checkpoint, "--criterion", "l2", "--granularity", "kernel",
                                    "--ratio", "0.3", "--test-limit", "64",
                                    "--out", dir.appendingPathComponent("kernel.safetensors").path])
        #expect(kernel.status == 0 && kernel.output.contains("kernel groups"), "\(kernel.error)")
        let perLayer = dir.appendingPathComponent("kernel-per-layer.safetensors").path
        let each = try runShears(["prune", "--model", checkpoint, "--criterion", "l2", "--granularity", "kernel",
                                  "--ranking", "per-layer", "--ratio", "0.3", "--test-limit", "64", "--out", perLayer])
        #expect(each.status == 0, "\(each.error)")
        let eachFile = try SafeTensorsFile.read(from: perLayer)
        #expect(eachFile.metadata["ranking"] == "per-layer")
        for (name, tensor) in eachFile.tensors where name.hasSuffix(".weight") && tensor.shape.count == 4 {
            // Every conv masks ⌊0.3 · kernels⌋ whole kernels of k·k weights.
            let kernels = tensor.shape[0] * tensor.shape[1], size = tensor.shape[2] * tensor.shape[3]
            let mask = try #require(eachFile.tensors[name + "_mask"], "\(name) has no mask")
            #expect(mask.values.filter { $0 == 0 }.count == Int(0.3 * Double(kernels)) * size, "\(name)")
        }

        let refusedPath = dir.appendingPathComponent("apoz.safetensors").path
        let refused = try runShears(["prune", "--model", checkpoint, "--criterion", "apoz", "--granularity", "element",
                                     "--ratio", "0.5", "--test-limit", "64", "--out", refusedPath])
        #expect(refused.status != 0 && refused.error.contains("granularity 'element' cannot apply to criterion 'apoz'"), "\(refused.error)")
        #expect(refused.error.split(separator: "\n").count == 1)
        #expect(!FileManager.default.fileExists(atPath: refusedPath))
    }
}
