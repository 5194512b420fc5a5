import Foundation
import Testing
@testable import Engine
import StrataRuntime
import TestSupport

/// Every registered architecture against llama.cpp on the same random-weight F32 file
/// (`Architectures/make_architecture_reference.py`: llama.cpp b11312 through llama-cpp-python):
/// the file the tests write must be byte-identical to the one llama.cpp read, its logits at
/// each of 32 positions must agree within the stated tolerance, and greedy decoding must pick
/// the same 32 tokens.
@Suite struct ArchitectureReferenceTests {
    struct Reference: Sendable, CustomTestStringConvertible {
        let name: String
        let architecture: String
        let synth: [String]
        let digest: String
        /// [positions][vocab]
        let logits: [Float]
        let greedy: [TokenID]
        var testDescription: String { name }
    }

    /// Largest logit difference allowed, as a fraction of the reference logits' standard deviation.
    static let tolerance: Float = 2e-3

    /// Gemma 3's: ggml's GELU reads a table of F16 inputs and outputs (relative error ~1e-3 per
    /// element) where ours is exact; measured 1.7e-3.
    static let geluTolerance: Float = 3e-3

    static func tolerance(_ r: Reference) -> Float { r.architecture == "gemma3" ? geluTolerance : tolerance }

    static let folder = Fixtures.repositoryRoot + "/Tests/EngineTests/Models/Architectures"

    static let prompt: [TokenID] = {
        let json = try! JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: folder + "/architecture_reference.json"))) as! [String: Any]
        return (json["prompt"] as! [Int]).map(TokenID.init)
    }()

    static let references: [Reference] = {
        let json = try! JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: folder + "/architecture_reference.json"))) as! [String: Any]
        let all = json["cases"] as! [String: [String: Any]]
        return all.keys.sorted().map { name in
            let entry = all[name]!
            let bytes = Data(base64Encoded: entry["logits"] as! String)!
            let logits = bytes.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
            return Reference(name: name, architecture: entry["architecture"] as! String, synth: entry["synth"] as! [String], digest: entry["fnv1a64"] as! String,
                             logits: logits, greedy: (entry["greedy"] as! [Int]).map(TokenID.init))
        }
    }()

    /// Writes the file `strata synth` wrote for the reference (same spec, seed and vocabulary).
    static func synthesize(_ r: Reference) throws -> String {
        let architecture = try #require(ModelRegistry.architecture(named: r.architecture))
        let preset = try #require(LlamaPreset.named("tiny"))
        var shape = SynthShape(preset.config, tiedOutput: r.synth.contains("--tied"))
        if let i = r.synth.firstIndex(of: "--head-dim") { shape.headDim = Int(r.synth[i + 1])! }
        shape.ropeFactors = r.synth.contains("--rope-freqs")
        if let i = r.synth.firstIndex(of: "--sliding-window") { shape.slidingWindow = Int(r.synth[i + 1])! }
        if let i = r.synth.firstIndex(of: "--original-context") { shape.originalContextLength = Int(r.synth[i + 1])! }
        let path = Fixtures.temporaryPath("architecture-\(r.name).gguf")
        try ModelSynth.write(architecture.synthSpec(shape), vocabularySize: preset.config.vocabularySize, type: .f32,
                             vocabulary: GGUFFile(path: Fixtures.model("stories260K.gguf")), name: "tiny random f32", seed: 11,
                             variedNorms: true, to: path)
        return path
    }

    static func fnv1a64(_ path: String) throws -> String {
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in data { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 }
        let hex = String(h, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }

    @Test func everyRegisteredArchitectureHasAReference() {
        #expect(Set(Self.references.map(\.architecture)) == Set(ModelRegistry.decoderNames))
    }

    @Test(arguments: references)
    func logitsAndGreedyTokensMatchLlamaCpp(_ r: Reference) throws {
        let path = try Self.synthesize(r)
        defer { unlink(path) }
        #expect(try Self.fnv1a64(path) == r.digest, "the synthesized file differs from the one llama.cpp read")
        let loaded = try ModelLoader.load(path: path)
        #expect(loaded.model.architecture == r.architecture)
        let vocab = loaded.model.shape.vocabularySize
        let prompt = Self.prompt
        // Token by token: the logits at every position.
        let context = try EvaluationContext(model: loaded, pool: ThreadPool(threads: 2), kvType: .f16)
        var worst: Float = 0, spread: Float = 0
        for (p, token) in prompt.enumerated() {
            let ours = try context.evaluate([token])
            let theirs = r.logits[(p * vocab)..<((p + 1) * vocab)]
            let mean = theirs.reduce(0, +) / Float(vocab)
            spread = max(spread, (theirs.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Float(vocab)).squareRoot())
            for (a, b) in zip(ours, theirs) { worst = max(worst, abs(a - b)) }
        }
        // F32 weights and F16 KV on both sides (llama.cpp's default cache type). What differs is
        // summation order and llama.cpp's flash attention, which rounds Q to F16 for its K dot
        // products: measured 0.5e-3 to 0.9e-3 of the logits' standard deviation (1.7e-3 for Gemma 3).
        #expect(worst <= Self.tolerance(r) * spread, "\(r.name): max |logit difference| \(worst), logit std \(spread)")
        // The whole prompt as one batch ends at the same logits.
        let batched = try EvaluationContext(model: loaded, pool: ThreadPool(threads: 2), kvType: .f16)
        let last = Array(try batched.evaluate(prompt))
        let final = Array(r.logits[((prompt.count - 1) * vocab)...])
        #expect(zip(last, final).map { abs($0 - $1) }.max()! <= Self.tolerance(r) * spread)
        // Greedy decoding through the scheduler, as `strata run` does.
        let (_, result) = try TestModels.generate(loaded, prompt: prompt, maxTokens: r.greedy.count, kvType: .f16)
        #expect(result.tokens == r.greedy)
    }
}
