import ArgumentParser
import Engine
import StrataRuntime

/// `strata synth`: a random-weight GGUF of a known shape, for speed work.
struct SynthCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "synth",
        abstract: "Write a random-weight GGUF of a known shape, in any architecture Strata runs.")

    @Option(name: .long, help: "Shape: \(LlamaPreset.all.map(\.name).joined(separator: ", ")).")
    var shape: String

    @Option(name: .long, help: "Architecture (GGUF general.architecture): \(ModelRegistry.decoderNames.joined(separator: ", ")).")
    var arch: String = "llama"

    @Option(name: .customLong("head-dim"), help: "Head width, for architectures whose heads need not be dim / heads (qwen3, gemma3).")
    var headDim: Int?

    @Flag(name: .customLong("rope-freqs"), help: "Write RoPE frequency divisors (Llama 3.1's rope_freqs.weight; Phi-3's short and long factors).")
    var ropeFreqs = false

    @Option(name: .customLong("sliding-window"), help: "Positions a sliding-window layer attends to (gemma3: its local layers; llama: every layer, as Mistral states it).")
    var slidingWindow: Int?

    @Option(name: .customLong("original-context"), help: "The context RoPE was trained for before extension (phi3: long factors apply beyond it).")
    var originalContext: Int?

    @Flag(name: .long, help: "Tie the output head to the embedding (no output.weight).")
    var tied = false

    @Flag(name: .long, help: "Draw norm weights around 1 instead of writing ones (architecture checks: ones hide a misplaced norm).")
    var variedNorms = false

    @Option(name: .long, help: "Type of the weight matrices: f32, f16, bf16, q8_0, q4_0, q4_1, q5_0, q5_1, q2_K ... q6_K, iq4_nl, iq4_xs.")
    var type: String = "f32"

    @Option(name: .long, help: "GGUF whose tokenizer is copied (32000-token Llama vocab).")
    var vocab: String = "models/vocab/ggml-vocab-llama-spm.gguf"

    @Option(name: .long, help: "Random seed.")
    var seed: UInt64 = 1

    @Argument(help: "Output file.")
    var output: String

    func run() throws {
        guard let preset = LlamaPreset.named(shape) else {
            throw ValidationError("unknown shape '\(shape)'; known: \(LlamaPreset.all.map(\.name).joined(separator: ", "))")
        }
        guard let architecture = ModelRegistry.architecture(named: arch) else {
            throw ValidationError("unknown architecture '\(arch)'; known: \(ModelRegistry.decoderNames.joined(separator: ", "))")
        }
        let writable = DType.allCases.filter { Quantization.canQuantize(to: $0) && ModelSynth.fileType($0) != nil }
        guard let dtype = DType(name: type), writable.contains(dtype) else {
            throw ValidationError("unknown type '\(type)'; known: \(writable.map(\.description).joined(separator: ", "))")
        }
        do {
            let vocabulary = try GGUFFile(path: vocab)
            let bar = ProgressBar(label: "writing \(output)")
            var shape = SynthShape(preset.config, tiedOutput: preset.tiedOutput || tied)
            if let headDim { shape.headDim = headDim }
            shape.ropeFactors = ropeFreqs
            shape.slidingWindow = slidingWindow
            shape.originalContextLength = originalContext
            let spec = try architecture.synthSpec(shape)
            try ModelSynth.write(spec, vocabularySize: preset.config.vocabularySize, type: dtype, vocabulary: vocabulary,
                                 name: "\(preset.name) random \(dtype)", seed: seed, variedNorms: variedNorms, to: output) { done, total in
                bar.update(done, total)
            }
            bar.finish()
        } catch {
            throw Console.fail(error)
        }
    }
}
