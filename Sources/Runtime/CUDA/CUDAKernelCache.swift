#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Compiled kernel modules kept on disk, so NVRTC runs once per source, NVRTC version and
/// device architecture: `<directory>/strata-<hash>-<target>.ptx|cubin`, the hash (FNV-1a, 64
/// bits) over all three. Files are written to a temporary name and renamed, so a reader never
/// sees half a file; an unreadable or truncated entry is compiled again.
public struct CUDAKernelCache: Sendable {
    public let directory: String

    /// `STRATA_CACHE_DIR`, else `$XDG_CACHE_HOME/strata/cuda`, else `~/.cache/strata/cuda`.
    public static var defaultDirectory: String {
        if let explicit = getenv("STRATA_CACHE_DIR") { return String(cString: explicit) }
        if let xdg = getenv("XDG_CACHE_HOME") { return String(cString: xdg) + "/strata/cuda" }
        let home = getenv("HOME").map { String(cString: $0) } ?? "/tmp"
        return home + "/.cache/strata/cuda"
    }

    public init(directory: String = CUDAKernelCache.defaultDirectory) {
        self.directory = directory
    }

    /// The module for `source` on `architecture`: from the cache, or compiled by `nvrtc` and
    /// stored. `cached` says which. A cache that cannot be written is not an error (the
    /// module is compiled each time).
    public func module(_ source: String, name: String, architecture: Int, output: NVRTC.Output = .ptx,
                       nvrtc: NVRTC) throws(CUDAError) -> (bytes: [UInt8], cached: Bool) {
        let path = self.path(source, architecture: architecture, output: output, nvrtcVersion: nvrtc.version)
        if let bytes = Self.read(path), Self.isComplete(bytes, output) { return (bytes, true) }
        let bytes = try nvrtc.compile(source, name: name, architecture: architecture, output: output)
        Self.write(bytes, to: path, directory: directory)
        return (bytes, false)
    }

    /// Where the module for these inputs lives.
    public func path(_ source: String, architecture: Int, output: NVRTC.Output, nvrtcVersion: (major: Int, minor: Int)) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in ("\(nvrtcVersion.major).\(nvrtcVersion.minor)|\(architecture)|" + source).utf8 {
            hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01b3
        }
        let hex = String(hash, radix: 16)
        let target = (output == .ptx ? "compute_" : "sm_") + String(architecture)
        return "\(directory)/strata-\(String(repeating: "0", count: 16 - hex.count) + hex)-\(target).\(output == .ptx ? "ptx" : "cubin")"
    }

    /// A PTX text ends with its NUL; a CUBIN is an ELF image.
    private static func isComplete(_ bytes: [UInt8], _ output: NVRTC.Output) -> Bool {
        switch output {
        case .ptx: bytes.count > 1 && bytes.last == 0
        case .cubin: bytes.starts(with: [0x7F, 0x45, 0x4C, 0x46])
        }
    }

    private static func read(_ path: String) -> [UInt8]? {
        guard let file = fopen(path, "rb") else { return nil }
        defer { fclose(file) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = fread(&chunk, 1, chunk.count, file)
            if n > 0 { bytes.append(contentsOf: chunk[0..<n]) }
            if n < chunk.count { break }
        }
        return ferror(file) == 0 ? bytes : nil
    }

    private static func write(_ bytes: [UInt8], to path: String, directory: String) {
        var prefix = directory.hasPrefix("/") ? "" : "."
        for part in directory.split(separator: "/") {
            prefix += "/" + part
            mkdir(prefix, 0o755)
        }
        let temporary = path + ".\(getpid()).tmp"
        guard let file = fopen(temporary, "wb") else { return }
        let written = fwrite(bytes, 1, bytes.count, file)
        let closed = fclose(file)
        if written == bytes.count, closed == 0 {
            rename(temporary, path)
        } else {
            unlink(temporary)
        }
    }
}
