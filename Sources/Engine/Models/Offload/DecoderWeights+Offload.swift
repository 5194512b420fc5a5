import StrataRuntime

extension DecoderWeights {
    /// The weights a device reads for `plan`, as the forward pass addresses them: each offloaded
    /// block's matrices, norms and biases, and the output norm and head when the head is
    /// offloaded. Each range once (a tied head is the embedding).
    public func deviceRanges(plan: OffloadPlan, headDim: Int) -> [UnsafeRawBufferPointer] {
        var ranges: [UnsafeRawBufferPointer] = []
        var seen = Set<UnsafeRawPointer>()
        func add(_ base: UnsafeRawPointer?, _ bytes: Int) {
            guard let base, bytes > 0, seen.insert(base).inserted else { return }
            ranges.append(UnsafeRawBufferPointer(start: base, count: bytes))
        }
        func add(_ tensor: Tensor) { add(tensor.data, tensor.rowBytes * tensor.rows) }
        func add(_ vector: UnsafePointer<Float>?, count: Int) { add(vector.map(UnsafeRawPointer.init), count * 4) }
        for layer in layers[plan.firstDeviceBlock...] {
            let a = layer.attention, f = layer.ffn
            add(a.norm, count: a.wq.columns)
            for m in a.matrices + f.matrices { add(m) }
            add(a.bq, count: a.wq.rows)
            add(a.bk, count: a.wk.rows)
            add(a.bv, count: a.wv.rows)
            add(a.qNorm, count: headDim)
            add(a.kNorm, count: headDim)
            add(a.postNorm, count: a.wo.rows)
            add(f.norm, count: f.gate.columns)
            add(f.postNorm, count: f.down.rows)
        }
        if plan.outputOnDevice {
            add(outputNorm, count: output.columns)
            add(output)
        }
        return ranges
    }

    /// The first offloaded matrix the device has no kernels for, as an error naming it.
    public func unsupportedOnDevice(plan: OffloadPlan, supported: [DType]) -> CUDAError? {
        func check(_ tensor: Tensor, _ part: String) -> CUDAError? {
            supported.contains(tensor.dtype) ? nil
                : .unsupportedWeights(part: part, type: tensor.dtype.description, supported: supported.map(\.description))
        }
        for (i, layer) in layers.enumerated() where plan.isOnDevice(block: i) {
            for m in layer.attention.matrices + layer.ffn.matrices {
                if let error = check(m, "block \(i)") { return error }
            }
        }
        return plan.outputOnDevice ? check(output, "the output head") : nil
    }
}
