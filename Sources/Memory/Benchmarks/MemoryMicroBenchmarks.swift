#if canImport(Glibc)
import Glibc
#endif
import Synchronization

/// Speed figures for the Memory module, for `strata bench --memory`; never used by tests.
/// Each figure is the fastest of a few runs, measured with `ContinuousClock`.
public enum MemoryMicroBenchmarks {
    /// Cost of taking and giving back one page.
    public struct AllocationFigures: Sendable {
        public let pageBytes: Int
        /// `PagePool.allocate()` + `free(_:)` from a warm free list.
        public let poolNanosecondsPerPair: Double
        /// `malloc` + `free` of the same size (jemalloc, the process allocator).
        public let mallocNanosecondsPerPair: Double
    }

    /// Throughput of the cold store on one buffer: `store` (checksum, shuffle, LZ4, copy
    /// out) and `load` (LZ4, unshuffle, checksum), in GB/s of original bytes.
    public struct CompressionFigures: Sendable {
        public let bytes: Int
        public let elementSize: Int
        public let shuffle: Bool
        public let compressGBps: Double
        public let decompressGBps: Double
        /// Original bytes over kept bytes.
        public let ratio: Double
    }

    /// Times `iterations` allocate+free pairs of a warm `PagePool` against `malloc`+`free`.
    public static func pageAllocation(pageBytes: Int, iterations: Int = 200_000,
                                      backing: PagePool.Backing = .jemallocArena) -> AllocationFigures {
        precondition(pageBytes > 0 && iterations > 0)
        let budget = MemoryBudget(limitBytes: max(1 << 30, pageBytes * 256))
        guard let pool = try? PagePool(pageBytes: pageBytes, slabPages: 16, backing: backing, budget: budget),
              let first = pool.allocate() else {
            preconditionFailure("cannot make a page pool of \(pageBytes)-byte pages")
        }
        pool.free(first)
        let poolSeconds = fastest {
            for i in 0..<iterations {
                let page = pool.allocate().unsafelyUnwrapped
                pool.address(of: page).storeBytes(of: UInt8(truncatingIfNeeded: i), as: UInt8.self)
                pool.free(page)
            }
        }
        let mallocSeconds = fastest {
            for i in 0..<iterations {
                let block = malloc(pageBytes).unsafelyUnwrapped
                block.storeBytes(of: UInt8(truncatingIfNeeded: i), as: UInt8.self)
                // Publishing the address keeps the optimizer from deleting the malloc/free pair.
                escape.store(Int(bitPattern: block), ordering: .relaxed)
                free(block)
            }
        }
        return AllocationFigures(
            pageBytes: pool.pageBytes,
            poolNanosecondsPerPair: poolSeconds * 1e9 / Double(iterations),
            mallocNanosecondsPerPair: mallocSeconds * 1e9 / Double(iterations))
    }

    /// Stores and loads `buffer` through a `ColdStore` `iterations` times each.
    public static func compression(of buffer: UnsafeRawBufferPointer, elementSize: Int, shuffle: Bool,
                                   iterations: Int = 50) -> CompressionFigures {
        precondition(buffer.count > 0 && iterations > 0)
        let source = buffer.baseAddress!
        let store = ColdStore(budget: MemoryBudget(limitBytes: max(1 << 30, buffer.count * 4)), shuffle: shuffle)
        let destination = UnsafeMutableRawPointer.allocate(byteCount: buffer.count, alignment: 64)
        defer { destination.deallocate() }
        guard let page = try? store.store(source, bytes: buffer.count, elementSize: elementSize) else {
            preconditionFailure("cannot store \(buffer.count) bytes")
        }
        let ratio = store.statistics.ratio
        let storeSeconds = fastest {
            for _ in 0..<iterations {
                let extra = try! store.store(source, bytes: buffer.count, elementSize: elementSize)
                store.discard(extra)
            }
        }
        let loadSeconds = fastest {
            for _ in 0..<iterations { try! store.load(page, into: destination) }
        }
        let bytes = Double(buffer.count) * Double(iterations)
        return CompressionFigures(
            bytes: buffer.count, elementSize: elementSize, shuffle: shuffle,
            compressGBps: bytes / storeSeconds / 1e9, decompressGBps: bytes / loadSeconds / 1e9, ratio: ratio)
    }

