import Engine
import Foundation
import Testing
import TestSupport

/// `strata inspect` output: a GGUF report lists every metadata key and tensor; a llama2.c
/// report lists the config from the header and the derived tensor table.
@Suite struct ModelInspectorTests {
    @Test func ggufReportListsEveryMetadataKeyAndTensor() throws {
        let path = Fixtures.model("stories260K.gguf")
        let report = try ModelInspector.report(path: path)
        let file = try GGUFFile(path: path)
        #expect(report.hasPrefix("\(path): GGUF v3, \(file.file.size) bytes, 19 metadata keys, 48 tensors"))
        #expect(report.contains("alignment 32, data at offset \(file.dataOffset)"))
        let lines = report.split(separator: "\n").map(String.init)
        for key in file.metadataKeys {
            #expect(lines.contains { $0.hasPrefix("  \(key) ") }, "metadata key \(key) is not listed")
        }
        for t in file.tensors {
            let row = lines.first { $0.hasPrefix("  \(t.name) ") }
            #expect(row != nil, "tensor \(t.name) is not listed")
            if let row {
                #expect(row.contains("f32"))
                #expect(row.contains("[" + t.dims.map(String.init).joined(separator: ", ") + "]"))
                #expect(row.hasSuffix(" \(file.dataOffset + t.offset)"), "\(t.name) row shows its absolute offset")
            }
        }
        #expect(report.contains("48 tensors, \(file.tensors.map(\.byteCount).reduce(0, +)) bytes of weights"))
        #expect(lines.contains { $0.contains("llama.embedding_length") && $0.contains("u32") && $0.hasSuffix("64") })
        #expect(lines.contains { $0.contains("general.architecture") && $0.contains("\"llama\"") })
        #expect(lines.contains { $0.contains("tokenizer.ggml.tokens") && $0.contains("... (512 str)") })
        #expect(lines.allSatisfy { $0.count < 200 }, "long values are cut short")
    }

    @Test func checkpointReportListsTheConfigAndTensors() throws {
        let path = Fixtures.model("stories260K.bin")
        let report = try ModelInspector.report(path: path)
        #expect(report.hasPrefix("\(path): llama2.c checkpoint, 1056540 bytes"))
        #expect(report.contains("dim 64, hidden_dim 172, n_layers 5, n_heads 8, n_kv_heads 4, vocab_size 512, seq_len 512"))
        let checkpoint = try Llama2CCheckpoint(path: path)
        let lines = report.split(separator: "\n").map(String.init)
        for t in checkpoint.tensors {
            #expect(lines.contains { $0.hasPrefix("  \(t.name) ") && $0.hasSuffix(" \(28 + t.offset)") }, "\(t.name)")
        }
        #expect(report.contains("\(checkpoint.tensors.count) tensors"))
    }

    @Test func vocabOnlyGGUFReportsNoTensors() throws {
        let report = try ModelInspector.report(path: Fixtures.model("vocab/ggml-vocab-gpt-2.gguf"))
        #expect(report.contains("16 metadata keys, 0 tensors"))
        #expect(report.contains("tokenizer.ggml.merges"))
        #expect(report.contains("0 tensors, 0 bytes of weights"))
    }

    @Test func unreadableInputsThrowTypedErrors() throws {
        let missing = Fixtures.temporaryPath("absent")
        #expect(throws: ModelFileError.file(.missing(path: missing))) { _ = try ModelInspector.report(path: missing) }
        try withTemporaryFile("three-bytes", contents: [0x47, 0x47, 0x55]) { path in
            #expect(throws: ModelFileError.file(.tooShort(path: path, size: 3, needed: 4))) { _ = try ModelInspector.report(path: path) }
        }
        try withTemporaryFile("text", contents: Array("just some text, not a model at all".utf8)) { path in
            #expect(throws: ModelFileError.self) { _ = try ModelInspector.report(path: path) }
        }
        let truncated = try fileBytes(Fixtures.model("stories260K.gguf")).prefix(5000)
        try withTemporaryFile("truncated.gguf", contents: truncated) { path in
            #expect(throws: ModelFileError.self) { _ = try ModelInspector.report(path: path) }
        }
    }
}

/// Text from a model file reaches the terminal escaped: a name or value holding an escape
/// sequence, a newline or a bidirectional override cannot rewrite what `strata inspect` shows.
@Suite struct InspectEscapingTests {
    @Test func controlCharactersInModelStringsAreEscaped() throws {
        var writer = GGUFWriter()
        writer.add("general.architecture", .string("llama\u{1B}[2J"))
        writer.add("general.name", .string("evil\nfake line\u{202E}txt"))
        _ = try writer.addTensor("token_embd.weight\u{07}", dims: [4, 4], type: GGMLType(.f32))
        let path = Fixtures.temporaryPath("escapes.gguf")
        try writer.write(to: path) { _, buffer in buffer.initializeMemory(as: UInt8.self, repeating: 0) }
        defer { unlink(path) }
        let report = try ModelInspector.report(path: path)
        #expect(!report.unicodeScalars.contains { $0.value == 0x1B || $0.value == 0x07 || $0.value == 0x202E })
        #expect(report.contains(#""llama\u{1B}[2J""#))
        #expect(report.contains(#""evil\u{A}fake line\u{202E}txt""#))
        #expect(report.contains(#"token_embd.weight\u{7}"#))
        #expect(!report.split(separator: "\n").contains { $0.hasPrefix("fake line") })
        #expect("plain, ünïcode ✓".escapedForTerminal == "plain, ünïcode ✓")
    }
}
