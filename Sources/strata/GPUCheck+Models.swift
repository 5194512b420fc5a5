import Engine
import Foundation
import StrataRuntime

extension GPUCheckCommand {
    /// Runs `argument` (`FILE`, or `FILE=REFERENCE`) with every layer on the device and on the
    /// CPU side by side: a prompt of `prompt` tokens (chunks of 32: cuBLAS) then 16 single
    /// tokens (GEMV kernels), comparing the logits at each step (max |diff| / std of the CPU's)
    /// and the greedy tokens. The CPU runs REFERENCE when given: the same weights in another
    /// type (a block-quantized file's F32 dequantization, since the CPU would multiply 8-bit
    /// activations where the device multiplies floats). F32 weights must agree within 1e-3,
    /// others within 1e-2 (prompts multiply in F16 on the device).
    func compareModel(_ argument: String, toolkit: CUDAToolkit) throws -> Bool {
        let parts = argument.split(separator: "=", maxSplits: 1).map(String.init)
        let path = parts[0]
        let loaded = try ModelLoader.load(path: path)
        let reference = parts.count > 1 ? try ModelLoader.load(path: parts[1]) : loaded
        let model = loaded.model
        let pool = ThreadPool(threads: Defaults.threads)
        let plan = OffloadPlan(blocks: model.shape.layers, offloadedBlocks: model.shape.layers, outputOnDevice: true, deviceBytes: 0)
        let start = Date()
        let offload = try ModelOffload(model: model, plan: plan, toolkit: toolkit, host: CPUBackend(pool: pool))
        let upload = Date().timeIntervalSince(start)
        let capacity = prompt + 17
        let cpu = try EvaluationContext(model: reference, pool: pool, capacity: capacity, maxBatch: 32)
        let gpu = try EvaluationContext(model: loaded, backend: offload.backend, capacity: capacity, maxBatch: 32)
        var random = SeededGenerator(seed: 3)
        var tokens = [TokenID(1)] + (1..<max(1, prompt)).map { _ in TokenID(2 + random.next() % UInt64(model.shape.vocabularySize - 2)) }
        var worst: Float = 0
        var sameGreedy = true
        for step in 0...16 {
            let input = step == 0 ? tokens : [tokens[tokens.count - 1]]
            let expected = try Array(cpu.evaluate(input))
            let got = try Array(gpu.evaluate(input))
            worst = max(worst, LogitComparison.relativeError(got, expected))
            let next = TokenID(expected.indices.max { expected[$0] < expected[$1] }!)
            if TokenID(got.indices.max { got[$0] < got[$1] }!) != next { sameGreedy = false }
            tokens.append(next)
        }
        let tolerance: Float = model.weightType == .f32 ? 1e-3 : 1e-2
        let ok = worst < tolerance && sameGreedy
        func file(_ path: String) -> String { path.split(separator: "/").last.map(String.init) ?? path }
        let name = file(path) + (parts.count > 1 ? " against " + file(parts[1]) + " on the CPU" : "")
        Console.out("model \(name) (\(model.weightType), \(model.shape.layers) blocks + head on \(offload.device.name), "
                    + "\(formatBytes(offload.device.uploadedWeightBytes)) uploaded in \(String(format1: upload)) s): prompt \(prompt) + 16 steps, "
                    + "max relative error \(worst), greedy \(sameGreedy ? "identical" : "DIFFERS") (\(ok ? "ok" : "FAIL"), tolerance \(tolerance))\n")
        return ok
    }
}
