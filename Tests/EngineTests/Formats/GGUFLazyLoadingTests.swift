import Engine
import Foundation
import Memory
import Testing
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

/// Opening a model parses its header and builds views into the mapping; it must not read
/// the weights. A ~200 MiB file is written, flushed and evicted from the page cache, then
/// opened: afterwards almost none of it may be resident, and the process may not have
/// grown by more than a small part of it.
@Suite struct GGUFLazyLoadingTests {
    /// A llama whose weights total ~192 MiB (dim 512, FFN 2048, 10 layers, vocabulary 16384), all F32.
    static func largeLlama() throws -> GGUFWriter {
        let dim = 512, hidden = 2048, layers = 10, vocabulary = 16_384, heads = 8
        var w = GGUFWriter()
        w.add("general.architecture", .string("llama"))
        w.add("llama.context_length", .uint32(2048))
        w.add("llama.embedding_length", .uint32(UInt32(dim)))
        w.add("llama.feed_forward_length", .uint32(UInt32(hidden)))
        w.add("llama.block_count", .uint32(UInt32(layers)))
        w.add("llama.attention.head_count", .uint32(UInt32(heads)))
        let f32 = GGMLType(.f32)
        try w.addTensor("token_embd.weight", dims: [dim, vocabulary], type: f32)
        try w.addTensor("output_norm.weight", dims: [dim], type: f32)
        for l in 0..<layers {
            let p = "blk.\(l)."
            try w.addTensor(p + "attn_norm.weight", dims: [dim], type: f32)
            for name in ["attn_q", "attn_k", "attn_v", "attn_output"] { try w.addTensor(p + name + ".weight", dims: [dim, dim], type: f32) }
            try w.addTensor(p + "ffn_norm.weight", dims: [dim], type: f32)
            try w.addTensor(p + "ffn_gate.weight", dims: [dim, hidden], type: f32)
            try w.addTensor(p + "ffn_up.weight", dims: [dim, hidden], type: f32)
            try w.addTensor(p + "ffn_down.weight", dims: [hidden, dim], type: f32)
        }
        return w
    }

    /// Flushes `path` to disk and drops its pages from the page cache.
    static func evictFromPageCache(_ path: String) throws {
        let fd = open(path, O_RDONLY)
        try #require(fd >= 0)
        defer { close(fd) }
        try #require(fsync(fd) == 0)
        try #require(posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED) == 0)
    }

    @Test func openingAModelReadsNoneOfItsWeights() throws {
        let writer = try Self.largeLlama()
        let path = Fixtures.temporaryPath("lazy.gguf")
        defer { try? FileManager.default.removeItem(atPath: path) }
        try writer.write(to: path) { _, buffer in
            _ = memset(buffer.baseAddress!, 0xA5, buffer.count)  // non-zero: real bytes on disk
        }
        try Self.evictFromPageCache(path)

        let rssBefore = try #require(ProcessMemory.residentBytes())
        let file = try GGUFFile(path: path)
        let model = try LlamaModel(table: file, config: LlamaConfig(gguf: file))
        let resident = try file.file.residentBytes()
        let rssAfter = try #require(ProcessMemory.residentBytes())

        let size = file.file.size
        #expect(size > 190 << 20)
        #expect(model.config.layers == 10)
        let down = try #require(file.tensor(named: "blk.9.ffn_down.weight"))
        #expect(model.weights.layers[9].ffn.down.data == file.unsafeData(of: down), "weights are views into the mapping")
        // The kernel's read-around on the first page fault (read_ahead_kb, 128 KiB to a few MiB)
        // is the only reading allowed.
        #expect(resident < size / 20, "\(resident) of \(size) bytes are resident after opening")
        #expect(rssAfter - rssBefore < size / 10, "the process grew by \(rssAfter - rssBefore) bytes opening a \(size)-byte file")
    }
}
