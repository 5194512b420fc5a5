import Testing
@testable import StrataRuntime
import TestSupport

/// The device's KV page cache over the host emulation's fake driver: slots are reused least
/// recently used first, an evicted page's device part goes back to its host page, and a page
/// given a slot again is loaded from there.
@Suite struct DevicePageCacheTests {
    @Test func leastRecentlyUsedPagesGoBackToTheHostAndComeBack() throws {
        let toolkit = try HostKernels.shared.get().toolkit()
        let context = try CUDAContext(driver: toolkit.driver, device: toolkit.device)
        let stream = try CUDAStream(context: context)
        // Two layers of 256 bytes; the second is the device's.
        let layout = KVPageLayout(layers: 2, blockTokens: 4, kvDim: 8, dtype: .f32)
        let cache = try DevicePageCache(context: context, stream: stream, layout: layout, firstPlace: 1, slots: 2)
        #expect(cache.slotBytes == 256 && cache.hostOffset == 256)
        let pages = (0..<3).map { _ in UnsafeMutableRawPointer.allocate(byteCount: layout.pageBytes, alignment: 64) }
        defer { pages.forEach { $0.deallocate() } }
        for (i, page) in pages.enumerated() { page.initializeMemory(as: UInt8.self, repeating: UInt8(i), count: layout.pageBytes) }

        func write(_ value: UInt8, at address: UInt64) throws {
            let bytes = [UInt8](repeating: value, count: 256)
            try cache.buffer.upload(bytes, count: 256, offset: Int(address - cache.buffer.address), stream: stream)
        }
        func read(_ address: UInt64) throws -> [UInt8] {
            var bytes = [UInt8](repeating: 0, count: 256)
            try cache.buffer.download(&bytes, count: 256, offset: Int(address - cache.buffer.address), stream: stream)
            return bytes
        }

        cache.beginBatch()
        try write(0xA0, at: try cache.address(of: pages[0]))
        try write(0xB1, at: try cache.address(of: pages[1]))
        cache.beginBatch()
        _ = try cache.address(of: pages[1])
        // Both slots taken: page 0 (used longest ago) goes back to its host page.
        _ = try cache.address(of: pages[2])
        #expect(cache.writeBacks == 1 && cache.loads == 0)
        #expect(pages[0].load(fromByteOffset: 255, as: UInt8.self) == 0, "the host's own layer is untouched")
        #expect(pages[0].load(fromByteOffset: 256, as: UInt8.self) == 0xA0)
        cache.beginBatch()
        _ = try cache.address(of: pages[2])
        // Page 0 comes back (evicting page 1, the least recently used) with its bytes.
        let again = try cache.address(of: pages[0])
        #expect(try read(again) == [UInt8](repeating: 0xA0, count: 256))
        #expect(cache.loads == 1 && cache.writeBacks == 2)
        #expect(pages[1].load(fromByteOffset: 300, as: UInt8.self) == 0xB1)
        // A page the host rewrote is loaded again at its next use.
        pages[2].storeBytes(of: 0x5A, toByteOffset: 256, as: UInt8.self)
        cache.pageWasWritten(pages[2])
        cache.beginBatch()
        #expect(try read(try cache.address(of: pages[2])).first == 0x5A)
    }
}
