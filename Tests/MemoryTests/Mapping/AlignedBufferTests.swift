import Memory
import Testing

/// Scratch buffers start zeroed and 64-byte aligned (a cache line; the widest vector load).
@Suite struct AlignedBufferTests {
    static let counts = [0, 1, 3, 16, 17, 1000, 100_003]

    @Test(arguments: counts)
    func floatBufferIsZeroedAndAligned(count: Int) {
        let buffer = AlignedBuffer<Float>(count: count)
        #expect(buffer.count == count)
        #expect(Int(bitPattern: buffer.pointer) % 64 == 0)
        #expect(buffer.unsafeBuffer.count == count)
        #expect(buffer.unsafeBuffer.allSatisfy { $0.bitPattern == 0 })
    }

    @Test(arguments: counts)
    func byteBufferIsZeroedAndAligned(count: Int) {
        let buffer = AlignedBuffer<UInt8>(count: count)
        #expect(Int(bitPattern: buffer.pointer) % 64 == 0)
        #expect(buffer.unsafeBuffer.allSatisfy { $0 == 0 })
    }

    @Test func wideElementBufferIsZeroedAndAligned() {
        let buffer = AlignedBuffer<SIMD16<Float>>(count: 9)
        #expect(Int(bitPattern: buffer.pointer) % 64 == 0)
        #expect(buffer.unsafeBuffer.allSatisfy { $0 == .zero })
    }

    /// Many buffers alive at once are each aligned (not just the first from a fresh arena).
    @Test func everyLiveBufferIsAligned() {
        var addresses: [Int] = []
        for count in 1...64 {
            let buffer = AlignedBuffer<UInt8>(count: count * 7)
            addresses.append(Int(bitPattern: buffer.pointer))
            buffer.unsafeBuffer.initialize(repeating: 0xFF)
        }
        #expect(addresses.allSatisfy { $0 % 64 == 0 })
        // Memory reused after freeing a dirty buffer must come back zeroed.
        let reused = AlignedBuffer<UInt8>(count: 64 * 7)
        #expect(reused.unsafeBuffer.allSatisfy { $0 == 0 })
    }

    @Test(arguments: [1, 4095, 4096, 1 << 20])
    func anonymousMappingIsZeroedWritableAndPageAligned(size: Int) throws {
        let mapping = try AnonymousMapping(size: size)
        #expect(mapping.size == size)
        #expect(Int(bitPattern: mapping.base) % Syscalls.pageSize == 0)
        let bytes = UnsafeMutableRawBufferPointer(start: mapping.base, count: size)
        #expect(bytes.allSatisfy { $0 == 0 })
        bytes[size - 1] = 42
        #expect(bytes[size - 1] == 42)
    }
}
