import ArgumentParser
import Engine

/// `strata inspect`: whether Strata can run a model file (and why not), its metadata and tensor table.
struct InspectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract: "Say whether Strata can run a model file and why not, then print its metadata and tensor table (no weights are read).")

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
