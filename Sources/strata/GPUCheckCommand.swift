import ArgumentParser
import Engine
import StrataRuntime

/// `strata gpu-check`: the CUDA setup end to end on this machine: the device, NVRTC and the
/// kernel module, two kernels against double-precision references, pinned copy bandwidth each
/// way and the device's own copy bandwidth (decode's ceiling), then for each `--model` the
/// logits of every layer offloaded against the CPU's. Exits non-zero, with the reason, where
/// CUDA cannot run or a check fails.
struct GPUCheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gpu-check",
        abstract: "Check the CUDA setup: device, NVRTC, kernels against the CPU, copy bandwidth.")

    @Option(name: .customLong("copy-mib"), help: "Bytes per bandwidth copy, in MiB.")
    var copyMiB: Int = 256

    @Option(name: .long, help: "FILE or FILE=REFERENCE: a model whose logits with every layer on the GPU are compared with the CPU's on the same file, or on REFERENCE (the same weights in F32) (repeatable).")
    var model: [String] = []

    @Option(name: .long, help: "Prompt tokens of the model comparison (then 16 single-token steps).")
    var prompt: Int = 64

    func validate() throws {
        guard (1...4096).contains(copyMiB) else { throw ValidationError("--copy-mib must be in 1...4096") }
    }

    func run() throws {
        let toolkit: CUDAToolkit
        switch CUDAToolkit.probe() {
        case .success(let found): toolkit = found
        case .failure(let reason): throw Console.fail(ValidationError("CUDA cannot run here: \(reason)"))
        }
        do {
            try check(toolkit)
        } catch {
            throw Console.fail(error)
        }
    }

    private func check(_ toolkit: CUDAToolkit) throws {
        let device = toolkit.device
        Console.out("device: cuda:\(device.ordinal) \(device.name), sm_\(device.architecture), \(device.totalBytes >> 20) MiB (\(device.freeBytes >> 20) MiB free); driver CUDA \(toolkit.driver.version / 1000).\(toolkit.driver.version % 1000 / 10), NVRTC \(toolkit.nvrtc.version.major).\(toolkit.nvrtc.version.minor)\n")
        let context = try CUDAContext(driver: toolkit.driver, device: device)
        let stream = try CUDAStream(context: context)
        let clock = ContinuousClock()
        let start = clock.now
        let (image, cached) = try CUDAKernelCache().module(CUDAKernelSource.source, name: "strata.cu",
                                                           architecture: device.architecture, nvrtc: toolkit.nvrtc)
        let module = try CUDAModule(context: context, image: image)
        for kernel in CUDAKernelSource.kernels { _ = try module.function(kernel) }
        Console.out("kernels: \(CUDAKernelSource.kernels.count) loaded (\(cached ? "cached" : "compiled") PTX, \(clock.now - start))\n")

        var failures = 0
        let arguments = KernelArguments()
        func buffer(_ values: [UInt8]) throws -> DeviceBuffer {
            let b = try DeviceBuffer(context: context, bytes: max(1, values.count))
            try values.withUnsafeBytes { try b.upload($0.baseAddress!, count: values.count, stream: stream) }
            try stream.synchronize()
            return b
        }
        func buffer(_ values: [Float]) throws -> DeviceBuffer {
            try buffer(values.withUnsafeBytes { Array($0) })
        }
        func download(_ b: DeviceBuffer, count: Int) throws -> [Float] {
            var out = [Float](repeating: 0, count: count)
            try out.withUnsafeMutableBytes { try b.download($0.baseAddress!, count: count * 4, stream: stream) }
            try stream.synchronize()
            return out
        }
        func report(_ what: String, _ got: [Float], _ expected: [Double], tolerance: Double) {
            let worst = zip(got, expected).map { abs(Double($0) - $1) / max(1, abs($1)) }.max() ?? .infinity
            let ok = worst <= tolerance
            if !ok { failures += 1 }
            Console.out("\(what): max relative error \(worst) (\(ok ? "ok" : "FAIL"), tolerance \(tolerance))\n")
        }

        // RMSNorm: 4 rows of 1000.
        let rows = 4, dim = 1000
        let x = Self.values(rows * dim, seed: 1), weight = Self.values(dim, seed: 2)
        let dx = try buffer(x), dw = try buffer(weight), dout = try DeviceBuffer(context: context, bytes: rows * dim * 4)
        arguments.removeAll()
        arguments.append(address: dout.address); arguments.append(address: dx.address); arguments.append(address: dw.address)
        arguments.append(Int32(dim)); arguments.append(Float(1e-5))
        try module.function("rms_norm").launch(grid: (UInt32(rows), 1, 1), block: 256, stream: stream, arguments: arguments)
        var expected: [Double] = []
        for r in 0..<rows {
            let row = x[(r * dim)..<(r * dim + dim)]
            let scale = 1 / (row.reduce(0.0) { $0 + Double($1) * Double($1) } / Double(dim) + 1e-5).squareRoot()
            expected += row.enumerated().map { Double($1) * scale * Double(weight[$0]) }
        }
        report("rms_norm", try download(dout, count: rows * dim), expected, tolerance: 1e-5)

        // Q8_0 GEMV: 300 rows of 1024, 2 tokens.
        let wRows = 300, columns = 1024, tokens = 2
        let w = Self.values(wRows * columns, seed: 3), v = Self.values(tokens * columns, seed: 4)
        var q8 = [UInt8](repeating: 0, count: DType.q8_0.rowBytes(w.count)!)
        w.withUnsafeBufferPointer { src in q8.withUnsafeMutableBytes { Quantization.quantize(src.baseAddress!, count: w.count, to: .q8_0, into: $0.baseAddress!) } }
        var exact = [Float](repeating: 0, count: w.count)
        q8.withUnsafeBytes { src in exact.withUnsafeMutableBufferPointer { Quantization.dequantize(src.baseAddress!, dtype: .q8_0, count: w.count, into: $0.baseAddress!) } }
        let dq = try buffer(q8), dv = try buffer(v), dy = try DeviceBuffer(context: context, bytes: tokens * wRows * 4)
        arguments.removeAll()
        arguments.append(address: dy.address); arguments.append(address: dq.address); arguments.append(address: dv.address)
        arguments.append(Int32(wRows)); arguments.append(Int32(columns))
        try module.function("gemv_q8_0").launch(grid: (UInt32((wRows + 3) / 4), UInt32(tokens), 1), block: 128, stream: stream, arguments: arguments)
        expected = []
        for t in 0..<tokens {
            for r in 0..<wRows {
                var sum = 0.0
                for c in 0..<columns { sum += Double(exact[r * columns + c]) * Double(v[t * columns + c]) }
                expected.append(sum)
            }
        }
        report("gemv_q8_0", try download(dy, count: tokens * wRows), expected, tolerance: 1e-4)

        // Pinned copy bandwidth, each way.
        let bytes = copyMiB << 20
        let pinned = try PinnedBuffer(context: context, bytes: bytes)
        let target = try DeviceBuffer(context: context, bytes: bytes)
        for (name, toDevice) in [("host to device", true), ("device to host", false)] {
            var best = Duration.seconds(1000)
            for _ in 0..<5 {
                let t0 = clock.now
                if toDevice {
                    try target.upload(pinned.base, count: bytes, stream: stream)
                } else {
                    try target.download(pinned.base, count: bytes, stream: stream)
                }
                try stream.synchronize()
                best = min(best, clock.now - t0)
            }
            let seconds = Double(best.components.seconds) + Double(best.components.attoseconds) * 1e-18
            Console.out("copy \(name): \(String(format: "%.1f", Double(bytes) / seconds / 1e9)) GB/s (\(copyMiB) MiB, best of 5)\n")
        }
        // The device's own bandwidth: a copy kernel reads and writes every byte once.
        let floats = bytes / 8
        let from = try DeviceBuffer(context: context, bytes: floats * 4), to = try DeviceBuffer(context: context, bytes: floats * 4)
        try from.zero(stream: stream)
        var best = Duration.seconds(1000)
        for _ in 0..<5 {
            arguments.removeAll()
            arguments.append(address: to.address); arguments.append(address: from.address); arguments.append(Int32(floats))
            let t0 = clock.now
            try module.function("copy_floats").launch(grid: (UInt32((floats + 255) / 256), 1, 1), block: 256, stream: stream,
                                                      arguments: arguments)
            try stream.synchronize()
            best = min(best, clock.now - t0)
        }
        let seconds = Double(best.components.seconds) + Double(best.components.attoseconds) * 1e-18
        Console.out("device copy: \(String(format: "%.1f", Double(2 * floats * 4) / seconds / 1e9)) GB/s (read + write, \(copyMiB / 2) MiB, best of 5)\n")

        for path in model { failures += try compareModel(path, toolkit: toolkit) ? 0 : 1 }
        if failures > 0 { throw ValidationError("\(failures) check(s) failed") }
    }

    /// Reproducible values in [-1, 1].
    static func values(_ count: Int, seed: UInt64) -> [Float] {
        var random = SeededGenerator(seed: seed)
        return (0..<count).map { _ in Float.random(in: -1...1, using: &random) }
    }
}
