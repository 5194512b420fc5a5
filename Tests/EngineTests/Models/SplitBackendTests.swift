import Testing
@testable import Engine
import StrataRuntime
import TestSupport

/// The `--gpu-layers` split without a GPU: a "device" that runs the CPU kernels but counts
/// what crosses to it and which layers it attends for. Logits equal the CPU's bit for bit, the
/// offloaded blocks and only they run on the device, and the activations cross once each way
/// per pass.
@Suite struct SplitBackendTests {
    /// The CPU kernels as a device: records crossings and the attention layers it ran.
    final class LoopbackDevice: DeviceBackend {
        let cpu: CPUBackend
        var uploads = 0, downloads = 0
        var attentionLayers: Set<Int> = []
        var matmuls = 0
        init(pool: ThreadPool) { cpu = CPUBackend(pool: pool) }

        var name: String { "loopback" }
        var scratchBytes: Int { cpu.scratchBytes }
        func reserve(_ limits: BackendLimits) { cpu.reserve(limits) }
        func upload(_ host: UnsafeMutablePointer<Float>, count: Int) { uploads += 1 }
        func download(_ host: UnsafeMutablePointer<Float>, count: Int) { downloads += 1 }
        func embed(_ table: Tensor, tokens: UnsafePointer<Int32>, count: Int, into out: UnsafeMutablePointer<Float>) {
            Issue.record("the embedding ran on the device")
        }
        func rmsNorm(out: UnsafeMutablePointer<Float>, x: UnsafePointer<Float>, weight: UnsafePointer<Float>, dim: Int, rows: Int, eps: Float) {
            cpu.rmsNorm(out: out, x: x, weight: weight, dim: dim, rows: rows, eps: eps)
        }
        func rmsNorm(x: UnsafePointer<Float>, weight: UnsafePointer<Float>, dim: Int, rows: Int, eps: Float, into q: Q8Rows) {
            cpu.rmsNorm(x: x, weight: weight, dim: dim, rows: rows, eps: eps, into: q)
        }
        func quantize(_ x: UnsafePointer<Float>, rows: Int, columns: Int, into q: Q8Rows) { cpu.quantize(x, rows: rows, columns: columns, into: q) }
        func matmul(out: UnsafeMutablePointer<Float>, x: UnsafePointer<Float>, rows: Int, weight: Tensor) {
            matmuls += 1
            cpu.matmul(out: out, x: x, rows: rows, weight: weight)
        }
        func matmul(out: UnsafeMutablePointer<Float>, x: Q8Rows, weight: Tensor) {
            matmuls += 1
            cpu.matmul(out: out, x: x, weight: weight)
        }
        func copy(_ out: UnsafeMutablePointer<Float>, from x: UnsafePointer<Float>, count: Int) { cpu.copy(out, from: x, count: count) }
        func add(_ y: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>, count: Int) { cpu.add(y, x, count: count) }
        func addBias(_ y: UnsafeMutablePointer<Float>, _ bias: UnsafePointer<Float>, rows: Int, columns: Int) {
            cpu.addBias(y, bias, rows: rows, columns: columns)
        }
        func scale(_ x: UnsafeMutablePointer<Float>, by alpha: Float, count: Int) { cpu.scale(x, by: alpha, count: count) }
        func softcap(_ x: UnsafeMutablePointer<Float>, cap: Float, count: Int) { cpu.softcap(x, cap: cap, count: count) }
        func gated(_ activation: GatedActivation, gate: UnsafeMutablePointer<Float>, up: UnsafePointer<Float>, count: Int) {
            cpu.gated(activation, gate: gate, up: up, count: count)
        }
        func gated(_ activation: GatedActivation, gate: UnsafePointer<Float>, up: UnsafePointer<Float>, rows: Int, columns: Int, into q: Q8Rows) {
            cpu.gated(activation, gate: gate, up: up, rows: rows, columns: columns, into: q)
        }
        func rope(_ x: UnsafeMutablePointer<Float>, stride: Int, heads: Int, rope: Rope, batch: AttentionBatch) {
            cpu.rope(x, stride: stride, heads: heads, rope: rope, batch: batch)
        }
        func storeKV(key: UnsafePointer<Float>, value: UnsafePointer<Float>, stride: Int, layer: Int, batch: AttentionBatch) {
            cpu.storeKV(key: key, value: value, stride: stride, layer: layer, batch: batch)
        }
        func attention(out: UnsafeMutablePointer<Float>, q: UnsafePointer<Float>, layer: AttentionLayer, batch: AttentionBatch) {
            attentionLayers.insert(layer.layer)
            cpu.attention(out: out, q: q, layer: layer, batch: batch)
        }
    }

    static let prompt: [TokenID] = [1, 403, 385, 410, 317, 407, 12, 99, 250, 7]

    /// Logits of the prompt in one pass, then three single-token passes.
    static func logits(_ context: EvaluationContext) throws -> [[Float]] {
        var all = [Array(try context.evaluate(prompt))]
        for token in [TokenID(403), 385, 410] { all.append(Array(try context.evaluate([token]))) }
        return all
    }

    @Test(arguments: [(2, false), (2, true), (0, true), (5, true), (5, false)])
    func splitRunsTheOffloadedBlocksOnTheDevice(blocks: Int, output: Bool) throws {
        let loaded = try ModelLoader.load(path: Fixtures.model("stories260K.gguf"))
        let pool = ThreadPool(threads: 2)
        let expected = try Self.logits(EvaluationContext(model: loaded, pool: pool, capacity: 64))

        let layers = loaded.model.shape.layers
        let plan = OffloadPlan(blocks: layers, offloadedBlocks: blocks, outputOnDevice: output, deviceBytes: 0)
        let device = LoopbackDevice(pool: pool)
        let split = SplitBackend(host: CPUBackend(pool: pool), device: device, plan: plan)
        let got = try Self.logits(EvaluationContext(model: loaded, backend: split, capacity: 64))
        #expect(got == expected, "logits differ from the CPU's")

        #expect(device.attentionLayers == Set((layers - blocks)..<layers))
        // Each of the 4 passes crosses to the device once (at its first offloaded block, or
        // the head) and back once (after the head or the logits).
        #expect(device.uploads == 4 && device.downloads == 4)
        #expect(split.uploads == 4 && split.downloads == 4)
        if blocks == 0 { #expect(device.matmuls == 4, "only the output projection, once per pass") }
    }

    @Test func nothingOffloadedNeverCrosses() throws {
        let loaded = try ModelLoader.load(path: Fixtures.model("stories260K.gguf"))
        let pool = ThreadPool(threads: 2)
        let device = LoopbackDevice(pool: pool)
        let plan = OffloadPlan(blocks: loaded.model.shape.layers, offloadedBlocks: 0, outputOnDevice: false, deviceBytes: 0)
        let split = SplitBackend(host: CPUBackend(pool: pool), device: device, plan: plan)
        _ = try Self.logits(EvaluationContext(model: loaded, backend: split, capacity: 64))
        #expect(device.uploads == 0 && device.downloads == 0 && device.matmuls == 0 && device.attentionLayers.isEmpty)
    }
}
