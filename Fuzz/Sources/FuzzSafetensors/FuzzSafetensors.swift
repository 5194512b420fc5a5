import Engine
import FuzzSupport

// A safetensors file as a BERT model directory's `model.safetensors` is opened: the 8-byte
// header length, the JSON header (dtypes, shapes, data offsets, overlaps, `__metadata__`), then
// `strata inspect`'s report of it. Every refusal must be a `ModelFileError`.

private let file = MemoryFile("safetensors")

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    file.run(data, size) { path in
        let safetensors = try SafetensorsFile(path: path)
        _ = ModelInspector.report(safetensors: safetensors)
        for entry in safetensors.tensors.values {
            _ = (entry.dtype, entry.elementCount)
        }
    }
}
