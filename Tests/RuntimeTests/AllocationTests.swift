import TestSupport
import Memory
import Testing
@testable import StrataRuntime

/// Hot paths allocate nothing, in debug and release: jemalloc (the process allocator in this
/// package) counts the bytes each thread allocates (`thread.allocated`); a dispatch's only
/// allocations could happen on the calling thread (workers only run chunks).
@Suite(.enabled(if: Sanitizer.isOff, Comment(rawValue: Sanitizer.replacesAllocator))) struct AllocationTests {
    /// Float and quantized matmuls, through tiles and through packed panels (a prompt-sized
    /// batch with scratch), and a context dispatch: nothing allocates on the caller or the workers.
    @Test func matmulAndContextDispatchDoNotAllocate() {
        let pool = ThreadPool(threads: 3)
        let inDim = 64, outDim = 96, batch = 20
        let x = UnsafeMutablePointer<Float>.allocate(capacity: inDim * batch)
        let out = UnsafeMutablePointer<Float>.allocate(capacity: outDim * batch)
        let weight = UnsafeMutableRawPointer.allocate(byteCount: DType.q8_0.rowBytes(inDim)! * outDim, alignment: 64)
        let perThread = max(Kernels.packedMatmulScratch(inDim: inDim), Kernels.packedQuantMatmulScratch(inDim: inDim))
        let panels = UnsafeMutablePointer<Float>.allocate(capacity: perThread * pool.threadCount)
        defer { x.deallocate(); out.deallocate(); weight.deallocate(); panels.deallocate() }
        let scratch = MatmulScratch(base: panels, floatsPerThread: perThread, threads: pool.threadCount)
        x.initialize(repeating: 0.5, count: inDim * batch)
        weight.initializeMemory(as: UInt8.self, repeating: 1, count: DType.q8_0.rowBytes(inDim)! * outDim)
        let tensor = Tensor(data: weight, dtype: .q8_0, columns: inDim, rows: outDim)
        let floatWeight = Tensor(data: weight, dtype: .f32, columns: inDim, rows: outDim / 4)
        let q8 = Q8Buffer(elements: inDim * batch)
        var counter = 0

        func step() {
            let rows = q8.rows(batch, columns: inDim)
            Kernels.quantizeRows(x, rows: batch, columns: inDim, into: rows)
            Kernels.matmul(out: out, x: rows, weight: tensor, pool: pool)
            Kernels.matmul(out: out, x: rows, weight: tensor, pool: pool, scratch: scratch)
            Kernels.matmul(out: out, x: x, batch: batch, weight: floatWeight, pool: pool)
            Kernels.matmul(out: out, x: x, batch: batch, weight: floatWeight, pool: pool, scratch: scratch)
            withUnsafeMutablePointer(to: &counter) { counter in
                pool.parallelFor(100, grain: 7, context: UnsafeRawPointer(counter)) { _, _, _ in }
            }
        }
        step()  // warm-up: lazy runtime metadata, first-touch of anything
        let before = AllocatorStatistics.threadAllocatedBytes(), workers = pool.workerAllocatedBytes()
        for _ in 0..<200 { step() }
        #expect(AllocatorStatistics.threadAllocatedBytes() - before == 0)
        #expect(pool.workerAllocatedBytes() - workers == 0)
    }

    /// A decode step's attention: store this token's K/V, then attend over 100 positions in
    /// 16-token pages (32 heads over 4 kv heads of 64), for every KV type.
    @Test(arguments: KVPageLayout.supportedTypes)
    func storeKVAndPagedAttentionDoNotAllocate(dtype: DType) {
        let headCount = 32, kvHeads = 4, headDim = 64, positions = 100
        let layout = KVPageLayout(layers: 2, blockTokens: 16, kvDim: kvHeads * headDim, dtype: dtype)
        var random = TestRandom(seed: 40)
        let pages = TestPages(layout: layout, positions: positions, random: &random)
        let kv = UnsafeMutablePointer<Float>.allocate(capacity: 2 * layout.kvDim)
        let query = UnsafeMutablePointer<Float>.allocate(capacity: headCount * headDim)
        let out = UnsafeMutablePointer<Float>.allocate(capacity: headCount * headDim)
        let scratch = UnsafeMutablePointer<Float>.allocate(
            capacity: Kernels.pagedAttentionScratch(queries: 64, blockTokens: 16, headDim: headDim))
        defer { kv.deallocate(); query.deallocate(); out.deallocate(); scratch.deallocate() }
        for i in 0..<(2 * layout.kvDim) { kv[i] = Float(i % 7) * 0.25 - 0.75 }
        for i in 0..<(headCount * headDim) { query[i] = Float(i % 5) * 0.5 - 1 }
        for t in 0..<positions {
            Kernels.storeKV(key: kv, value: kv + layout.kvDim, page: pages.table[t / 16], layer: 1, slot: t % 16, layout: layout)
        }
        let table = pages.table

        func step() {
            Kernels.storeKV(key: kv, value: kv + layout.kvDim, page: table[(positions - 1) / 16], layer: 1,
                            slot: (positions - 1) % 16, layout: layout)
            for kvHead in 0..<kvHeads {
                Kernels.pagedAttention(out: out, outStride: headCount * headDim, queries: query,
                                       queryStride: headCount * headDim, tokens: 1, firstPosition: positions - 1,
                                       pages: table, layout: layout, layer: 1, kvHead: kvHead, headCount: headCount,
                                       kvHeads: kvHeads, headDim: headDim, scale: 0.125, scratch: scratch)
            }
            // A prefill run: 8 tokens x 8 heads, the most queries one call takes.
            Kernels.pagedAttention(out: out, outStride: 0, queries: query, queryStride: 0, tokens: 8,
                                   firstPosition: positions - 8, pages: table, layout: layout, layer: 1, kvHead: 2,
                                   headCount: headCount, kvHeads: kvHeads, headDim: headDim, scale: 0.125, scratch: scratch)
        }
        step()
        let before = AllocatorStatistics.threadAllocatedBytes()
        for _ in 0..<50 { step() }
        let allocated = AllocatorStatistics.threadAllocatedBytes() - before
        #expect(allocated == 0)
        #expect(out[0].isFinite)
    }
}

/// The pool reads its workers' allocation counters, so "no allocation on any thread" is checkable.
@Suite(.enabled(if: Sanitizer.isOff, Comment(rawValue: Sanitizer.replacesAllocator))) struct WorkerAllocationCounterTests {
    @Test func allocationsOnWorkersAreCounted() {
        let pool = ThreadPool(threads: 3)
        pool.parallelFor(8) { _ in }  // workers have started and published their counters
        let caller = AllocatorStatistics.threadAllocatedBytes(), workers = pool.workerAllocatedBytes()
        pool.parallelFor(64) { range in
            for _ in range {
                let buffer = UnsafeMutableRawPointer.allocate(byteCount: 4096, alignment: 64)
                buffer.storeBytes(of: 1, as: UInt8.self)
                buffer.deallocate()
            }
        }
        let total = (AllocatorStatistics.threadAllocatedBytes() - caller) + (pool.workerAllocatedBytes() - workers)
        #expect(total >= 64 * 4096)
    }
}
