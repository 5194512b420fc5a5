import Engine
import Foundation
import Testing
import TestSupport

/// A llama2.c legacy checkpoint (run.c's format) is read as a header and a tensor table in
/// run.c's fixed order; stories260K.bin holds the same weights as stories260K.gguf.
@Suite struct Llama2CCheckpointTests {
    /// run.c's layout, written out here from `memory_map_weights` (independently of the
    /// reader): each per-layer weight is stored for all layers before the next, then the
    /// final norm, the RoPE tables, and the classifier when it is not shared.
    struct Layout {
        struct Entry: Equatable { let name: String; let dims: [Int]; let offset: Int; var bytes: Int { dims.reduce(4, *) } }
        var tensors: [Entry] = []
        var ropeOffset = 0
        var ropeBytes = 0
        /// Bytes after the header that a complete file holds.
        var end = 0

        init(dim: Int, hidden: Int, layers: Int, heads: Int, kvHeads: Int, vocab: Int, seqLen: Int, sharedClassifier: Bool = true) {
            let headSize = dim / heads
            let kvDim = kvHeads * headSize
            var offset = 0
            func add(_ name: String, _ dims: [Int]) {
                tensors.append(Entry(name: name, dims: dims, offset: offset))
                offset += dims.reduce(4, *)
            }
            func perLayer(_ suffix: String, _ dims: [Int]) { for l in 0..<layers { add("blk.\(l).\(suffix)", dims) } }
            add("token_embd.weight", [dim, vocab])   // token_embedding_table (vocab, dim)
            perLayer("attn_norm.weight", [dim])        // rms_att_weight (layer, dim)
            perLayer("attn_q.weight", [dim, dim])      // wq (layer, dim, n_heads * head_size)
            perLayer("attn_k.weight", [dim, kvDim])    // wk (layer, dim, n_kv_heads * head_size)
            perLayer("attn_v.weight", [dim, kvDim])    // wv
            perLayer("attn_output.weight", [dim, dim]) // wo (layer, n_heads * head_size, dim)
            perLayer("ffn_norm.weight", [dim])         // rms_ffn_weight (layer, dim)
            perLayer("ffn_gate.weight", [dim, hidden]) // w1 (layer, hidden_dim, dim)
            perLayer("ffn_down.weight", [hidden, dim]) // w2 (layer, dim, hidden_dim)
            perLayer("ffn_up.weight", [dim, hidden])   // w3 (layer, hidden_dim, dim)
            add("output_norm.weight", [dim])           // rms_final_weight (dim)
            ropeOffset = offset
            ropeBytes = seqLen * headSize / 2 * 4 * 2  // freq_cis_real, freq_cis_imag (seq_len, head_size / 2)
            offset += ropeBytes
            if !sharedClassifier { add("output.weight", [dim, vocab]) }  // wcls (vocab, dim)
            end = offset
        }

        /// The error a reader must raise for a file of `fileSize` bytes with this layout,
        /// or nil when every tensor fits.
        func truncationError(fileSize: Int) -> ModelFileError? {
            let header = 28
            if fileSize < header {
                return .truncated(section: "llama2.c header", offset: fileSize / 4 * 4, needed: 4, fileSize: fileSize)
            }
            let available = fileSize - header
            for t in tensors where t.offset < ropeOffset && t.offset + t.bytes > available {
                return .truncated(section: "llama2.c tensor \(t.name)", offset: header + t.offset, needed: t.bytes, fileSize: fileSize)
            }
            if ropeOffset + ropeBytes > available {
                return .truncated(section: "llama2.c RoPE tables", offset: header + ropeOffset, needed: ropeBytes, fileSize: fileSize)
            }
            for t in tensors where t.offset >= ropeOffset && t.offset + t.bytes > available {
                return .truncated(section: "llama2.c tensor \(t.name)", offset: header + t.offset, needed: t.bytes, fileSize: fileSize)
            }
            return nil
        }
    }

    static let stories = Layout(dim: 64, hidden: 172, layers: 5, heads: 8, kvHeads: 4, vocab: 512, seqLen: 512)
    static let storiesBytes: [UInt8] = try! fileBytes(Fixtures.model("stories260K.bin"))

    @Test func stories260KHeaderParsesToItsConfig() throws {
        let checkpoint = try Llama2CCheckpoint(path: Fixtures.model("stories260K.bin"))
        let c = checkpoint.config
        #expect(c.dim == 64)
        #expect(c.hiddenDim == 172)
        #expect(c.layers == 5)
        #expect(c.heads == 8)
        #expect(c.kvHeads == 4)
        #expect(c.vocabularySize == 512)
        #expect(c.contextLength == 512)
        #expect(c.headDim == 8 && c.kvDim == 32)
        #expect(c == LlamaConfig(dim: 64, hiddenDim: 172, layers: 5, heads: 8, kvHeads: 4, vocabularySize: 512, contextLength: 512))
    }

