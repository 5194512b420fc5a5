import Testing
@testable import Engine
import StrataRuntime
import TestSupport

/// What `--gpu-layers` weighs: each block's own tensors plus its KV, and the output head.
@Suite struct OffloadSizesTests {
    @Test func stories260KBlocksAndHead() throws {
        let loaded = try ModelLoader.load(path: Fixtures.model("stories260K.gguf"))
        let gguf = try GGUFFile(path: Fixtures.model("stories260K.gguf"))
        let sizes = OffloadSizes(model: loaded.model, kvType: .f16, tokens: 100, sequences: 2)
        let shape = loaded.model.shape
        #expect(sizes.blockBytes.count == shape.layers)
        for layer in 0..<shape.layers {
            let weights = gguf.tensors.filter { $0.name.hasPrefix("blk.\(layer).") }.reduce(0) { $0 + $1.byteCount }
            #expect(weights > 0)
            #expect(sizes.blockBytes[layer] == weights + 2 * shape.kvDim * 2 * 100 * 2)
        }
        // stories260K has an output.weight of its own (equal in value to the embedding).
        let head = try #require(gguf.tensors.first { $0.name == "output.weight" }).byteCount
            + (try #require(gguf.tensors.first { $0.name == "output_norm.weight" })).byteCount
        #expect(sizes.outputBytes == head)
        #expect(sizes.bytes(lastBlocks: 2, output: true) == sizes.blockBytes[3] + sizes.blockBytes[4] + head)
    }
}
