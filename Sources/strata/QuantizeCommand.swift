import ArgumentParser
import Engine
import StrataRuntime

/// `strata quantize`: rewrite a GGUF file's weight matrices as Q8_0 or Q4_0 (or F16/BF16/F32).
struct QuantizeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "quantize",
        abstract: "Convert a GGUF model's weight matrices to another type, keeping its metadata.")

    @Argument(help: "Input GGUF file.")
    var input: String

    @Argument(help: "Output GGUF file.")
    var output: String

    @Option(name: .long, help: "Target type: q8_0, q4_0, q4_1, q5_0, q5_1, f16, bf16, f32.")
    var type: String = "q8_0"

    func run() throws {
        let writable = DType.allCases.filter { Quantization.canQuantize(to: $0) && LlamaSynth.fileType($0) != nil }
        guard let dtype = DType(name: type), writable.contains(dtype) else {
            throw ValidationError("unknown type '\(type)'; known: \(writable.map(\.description).joined(separator: ", "))")
        }
        guard input != output else { throw ValidationError("the output must be a different file than the input") }
        do {
            let file = try GGUFFile(path: input)
            let bar = ProgressBar(label: "quantizing to \(dtype)")
            let converted = try GGUFQuantizer.quantize(file, to: dtype, path: output) { done, total in bar.update(done, total) }
            bar.finish()
            Console.err("\(output): \(converted) of \(file.tensors.count) tensors converted to \(dtype)\n")
        } catch {
            throw Console.fail(error)
        }
    }
}

/// A one-line progress bar on a terminal; a line per tenth in a log.
final class ProgressBar {
    let label: String
    private var lastTenth = -1

    init(label: String) { self.label = label }

    func update(_ done: Int, _ total: Int) {
        guard total > 0 else { return }
        if Console.stderrIsTerminal {
            let width = 30
            let filled = done * width / total
            Console.err("\r\(label) [\(String(repeating: "#", count: filled))\(String(repeating: " ", count: width - filled))] \(done)/\(total)")
        } else if done * 10 / total != lastTenth {
            lastTenth = done * 10 / total
            Console.err("\(label): \(done)/\(total) tensors\n")
        }
    }

    func finish() {
        if Console.stderrIsTerminal { Console.err("\n") }
    }
}
