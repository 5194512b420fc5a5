import Memory

/// Where a batch's metadata is on the device.
struct DeviceBatch {
    /// [tokens] Int32 entry of each token, and position.
    let entries: UInt64
    let positions: UInt64
}

/// One layer's KV on the device: the batch's device page tables holding it, their layout, and
/// the layer's byte offset in a device page.
struct DeviceKVPlace {
    let tables: UInt64
    let layout: KVPageLayout
    let offset: Int
}

extension CUDABackend {
    /// Sends the batch's token entries, positions and page tables (host pages translated to
    /// their device pages) up, once per pass: the first call after the activations came up.
    func uploadBatch(_ batch: AttentionBatch) -> DeviceBatch {
        let entriesAddress = entries!.address
        let metadata = DeviceBatch(entries: entriesAddress, positions: entriesAddress + UInt64(tokenCapacity * 4))
        guard !batchOnDevice else { return metadata }
        precondition(batch.tokens <= tokenCapacity && batch.maxBlocks == maxBlocks, "CUDABackend: batch larger than bound")
        must { () throws(CUDAError) in
            try stream.synchronize()  // the staging buffer's previous upload has been read
            fullPages?.beginBatch()
            windowPages?.beginBatch()
            let stage = staging!.base
            let ints = stage.assumingMemoryBound(to: Int32.self)
            let n = batch.tokens
            (ints).update(from: batch.tokenEntry, count: n)
            (ints + tokenCapacity).update(from: batch.tokenPosition, count: n)
            // Pages each entry uses: through its last token's position.
            var entryCount = 0
            for i in 0..<n {
                let e = Int(batch.tokenEntry[i])
                if e >= entryCount {
                    for f in entryCount...e { blocksOfEntry[f] = 0 }
                    entryCount = e + 1
                }
                blocksOfEntry[e] = max(blocksOfEntry[e], Int(batch.tokenPosition[i]) / batch.layout.blockTokens + 1)
            }
            let full = (stage + 2 * tokenCapacity * 4).assumingMemoryBound(to: UInt64.self)
            let window = full + tableCapacity
            for e in 0..<entryCount {
                let row = e * maxBlocks
                for b in 0..<blocksOfEntry[e] {
                    full[row + b] = try fullPages?.address(of: batch.pageTables[row + b]) ?? 0
                    let page = batch.windowPageTables[row + b]
                    // Released window pages (left every window) are never read: no device page.
                    window[row + b] = UInt(bitPattern: page) < 4096 ? 0 : try windowPages?.address(of: page) ?? 0
                }
            }
            let tokenBytes = tokenCapacity * 4
            try entries!.upload(ints, count: n * 4, stream: stream)
            try entries!.upload(ints + tokenCapacity, count: n * 4, offset: tokenBytes, stream: stream)
            let tableBytes = entryCount * maxBlocks * 8
            if fullPages != nil { try tables!.upload(full, count: tableBytes, stream: stream) }
            if windowPages != nil { try tables!.upload(window, count: tableBytes, offset: tableCapacity * 8, stream: stream) }
        }
        batchOnDevice = true
        return metadata
    }

    /// Where `layer`'s KV is on the device.
    func kvPlace(_ layer: Int, _ batch: AttentionBatch) -> DeviceKVPlace {
        let place = Int(batch.kvPlaces[layer])
        if place >= 0 {
            guard let pages = fullPages, place >= pages.firstPlace else { preconditionFailure("CUDABackend: layer \(layer)'s KV is on the host") }
            return DeviceKVPlace(tables: tables!.address, layout: batch.layout, offset: (place - pages.firstPlace) * pages.layerBytes)
        }
        guard let pages = windowPages, -1 - place >= pages.firstPlace else { preconditionFailure("CUDABackend: layer \(layer)'s KV is on the host") }
        return DeviceKVPlace(tables: tables!.address + UInt64(tableCapacity * 8), layout: batch.windowLayout,
                             offset: (-1 - place - pages.firstPlace) * pages.layerBytes)
    }

    /// The device's copy of `rope`'s inverse frequencies and frequency factors (0 when none),
    /// uploaded the first time the rope is used (a model has one or two).
    func ropeTable(_ rope: Rope) -> (theta: UInt64, factors: UInt64) {
        let pairs = rope.ropeDims / 2
        let key = rope.inverseFrequencies.withUnsafeBufferPointer { UnsafeRawPointer($0.baseAddress!) }
        let hasFactors = !rope.frequencyFactors.isEmpty
        if let found = ropeTables.first(where: { $0.host == key }) {
            return (found.device, hasFactors ? found.device + UInt64(pairs * 4) : 0)
        }
        var device: UInt64 = 0
        must { () throws(CUDAError) in
            let buffer = try DeviceBuffer(context: context, bytes: 2 * pairs * 4)
            // The model holds the arrays, so their storage outlives the synchronous copies.
            try buffer.upload(key, count: pairs * 4, stream: stream)
            if hasFactors {
                let factors = rope.frequencyFactors.withUnsafeBufferPointer { UnsafeRawPointer($0.baseAddress!) }
                try buffer.upload(factors, count: pairs * 4, offset: pairs * 4, stream: stream)
            }
            try stream.synchronize()
            buffers.append(buffer)
            charge(buffer.bytes)
            device = buffer.address
        }
        ropeTables.append((key, device))
        return (device, hasFactors ? device + UInt64(pairs * 4) : 0)
    }
}
