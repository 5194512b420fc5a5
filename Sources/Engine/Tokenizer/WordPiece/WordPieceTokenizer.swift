/// BERT-family tokenization from a Hugging Face `tokenizer.json` (WordPiece model, BERT
/// normalizer and pre-tokenizer, `[CLS] ... [SEP]` around every input). Built once per model,
/// then shared: every method is thread-safe.
///
///     text ─ BertNormalizer ─▶ BertPreTokenizer ─▶ words ─ WordPieceModel ─▶ ids ─▶ [CLS] ids [SEP]
public final class WordPieceTokenizer: Sendable {
    private let normalizer: BertNormalizer
    private let preTokenizer = BertPreTokenizer()
    private let model: WordPieceModel
    public let classification: TokenID
    public let separator: TokenID
    public let padding: TokenID
    /// One more than the largest id the tokenizer produces (the embedding needs that many rows).
    public let vocabularySize: Int
    /// `added_tokens` matched in the raw text before normalization (`normalized: false`),
    /// longest first: `"[CLS] hi"` gives the id of `[CLS]`, not `[`, `cl`, `##s`, `]`.
    private let addedTokens: [(bytes: [UInt8], id: TokenID)]

    /// Reads `tokenizer.json` at `path`.
    public init(path: String) throws(ModelFileError) {
        let json = try JSONObject(path: path)
        let model = try json.object("model")
        if let type = try model.optional("type", model.string), type != "WordPiece" {
            throw .invalidTokenizer("\(path): model type \(type) is not WordPiece")
        }
        let entries = try model.object("vocab").fields
        var vocabulary: [([UInt8], TokenID)] = []
        vocabulary.reserveCapacity(entries.count)
        var largest = -1
        for (piece, value) in entries {
            guard let id = JSONObject.integer(value), id >= 0, id < 1 << 24 else {
                throw .invalidTokenizer("\(path): vocabulary entry '\(piece)' has id \(value), not in 0..<16777216")
            }
            vocabulary.append((Array(piece.utf8), TokenID(id)))
            largest = max(largest, id)
        }
        let table = PieceBytesTable(vocabulary)
        func id(_ piece: String) throws(ModelFileError) -> TokenID {
            guard let id = Array(piece.utf8).withUnsafeBufferPointer(table.lookup) else {
                throw .invalidTokenizer("\(path): the vocabulary lacks \(piece)")
            }
            return id
        }
        let unknown = try id(try model.optional("unk_token", model.string) ?? "[UNK]")
        self.model = WordPieceModel(
            table: table, unknown: unknown,
            continuationPrefix: try model.optional("continuing_subword_prefix", model.string) ?? "##",
            maxInputCharacters: try model.optional("max_input_chars_per_word", model.int) ?? 100)
        var normalizer = BertNormalizer()
        if json.has("normalizer") {
            let n = try json.object("normalizer")
            if let type = try n.optional("type", n.string), type != "BertNormalizer" {
                throw .invalidTokenizer("\(path): normalizer \(type) is not BertNormalizer")
            }
            normalizer.cleanText = try n.optional("clean_text", n.bool) ?? true
            normalizer.handleChineseCharacters = try n.optional("handle_chinese_chars", n.bool) ?? true
            normalizer.lowercase = try n.optional("lowercase", n.bool) ?? true
            normalizer.stripAccents = try n.optional("strip_accents", n.bool) ?? normalizer.lowercase
        }
        self.normalizer = normalizer
        classification = try id("[CLS]")
        separator = try id("[SEP]")
        padding = (try? id("[PAD]")) ?? 0
        var added: [(bytes: [UInt8], id: TokenID)] = []
        for case let fields as [String: Any] in try json.optional("added_tokens", json.array) ?? [] {
            let token = JSONObject(fields: fields, source: "\(path) added_tokens")
            let content = try token.string("content")
            let id = try token.int("id")
            guard id >= 0, id < 1 << 24 else {
                throw .invalidTokenizer("\(path): added token '\(content)' has id \(id), not in 0..<16777216")
            }
            largest = max(largest, id)
            // Tokens marked `normalized` are matched by WordPiece itself after normalization.
            if try token.optional("normalized", token.bool) != true, !content.isEmpty {
                added.append((Array(content.utf8), TokenID(id)))
            }
        }
        addedTokens = added.sorted { $0.bytes.count > $1.bytes.count }
        vocabularySize = largest + 1
    }

    /// `[CLS]`, the text's tokens, `[SEP]`: every token, however many.
    /// - Complexity: O(n * w) for n characters and words of at most w characters.
    public func encode(_ text: String) -> [TokenID] {
        var output: [TokenID] = [classification]
        let raw = Array(text.utf8)
        var fragmentStart = 0
        var i = 0
        while i < raw.count {
            guard let token = addedToken(in: raw, at: i) else {
                i += 1
                continue
            }
            encodeOrdinary(raw[fragmentStart..<i], into: &output)
            output.append(token.id)
            i += token.bytes.count
            fragmentStart = i
        }
        encodeOrdinary(raw[fragmentStart..<raw.count], into: &output)
        output.append(separator)
        return output
    }

    /// The longest added token spelled at `offset` (leftmost-longest, as Hugging Face matches).
    private func addedToken(in text: [UInt8], at offset: Int) -> (bytes: [UInt8], id: TokenID)? {
        for token in addedTokens where offset + token.bytes.count <= text.count {
            if text[offset..<(offset + token.bytes.count)].elementsEqual(token.bytes) { return token }
        }
        return nil
    }

    /// Normalizes, splits and WordPiece-encodes text that holds no added token.
    private func encodeOrdinary(_ fragment: ArraySlice<UInt8>, into output: inout [TokenID]) {
        guard !fragment.isEmpty else { return }
        var bytes = Array(normalizer.normalize(String(decoding: fragment, as: UTF8.self)).utf8)
        bytes.withUnsafeMutableBufferPointer { buffer in
            let text = UnsafeBufferPointer(buffer)
            model.encode(text, words: preTokenizer.split(text), into: &output)
        }
    }

    /// `ids` (an `encode` result) cut to `maxLength` tokens, `[SEP]` kept last, as Hugging
    /// Face's truncation does for one sequence.
    public func truncate(_ ids: [TokenID], to maxLength: Int) -> [TokenID] {
        precondition(maxLength >= 2, "truncate: room for [CLS] and [SEP] is needed")
        guard ids.count > maxLength else { return ids }
        return Array(ids[0..<(maxLength - 1)]) + [separator]
    }
}
