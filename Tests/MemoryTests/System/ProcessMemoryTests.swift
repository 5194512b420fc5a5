import Memory
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// `ProcessMemory` reads this process's resident set from /proc: values must be present,
/// in bytes, and plausible for a running test process.
@Suite struct ProcessMemoryTests {
    static let physicalMemory = Int(sysconf(Int32(_SC_PHYS_PAGES))) * Int(sysconf(Int32(_SC_PAGESIZE)))

    @Test func residentBytesArePlausible() throws {
        let resident = try #require(ProcessMemory.residentBytes())
        #expect(resident > 1 << 20, "a Swift test process occupies more than 1 MiB")
        #expect(resident < Self.physicalMemory)
        #expect(resident % 1024 == 0, "VmRSS is reported in KiB and converted to bytes")
    }

    @Test func peakIsAtLeastTheResidentSetReadBeforeIt() throws {
        let resident = try #require(ProcessMemory.residentBytes())
        let peak = try #require(ProcessMemory.peakResidentBytes())
        #expect(peak >= resident)
        #expect(peak < Self.physicalMemory)
    }

    /// Writing every page of an anonymous mapping makes it resident; the resident set
    /// must then include at least those pages. (Small, so that it does not disturb the
    /// resident-set budget of tests running beside it.)
    @Test func touchingMemoryShowsInTheResidentSet() throws {
        let size = 8 << 20
        let mapping = try AnonymousMapping(size: size)
        for offset in stride(from: 0, to: size, by: Syscalls.pageSize) {
            mapping.base.storeBytes(of: 1, toByteOffset: offset, as: UInt8.self)
        }
        let resident = try #require(ProcessMemory.residentBytes())
        let peak = try #require(ProcessMemory.peakResidentBytes())
        #expect(resident >= size)
        #expect(peak >= size)
    }
}
