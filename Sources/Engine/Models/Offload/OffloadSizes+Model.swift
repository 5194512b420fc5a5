import StrataRuntime

extension OffloadSizes {
    /// What offloading each part of `model` costs on a device: per block, its `blk.N.` tensors
    /// and its K and V rows in `kvType` for `tokens` positions of each of `sequences` (a
    /// sliding-window block holds at most its window); the output head is `output.weight`
    /// (the token embedding when the model ties them) with `output_norm.weight`.
    public init(model: any DecoderModel, kvType: DType, tokens: Int, sequences: Int = 1) {
        let shape = model.shape
        var blocks = [Int](repeating: 0, count: shape.layers)
        var output = 0, embedding = 0, hasOutput = false
        for tensor in model.source.tensors {
            if tensor.name.hasPrefix("blk.") {
                let index = tensor.name.dropFirst(4).prefix { $0 != "." }
                if let i = Int(index), i >= 0, i < blocks.count { blocks[i] += tensor.byteCount }
            } else if tensor.name == "output.weight" {
                output += tensor.byteCount
                hasOutput = true
            } else if tensor.name == "output_norm.weight" {
                output += tensor.byteCount
            } else if tensor.name == "token_embd.weight" {
                embedding = tensor.byteCount
            }
        }
        if !hasOutput { output += embedding }
        let rowBytes = kvType.rowBytes(shape.kvDim) ?? shape.kvDim * 4
        for layer in blocks.indices {
            let window = layer < shape.windows.count ? shape.windows[layer] : 0
            let held = window > 0 ? min(tokens, window) : tokens
            blocks[layer] += 2 * rowBytes * held * sequences
        }
        self.init(blockBytes: blocks, outputBytes: output)
    }
}
