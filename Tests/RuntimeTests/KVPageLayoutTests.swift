import TestSupport
import Testing
@testable import StrataRuntime

/// Page geometry, and `storeKV` writing exactly its two rows within each format's rounding.
@Suite struct KVPageLayoutTests {
    @Test func sizesFollowTheRowType() {
        let f32 = KVPageLayout(layers: 3, blockTokens: 5, kvDim: 64, dtype: .f32)
        #expect(f32.rowBytes == 256 && f32.layerBytes == 2560 && f32.pageBytes == 7680 && f32.bytesPerToken == 1536)
        let f16 = KVPageLayout(layers: 3, blockTokens: 5, kvDim: 64)
        #expect(f16.dtype == .f16)
        #expect(f16.rowBytes == 128 && f16.layerBytes == 1280 && f16.pageBytes == 3840 && f16.bytesPerToken == 768)
        let q8 = KVPageLayout(layers: 3, blockTokens: 5, kvDim: 64, dtype: .q8_0)
        #expect(q8.rowBytes == 68 && q8.layerBytes == 680 && q8.pageBytes == 2040 && q8.bytesPerToken == 408)
        #expect(q8.pageBytes == q8.bytesPerToken * q8.blockTokens)
    }

    @Test(arguments: KVPageLayout.supportedTypes)
    func rowsTileThePageLayerByLayerKeysThenValues(dtype: DType) {
        let layout = KVPageLayout(layers: 4, blockTokens: 3, kvDim: 32, dtype: dtype)
        let page = UnsafeMutableRawPointer(bitPattern: 0x10000)!
        var offsets: [Int] = []
        for layer in 0..<layout.layers {
            for slot in 0..<layout.blockTokens { offsets.append(layout.keyRow(page, layer: layer, slot: slot) - page) }
            for slot in 0..<layout.blockTokens { offsets.append(layout.valueRow(page, layer: layer, slot: slot) - page) }
        }
        #expect(offsets == Array(stride(from: 0, to: layout.pageBytes, by: layout.rowBytes)))
    }

    @Test(arguments: KVPageLayout.supportedTypes)
    func storeKVWritesItsTwoRowsWithinTheFormatsRounding(dtype: DType) {
        var random = TestRandom(seed: 960)
        let layout = KVPageLayout(layers: 3, blockTokens: 5, kvDim: 96, dtype: dtype)
        let page = UnsafeMutableRawPointer.allocate(byteCount: layout.pageBytes, alignment: 64)
        defer { page.deallocate() }
        for (layer, slot) in [(0, 0), (1, 3), (2, 4)] {
            page.initializeMemory(as: UInt8.self, repeating: 0xA5, count: layout.pageBytes)
            let key = random.floats(layout.kvDim, in: -3...3)
            let value = random.floats(layout.kvDim, in: -0.01...0.01)
            Kernels.storeKV(key: key, value: value, page: page, layer: layer, slot: slot, layout: layout)

            let keyRow = layout.keyRow(page, layer: layer, slot: slot) - page
            let valueRow = layout.valueRow(page, layer: layer, slot: slot) - page
            let bytes = UnsafeRawBufferPointer(start: page, count: layout.pageBytes)
            let untouched = bytes.indices.allSatisfy { i in
                (keyRow..<(keyRow + layout.rowBytes)).contains(i) || (valueRow..<(valueRow + layout.rowBytes)).contains(i)
                    || bytes[i] == 0xA5
            }
            #expect(untouched, "storeKV wrote outside its rows")

            for (x, offset) in [(key, keyRow), (value, valueRow)] {
                var y = [Float](repeating: .nan, count: layout.kvDim)
                Quantization.dequantize(page + offset, dtype: dtype, count: layout.kvDim, into: &y)
                #expect(y.map(Double.init) == kvRounded(x[...], dtype))
                for b in stride(from: 0, to: layout.kvDim, by: 32) {
                    let amax = x[b..<(b + 32)].map(abs).max()!
                    for i in b..<(b + 32) {
                        switch dtype {
                        case .f32: #expect(y[i] == x[i])
                        case .f16: #expect(abs(y[i] - x[i]) <= Float(Float16(x[i]).ulp) / 2)
                        default:  // half a step, plus the f16 scale's rounding (see QuantizationTests)
                            let d = amax / 127
                            #expect(abs(y[i] - x[i]) <= d / 2 + 127 * abs(d - Float(Float16(d))) + amax * 1e-6)
                        }
                    }
                }
            }
        }
    }
}
