/// Named tensors laid out in a mapped file: a GGUF file, or a llama2.c checkpoint whose
/// fixed layout is described with GGUF names so one weight loader serves both.
public protocol TensorTable: AnyObject, Sendable {
    /// Every entry, in file order.
    var tensors: [GGUFTensorInfo] { get }
    /// The entry named `name` (GGUF naming: `blk.3.attn_q.weight`), if present.
    func tensor(named name: String) -> GGUFTensorInfo?
    /// The start of a tensor's bytes; valid while the table is alive.
    func unsafeData(of tensor: GGUFTensorInfo) -> UnsafeRawPointer
}

extension GGUFFile: TensorTable {}
