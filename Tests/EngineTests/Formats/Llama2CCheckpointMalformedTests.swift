import Engine
import Foundation
import Testing
import TestSupport

/// A llama2.c checkpoint has no magic and no checksum: the header's seven int32s are all
/// there is to validate. Bad headers and short files must end in a typed error naming the
/// field or the tensor that does not fit, never a crash or an out-of-bounds view.
@Suite struct Llama2CCheckpointMalformedTests {
    typealias Layout = Llama2CCheckpointTests.Layout
    static var original: [UInt8] { Llama2CCheckpointTests.storiesBytes }
    static let fieldNames = ["dim", "hidden_dim", "n_layers", "n_heads", "n_kv_heads", "vocab_size", "seq_len"]
    /// The names `LlamaConfig.validate` gives the same fields.
    static let configNames = ["embedding_length", "feed_forward_length", "block_count", "head_count", "head_count_kv", "vocab_size", "context_length"]

    struct Malformed: Sendable, CustomTestStringConvertible {
        let name: String
        let make: @Sendable () -> [UInt8]
        let expected: ExpectedError
        var testDescription: String { name }
    }

    static func openError(_ bytes: [UInt8]) throws -> ModelFileError? {
        try withTemporaryFile("malformed.bin", contents: bytes) { path in
            modelFileError { () throws(ModelFileError) in _ = try Llama2CCheckpoint(path: path) }
        }
    }

    static func invalid(_ name: String, _ value: String) -> ExpectedError {
        .matching(.invalidHyperparameter) {
            guard case .invalidHyperparameter(let n, let v, let reason) = $0 else { return false }
            return n == name && v == value && !reason.isEmpty
        }
    }

    /// stories260K.bin with header field `field` set to `value`.
    static func withHeader(_ field: Int, _ value: Int32) -> @Sendable () -> [UInt8] {
        { original.patching(value, at: field * 4) }
    }

    static let corpus: [Malformed] = {
        var out: [Malformed] = []
        func add(_ name: String, _ make: @escaping @Sendable () -> [UInt8], _ expected: ExpectedError) {
            out.append(Malformed(name: name, make: make, expected: expected))
        }
        let size = original.count
        for field in [0, 1, 2, 3, 4, 6] {
            let name = fieldNames[field]
            for value: Int32 in [0, -1, .min] {
                add("\(name) \(value)", withHeader(field, value), .exactly(.invalidHyperparameter(name: name, value: "\(value)", reason: "must be positive")))
            }
            for value: Int32 in [1 << 21, 1 << 30, .max] {
                add("\(name) \(value)", withHeader(field, value), invalid(configNames[field], "\(value)"))
            }
        }
        add("vocab_size 0", withHeader(5, 0), invalid("vocab_size", "0"))
        add("vocab_size 2^30", withHeader(5, 1 << 30), invalid("vocab_size", "\(1 << 30)"))
        add("vocab_size Int32.max", withHeader(5, .max), invalid("vocab_size", "\(Int32.max)"))
        add("vocab_size Int32.min", withHeader(5, .min), invalid("vocab_size", "2147483648"))
        add("vocab_size -2^30", withHeader(5, -(1 << 30)), invalid("vocab_size", "\(1 << 30)"))
        add("vocab_size -512 without a classifier", withHeader(5, -512),
            .exactly(.truncated(section: "llama2.c tensor output.weight", offset: size, needed: 512 * 64 * 4, fileSize: size)))
        add("n_heads 7 does not divide dim 64", withHeader(3, 7), invalid("head_count", "7"))
        add("n_heads 3 does not divide dim 64", withHeader(3, 3), invalid("head_count", "3"))
        add("n_heads 64 leaves a head of 1", withHeader(3, 64), invalid("rope.dimension_count", "1"))
        add("n_kv_heads 3 does not divide 8 heads", withHeader(4, 3), invalid("head_count_kv", "3"))
        add("n_kv_heads 16 above 8 heads", withHeader(4, 16), invalid("head_count_kv", "16"))
        // The newer export formats start with a magic: "ak42" written as the uint32 0x616b3432.
        add("ak42 magic (export.py version 1/2)", { [UInt8](original.patching(UInt32(0x616B_3432), at: 0)) },
            invalid("magic", "ak42"))
        add("ak42 as ASCII bytes", { Array("ak42".utf8) + original.dropFirst(4) }, .kind(.invalidHyperparameter))
        add("a GGUF file", { (try? fileBytes(Fixtures.model("stories260K.gguf"))) ?? [] }, .kind(.invalidHyperparameter))
        // Headers that describe more weights than the file holds.
        func larger(_ name: String, _ field: Int, _ value: Int32, _ layout: Layout) {
            add(name, withHeader(field, value), .exactly(layout.truncationError(fileSize: size)!))
        }
        larger("n_layers 6", 2, 6, Layout(dim: 64, hidden: 172, layers: 6, heads: 8, kvHeads: 4, vocab: 512, seqLen: 512))
        larger("dim 128", 0, 128, Layout(dim: 128, hidden: 172, layers: 5, heads: 8, kvHeads: 4, vocab: 512, seqLen: 512))
        larger("hidden_dim 1 << 20", 1, 1 << 20, Layout(dim: 64, hidden: 1 << 20, layers: 5, heads: 8, kvHeads: 4, vocab: 512, seqLen: 512))
        larger("vocab_size 1 << 20", 5, 1 << 20, Layout(dim: 64, hidden: 172, layers: 5, heads: 8, kvHeads: 4, vocab: 1 << 20, seqLen: 512))
        larger("seq_len 1 << 20", 6, 1 << 20, Layout(dim: 64, hidden: 172, layers: 5, heads: 8, kvHeads: 4, vocab: 512, seqLen: 1 << 20))
        larger("n_kv_heads 8", 4, 8, Layout(dim: 64, hidden: 172, layers: 5, heads: 8, kvHeads: 8, vocab: 512, seqLen: 512))
        larger("dim 1 << 20, the limit", 0, 1 << 20, Layout(dim: 1 << 20, hidden: 172, layers: 5, heads: 8, kvHeads: 4, vocab: 512, seqLen: 512))
        add("empty file", { [] }, .matching(.file) { if case .file(.empty) = $0 { return true } else { return false } })
        return out
    }()

