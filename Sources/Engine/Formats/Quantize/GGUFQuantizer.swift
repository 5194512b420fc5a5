import StrataRuntime

/// Rewrites a GGUF file with its weight matrices in another type (`strata quantize`):
/// metadata is kept (with `general.file_type` updated), 1-D tensors (norms) stay as they are,
/// and matrices in a type the engine cannot convert from are copied unchanged.
public enum GGUFQuantizer {
    /// Why a file cannot be quantized.
    public enum QuantizeError: Error, CustomStringConvertible {
        case unsupportedTarget(DType)

        public var description: String {
            switch self {
            case .unsupportedTarget(let t):
                let targets = DType.allCases.filter { Quantization.canQuantize(to: $0) && LlamaSynth.fileType($0) != nil }
                return "cannot quantize to \(t); targets are \(targets.map(\.description).joined(separator: ", "))"
            }
        }
    }

    /// Writes `input` with its matrices converted to `type` to `path`; `progress(done, total)`
    /// is called after each tensor. Returns how many tensors were converted.
    @discardableResult
    public static func quantize(_ input: GGUFFile, to type: DType, path: String,
                                progress: (Int, Int) -> Void = { _, _ in }) throws -> Int {
        var writer = GGUFWriter(alignment: input.alignment)
        for key in input.metadataKeys where key != "general.alignment" {
            if key == "general.file_type" { continue }
            writer.add(key, input.metadata[key]!)
        }
        guard let fileType = LlamaSynth.fileType(type), Quantization.canQuantize(to: type) else { throw QuantizeError.unsupportedTarget(type) }
        writer.add("general.file_type", .uint32(fileType))
        var plan: [(source: GGUFTensorInfo, convert: Bool)] = []
        for t in input.tensors {
            let convert = t.dims.count == 2 && t.type.dtype != nil && t.type.dtype != type
                && t.columns % type.blockElements == 0
            try writer.addTensor(t.name, dims: t.dims, type: convert ? GGMLType(type) : t.type)
            plan.append((t, convert))
        }
        let widest = input.tensors.map(\.columns).max() ?? 1
        let row = UnsafeMutablePointer<Float>.allocate(capacity: widest)
        defer { row.deallocate() }
        var done = 0
        try input.file.advise(.sequential)
        try writer.write(to: path) { info, bytes in
            let (source, convert) = plan[done]
            let data = input.unsafeData(of: source)
            if convert {
                let tensor = Tensor(data: data, dtype: source.type.dtype!, columns: source.columns, rows: source.rows)
                let rowBytes = type.rowBytes(source.columns)!
                for r in 0..<source.rows {
                    tensor.dequantizeRow(r, into: row)
                    Quantization.quantize(row, count: source.columns, to: type, into: bytes.baseAddress! + r * rowBytes)
                }
            } else {
                bytes.copyMemory(from: UnsafeRawBufferPointer(start: data, count: source.byteCount))
            }
            done += 1
            progress(done, plan.count)
        }
        return plan.filter(\.convert).count
    }
}