    /// GB/s of `XXHash64` over `bytes` bytes.
    public static func checksumGBps(bytes: Int = 1 << 20, iterations: Int = 200) -> Double {
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: 64)
        defer { buffer.deallocate() }
        fill(buffer, bytes: bytes, with: .randomFloats)
        var sink: UInt64 = 0
        let seconds = fastest { for _ in 0..<iterations { sink &+= XXHash64.hash(buffer, count: bytes) } }
        precondition(sink != 1)  // keeps the work
        return Double(bytes) * Double(iterations) / seconds / 1e9
    }

    /// GB/s of `ByteShuffle.shuffle` and `unshuffle` over `bytes` bytes of `elementSize`-byte elements.
    public static func shuffleGBps(bytes: Int = 1 << 20, elementSize: Int, iterations: Int = 200) -> (shuffle: Double, unshuffle: Double) {
        let a = UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: 64)
        let b = UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: 64)
        defer { a.deallocate(); b.deallocate() }
        fill(a, bytes: bytes, with: .randomFloats)
        let forward = fastest { for _ in 0..<iterations { ByteShuffle.shuffle(a, into: b, count: bytes, elementSize: elementSize) } }
        let backward = fastest { for _ in 0..<iterations { ByteShuffle.unshuffle(b, into: a, count: bytes, elementSize: elementSize) } }
        let total = Double(bytes) * Double(iterations)
        return (total / forward / 1e9, total / backward / 1e9)
    }

    /// Synthetic page contents for `report()`.
    public enum SyntheticData: String, CaseIterable, Sendable {
        /// Uniform F32 in [-1, 1).
        case randomFloats = "random f32"
        /// A slowly varying F32 signal.
        case smoothFloats = "smooth f32"
        /// Roughly normal values (sigma ~ 1) as F16.
        case gaussianHalfs = "gaussian f16"
        case zeros = "zeros"

        public var elementSize: Int {
            switch self {
            case .randomFloats, .smoothFloats: return 4
            case .gaussianHalfs: return 2
            case .zeros: return 1
            }
        }
    }

    /// Fills `bytes` bytes at `buffer` with `data`, deterministically.
    public static func fill(_ buffer: UnsafeMutableRawPointer, bytes: Int, with data: SyntheticData) {
        var state: UInt64 = 0x5EED
        func unit() -> Float {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return Float((z ^ (z >> 31)) >> 40) * 0x1p-24
        }
        buffer.initializeMemory(as: UInt8.self, repeating: 0, count: bytes)
        switch data {
        case .randomFloats:
            for i in 0..<(bytes / 4) { buffer.storeBytes(of: unit() * 2 - 1, toByteOffset: i * 4, as: Float.self) }
        case .smoothFloats:
            for i in 0..<(bytes / 4) { buffer.storeBytes(of: Float(sin(Double(i) * 0.003)) * 3, toByteOffset: i * 4, as: Float.self) }
        case .gaussianHalfs:
            for i in 0..<(bytes / 2) {
                let x = (unit() + unit() + unit() - 1.5) * 2
                buffer.storeBytes(of: Float16(x).bitPattern, toByteOffset: i * 2, as: UInt16.self)
            }
        case .zeros:
            break
        }
    }

    /// Runs the standard set and renders it as text.
    public static func report(pageBytes: Int = 256 << 10) -> String {
        var lines: [String] = []
        lines.append("Page allocation (allocate + free from a warm free list vs malloc + free)")
        for size in [4 << 10, 64 << 10, pageBytes, 1 << 20] {
            let figures = pageAllocation(pageBytes: size)
            lines.append("  \(pad(bytesText(size), 8)) pool \(pad(format(figures.poolNanosecondsPerPair, 1), 7)) ns   malloc \(pad(format(figures.mallocNanosecondsPerPair, 1), 7)) ns")
        }
        lines.append("Cold store, \(bytesText(pageBytes)) pages (store = xxh64 + shuffle + LZ4; load = LZ4 + unshuffle + xxh64)")
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: pageBytes, alignment: 64)
        defer { buffer.deallocate() }
        for data in SyntheticData.allCases {
            fill(buffer, bytes: pageBytes, with: data)
            for shuffle in [true, false] {
                let f = compression(of: UnsafeRawBufferPointer(start: buffer, count: pageBytes), elementSize: data.elementSize, shuffle: shuffle)
                lines.append("  \(pad(data.rawValue, 13)) \(shuffle ? "shuffle   " : "no shuffle") ratio \(pad(format(f.ratio, 2), 7))  store \(pad(format(f.compressGBps, 2), 6)) GB/s  load \(pad(format(f.decompressGBps, 2), 6)) GB/s")
            }
        }
        lines.append("Parts: xxh64 \(format(checksumGBps(), 2)) GB/s")
        for size in [2, 4] {
            let s = shuffleGBps(elementSize: size)
            lines.append("       shuffle x\(size) \(format(s.shuffle, 2)) GB/s, unshuffle x\(size) \(format(s.unshuffle, 2)) GB/s")
        }
        return lines.joined(separator: "\n")
    }

    /// Where benchmark loops publish pointers so that their work is not optimized away.
    private static let escape = Atomic<Int>(0)

    /// The fastest of `runs` timings of `body`, in seconds.
    private static func fastest(runs: Int = 5, _ body: () -> Void) -> Double {
        body()  // warm-up
        let clock = ContinuousClock()
        var best = Double.infinity
        for _ in 0..<runs {
            let elapsed = clock.measure(body)
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
            best = min(best, seconds)
        }
        return best
    }

    private static func format(_ value: Double, _ decimals: Int) -> String {
        var scale = 1.0
        for _ in 0..<decimals { scale *= 10 }
        let rounded = (value * scale).rounded() / scale
        var text = String(rounded)
        if let dot = text.firstIndex(of: ".") {
            let have = text.distance(from: dot, to: text.endIndex) - 1
            if have < decimals { text += String(repeating: "0", count: decimals - have) }
        }
        return text
    }

    private static func pad(_ text: String, _ width: Int) -> String {
        text.count >= width ? text : String(repeating: " ", count: width - text.count) + text
    }

    private static func bytesText(_ bytes: Int) -> String {
        bytes >= 1 << 20 ? "\(bytes >> 20) MiB" : "\(bytes >> 10) KiB"
    }
}
