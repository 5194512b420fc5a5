#if canImport(Glibc)
import Glibc
#endif
import StrataRuntime

/// The machine's memory bandwidth, measured the way decode uses it: `memcpy` of a buffer far
/// larger than the caches, and a read of it split over the pool's threads (SIMD loads summed,
/// so nothing is optimized away). The ceiling that decode's weight bandwidth is compared with.
enum BandwidthProbe {
    struct Figures {
        /// Bytes copied per second (each byte is read once and written once).
        let copyGBps: Double
        /// Bytes read per second with the pool's threads.
        let readGBps: Double
        let threads: Int
    }

    /// Best of `rounds` over a `bytes` buffer (512 MiB by default).
    static func measure(pool: ThreadPool, bytes: Int = 512 << 20, rounds: Int = 3) -> Figures {
        let source = UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: 64)
        let target = UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: 64)
        defer { source.deallocate(); target.deallocate() }
        memset(source, 1, bytes)
        memset(target, 0, bytes)
        let clock = ContinuousClock()
        var copy = 0.0, read = 0.0
        let chunks = pool.threadCount * 16
        let chunkBytes = bytes / chunks & ~255
        var sink = SIMD8<Float>()
        for _ in 0..<rounds {
            var start = clock.now
            memcpy(target, source, bytes)
            copy = max(copy, Double(bytes) / seconds(clock.now - start) / 1e9)

            let partial = UnsafeMutablePointer<SIMD8<Float>>.allocate(capacity: chunks)
            start = clock.now
            pool.parallelFor(chunks) { range in
                for c in range {
                    let base = UnsafeRawPointer(source) + c * chunkBytes
                    var a = SIMD8<Float>(), b = SIMD8<Float>(), d = SIMD8<Float>(), e = SIMD8<Float>()
                    var offset = 0
                    while offset < chunkBytes {
                        a += base.loadUnaligned(fromByteOffset: offset, as: SIMD8<Float>.self)
                        b += base.loadUnaligned(fromByteOffset: offset + 32, as: SIMD8<Float>.self)
                        d += base.loadUnaligned(fromByteOffset: offset + 64, as: SIMD8<Float>.self)
                        e += base.loadUnaligned(fromByteOffset: offset + 96, as: SIMD8<Float>.self)
                        offset += 128
                    }
                    partial[c] = (a + b) + (d + e)
                }
            }
            read = max(read, Double(chunkBytes * chunks) / seconds(clock.now - start) / 1e9)
            for c in 0..<chunks { sink += partial[c] }
            partial.deallocate()
        }
        if sink[0] == 42 { print("") }  // keeps the reads observable
        return Figures(copyGBps: copy, readGBps: read, threads: pool.threadCount)
    }

    static func seconds(_ d: Duration) -> Double {
        Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18
    }
}
