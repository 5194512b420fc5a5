import Engine
import Foundation
import Testing
import TestSupport

/// Every malformed safetensors file gets a typed error naming what is wrong; none crashes.
@Suite struct SafetensorsMalformedTests {
    /// A file: 8-byte header length, `header` (JSON text), then `data` bytes.
    static func file(header: String, data: Int = 16, declaredLength: UInt64? = nil) -> [UInt8] {
        var bytes: [UInt8] = []
        let json = Array(header.utf8)
        withUnsafeBytes(of: (declaredLength ?? UInt64(json.count)).littleEndian) { bytes.append(contentsOf: $0) }
        bytes += json
        bytes += [UInt8](repeating: 0, count: data)
        return bytes
    }

    static func openError(_ bytes: [UInt8]) throws -> ModelFileError? {
        try withTemporaryFile("malformed.safetensors", contents: bytes) { path in
            modelFileError { () throws(ModelFileError) in _ = try SafetensorsFile(path: path) }
        }
    }

    static let good = #"{"a":{"dtype":"F32","shape":[2,2],"data_offsets":[0,16]},"__metadata__":{"format":"pt"}}"#

    @Test func aWellFormedFileOpens() throws {
        try withTemporaryFile("good.safetensors", contents: Self.file(header: Self.good)) { path in
            let file = try SafetensorsFile(path: path)
            let entry = try #require(file.tensors["a"])
            #expect(entry.shape == [2, 2] && entry.byteCount == 16 && entry.dtype == .f32)
            #expect(entry.offset == 8 + Self.good.utf8.count)
            #expect(file.metadata == ["format": "pt"])
        }
    }