    @Test(arguments: corpus)
    func malformedCheckpointIsRefusedWithATypedError(_ malformed: Malformed) throws {
        let error = try #require(try Self.openError(malformed.make()), "\(malformed.name): opened without an error")
        #expect(malformed.expected.accepts(error), "\(malformed.name): expected \(malformed.expected), got \(error)")
    }

    // MARK: - Truncations

    struct Cut: Sendable, CustomTestStringConvertible {
        let name: String
        let length: Int
        var testDescription: String { "\(name) (\(length) bytes)" }
    }

    /// Cuts inside the header, at the start, inside and at the last byte of every tensor
    /// and of the RoPE tables.
    static let boundaryCuts: [Cut] = {
        var cuts = (0..<28).map { Cut(name: "header", length: $0) }
        let layout = Llama2CCheckpointTests.stories
        for t in layout.tensors {
            cuts.append(Cut(name: "start of \(t.name)", length: 28 + t.offset))
            cuts.append(Cut(name: "one float of \(t.name)", length: 28 + t.offset + 4))
            cuts.append(Cut(name: "middle of \(t.name)", length: 28 + t.offset + t.bytes / 2))
            cuts.append(Cut(name: "last byte of \(t.name) missing", length: 28 + t.offset + t.bytes - 1))
        }
        cuts.append(Cut(name: "start of the RoPE tables", length: 28 + layout.ropeOffset))
        cuts.append(Cut(name: "middle of the RoPE tables", length: 28 + layout.ropeOffset + layout.ropeBytes / 2))
        cuts.append(Cut(name: "last byte missing", length: 28 + layout.end - 1))
        return cuts
    }()

    static let sweepCuts: [Cut] = stride(from: 997, to: original.count, by: 997).map { Cut(name: "sweep", length: $0) }

    static func checkTruncated(_ cut: Cut) throws {
        let error = try #require(try openError(Array(original.prefix(cut.length))), "\(cut.name): a \(cut.length)-byte prefix opened")
        if cut.length == 0 {
            #expect(error.kind == .file)
        } else {
            let expected = try #require(Llama2CCheckpointTests.stories.truncationError(fileSize: cut.length))
            #expect(error == expected, "\(cut.name)")
        }
    }

    @Test(arguments: boundaryCuts)
    func checkpointTruncatedAtATensorBoundaryNamesTheTensor(_ cut: Cut) throws {
        try Self.checkTruncated(cut)
    }

    @Test(arguments: sweepCuts)
    func checkpointTruncatedAnywhereIsRefused(_ cut: Cut) throws {
        try Self.checkTruncated(cut)
    }

    /// A header that describes fewer weights than the file holds (here: 32 heads of 2
    /// instead of 8 of 8, which shrinks K and V) cannot be told from a good one by any
    /// field alone; only the file size can. run.c's layout ends exactly at the end of the
    /// file, so bytes left over mean the header does not match the weights.
    @Test func headerDescribingFewerWeightsThanTheFileHoldsIsRefused() throws {
        let bytes = Self.original.patching(Int32(32), at: 3 * 4)
        let error = try Self.openError(bytes)
        #expect(error?.kind == .invalidHyperparameter, "a 32-head header over 8-head weights opened")
    }
}