    @Test func stories260KTensorTableFollowsRunCsLayout() throws {
        let checkpoint = try Llama2CCheckpoint(path: Fixtures.model("stories260K.bin"))
        let expected = Self.stories
        #expect(checkpoint.tensors.map(\.name) == expected.tensors.map(\.name))
        for (t, e) in zip(checkpoint.tensors, expected.tensors) {
            #expect(t.dims == e.dims, "\(t.name)")
            #expect(t.offset == e.offset, "\(t.name)")
            #expect(t.byteCount == e.bytes, "\(t.name)")
            #expect(t.type == GGMLType(.f32), "\(t.name)")
            #expect(checkpoint.tensor(named: t.name) == t)
            #expect(checkpoint.unsafeData(of: t) == checkpoint.file.unsafeBytes.baseAddress! + 28 + e.offset)
        }
        #expect(checkpoint.tensor(named: "output.weight") == nil, "stories260K shares its classifier")
        #expect(28 + expected.end == checkpoint.file.size, "the file ends where run.c's layout does")
    }

    /// The same weights in both fixtures: every tensor the checkpoint has is byte for byte
    /// the GGUF tensor of that name (llama.cpp's converter copies them unpermuted), and the
    /// GGUF's separate classifier is the shared embedding.
    @Test func stories260KCheckpointAndGGUFHoldTheSameWeights() throws {
        let checkpoint = try Llama2CCheckpoint(path: Fixtures.model("stories260K.bin"))
        let gguf = try GGUFFile(path: Fixtures.model("stories260K.gguf"))
        var differing: [String] = []
        for t in checkpoint.tensors {
            let g = try #require(gguf.tensor(named: t.name), "\(t.name) is missing from the GGUF file")
            #expect(g.dims == t.dims, "\(t.name)")
            #expect(g.type == t.type, "\(t.name)")
            if g.byteCount != t.byteCount || memcmp(gguf.unsafeData(of: g), checkpoint.unsafeData(of: t), t.byteCount) != 0 {
                differing.append(t.name)
            }
        }
        #expect(differing.isEmpty, "tensors whose bytes differ: \(differing)")
        #expect(Set(gguf.tensors.map(\.name)).subtracting(checkpoint.tensors.map(\.name)) == ["output.weight"])
        let output = gguf.tensor(named: "output.weight")!
        let embedding = checkpoint.tensor(named: "token_embd.weight")!
        #expect(memcmp(gguf.unsafeData(of: output), checkpoint.unsafeData(of: embedding), embedding.byteCount) == 0)
    }

    @Test func stories260KCheckpointBuildsALlamaWithTiedOutput() throws {
        let checkpoint = try Llama2CCheckpoint(path: Fixtures.model("stories260K.bin"))
        let model = try LlamaModel(table: checkpoint, config: checkpoint.config)
        #expect(model.weights.tiedOutput)
        #expect(model.weights.layers.count == 5)
        #expect(model.weights.layers[2].attention.wk.data == checkpoint.unsafeData(of: checkpoint.tensor(named: "blk.2.attn_k.weight")!))
        #expect(model.weights.layers[2].attention.wk.rows == 32 && model.weights.layers[2].attention.wk.columns == 64)
        #expect(model.weights.output.data == model.weights.tokenEmbedding.data)
    }

    /// A negative vocab_size marks a separate classifier after the RoPE tables (run.c).
    @Test func negativeVocabularySizeReadsTheClassifierAfterTheRopeTables() throws {
        let classifier = deterministicBytes(count: 512 * 64 * 4, seed: 260)
        let bytes = Self.storiesBytes.patching(Int32(-512), at: 5 * 4) + classifier
        try withTemporaryFile("untied.bin", contents: bytes) { path in
            let checkpoint = try Llama2CCheckpoint(path: path)
            #expect(checkpoint.config.vocabularySize == 512)
            let output = try #require(checkpoint.tensor(named: "output.weight"))
            #expect(output.dims == [64, 512])
            #expect(output.offset == Self.stories.end)
            #expect(Array(UnsafeRawBufferPointer(start: checkpoint.unsafeData(of: output), count: output.byteCount)) == classifier)
            let model = try LlamaModel(table: checkpoint, config: checkpoint.config)
            #expect(!model.weights.tiedOutput)
            #expect(model.weights.output.data == checkpoint.unsafeData(of: output))
        }
    }
}
