import Foundation
import Testing
@testable import Engine
import StrataRuntime
import TestSupport

/// A Llama-architecture file that states `attention.sliding_window` (Mistral 7B v0.1) attends
/// to that many positions in every layer: until the window is full it is the same model as
/// without one, after that it is not; and a prompt run as one batch ends where running it token
/// by token does (the prefill mask and the decode mask agree).
@Suite struct SlidingWindowTests {
    static let window = 6

    static func write(window: Int?) throws -> String {
        let preset = try #require(LlamaPreset.named("tiny"))
        var shape = SynthShape(preset.config, tiedOutput: false)
        shape.slidingWindow = window
        let path = Fixtures.temporaryPath("sliding-\(window ?? 0).gguf")
        try ModelSynth.write(Llama.synthSpec(shape), vocabularySize: preset.config.vocabularySize, type: .f32,
                             vocabulary: GGUFFile(path: Fixtures.model("stories260K.gguf")), name: "tiny window", seed: 5,
                             variedNorms: true, to: path)
        return path
    }

    @Test func windowedLayersSeeOnlyTheirWindow() throws {
        let plainPath = try Self.write(window: nil), windowedPath = try Self.write(window: Self.window)
        defer { unlink(plainPath); unlink(windowedPath) }
        let plain = try ModelLoader.load(path: plainPath), windowed = try ModelLoader.load(path: windowedPath)
        #expect(windowed.model.shape.windows == [Int](repeating: Self.window, count: windowed.model.shape.layers))
        #expect(plain.model.shape.windows.allSatisfy { $0 == 0 })
        let prompt: [TokenID] = (0..<20).map { TokenID(($0 * 37 + 11) % 512) }
        let a = try EvaluationContext(model: plain, pool: ThreadPool(threads: 2), kvType: .f32, blockTokens: 4)
        let b = try EvaluationContext(model: windowed, pool: ThreadPool(threads: 2), kvType: .f32, blockTokens: 4)
        var lastStepwise: [Float] = []
        for (p, token) in prompt.enumerated() {
            let x = Array(try a.evaluate([token])), y = Array(try b.evaluate([token]))
            let difference = zip(x, y).map { abs($0 - $1) }.max()!
            if p < Self.window {
                #expect(difference == 0, "position \(p): the window is not full yet")
            } else {
                #expect(difference > 1e-4, "position \(p): positions before the window still count")
            }
            lastStepwise = y
        }
        // Batches of 7 tokens: tiles whose first token's window starts mid-page.
        let batched = try EvaluationContext(model: windowed, pool: ThreadPool(threads: 2), maxBatch: 7, kvType: .f32, blockTokens: 4)
        let last = Array(try batched.evaluate(prompt))
        #expect(zip(last, lastStepwise).map { abs($0 - $1) }.max()! < 1e-4)
    }
}
