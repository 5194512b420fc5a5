import Memory

/// The forward pass's operations on the device (see `ComputeBackend` for each one's contract).
extension CUDABackend {
    public func embed(_ table: Tensor, tokens: UnsafePointer<Int32>, count: Int, into out: UnsafeMutablePointer<Float>) {
        // A split looks embeddings up on the host; a pass that asks here gets them there, then sent up.
        host.embed(table, tokens: tokens, count: count, into: out)
        upload(out, count: count * table.columns)
    }

    public func rmsNorm(out: UnsafeMutablePointer<Float>, x: UnsafePointer<Float>, weight: UnsafePointer<Float>,
                        dim: Int, rows: Int, eps: Float) {
        rmsNorm(out: d(out), x: x, weight: weight, dim: dim, rows: rows, eps: eps)
    }

    public func rmsNorm(x: UnsafePointer<Float>, weight: UnsafePointer<Float>, dim: Int, rows: Int, eps: Float, into q: Q8Rows) {
        rmsNorm(out: d(q), x: x, weight: weight, dim: dim, rows: rows, eps: eps)
    }

    private func rmsNorm(out: UInt64, x: UnsafePointer<Float>, weight: UnsafePointer<Float>, dim: Int, rows: Int, eps: Float) {
        guard rows > 0 else { return }
        launch("rms_norm", grid: (UInt32(rows), 1, 1), block: Self.threads(dim)) {
            $0.append(address: out); $0.append(address: d(x)); $0.append(address: d(weight)); $0.append(Int32(dim)); $0.append(eps)
        }
    }

    public func quantize(_ x: UnsafePointer<Float>, rows: Int, columns: Int, into q: Q8Rows) {
        // The device keeps 8-bit activations as floats: quantizing is a copy.
        copy(d(q), from: d(x), count: rows * columns)
    }

    public func copy(_ out: UnsafeMutablePointer<Float>, from x: UnsafePointer<Float>, count: Int) {
        copy(d(out), from: d(x), count: count)
    }

    private func copy(_ out: UInt64, from x: UInt64, count: Int) {
        elementwise("copy_floats", count: count) { $0.append(address: out); $0.append(address: x); $0.append(Int32(count)) }
    }

    public func matmul(out: UnsafeMutablePointer<Float>, x: UnsafePointer<Float>, rows: Int, weight: Tensor) {
        matmul(out: d(out), x: d(x), tokens: rows, weight: weight)
    }

    public func matmul(out: UnsafeMutablePointer<Float>, x: Q8Rows, weight: Tensor) {
        matmul(out: d(out), x: d(x), tokens: x.rows, weight: weight)
    }

    /// `out[t] = weight * x[t]` for `tokens` float rows: GEMV kernels for few tokens, cuBLAS
    /// for more (F32 weights as they are, others decoded to F16 a chunk of rows at a time).
    private func matmul(out: UInt64, x: UInt64, tokens: Int, weight: Tensor) {
        guard tokens > 0 else { return }
        let w = d(weight.data)
        let rows = weight.rows, columns = weight.columns
        if tokens <= Self.gemvMaxTokens || halfWeights == nil {
            guard let gemv = kernels.variant(.gemv, weight.dtype) else { preconditionFailure("CUDABackend: no GEMV for \(weight.dtype)") }
            let warps = 4
            launch(gemv, grid: (UInt32((rows + warps - 1) / warps), UInt32(tokens), 1), block: warps * 32) {
                $0.append(address: out); $0.append(address: w); $0.append(address: x); $0.append(Int32(rows)); $0.append(Int32(columns))
            }
            return
        }
        if weight.dtype == .f32 {
            must { () throws(CUDAError) in
                try blas.gemm(out: out, outStride: rows, weight: w, x: x, element: .f32, rows: rows, tokens: tokens, columns: columns)
            }
            return
        }
        guard let dequantize = kernels.variant(.dequantizeF16, weight.dtype), let halfX = halfActivations, let halfW = halfWeights else {
            preconditionFailure("CUDABackend: no F16 decoding for \(weight.dtype)")
        }
        elementwise("to_half", count: tokens * columns) { $0.append(address: halfX.address); $0.append(address: x); $0.append(Int32(tokens * columns)) }
        let chunk = max(1, halfWeightElements / columns)
        var first = 0
        while first < rows {
            let n = min(chunk, rows - first)
            let source = w + UInt64(first * weight.rowBytes)
            launch(dequantize, grid: (UInt32(n), 1, 1), block: Self.threads(columns)) {
                $0.append(address: halfW.address); $0.append(address: source); $0.append(Int32(columns))
            }
            must { () throws(CUDAError) in
                try blas.gemm(out: out + UInt64(first * 4), outStride: rows, weight: halfW.address, x: halfX.address, element: .f16,
                              rows: n, tokens: tokens, columns: columns)
            }
            first += n
        }
    }

    public func add(_ y: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>, count: Int) {
        elementwise("add", count: count) { $0.append(address: d(y)); $0.append(address: d(x)); $0.append(Int32(count)) }
    }

    public func addBias(_ y: UnsafeMutablePointer<Float>, _ bias: UnsafePointer<Float>, rows: Int, columns: Int) {
        elementwise("add_bias", count: rows * columns) {
            $0.append(address: d(y)); $0.append(address: d(bias)); $0.append(Int32(rows)); $0.append(Int32(columns))
        }
    }

