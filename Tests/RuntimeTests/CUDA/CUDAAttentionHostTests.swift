import Foundation
import Testing
@testable import StrataRuntime

/// The KV kernels on the host: stores write the bytes the CPU's `Kernels.storeKV` writes, and
/// paged attention (two sequences, GQA, every KV type, with and without a window, chunks
/// smaller and larger than the context) equals the CPU's `Kernels.pagedAttention`.
@Suite(.serialized) struct CUDAAttentionHostTests {
    typealias StoreKV = @convention(c) (UInt32, UInt32, UInt32, UnsafePointer<Float>, UnsafePointer<Float>, Int32, Int32,
                                        UnsafePointer<UnsafeMutableRawPointer>, Int32, UnsafePointer<Int32>, UnsafePointer<Int32>,
                                        Int32, Int64, Int32) -> Void
    typealias Attention = @convention(c) (UInt32, UInt32, UInt32, UnsafeMutablePointer<Float>, Int32, UnsafePointer<Float>, Int32,
                                          UnsafePointer<UnsafeMutableRawPointer>, Int32, UnsafePointer<Int32>, UnsafePointer<Int32>,
                                          Int32, Int32, Int32, Float, Int32, Int32, Int64, Int32) -> Void

    static let heads = 4, kvHeads = 2, headDim = 64, blockTokens = 16, layers = 2, maxBlocks = 4
    /// Two sequences: 50 and 20 positions stored.
    static let lengths = [50, 20]

    /// Pages for both sequences, every position of every layer filled by the CPU kernel.
    final class Cache {
        let layout: KVPageLayout
        var tables: [UnsafeMutableRawPointer]
        init(dtype: DType, fill: Bool) {
            layout = KVPageLayout(layers: CUDAAttentionHostTests.layers, blockTokens: CUDAAttentionHostTests.blockTokens,
                                  kvDim: CUDAAttentionHostTests.kvHeads * CUDAAttentionHostTests.headDim, dtype: dtype)
            tables = (0..<(2 * CUDAAttentionHostTests.maxBlocks)).map { _ in
                let page = UnsafeMutableRawPointer.allocate(byteCount: KVPageLayout(
                    layers: CUDAAttentionHostTests.layers, blockTokens: CUDAAttentionHostTests.blockTokens,
                    kvDim: CUDAAttentionHostTests.kvHeads * CUDAAttentionHostTests.headDim, dtype: dtype).pageBytes, alignment: 64)
                page.initializeMemory(as: UInt8.self, repeating: 0, count: KVPageLayout(
                    layers: CUDAAttentionHostTests.layers, blockTokens: CUDAAttentionHostTests.blockTokens,
                    kvDim: CUDAAttentionHostTests.kvHeads * CUDAAttentionHostTests.headDim, dtype: dtype).pageBytes)
                return page
            }
            guard fill else { return }
            let kvDim = layout.kvDim
            for (entry, length) in CUDAAttentionHostTests.lengths.enumerated() {
                for position in 0..<length {
                    for layer in 0..<layout.layers {
                        let seed = UInt64(entry * 10_000 + position * 10 + layer)
                        let key = CUDAKernelHostTests.values(kvDim, seed: seed), value = CUDAKernelHostTests.values(kvDim, seed: seed + 5_000_000)
                        Kernels.storeKV(key: key, value: value, page: tables[entry * CUDAAttentionHostTests.maxBlocks + position / layout.blockTokens],
                                        layer: layer, slot: position % layout.blockTokens, layout: layout)
                    }
                }
            }
        }
        deinit { tables.forEach { $0.deallocate() } }
    }

