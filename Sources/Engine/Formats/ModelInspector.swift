import Memory

/// Human-readable summaries of model files for `strata inspect`.
public enum ModelInspector {
    /// Metadata and tensor table of a GGUF file or llama2.c checkpoint.
    public static func report(path: String) throws(ModelFileError) -> String {
        let file = try MappedFile.modelFile(path, minimumSize: 4)
        if file.magic == GGUFFile.magic {
            return report(gguf: try GGUFFile(file: file))
        }
        return report(checkpoint: try Llama2CCheckpoint(file: file))
    }

    public static func report(gguf: GGUFFile) -> String {
        var out = "\(gguf.file.path): GGUF v\(gguf.version), \(gguf.file.size) bytes, "
        out += "\(gguf.metadataKeys.count) metadata keys, \(gguf.tensors.count) tensors, "
        out += "alignment \(gguf.alignment), data at offset \(gguf.dataOffset)\n\nmetadata:\n"
        let width = gguf.metadataKeys.map(\.count).max() ?? 0
        for key in gguf.metadataKeys {
            let value = gguf.metadata[key]!
            var shown = value.description
            if shown.count > 120 { shown = String(shown.prefix(117)) + "..." }
            out += "  \(pad(key, width))  \(pad(value.type.description, 4))  \(shown)\n"
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

    static func table(_ tensors: [GGUFTensorInfo], dataOffset: Int) -> String {
        let nameWidth = max(4, tensors.map(\.name.count).max() ?? 0)
        var out = "tensors:\n  \(pad("name", nameWidth))  \(pad("type", 5))  \(pad("shape", 18))  \(pad("bytes", 12))  offset\n"
        var total = 0
        for t in tensors {
            let shape = "[" + t.dims.map(String.init).joined(separator: ", ") + "]"
            out += "  \(pad(t.name, nameWidth))  \(pad(t.type.name, 5))  \(pad(shape, 18))  \(pad(String(t.byteCount), 12))  \(dataOffset + t.offset)\n"
            total += t.byteCount
        }
        out += "  \(tensors.count) tensors, \(total) bytes of weights\n"
        return out
    }

    static func pad(_ s: String, _ width: Int) -> String {
        s.count >= width ? s : s + String(repeating: " ", count: width - s.count)
    }
}
