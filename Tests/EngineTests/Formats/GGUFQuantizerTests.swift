import Engine
import StrataRuntime
import Testing
import TestSupport

/// `strata quantize`: metadata kept, matrices converted, the model still computes the same thing
/// within the format's error.
@Suite struct GGUFQuantizerTests {
    @Test(arguments: [(DType.q8_0, Float(0.25)), (.q4_0, Float(2.0))])
    func quantizeStories260K(type: DType, tolerance: Float) throws {
        let source = try GGUFFile(path: Fixtures.model("stories260K.gguf"))
        let path = Fixtures.temporaryPath("quantized-\(type).gguf")
        defer { unlink(path) }
        let converted = try GGUFQuantizer.quantize(source, to: type, path: path)
        let out = try GGUFFile(path: path)
        #expect(out.metadataKeys.filter { $0 != "general.file_type" } == source.metadataKeys.filter { $0 != "general.file_type" })
        for key in source.metadataKeys where key != "general.file_type" {
            #expect(out.metadata[key] == source.metadata[key], "\(key)")
        }
        #expect(out.tensors.map(\.name) == source.tensors.map(\.name))
        var expected = 0
        for (a, b) in zip(source.tensors, out.tensors) {
            #expect(a.dims == b.dims)
            if a.dims.count == 2, a.columns % 32 == 0 {
                #expect(b.type.dtype == type, "\(a.name)")
                expected += 1
            } else {
                #expect(b.type == a.type, "\(a.name)")
            }
        }
        #expect(converted == expected)

        let pool = ThreadPool(threads: 2)
        let prompt = TestModels.prompt(24, seed: 4)
        let reference = Array(try LlamaContext(model: try TestModels.stories260K().model, pool: pool, kvType: .f32).evaluate(prompt))
        let quantized = Array(try LlamaContext(model: try ModelLoader.load(path: path).model, pool: pool, kvType: .f32).evaluate(prompt))
        let worst = zip(reference, quantized).map { abs($0 - $1) }.max()!
        #expect(worst < tolerance, "max logit difference \(worst)")
    }

    @Test func quantizingToAnUnsupportedTypeOfTheSourceCopiesItUnchanged() throws {
        // Q8_0 -> Q4_0 goes through floats; the 1-D norms and ragged matrices stay as they were.
        let source = try GGUFFile(path: Fixtures.model("stories260K.gguf"))
        let q8 = Fixtures.temporaryPath("q8.gguf"), q4 = Fixtures.temporaryPath("q4.gguf")
        defer { unlink(q8); unlink(q4) }
        try GGUFQuantizer.quantize(source, to: .q8_0, path: q8)
        try GGUFQuantizer.quantize(try GGUFFile(path: q8), to: .q4_0, path: q4)
        let out = try GGUFFile(path: q4)
        #expect(out.tensor(named: "blk.0.attn_q.weight")?.type.dtype == .q4_0)
        #expect(out.tensor(named: "blk.0.attn_norm.weight")?.type.dtype == .f32)
        _ = try ModelLoader.load(path: q4)
    }
}

#if canImport(Glibc)
import Glibc
#endif