    static let cases: [(String, [UInt8], ModelFileError.Kind)] = [
        ("empty file", [], .file),
        ("shorter than the length field", [1, 0, 0], .truncated),
        ("header length past the end", file(header: good, declaredLength: 10_000), .absurdCount),
        ("header length of zero", file(header: good, declaredLength: 0), .absurdCount),
        ("header length huge", file(header: good, declaredLength: UInt64.max), .absurdCount),
        ("header not JSON", file(header: "{not json at all}"), .malformedJSON),
        ("header a JSON array", file(header: "[1,2,3]"), .malformedJSON),
        ("tensor not an object", file(header: #"{"a":5}"#), .malformedJSON),
        ("dtype missing", file(header: #"{"a":{"shape":[4],"data_offsets":[0,16]}}"#), .malformedJSON),
        ("dtype unknown", file(header: #"{"a":{"dtype":"F33","shape":[4],"data_offsets":[0,16]}}"#), .malformedJSON),
        ("shape not an array", file(header: #"{"a":{"dtype":"F32","shape":4,"data_offsets":[0,16]}}"#), .malformedJSON),
        ("negative dimension", file(header: #"{"a":{"dtype":"F32","shape":[-4],"data_offsets":[0,16]}}"#), .malformedJSON),
        ("fractional dimension", file(header: #"{"a":{"dtype":"F32","shape":[2.5],"data_offsets":[0,16]}}"#), .malformedJSON),
        ("boolean dimension", file(header: #"{"a":{"dtype":"F32","shape":[true],"data_offsets":[0,4]}}"#), .malformedJSON),
        ("overflowing shape", file(header: #"{"a":{"dtype":"F32","shape":[4294967296,4294967296,16],"data_offsets":[0,16]}}"#), .badDimensions),
        // Fuzz finding (FuzzSafetensors): dimensions too big for the file before a negative one;
        // the error listing the shape converted -240 to UInt64 and trapped.
        ("too big, then negative", file(header: #"{"a":{"dtype":"F32","shape":[4,224,-240],"data_offsets":[0,16]}}"#), .malformedJSON),
        ("negative, then too big", file(header: #"{"a":{"dtype":"F32","shape":[-1,4294967296,4294967296]}}"#), .malformedJSON),
        ("offsets reversed", file(header: #"{"a":{"dtype":"F32","shape":[4],"data_offsets":[16,0]}}"#), .malformedJSON),
        ("one offset", file(header: #"{"a":{"dtype":"F32","shape":[4],"data_offsets":[0]}}"#), .malformedJSON),
        ("offsets past the data", file(header: #"{"a":{"dtype":"F32","shape":[8],"data_offsets":[0,32]}}"#), .tensorOutOfBounds),
        ("size not the shape's", file(header: #"{"a":{"dtype":"F32","shape":[3],"data_offsets":[0,16]}}"#), .badDimensions),
        ("overlapping tensors", file(header: #"{"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16]},"b":{"dtype":"F32","shape":[2],"data_offsets":[8,16]}}"#), .malformedJSON),
        ("metadata value not a string", file(header: #"{"__metadata__":{"k":1}}"#), .malformedJSON),
    ]

    @Test(arguments: cases.indices)
    func malformedFileIsRefused(_ index: Int) throws {
        let (name, bytes, kind) = Self.cases[index]
        let error = try Self.openError(bytes)
        #expect(error?.kind == kind, "\(name): got \(String(describing: error))")
        #expect(error.map { !$0.description.isEmpty } ?? false)
    }

    /// Every prefix of a real header, cut anywhere, is refused (never a crash or a hang).
    @Test func truncatedHeadersAreRefused() throws {
        let bytes = Self.file(header: Self.good)
        for cut in stride(from: 0, to: bytes.count - 16, by: 3) {
            #expect(try Self.openError(Array(bytes[0..<cut])) != nil, "cut at \(cut)")
        }
    }
}

/// Model directories with missing or inconsistent files get typed errors.
@Suite struct BertModelDirectoryTests {
    /// A copy of `models/minilm`'s small files (the weights linked) with `edit` applied.
    static func withModelCopy(_ edit: (String) throws -> Void, _ body: (String) throws -> Void) throws {
        let source = Fixtures.model("minilm")
        let directory = Fixtures.temporaryPath("bert")
        let files = FileManager.default
        try files.createDirectory(atPath: directory + "/1_Pooling", withIntermediateDirectories: true)
        defer { try? files.removeItem(atPath: directory) }
        for name in ["config.json", "tokenizer.json", "modules.json", "sentence_bert_config.json", "1_Pooling/config.json"] {
            try files.copyItem(atPath: source + "/" + name, toPath: directory + "/" + name)
        }
        try files.createSymbolicLink(atPath: directory + "/model.safetensors", withDestinationPath: source + "/model.safetensors")
        try edit(directory)
        try body(directory)
    }

    static func load(_ directory: String) -> ModelFileError? {
        modelFileError { () throws(ModelFileError) in _ = try BertModel(directory: directory) }
    }

    static func rewriteConfig(_ directory: String, _ change: (inout [String: Any]) -> Void) throws {
        let path = directory + "/config.json"
        var config = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as? [String: Any])
        change(&config)
        try JSONSerialization.data(withJSONObject: config).write(to: URL(fileURLWithPath: path))
    }

    @Test func theCopyLoads() throws {
        try Self.withModelCopy({ _ in }) { directory in
            #expect(BertModel.isModelDirectory(directory))
            #expect(Self.load(directory) == nil)
            let model = try BertModel(directory: directory)
            #expect(model.config.maxSequenceLength == 256 && model.config.pooling == .mean && model.config.normalize)
            #expect(model.config.hidden == 384 && model.config.layers == 6 && model.config.heads == 12)
        }
    }

    @Test func theLlamaLoaderPointsAtTheEmbeddingCommands() throws {
        let directory = Fixtures.model("minilm")
        let error = modelFileError { () throws(ModelFileError) in _ = try ModelLoader.load(path: directory) }
        #expect(error?.kind == .wrongModelKind && error?.description.contains("strata embed") == true)
        let file = modelFileError { () throws(ModelFileError) in _ = try ModelLoader.load(path: directory + "/model.safetensors") }
        #expect(file?.kind == .wrongModelKind && file?.description.contains("directory") == true)
        let report = try ModelInspector.report(path: directory)
        #expect(report.contains("BERT embedding model") && report.contains("encoder.layer.5.output.LayerNorm.bias"))
        #expect(try ModelInspector.report(path: directory + "/model.safetensors").contains("104 tensors"))
    }

    @Test func missingFilesAreNamed() throws {
        for name in ["config.json", "tokenizer.json", "model.safetensors"] {
            try Self.withModelCopy({ try FileManager.default.removeItem(atPath: $0 + "/" + name) }) { directory in
                let error = Self.load(directory)
                #expect(error?.kind == .missingFile && error?.description.contains(name) == true, "\(String(describing: error))")
            }
        }
    }

    @Test func badConfigsAreRefused() throws {
        let edits: [(String, (inout [String: Any]) -> Void, ModelFileError.Kind)] = [
            ("hidden_size missing", { $0["hidden_size"] = nil }, .malformedJSON),
            ("hidden_size a string", { $0["hidden_size"] = "384" }, .malformedJSON),
            ("heads not dividing", { $0["num_attention_heads"] = 7 }, .invalidHyperparameter),
            // A negative epsilon loaded and `strata embed` printed NaN vectors with exit 0.
            ("negative layer_norm_eps", { $0["layer_norm_eps"] = -1e-12 }, .invalidHyperparameter),
            ("zero layer_norm_eps", { $0["layer_norm_eps"] = 0 }, .invalidHyperparameter),
            ("gelu_new", { $0["hidden_act"] = "gelu_new" }, .invalidHyperparameter),
            ("relative positions", { $0["position_embedding_type"] = "relative_key" }, .invalidHyperparameter),
            ("another architecture", { $0["model_type"] = "roberta" }, .unsupportedArchitecture),
            ("more layers than the file", { $0["num_hidden_layers"] = 7 }, .missingTensor),
            ("wider than the file", { $0["intermediate_size"] = 1000 }, .wrongShape),
            ("smaller vocabulary than the tokenizer", { $0["vocab_size"] = 1000 }, .invalidTokenizer),
        ]
        for (name, change, kind) in edits {
            try Self.withModelCopy({ try Self.rewriteConfig($0, change) }) { directory in
                let error = Self.load(directory)
                #expect(error?.kind == kind, "\(name): \(String(describing: error))")
            }
        }
    }

    @Test func unsupportedSentenceTransformerModulesAreRefused() throws {
        let dense = #"[{"idx":0,"name":"0","path":"","type":"sentence_transformers.models.Transformer"},"#
            + #"{"idx":1,"name":"1","path":"1_Pooling","type":"sentence_transformers.models.Pooling"},"#
            + #"{"idx":2,"name":"2","path":"2_Dense","type":"sentence_transformers.models.Dense"}]"#
        try Self.withModelCopy({ try Data(dense.utf8).write(to: URL(fileURLWithPath: $0 + "/modules.json")) }) { directory in
            let error = Self.load(directory)
            #expect(error?.kind == .malformedJSON && error?.description.contains("Dense") == true, "\(String(describing: error))")
        }
        let twoModes = #"{"word_embedding_dimension":384,"pooling_mode_mean_tokens":true,"pooling_mode_max_tokens":true}"#
        try Self.withModelCopy({ try Data(twoModes.utf8).write(to: URL(fileURLWithPath: $0 + "/1_Pooling/config.json")) }) { directory in
            #expect(Self.load(directory)?.kind == .malformedJSON)
        }
        let cls = #"{"word_embedding_dimension":384,"pooling_mode_cls_token":true,"pooling_mode_mean_tokens":false}"#
        try Self.withModelCopy({ try Data(cls.utf8).write(to: URL(fileURLWithPath: $0 + "/1_Pooling/config.json")) }) { directory in
            let model = try BertModel(directory: directory)
            #expect(model.config.pooling == .cls)
        }
    }

    @Test func aConfigThatIsNotJSONIsRefused() throws {
        try Self.withModelCopy({ try Data("{\"hidden_size\": ".utf8).write(to: URL(fileURLWithPath: $0 + "/config.json")) }) { directory in
            #expect(Self.load(directory)?.kind == .malformedJSON)
        }
        try Self.withModelCopy({ try Data("{\"model\": {\"type\": \"BPE\"}}".utf8).write(to: URL(fileURLWithPath: $0 + "/tokenizer.json")) }) { directory in
            #expect(Self.load(directory)?.kind == .invalidTokenizer)
        }
    }
}
