import Foundation
@testable import StrataRuntime
import TestSupport

/// Strata's CUDA kernel source built as host code (`HostEmulation/cuda_host.h`) with the
/// toolchain's clang++, loaded, and its entry points bound: the kernels' numerics and
/// indexing checked in CI, where there is no GPU.
final class HostKernels: @unchecked Sendable {
    typealias Grid = (UInt32, UInt32, UInt32)

    let library: DynamicLibrary

    /// Built once per test process; a failure (no C++ compiler) is kept and reported by each test.
    static let shared: Result<HostKernels, HostKernelsError> = {
        do { return .success(try HostKernels()) } catch let error as HostKernelsError { return .failure(error) } catch {
            return .failure(HostKernelsError(description: "\(error)"))
        }
    }()

    struct HostKernelsError: Error, CustomStringConvertible {
        var description: String
    }

    private init() throws {
        let fm = FileManager.default
        let directory = Fixtures.temporaryPath("cuda-host-\(getpid())")
        try? fm.removeItem(atPath: directory)
        try fm.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let emulation = Fixtures.repositoryRoot + "/Tests/RuntimeTests/CUDA/HostEmulation"
        for file in ["cuda_host.h", "kernels_host.cpp"] {
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
                return
            }
            lastError = "\(compiler) failed:\n\(message)"
        }
        throw HostKernelsError(description: lastError)
    }

    func function<T>(_ kernel: String, as type: T.Type = T.self) -> T {
        try! library.function("host_" + kernel)
    }
}
