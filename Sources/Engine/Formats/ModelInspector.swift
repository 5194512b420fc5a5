import Memory

/// Human-readable summaries of model files for `strata inspect`.
public enum ModelInspector {
    /// Metadata and tensor table of a GGUF file, llama2.c checkpoint, safetensors file or BERT
    /// model directory.
    public static func report(path: String) throws(ModelFileError) -> String {
        if BertModel.isModelDirectory(path) {
            return report(bert: try ModelRegistry.encoder(directory: path))
        }
        let file = try MappedFile.modelFile(path, minimumSize: 4)
        if file.magic == GGUFFile.magic {
            return report(gguf: try GGUFFile(file: file))
        }
        if SafetensorsFile.recognizes(file) {
            return report(safetensors: try SafetensorsFile(file: file))
        }
        return report(checkpoint: try Llama2CCheckpoint(file: file))
    }

    /// The file's header, then whether Strata can run it (`Runnability`), then its metadata and tensors.
    public static func report(gguf: GGUFFile) -> String {
        var out = "\(gguf.file.path): GGUF v\(gguf.version), \(gguf.file.size) bytes, "
        out += "\(gguf.metadataKeys.count) metadata keys, \(gguf.tensors.count) tensors, "
        out += "alignment \(gguf.alignment), data at offset \(gguf.dataOffset)\n\n"
        out += Runnability(gguf: gguf).report
        out += "\nmetadata:\n"
        let width = gguf.metadataKeys.map(\.count).max() ?? 0
        for key in gguf.metadataKeys {
            let value = gguf.metadata[key]!
            // Keys, values and names come from the file: escaped before they reach a terminal.
            var shown = value.description.escapedForTerminal
            if shown.count > 120 { shown = String(shown.prefix(117)) + "..." }
            out += "  \(pad(key.escapedForTerminal, width))  \(pad(value.type.description, 4))  \(shown)\n"
        }
        out += "\n" + table(gguf.tensors, dataOffset: gguf.dataOffset)
        return out
    }

    public static func report(checkpoint: Llama2CCheckpoint) -> String {
        let c = checkpoint.config
        var out = "\(checkpoint.file.path): llama2.c checkpoint, \(checkpoint.file.size) bytes\n\nconfig:\n"
        out += "  dim \(c.dim), hidden_dim \(c.hiddenDim), n_layers \(c.layers), n_heads \(c.heads), "
        out += "n_kv_heads \(c.kvHeads), vocab_size \(c.vocabularySize), seq_len \(c.contextLength)\n\n"
        out += table(checkpoint.tensors, dataOffset: Llama2CCheckpoint.headerBytes)
        return out
    }

    public static func report(bert: BertModel) -> String {
        let c = bert.config
        var out = "\(bert.directory): BERT embedding model\n\nconfig:\n"
        out += "  hidden \(c.hidden), layers \(c.layers), heads \(c.heads), intermediate \(c.intermediate), "
        out += "vocab_size \(c.vocabularySize), max_position_embeddings \(c.maxPositions), max_seq_length \(c.maxSequenceLength), "
        out += "pooling \(c.pooling.rawValue), normalize \(c.normalize), layer_norm_eps \(c.layerNormEpsilon)\n"
        out += "  tokenizer: WordPiece, \(bert.tokenizer.vocabularySize) entries\n\n"
        return out + report(safetensors: bert.file)
    }

    public static func report(safetensors: SafetensorsFile) -> String {
        var out = "\(safetensors.file.path): safetensors, \(safetensors.file.size) bytes, \(safetensors.tensors.count) tensors, "
        out += "data at offset \(safetensors.dataOffset)\n"
        for (key, value) in safetensors.metadata.sorted(by: { $0.key < $1.key }) {
            out += "  \(key.escapedForTerminal): \(value.escapedForTerminal)\n"
        }
        let entries = safetensors.tensors.values.sorted { $0.offset < $1.offset }
        let nameWidth = max(4, entries.map(\.name.count).max() ?? 0)
        out += "\ntensors:\n  \(pad("name", nameWidth))  \(pad("type", 5))  \(pad("shape", 18))  \(pad("bytes", 12))  offset\n"
        for e in entries {
            let shape = "[" + e.shape.map(String.init).joined(separator: ", ") + "]"
            out += "  \(pad(e.name.escapedForTerminal, nameWidth))  \(pad(e.dtypeName.escapedForTerminal, 5))  \(pad(shape, 18))  \(pad(String(e.byteCount), 12))  \(e.offset)\n"
        }
        out += "  \(entries.count) tensors, \(entries.reduce(0) { $0 + $1.byteCount }) bytes of weights\n"
        return out
    }

    static func table(_ tensors: [GGUFTensorInfo], dataOffset: Int) -> String {
        let nameWidth = max(4, tensors.map(\.name.count).max() ?? 0)
        var out = "tensors:\n  \(pad("name", nameWidth))  \(pad("type", 5))  \(pad("shape", 18))  \(pad("bytes", 12))  offset\n"
        var total = 0
        for t in tensors {
            let shape = "[" + t.dims.map(String.init).joined(separator: ", ") + "]"
            out += "  \(pad(t.name.escapedForTerminal, nameWidth))  \(pad(t.type.name, 5))  \(pad(shape, 18))  \(pad(String(t.byteCount), 12))  \(dataOffset + t.offset)\n"
            total += t.byteCount
        }
        out += "  \(tensors.count) tensors, \(total) bytes of weights\n"
        return out
    }

    static func pad(_ s: String, _ width: Int) -> String {
        s.count >= width ? s : s + String(repeating: " ", count: width - s.count)
    }
}
