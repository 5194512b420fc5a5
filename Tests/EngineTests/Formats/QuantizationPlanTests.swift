@testable import Engine
import StrataRuntime
import Testing
import TestSupport

/// The per-tensor types of every file type against the ones llama-quantize picked for the same
/// tensor tables (Formats/QuantizationMixes: a TinyLlama-shaped model, and a ragged-width one
/// with tied embeddings; README.md there says how they were recorded).
@Suite struct QuantizationPlanTests {
    struct Reference {
        var metadata: [String: [String: GGUFValue]] = [:]
        var tensors: [String: [GGUFTensorInfo]] = [:]
        /// (model, file type, pure, most common matrix type, exceptions)
        var expectations: [(model: String, fileType: String, pure: Bool, common: String, exceptions: [String: String])] = []
    }

    static let reference: Reference = {
        let path = Fixtures.repositoryRoot + "/Tests/EngineTests/Formats/QuantizationMixes/mixes.txt"
        var r = Reference()
        guard let text = try? References.readText(path) else { return r }
        for line in text.split(separator: "\n") {
            let f = line.split(separator: " ").map(String.init)
            switch f.first {
            case "model":
                var m: [String: GGUFValue] = [:]
                for pair in f.dropFirst(2) {
                    let kv = pair.split(separator: "=", maxSplits: 1).map(String.init)
                    m[kv[0]] = UInt32(kv[1]).map { .uint32($0) } ?? .string(kv[1])
                }
                r.metadata[f[1]] = m
            case "tensor":
                let dims = f.dropFirst(3).compactMap { Int($0) }
                r.tensors[f[1], default: []].append(GGUFTensorInfo(name: f[2], dims: dims, type: GGMLType(.f32), offset: 0, byteCount: 0))
            case "expect":
                var exceptions: [String: String] = [:]
                for pair in f.dropFirst(5) {
                    let kv = pair.split(separator: "=", maxSplits: 1).map(String.init)
                    exceptions[kv[0]] = kv[1]
                }
                r.expectations.append((f[1], f[2], f[3] == "pure", String(f[4].dropFirst("common=".count)), exceptions))
            default: break
            }
        }
        return r
    }()

    @Test func theReferenceCoversEveryFileTypeOnBothModels() {
        let r = Self.reference
        #expect(r.tensors["tinyllama"]?.count == 1 + 22 * 9 + 2)
        #expect(r.tensors["ragged"]?.count == 1 + 22 * 9 + 1)
        for model in ["tinyllama", "ragged"] {
            let covered = Set(r.expectations.filter { $0.model == model && !$0.pure }.map(\.fileType))
            #expect(covered == Set(LlamaFileType.names), "\(model)")
        }
    }

    @Test func typesMatchLlamaQuantize() throws {
        let r = Self.reference
        #expect(!r.expectations.isEmpty)
        for e in r.expectations {
            let fileType = try #require(LlamaFileType(name: e.fileType))
            let tensors = try #require(r.tensors[e.model])
            let plan = try QuantizationPlan(tensors: tensors, metadata: r.metadata[e.model]!, fileType: fileType, pure: e.pure)
            var wrong: [String] = []
            for (t, type) in zip(tensors, plan.targets) {
                let expected = t.dims.count == 1 ? "f32" : e.exceptions[t.name] ?? e.common
                if type.name != expected { wrong.append("\(t.name): \(type.name), llama.cpp \(expected)") }
            }
            #expect(wrong.isEmpty, "\(e.model) \(e.fileType)\(e.pure ? " --pure" : ""): \(wrong.prefix(6).joined(separator: "; "))")
        }
    }

    @Test func fileTypeNamesAreLlamaQuantizes() {
        #expect(LlamaFileType(name: "Q4_K_M") == .q4_K_M)
        #expect(LlamaFileType(name: "q4_k") == .q4_K_M)
        #expect(LlamaFileType(name: "Q3_K") == .q3_K_M)
        #expect(LlamaFileType(name: "q5_K") == .q5_K_M)
        #expect(LlamaFileType(name: "iq4_xs") == .iq4_xs)
        #expect(LlamaFileType(name: "q8_K") == nil)
        #expect(LlamaFileType(name: "q7_K") == nil)
        #expect(LlamaFileType.q4_K_M.rawValue == 15 && LlamaFileType.q5_K_M.rawValue == 17)
        for t in LlamaFileType.allCases { #expect(LlamaFileType(name: t.description) == t) }
        // A model all in one type: llama.cpp's "mostly" file types (K-quants: the _S mixes).
        let mostly: [DType: UInt32?] = [.f32: 0, .f16: 1, .q4_0: 2, .q4_1: 3, .q8_0: 7, .q5_0: 8, .q5_1: 9, .q2_K: 10,
                                        .q3_K: 11, .q4_K: 14, .q5_K: 16, .q6_K: 18, .iq4_nl: 25, .iq4_xs: 30,
                                        .bf16: 32, .q8_K: nil]
        for type in DType.allCases { #expect(LlamaFileType(mostly: type)?.rawValue == mostly[type]!, "\(type)") }
    }

    @Test func aMixWithoutLayerCountsIsATypedError() {
        let tensors = [GGUFTensorInfo(name: "blk.0.attn_v.weight", dims: [256, 256], type: GGMLType(.f32), offset: 0, byteCount: 0)]
        #expect(throws: GGUFQuantizer.QuantizeError.self) {
            try QuantizationPlan(tensors: tensors, metadata: ["general.architecture": .string("llama")], fileType: .q4_K_M, pure: false)
        }
        // --pure needs no model facts.
        #expect((try? QuantizationPlan(tensors: tensors, metadata: [:], fileType: .q4_K_M, pure: true))?.targets == [GGMLType(.q4_K)])
    }
}
