import ArgumentParser
import Server

@main
struct Strata: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "strata",
        abstract: "A memory-optimized model-serving engine.",
        version: ServerInfo.version,
        subcommands: [RunCommand.self, BenchCommand.self, InspectCommand.self, SynthCommand.self]
    )
}
