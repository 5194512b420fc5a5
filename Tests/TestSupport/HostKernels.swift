import Foundation
import StrataRuntime

/// Strata's CUDA kernel source built as host code (`Tests/RuntimeTests/CUDA/HostEmulation`)
/// with the toolchain's clang++, loaded, and its entry points bound: the kernels' numerics and
/// indexing checked in CI, where there is no GPU. The same library is a fake CUDA driver,
/// NVRTC and cuBLAS (`driver_host.cpp`), so the CUDA backend runs end to end on the host.
public final class HostKernels: @unchecked Sendable {
    public typealias Grid = (UInt32, UInt32, UInt32)

    public let library: DynamicLibrary
    /// A directory where the library is `libcuda.so.1`, `libnvrtc.so.12` and `libcublas.so.12`:
    /// `STRATA_CUDA_PATH` (or `probe(directories:)`) there finds the host emulation.
    public let fakeCUDADirectory: String

    /// Built once per test process; a failure (no C++ compiler) is kept and reported by each test.
    public static let shared: Result<HostKernels, HostKernelsError> = {
        do { return .success(try HostKernels()) } catch let error as HostKernelsError { return .failure(error) } catch {
            return .failure(HostKernelsError(description: "\(error)"))
        }
    }()

    public struct HostKernelsError: Error, CustomStringConvertible {
        public var description: String
    }

    private init() throws {
        let fm = FileManager.default
        let directory = Fixtures.temporaryPath("cuda-host-\(getpid())")
        try? fm.removeItem(atPath: directory)
        try fm.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let emulation = Fixtures.repositoryRoot + "/Tests/RuntimeTests/CUDA/HostEmulation"
        for file in ["cuda_host.h", "device_pointers.h", "kernels_host.cpp", "driver_host.cpp"] {
            try fm.copyItem(atPath: emulation + "/" + file, toPath: directory + "/" + file)
        }
        try CUDAKernelSource.source.write(toFile: directory + "/kernels.cu", atomically: true, encoding: .utf8)
        let output = directory + "/kernels_host.so"
        var lastError = "no C++ compiler found"
        for compiler in ["clang++", "c++", "g++"] {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = [compiler, "-std=c++17", "-O1", "-shared", "-fPIC", "-w", "-o", output, directory + "/kernels_host.cpp"]
            let errors = Pipe()
            process.standardError = errors
            do { try process.run() } catch { continue }
            let message = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            process.waitUntilExit()
            if process.terminationStatus == 0 {
                do {
                    library = try DynamicLibrary.open("kernels_host", names: [output])
                } catch {
                    throw HostKernelsError(description: "\(error)")
                }
                fakeCUDADirectory = directory + "/fake-cuda"
                try fm.createDirectory(atPath: fakeCUDADirectory, withIntermediateDirectories: true)
                for name in ["libcuda.so.1", "libnvrtc.so.12", "libcublas.so.12"] {
                    try fm.createSymbolicLink(atPath: fakeCUDADirectory + "/" + name, withDestinationPath: output)
                }
                return
            }
            lastError = "\(compiler) failed:\n\(message)"
        }
        throw HostKernelsError(description: lastError)
    }

    /// The host entry point of `kernel` (grid and block sizes first, then its arguments).
    public func function<T>(_ kernel: String, as type: T.Type = T.self) -> T {
        try! library.function("host_" + kernel)
    }

    /// The fake driver's counters: device bytes allocated, bytes copied up and down, kernel
    /// launches, GEMMs, launches refused for a host pointer.
    public func counters() -> (allocated: UInt64, up: UInt64, down: UInt64, launches: UInt64, gemms: UInt64, rejected: UInt64) {
        let read: @convention(c) (UnsafeMutablePointer<UInt64>) -> Void = try! library.function("fake_cuda_counters")
        var values = [UInt64](repeating: 0, count: 6)
        read(&values)
        return (values[0], values[1], values[2], values[3], values[4], values[5])
    }

    /// The CUDA toolkit of the host emulation: a device of `STRATA_FAKE_CUDA_MIB` (4 GiB by default).
    public func toolkit() throws -> CUDAToolkit {
        try CUDAToolkit.probe(directories: [fakeCUDADirectory]).get()
    }
}
