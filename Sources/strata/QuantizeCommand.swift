import ArgumentParser
import Engine
import StrataRuntime

/// `strata quantize`: rewrite a GGUF file's weight matrices in a llama.cpp file type, with
/// llama-quantize's names, per-tensor mixes and bytes.
struct QuantizeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "quantize",
        abstract: "Convert a GGUF model's weight matrices to another type, keeping its metadata.",
        discussion: """
            TYPE is a llama.cpp file type: \(LlamaFileType.names.joined(separator: ", ")) \
            (q3_K, q4_K and q5_K mean the _M mixes, as in llama-quantize). The K-quant mixes and the \
            32-element types give some tensors more bits (output.weight Q6_K, attn_v and ffn_down on \
            some layers) by llama.cpp's rule; --pure gives every matrix TYPE's tensor type. Norms stay \
            as they are; an input in a quantized type is dequantized and requantized.
            """)

    @Argument(help: "Input GGUF file (F32, F16, BF16 or any type strata reads).")
    var input: String

    @Argument(help: "Output GGUF file.")
    var output: String

    @Option(name: .long, help: "File type: q4_K_M, q5_K_M, q6_K, q8_0, q4_0, iq4_xs, f16, ... (see above).")
    var type: String = "q8_0"

    @Flag(name: .long, help: "Every quantizable matrix in the type's tensor type, no mix (llama-quantize --pure).")
    var pure = false

    @Option(name: [.customShort("t"), .long], help: "Worker threads (default: one per core).")
    var threads: Int?

    func validate() throws {
        if let threads, threads < 1 || threads > 1024 { throw ValidationError("--threads must be in 1...1024") }
    }

    func run() throws {
        guard let fileType = LlamaFileType(name: type) else {
            throw ValidationError("unknown type '\(type)'; known: \(LlamaFileType.names.joined(separator: ", ")) (q3_K, q4_K, q5_K: the _M mixes)")
        }
        guard input != output else { throw ValidationError("the output must be a different file than the input") }
        do {
            let file = try GGUFFile(path: input)
            let bar = ProgressBar(label: "quantizing to \(fileType)")
            let summary = try GGUFQuantizer.quantize(file, to: fileType, pure: pure, path: output,
                                                     pool: ThreadPool(threads: threads ?? Defaults.threads)) { done, total in
                bar.update(done, total)
            }
            bar.finish()
            let types = summary.typeCounts.sorted { $0.value > $1.value }.map { "\($0.value) \($0.key)" }.joined(separator: ", ")
            Console.err("\(output): \(summary.converted) of \(file.tensors.count) tensors converted to \(fileType) (\(types))\n")
            if summary.fallbacks > 0 {
                Console.err("\(summary.fallbacks) tensors took a fallback type: their rows are not a whole number of blocks\n")
            }
        } catch {
            throw Console.fail(error)
        }
    }
}
