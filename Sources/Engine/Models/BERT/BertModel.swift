import Foundation
import Memory
import StrataRuntime

/// A sentence-embedding BERT model from a Hugging Face directory: its configuration, its
/// weights mapped in place from `model.safetensors`, and its WordPiece tokenizer.
public final class BertModel: Sendable {
    /// Files a BERT model directory must hold.
    public static let requiredFiles = ["config.json", "model.safetensors", "tokenizer.json"]

    public let directory: String
    public let config: BertConfig
    public let weights: BertWeights
    public let tokenizer: WordPieceTokenizer
    /// The mapped weights (kept alive for `weights`' pointers).
    public let file: SafetensorsFile

    /// The directory's last path component (`models/minilm` -> `minilm`).
    public var name: String {
        directory.split(separator: "/").last.map(String.init) ?? directory
    }

    /// Whether `path` is a directory holding a model's `config.json` (what `--model DIR` means).
    public static func isModelDirectory(_ path: String) -> Bool {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue else { return false }
        return FileManager.default.fileExists(atPath: path + "/config.json")
    }

    /// Loads the model in `directory`; O(metadata): no weight byte is read.
    public init(directory: String) throws(ModelFileError) {
        for name in Self.requiredFiles where !FileManager.default.fileExists(atPath: directory + "/" + name) {
            throw .missingFile(directory + "/" + name)
        }
        let config = try BertConfig(directory: directory)
        let file = try SafetensorsFile(path: directory + "/model.safetensors")
        let tokenizer = try WordPieceTokenizer(path: directory + "/tokenizer.json")
        guard tokenizer.vocabularySize <= config.vocabularySize else {
            throw .invalidTokenizer("the vocabulary has \(tokenizer.vocabularySize) tokens but the word embedding has \(config.vocabularySize) rows")
        }
        self.directory = directory
        self.config = config
        self.file = file
        self.tokenizer = tokenizer
        self.weights = try BertWeights(file: file, config: config)
    }
}
