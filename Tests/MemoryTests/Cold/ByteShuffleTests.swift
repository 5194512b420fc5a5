import Memory
import Testing
import TestSupport

/// The shuffle gathers byte k of every element into plane k, keeps a ragged tail as it is,
/// and `unshuffle` undoes it exactly.
@Suite struct ByteShuffleTests {
    @Test func fourByteElementsBecomeFourPlanes() {
        let input: [UInt8] = [0, 1, 2, 3, 10, 11, 12, 13, 20, 21, 22, 23, 99, 98]
        var output = [UInt8](repeating: 0, count: input.count)
        input.withUnsafeBytes { src in
            output.withUnsafeMutableBytes { dst in
                ByteShuffle.shuffle(src.baseAddress!, into: dst.baseAddress!, count: src.count, elementSize: 4)
            }
        }
        #expect(output == [0, 10, 20, 1, 11, 21, 2, 12, 22, 3, 13, 23, 99, 98])
    }

    @Test func twoByteElementsBecomeTwoPlanes() {
        let input: [UInt8] = [1, 2, 3, 4, 5, 6, 7]
        var output = [UInt8](repeating: 0, count: input.count)
        input.withUnsafeBytes { src in
            output.withUnsafeMutableBytes { dst in
                ByteShuffle.shuffle(src.baseAddress!, into: dst.baseAddress!, count: src.count, elementSize: 2)
            }
        }
        #expect(output == [1, 3, 5, 2, 4, 6, 7])
    }

    @Test(arguments: [1, 2, 3, 4, 8], [0, 1, 7, 64, 1000, 4099])
    func unshuffleInvertsShuffle(elementSize: Int, count: Int) {
        let input = deterministicBytes(count: count, seed: UInt64(elementSize * 7919 + count))
        var shuffled = [UInt8](repeating: 0, count: count)
        var restored = [UInt8](repeating: 0xAA, count: count)
        input.withUnsafeBytes { src in
            shuffled.withUnsafeMutableBytes { dst in
                ByteShuffle.shuffle(src.baseAddress ?? UnsafeRawPointer(bitPattern: 64)!, into: dst.baseAddress ?? UnsafeMutableRawPointer(bitPattern: 64)!, count: count, elementSize: elementSize)
            }
        }
        shuffled.withUnsafeBytes { src in
            restored.withUnsafeMutableBytes { dst in
                ByteShuffle.unshuffle(src.baseAddress ?? UnsafeRawPointer(bitPattern: 64)!, into: dst.baseAddress ?? UnsafeMutableRawPointer(bitPattern: 64)!, count: count, elementSize: elementSize)
            }
        }
        #expect(restored == input)
        if elementSize == 1 { #expect(shuffled == input) }
    }
}
