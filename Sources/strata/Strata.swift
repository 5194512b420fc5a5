import ArgumentParser
import Server

@main
struct Strata: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "strata",
        abstract: "A memory-optimized model-serving engine.",
        version: ServerInfo.version,
        subcommands: [RunCommand.self, ServeCommand.self, BenchGroup.self, InspectCommand.self, SynthCommand.self, QuantizeCommand.self, EmbedCommand.self, GPUCheckCommand.self]
    )
}

/// `strata bench`: the model benchmark (`strata bench [model] -p 512 -n 128`, the default)
/// and the server load generator (`strata bench serve --url ...`).
struct BenchGroup: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Benchmark a model (default) or load-test a running server.",
        subcommands: [BenchCommand.self, BenchServeCommand.self, BenchGrammarCommand.self],
        defaultSubcommand: BenchCommand.self
    )
}
