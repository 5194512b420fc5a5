import ArgumentParser
import Engine

/// `strata inspect`: a model file's metadata and tensor table.
struct InspectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract: "Print a model file's metadata and tensor table.")

    @Argument(help: "GGUF file, llama2.c checkpoint, safetensors file or BERT model directory.")
    var path: String

    func run() throws {
        do {
            let report = try ModelInspector.report(path: path)
            Console.out(report)
        } catch {
            throw Console.fail(error)
        }
    }
}
