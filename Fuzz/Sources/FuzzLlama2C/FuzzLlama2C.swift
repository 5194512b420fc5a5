import Engine
import FuzzSupport

// A llama2.c checkpoint as `ModelLoader` opens it: the seven-int32 header, the tensor layout
// it implies checked against the file's size, then the Llama model over those tensors.
// Every refusal must be a `ModelFileError`.

private let file = MemoryFile("llama2c")

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    file.run(data, size) { path in
        let checkpoint = try Llama2CCheckpoint(path: path)
        _ = ModelInspector.report(checkpoint: checkpoint)
        _ = try LlamaModel(table: checkpoint, config: checkpoint.config)
    }
}
