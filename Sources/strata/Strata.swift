import ArgumentParser
import Server

@main
struct Strata: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "strata",
        abstract: "A memory-optimized model-serving engine.",
        version: ServerInfo.version,
        subcommands: [RunCommand.self, ServeCommand.self, BenchCommand.self, InspectCommand.self, SynthCommand.self]
    )
}
