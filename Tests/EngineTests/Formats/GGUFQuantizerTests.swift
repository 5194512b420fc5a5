#if canImport(Glibc)
import Glibc
#endif
import Engine
import StrataRuntime
import Testing
import TestSupport

/// `strata quantize`: metadata kept, matrices converted, the model still computes the same thing
/// within the format's error; bad inputs are typed errors.
@Suite struct GGUFQuantizerTests {
    @Test(arguments: [(LlamaFileType.q8_0, Float(0.25)), (.q4_0, Float(2.0)), (.q6_K, Float(0.5)), (.iq4_nl, Float(2.5))])
    func quantizePureStories260K(type: LlamaFileType, tolerance: Float) throws {
        let source = try GGUFFile(path: Fixtures.model("stories260K.gguf"))
        let path = Fixtures.temporaryPath("quantized-\(type).gguf")
        defer { unlink(path) }
        let summary = try GGUFQuantizer.quantize(source, to: type, pure: true, path: path, pool: ThreadPool(threads: 2))
        let out = try GGUFFile(path: path)
        let written = ["general.file_type", "general.quantization_version"]
        #expect(out.metadataKeys.filter { !written.contains($0) } == source.metadataKeys.filter { !written.contains($0) })
        for key in source.metadataKeys where !written.contains(key) {
            #expect(out.metadata[key] == source.metadata[key], "\(key)")
        }
        #expect(out.metadata["general.file_type"] == .uint32(type.rawValue))
        #expect(out.metadata["general.quantization_version"] == .uint32(2))
        #expect(out.tensors.map(\.name) == source.tensors.map(\.name))
        var expected = 0
        for (a, b) in zip(source.tensors, out.tensors) {
            #expect(a.dims == b.dims)
            if a.dims.count == 2 {
                // stories260K's rows are 64 or 172 long: a 256-element type falls back as llama.cpp's does.
                let want = a.columns % type.defaultType.blockElements == 0 ? type.defaultType
                    : a.columns % 32 == 0 ? (type == .q6_K ? DType.q8_0 : type.defaultType) : .f16
                #expect(b.type.dtype == want, "\(a.name)")
                expected += 1
            } else {
                #expect(b.type == a.type, "\(a.name)")
            }
        }
        #expect(summary.converted == expected)

        let pool = ThreadPool(threads: 2)
        let prompt = TestModels.prompt(24, seed: 4)
        // Named, not temporaries: the logits live in the context, which must outlive the copy.
        let referenceContext = try EvaluationContext(model: try TestModels.stories260K(), pool: pool, kvType: .f32)
        let quantizedContext = try EvaluationContext(model: try ModelLoader.load(path: path), pool: pool, kvType: .f32)
        let reference = Array(try referenceContext.evaluate(prompt))
        let quantized = Array(try quantizedContext.evaluate(prompt))
        let worst = zip(reference, quantized).map { abs($0 - $1) }.max()!
        #expect(worst < tolerance, "max logit difference \(worst)")
    }

    @Test func aQuantizedInputIsRequantizedAndNormsStay() throws {
        // Q8_0 -> Q4_K_M goes through floats; the 1-D norms stay as they were.
        let source = try GGUFFile(path: Fixtures.model("stories260K.gguf"))
        let q8 = Fixtures.temporaryPath("q8.gguf"), q4 = Fixtures.temporaryPath("q4km.gguf")
        defer { unlink(q8); unlink(q4) }
        try GGUFQuantizer.quantize(source, to: .q8_0, pure: true, path: q8)
        try GGUFQuantizer.quantize(try GGUFFile(path: q8), to: .q4_K_M, path: q4)
        let out = try GGUFFile(path: q4)
        #expect(out.metadata["general.file_type"] == .uint32(15))
        // 64-wide rows: Q4_K falls back to Q5_0, and output.weight takes Q8_0 (not Q6_K) as in llama.cpp.
        #expect(out.tensor(named: "blk.0.attn_q.weight")?.type.dtype == .q5_0)
        #expect(out.tensor(named: "token_embd.weight")?.type.dtype == .q5_0)
        #expect(out.tensor(named: "output.weight")?.type.dtype == .q8_0)
        #expect(out.tensor(named: "blk.0.attn_norm.weight")?.type.dtype == .f32)
        _ = try ModelLoader.load(path: q4)
    }

    @Test func writingOverTheInputIsATypedError() throws {
        let copy = Fixtures.temporaryPath("self.gguf")
        defer { unlink(copy) }
        let source = try GGUFFile(path: Fixtures.model("stories260K.gguf"))
        try GGUFQuantizer.quantize(source, to: .f32, path: copy)
        let file = try GGUFFile(path: copy)
        #expect(throws: GGUFQuantizer.QuantizeError.self) { try GGUFQuantizer.quantize(file, to: .q8_0, path: copy) }
    }

    @Test func aTensorInATypeStrataCannotReadIsATypedError() throws {
        // A matrix stored as IQ2_XXS (which strata lists but cannot decode) that the mix would convert.
        var w = GGUFWriter()
        w.add("general.architecture", .string("llama"))
        w.add("llama.block_count", .uint32(1))
        try w.addTensor("blk.0.ffn_up.weight", dims: [256, 2], type: GGMLType(id: 16)!)
        let path = Fixtures.temporaryPath("iq2.gguf"), out = Fixtures.temporaryPath("iq2-q8.gguf")
        defer { unlink(path); unlink(out) }
        try w.write(to: path) { _, _ in }
        let error = #expect(throws: GGUFQuantizer.QuantizeError.self) {
            try GGUFQuantizer.quantize(try GGUFFile(path: path), to: .q8_0, path: out)
        }
        #expect(error?.description.contains("iq2_xxs") == true)
    }

    @Test func aNaNInAMatrixIsATypedErrorNotATrap() throws {
        var w = GGUFWriter()
        w.add("general.architecture", .string("llama"))
        w.add("llama.block_count", .uint32(1))
        try w.addTensor("blk.0.ffn_up.weight", dims: [256, 3], type: GGMLType(.f32))
        let path = Fixtures.temporaryPath("nan.gguf"), out = Fixtures.temporaryPath("nan-q.gguf")
        defer { unlink(path); unlink(out) }
        try w.write(to: path) { _, bytes in
            let floats = bytes.bindMemory(to: Float.self)
            for i in floats.indices { floats[i] = Float(i % 7) - 3 }
            floats[256 + 17] = .nan
        }
        for type in [LlamaFileType.q4_0, .q8_0, .q4_K_M] {
            let error = #expect(throws: GGUFQuantizer.QuantizeError.self) {
                try GGUFQuantizer.quantize(try GGUFFile(path: path), to: type, path: out, pool: ThreadPool(threads: 2))
            }
            #expect(error?.description.contains("row 1") == true, "\(type)")
            #expect(access(out, F_OK) != 0, "no half-written output is left")
        }
    }
}