    public func scale(_ x: UnsafeMutablePointer<Float>, by alpha: Float, count: Int) {
        elementwise("scale", count: count) { $0.append(address: d(x)); $0.append(alpha); $0.append(Int32(count)) }
    }

    public func softcap(_ x: UnsafeMutablePointer<Float>, cap: Float, count: Int) {
        elementwise("softcap", count: count) { $0.append(address: d(x)); $0.append(cap); $0.append(Int32(count)) }
    }

    public func gated(_ activation: GatedActivation, gate: UnsafeMutablePointer<Float>, up: UnsafePointer<Float>, count: Int) {
        gated(activation, out: d(gate), gate: gate, up: up, count: count)
    }

    public func gated(_ activation: GatedActivation, gate: UnsafePointer<Float>, up: UnsafePointer<Float>, rows: Int, columns: Int,
                      into q: Q8Rows) {
        gated(activation, out: d(q), gate: gate, up: up, count: rows * columns)
    }

    private func gated(_ activation: GatedActivation, out: UInt64, gate: UnsafePointer<Float>, up: UnsafePointer<Float>, count: Int) {
        let kernel = switch activation {
        case .silu: "gated_silu"
        case .gelu: "gated_gelu"
        }
        elementwise(kernel, count: count) {
            $0.append(address: out); $0.append(address: d(gate)); $0.append(address: d(up)); $0.append(Int32(count))
        }
    }

    public func rope(_ x: UnsafeMutablePointer<Float>, stride: Int, heads: Int, rope: Rope, batch: AttentionBatch) {
        guard batch.tokens > 0 else { return }
        let metadata = uploadBatch(batch)
        let (theta, factors) = ropeTable(rope)
        let pairs = rope.ropeDims / 2
        launch("rope", grid: (UInt32(batch.tokens), 1, 1), block: Self.threads(heads * pairs)) {
            $0.append(address: d(x)); $0.append(Int32(stride)); $0.append(Int32(heads)); $0.append(Int32(rope.headDim))
            $0.append(Int32(rope.ropeDims)); $0.append(address: metadata.positions); $0.append(address: theta)
            $0.append(address: factors); $0.append(rope.frequencyScale); $0.append(rope.attentionFactor)
            $0.append(Int32(rope.style == .neox ? 1 : 0))
        }
    }

    public func storeKV(key: UnsafePointer<Float>, value: UnsafePointer<Float>, stride: Int, layer: Int, batch: AttentionBatch) {
        guard batch.tokens > 0 else { return }
        let metadata = uploadBatch(batch)
        let place = kvPlace(layer, batch)
        guard let store = kernels.variant(.storeKV, place.layout.dtype) else {
            preconditionFailure("CUDABackend: no KV store for \(place.layout.dtype)")
        }
        launch(store, grid: (UInt32(batch.tokens), 1, 1), block: 128) {
            $0.append(address: d(key)); $0.append(address: d(value)); $0.append(Int32(stride)); $0.append(Int32(place.layout.kvDim))
            $0.append(address: place.tables); $0.append(Int32(maxBlocks)); $0.append(address: metadata.entries)
            $0.append(address: metadata.positions); $0.append(Int32(place.layout.blockTokens)); $0.append(place.offset)
            $0.append(Int32(place.layout.rowBytes))
        }
    }

    public func attention(out: UnsafeMutablePointer<Float>, q: UnsafePointer<Float>, layer: AttentionLayer, batch: AttentionBatch) {
        guard batch.tokens > 0 else { return }
        let metadata = uploadBatch(batch)
        let place = kvPlace(layer.layer, batch)
        guard let attend = kernels.variant(.pagedAttention, place.layout.dtype) else {
            preconditionFailure("CUDABackend: no attention over \(place.layout.dtype) pages")
        }
        let qDim = layer.heads * layer.headDim
        launch(attend, grid: (UInt32(batch.tokens), UInt32(layer.heads), 1), block: 128) {
            $0.append(address: d(out)); $0.append(Int32(qDim)); $0.append(address: d(q)); $0.append(Int32(qDim))
            $0.append(address: place.tables); $0.append(Int32(maxBlocks)); $0.append(address: metadata.entries)
            $0.append(address: metadata.positions); $0.append(Int32(layer.heads)); $0.append(Int32(layer.kvHeads))
            $0.append(Int32(layer.headDim)); $0.append(layer.scale); $0.append(Int32(layer.window))
            $0.append(Int32(place.layout.blockTokens)); $0.append(place.offset); $0.append(Int32(place.layout.rowBytes))
        }
    }

    public func pageWillBeRead(_ page: UnsafeMutableRawPointer) {
        must { () throws(CUDAError) in
            guard fullPages != nil || windowPages != nil else { return }
            try context.makeCurrent()
            try fullPages?.pageWillBeRead(page)
            try windowPages?.pageWillBeRead(page)
        }
    }

    public func pageWasWritten(_ page: UnsafeMutableRawPointer) {
        fullPages?.pageWasWritten(page)
        windowPages?.pageWasWritten(page)
    }

    public var pageMirror: (any KVPageMirror)? { self }
}
