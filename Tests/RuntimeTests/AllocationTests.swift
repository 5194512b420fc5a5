import Memory
import Testing
@testable import Runtime

/// Hot paths allocate nothing, in debug and release: jemalloc (the process allocator in this
/// package) counts the bytes each thread allocates (`thread.allocated`); a dispatch's only
/// allocations could happen on the calling thread (workers only run chunks).
@Suite struct AllocationTests {
    @Test func matmulAndContextDispatchDoNotAllocate() {
        let pool = ThreadPool(threads: 3)
        let inDim = 64, outDim = 96, batch = 5
        let x = UnsafeMutablePointer<Float>.allocate(capacity: inDim * batch)
        let out = UnsafeMutablePointer<Float>.allocate(capacity: outDim * batch)
        let weight = UnsafeMutableRawPointer.allocate(byteCount: DType.q8_0.rowBytes(inDim)! * outDim, alignment: 64)
        defer { x.deallocate(); out.deallocate(); weight.deallocate() }
        x.initialize(repeating: 0.5, count: inDim * batch)
        weight.initializeMemory(as: UInt8.self, repeating: 1, count: DType.q8_0.rowBytes(inDim)! * outDim)
        let tensor = Tensor(data: weight, dtype: .q8_0, columns: inDim, rows: outDim)
        var counter = 0

        func step() {
            Kernels.matmul(out: out, x: x, batch: batch, weight: tensor, pool: pool)
            withUnsafeMutablePointer(to: &counter) { counter in
                pool.parallelFor(100, grain: 7, context: UnsafeRawPointer(counter)) { _, _, _ in }
            }
        }
        step()  // warm-up: lazy runtime metadata, first-touch of anything
        let before = AllocatorStatistics.threadAllocatedBytes()
        for _ in 0..<200 { step() }
        let allocated = AllocatorStatistics.threadAllocatedBytes() - before
        #expect(allocated == 0)
    }
}
