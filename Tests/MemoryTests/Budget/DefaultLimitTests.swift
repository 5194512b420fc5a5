import Foundation
import Memory
import Testing
import TestSupport

/// The default budget comes from the cgroup limit when there is one below physical RAM,
/// else from half of physical RAM.
@Suite struct DefaultLimitTests {
    @Test func defaultLimitIsPositiveAndWithinPhysicalMemory() {
        let limit = MemoryBudget.defaultLimit()
        #expect(limit > 0)
        #expect(limit <= MemoryBudget.physicalMemoryBytes)
    }

    /// A fake /proc/self/cgroup and cgroup mount, so every shape is checked on any machine.
    private func withCgroupTree(_ membership: String, _ files: [String: String],
                                _ body: (_ cgroupFile: String, _ mountPoint: String) -> Void) throws {
        let root = Fixtures.temporaryPath("cgroup-\(UInt32.random(in: 0...UInt32.max))")
        defer { try? FileManager.default.removeItem(atPath: root) }
        let mount = root + "/mount"
        try FileManager.default.createDirectory(atPath: mount, withIntermediateDirectories: true)
        try membership.write(toFile: root + "/cgroup", atomically: false, encoding: .utf8)
        for (path, contents) in files {
            let full = mount + "/" + path
            try FileManager.default.createDirectory(atPath: (full as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try contents.write(toFile: full, atomically: false, encoding: .utf8)
        }
        body(root + "/cgroup", mount)
    }

    @Test func unifiedLimitOfTheProcessCgroup() throws {
        try withCgroupTree("0::/app/worker\n", ["app/worker/memory.max": "536870912\n", "app/memory.max": "max\n"]) {
            #expect(MemoryBudget.cgroupMemoryLimit(cgroupFile: $0, mountPoint: $1) == 512 << 20)
        }
    }

    @Test func tighterAncestorLimitWins() throws {
        try withCgroupTree("0::/app/worker\n", ["app/worker/memory.max": "max\n", "app/memory.max": "1073741824\n"]) {
            #expect(MemoryBudget.cgroupMemoryLimit(cgroupFile: $0, mountPoint: $1) == 1 << 30)
        }
    }

    @Test func maxMeansNoLimit() throws {
        try withCgroupTree("0::/app\n", ["app/memory.max": "max\n"]) {
            #expect(MemoryBudget.cgroupMemoryLimit(cgroupFile: $0, mountPoint: $1) == nil)
        }
    }

    @Test func legacyMemoryControllerIsRead() throws {
        let membership = "12:cpu,cpuacct:/\n4:memory:/jobs/7\n0::/\n"
        try withCgroupTree(membership, ["memory/jobs/7/memory.limit_in_bytes": "268435456\n"]) {
            #expect(MemoryBudget.cgroupMemoryLimit(cgroupFile: $0, mountPoint: $1) == 256 << 20)
        }
    }

    @Test func missingFilesMeanNoLimit() throws {
        try withCgroupTree("0::/nowhere\n", [:]) {
            #expect(MemoryBudget.cgroupMemoryLimit(cgroupFile: $0, mountPoint: $1) == nil)
        }
        #expect(MemoryBudget.cgroupMemoryLimit(cgroupFile: "/nonexistent/cgroup") == nil)
    }
}
