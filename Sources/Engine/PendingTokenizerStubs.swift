// TEMPORARY: signatures of the tokenizer API being written on the `tok` branch; removed at merge.
public typealias TokenID = Int32
public enum TokenizerKind: String, Sendable { case llama, gpt2 }
public enum TokenType: Int32, Sendable { case undefined = 0, normal = 1, unknown = 2, control = 3, userDefined = 4, unused = 5, byte = 6 }
public struct Vocabulary: Sendable {
    public let kind: TokenizerKind
    public let tokens: [String]
    public let bos: TokenID?, eos: TokenID?
    public let addBOS: Bool
    public init(gguf: GGUFFile) throws(ModelFileError) { fatalError() }
    public init(llama2cTokenizerAt path: String, vocabularySize: Int) throws(ModelFileError) { fatalError() }
}
public final class Tokenizer: Sendable {
    public init(vocabulary: Vocabulary) throws(ModelFileError) { self.vocabulary = vocabulary }
    public let vocabulary: Vocabulary
    public func encode(_ text: String, addBOS: Bool) -> [TokenID] { fatalError() }
    public func decode(_ tokens: [TokenID]) -> String { fatalError() }
    public func pieceBytes(_ token: TokenID) -> [UInt8] { fatalError() }
    public func isEndOfGeneration(_ token: TokenID) -> Bool { fatalError() }
}
public struct StreamingDetokenizer {
    public init(tokenizer: Tokenizer, previous: TokenID? = nil) {}
    public mutating func append(_ token: TokenID) -> String { fatalError() }
    public mutating func finish() -> String { fatalError() }
}