    @Test(arguments: [DType.f32, .f16, .q8_0])
    func storesWriteWhatTheCPUWrites(_ dtype: DType) throws {
        let k = try CUDAKernelHostTests.kernels()
        let store: StoreKV = k.function("store_kv_\(dtype)")
        let cpu = Cache(dtype: dtype, fill: false), device = Cache(dtype: dtype, fill: false)
        let kvDim = cpu.layout.kvDim, stride = kvDim + 8, layer = 1
        let entries: [Int32] = [0, 0, 1], positions: [Int32] = [0, 17, 5]
        var key = CUDAKernelHostTests.values(entries.count * stride, seed: 77).map { $0 * 3 }
        key[1] = 70_000; key[2] = 1e-6; key[3] = -0.0; key[4] = 65_519; key[5] = 6e-8  // overflow, subnormals, signed zero
        let value = CUDAKernelHostTests.values(entries.count * stride, seed: 78)
        for i in entries.indices {
            let page = cpu.tables[Int(entries[i]) * Self.maxBlocks + Int(positions[i]) / Self.blockTokens]
            key.withUnsafeBufferPointer { k in
                value.withUnsafeBufferPointer { v in
                    Kernels.storeKV(key: k.baseAddress! + i * stride, value: v.baseAddress! + i * stride, page: page, layer: layer,
                                    slot: Int(positions[i]) % Self.blockTokens, layout: cpu.layout)
                }
            }
        }
        store(UInt32(entries.count), 1, 64, key, value, Int32(stride), Int32(kvDim), device.tables, Int32(Self.maxBlocks), entries,
              positions, Int32(Self.blockTokens), Int64(layer * cpu.layout.layerBytes), Int32(cpu.layout.rowBytes))
        for (c, d) in zip(cpu.tables, device.tables) {
            #expect(memcmp(c, d, cpu.layout.pageBytes) == 0)
        }
    }

    @Test(arguments: [DType.f32, .f16, .q8_0], [0, 20])
    func attentionMatchesTheCPUKernel(_ dtype: DType, window: Int) throws {
        let k = try CUDAKernelHostTests.kernels()
        let attention: Attention = k.function("paged_attention_\(dtype)")
        let cache = Cache(dtype: dtype, fill: true)
        let entries: [Int32] = [0, 0, 0, 1], positions: [Int32] = [47, 48, 49, 19]
        let width = Self.heads * Self.headDim, stride = width + 16, layer = 1
        let scale = 1 / Float(Self.headDim).squareRoot()
        let q = CUDAKernelHostTests.values(entries.count * stride, seed: 90)

        var expected = [Float](repeating: 0, count: entries.count * stride)
        let group = Self.heads / Self.kvHeads
        var scratch = [Float](repeating: 0, count: Kernels.pagedAttentionScratch(queries: group, blockTokens: Self.blockTokens, headDim: Self.headDim))
        for i in entries.indices {
            for kvHead in 0..<Self.kvHeads {
                cache.tables.withUnsafeBufferPointer { tables in
                    Kernels.pagedAttention(out: &expected[i * stride], outStride: stride, queries: q.withUnsafeBufferPointer { $0.baseAddress! + i * stride },
                                           queryStride: stride, tokens: 1, firstPosition: Int(positions[i]),
                                           pages: tables.baseAddress! + Int(entries[i]) * Self.maxBlocks, layout: cache.layout, layer: layer,
                                           kvHead: kvHead, headCount: Self.heads, kvHeads: Self.kvHeads, headDim: Self.headDim, scale: scale,
                                           window: window, scratch: &scratch)
                }
            }
        }
        for threads in [32, 64] {  // chunks of 32 positions (several per query) and 64 (one)
            var out = [Float](repeating: 0, count: entries.count * stride)
            attention(UInt32(entries.count), UInt32(Self.heads), UInt32(threads), &out, Int32(stride), q, Int32(stride), cache.tables,
                      Int32(Self.maxBlocks), entries, positions, Int32(Self.heads), Int32(Self.kvHeads), Int32(Self.headDim), scale,
                      Int32(window), Int32(Self.blockTokens), Int64(layer * cache.layout.layerBytes), Int32(cache.layout.rowBytes))
            let heads = { (x: [Float]) in (0..<entries.count).flatMap { x[($0 * stride)..<($0 * stride + width)] } }
            CUDAKernelHostTests.expectClose(heads(out), heads(expected), tolerance: 2e-5, "attention \(dtype) window \(window) block \(threads)")
        }
    }
}
