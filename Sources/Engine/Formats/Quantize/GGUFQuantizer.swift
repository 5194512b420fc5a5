#if canImport(Glibc)
import Glibc
#endif
import StrataRuntime
import Synchronization

/// Rewrites a GGUF file with its weight matrices in other types (`strata quantize`), as
/// `llama-quantize` does: the same per-tensor types (`QuantizationPlan`), the same quantizers
/// (`Quantization.quantize`, bit-exact with ggml's without an importance matrix), metadata kept
/// with `general.file_type` and `general.quantization_version` set. Tensors that are not
/// quantized (norms, and matrices already in their target type) are copied byte for byte; a
/// quantized input is dequantized first (llama.cpp's `--allow-requantize`).
public enum GGUFQuantizer {
    /// Why a file cannot be quantized.
    public enum QuantizeError: Error, CustomStringConvertible {
        /// A tensor that must be converted is stored in a type Strata cannot read.
        case unreadableTensorType(tensor: String, type: String)
        /// A mix needs a model fact the file's metadata lacks.
        case missingMetadata(key: String)
        /// The output would overwrite the input.
        case outputIsInput(String)
        /// A value to be quantized is NaN or infinite.
        case nonFiniteValue(tensor: String, row: Int)

        public var description: String {
            switch self {
            case .unreadableTensorType(let tensor, let type):
                return "tensor '\(tensor)' is stored as \(type), which strata cannot dequantize; "
                    + "convert the model from its F16/F32 original instead"
            case .missingMetadata(let key):
                return "the file has no '\(key)' metadata, which the quantization mix needs; "
                    + "use --pure to give every matrix the same type"
            case .outputIsInput(let path):
                return "\(path): the output must be a different file than the input"
            case .nonFiniteValue(let tensor, let row):
                return "tensor '\(tensor)' has a NaN or infinite value in row \(row); the file is damaged or was "
                    + "exported with an overflow"
            }
        }
    }

    /// What one call did.
    public struct Summary: Sendable {
        /// Tensors converted to another type.
        public var converted = 0
        /// Tensors written in a fallback type because of their row length.
        public var fallbacks = 0
        /// Output tensors per type, by type name.
        public var typeCounts: [String: Int] = [:]
    }

    /// `general.quantization_version` as llama.cpp writes it (`GGML_QNT_VERSION`).
    public static let quantizationVersion: UInt32 = 2

    /// Writes `input` with its matrices converted for `fileType` (llama.cpp's mix, or every
    /// quantizable matrix in the default type if `pure`) to `path`, using `pool` for the rows.
    /// `progress(done, total)` is called after each tensor.
    @discardableResult
    public static func quantize(_ input: GGUFFile, to fileType: LlamaFileType, pure: Bool = false, path: String,
                                pool: ThreadPool? = nil, progress: (Int, Int) -> Void = { _, _ in }) throws -> Summary {
        if let a = realpath(input.file.path, nil) {
            defer { free(a) }
            if let b = realpath(path, nil) {
                defer { free(b) }
                if strcmp(a, b) == 0 { throw QuantizeError.outputIsInput(path) }
            }
        }
        let plan = try QuantizationPlan(tensors: input.tensors, metadata: input.metadata, fileType: fileType, pure: pure)
        var summary = Summary()
        summary.fallbacks = plan.fallbacks
        var writer = GGUFWriter(alignment: input.alignment)
        for key in input.metadataKeys where key != "general.alignment" {
            if key == "general.file_type" || key == "general.quantization_version" { continue }
            writer.add(key, input.metadata[key]!)
        }
        writer.add("general.quantization_version", .uint32(quantizationVersion))
        writer.add("general.file_type", .uint32(fileType.rawValue))
        for (t, target) in zip(input.tensors, plan.targets) {
            if target != t.type {
                guard t.type.dtype != nil, target.dtype != nil else {
                    throw QuantizeError.unreadableTensorType(tensor: t.name, type: t.type.name)
                }
                summary.converted += 1
            }
            summary.typeCounts[target.name, default: 0] += 1
            try writer.addTensor(t.name, dims: t.dims, type: target)
        }
        try input.file.advise(.sequential)
        do {
            try write(input, with: writer, to: path, pool: pool ?? ThreadPool(threads: 1), progress: progress)
        } catch GGUFWriter.WriteError.cannotCreate(let path, let errno) {
            throw GGUFWriter.WriteError.cannotCreate(path: path, errno: errno)  // nothing of ours to remove
        } catch {
            unlink(path)  // no half-written model left behind
            throw error
        }
        return summary
    }

    /// Streams the tensors of `input` into `writer`'s layout at `path`: copies where the type
    /// is unchanged, converts the rest.
    private static func write(_ input: GGUFFile, with writer: GGUFWriter, to path: String, pool: ThreadPool,
                              progress: (Int, Int) -> Void) throws {
        var done = 0
        try writer.write(to: path) { info, bytes in
            let source = input.tensors[done]
            let data = input.unsafeData(of: source)
            if info.type == source.type {
                bytes.copyMemory(from: UnsafeRawBufferPointer(start: data, count: source.byteCount))
            } else {
                let tensor = Tensor(data: data, dtype: source.type.dtype!, columns: source.columns, rows: source.rows)
                if let row = convert(tensor, to: info.type.dtype!, into: bytes.baseAddress!, pool: pool) {
                    throw QuantizeError.nonFiniteValue(tensor: source.name, row: row)
                }
            }
            done += 1
            progress(done, input.tensors.count)
        }
    }

    /// Writes each row of `tensor` in `type` at `dst` (rows `type.rowBytes(columns)` apart),
    /// rows shared out over `pool`. Returns the first row holding a NaN or an infinity (not
    /// quantized; the quantizers need finite input, as llama.cpp checks too), or nil.
    static func convert(_ tensor: Tensor, to type: DType, into dst: UnsafeMutableRawPointer, pool: ThreadPool) -> Int? {
        let columns = tensor.columns
        let rowBytes = type.rowBytes(columns)!
        let firstBad = Atomic<Int>(.max)
        // Chunks of about 64K values: coarse enough that a dispatch costs nothing.
        let grain = max(1, 65_536 / max(1, columns))
        pool.parallelFor(tensor.rows, grain: grain) { rows in
            let row = UnsafeMutablePointer<Float>.allocate(capacity: columns)
            defer { row.deallocate() }
            for r in rows {
                tensor.dequantizeRow(r, into: row)
                var finite = true
                for i in 0..<columns where !row[i].isFinite { finite = false }
                guard finite else {
                    firstBad.min(r, ordering: .relaxed)
                    continue
                }
                Quantization.quantize(row, count: columns, to: type, into: dst + r &* rowBytes)
            }
        }
        let bad = firstBad.load(ordering: .relaxed)
        return bad == .max ? nil : bad
    }
}
