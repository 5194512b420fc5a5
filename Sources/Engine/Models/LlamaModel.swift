import Memory
import StrataRuntime

/// A loaded Llama-family model: hyperparameters and weight views into the file that
/// `source` keeps mapped. Immutable and shareable between sequences.
public final class LlamaModel: Sendable {
    public let config: LlamaConfig
    public let weights: LlamaWeights
    /// Keeps the mapping that `weights` point into alive.
    public let source: TensorTable

    /// Resolves the weights of `config` in `table`.
    public init(table: TensorTable, config: LlamaConfig) throws(ModelFileError) {
        try config.validate()
        self.config = config
        self.weights = try LlamaWeights(table: table, config: config)
        self.source = table
    }
}
