import Testing
@testable import StrataRuntime

/// `--gpu-layers` against what the machine has: the split, the fit and the fallback.
@Suite struct GPUOffloadTests {
    static let gib = 1 << 30
    /// A 4-block model: 1 GiB per block, a 0.5 GiB output head.
    static let sizes = OffloadSizes(blockBytes: [gib, gib, gib, gib], outputBytes: gib / 2)
    static let missing = CUDAError.libraryNotFound(library: "the CUDA driver", tried: ["libcuda.so.1"], reason: "not found")

    static func device(freeGiB: Double, totalGiB: Int = 80) -> Result<CUDADevice, CUDAError> {
        .success(CUDADevice(ordinal: 0, name: "Test GPU", architecture: 90, totalBytes: totalGiB * gib,
                            freeBytes: Int(freeGiB * Double(gib))))
    }

    @Test func parsesTheFlag() {
        #expect(GPULayers(argument: "auto") == .auto)
        #expect(GPULayers(argument: "ALL") == .all)
        #expect(GPULayers(argument: "0") == .count(0))
        #expect(GPULayers(argument: "33") == .count(33))
        #expect(GPULayers(argument: "-1") == nil)
        #expect(GPULayers(argument: "some") == nil)
    }

    @Test func withoutCUDAAutoRunsOnTheCPUAndSaysWhy() throws {
        let decision = try OffloadDecision.resolve(.auto, sizes: Self.sizes, probe: .failure(Self.missing))
        guard case .cpu(let reason?) = decision else { Issue.record("\(decision)"); return }
        #expect(reason.contains("libcuda.so.1"))
        #expect(try OffloadDecision.resolve(.count(0), sizes: Self.sizes, probe: .failure(Self.missing)) == .cpu(reason: nil))
    }

    @Test func withoutCUDAAnExplicitCountIsAnError() {
        for request in [GPULayers.count(1), .all] {
            #expect(throws: OffloadError.unavailable(requested: request, reason: Self.missing)) {
                try OffloadDecision.resolve(request, sizes: Self.sizes, probe: .failure(Self.missing))
            }
        }
        let message = OffloadError.unavailable(requested: .count(1), reason: Self.missing).description
        #expect(message.contains("--gpu-layers 1 needs CUDA") && message.contains("libcuda.so.1"))
    }

    @Test func countsTakeTheLastBlocksThenTheOutput() throws {
        let device = Self.device(freeGiB: 70)
        guard case .device(let two, _) = try OffloadDecision.resolve(.count(2), sizes: Self.sizes, probe: device) else {
            Issue.record("expected a device plan"); return
        }
        #expect(two.offloadedBlocks == 2 && !two.outputOnDevice && two.deviceBytes == 2 * Self.gib)
        #expect(!two.isOnDevice(block: 1) && two.isOnDevice(block: 2) && two.isOnDevice(block: 3))
        #expect(two.firstDeviceBlock == 2)
        guard case .device(let five, _) = try OffloadDecision.resolve(.count(5), sizes: Self.sizes, probe: device),
              case .device(let all, _) = try OffloadDecision.resolve(.all, sizes: Self.sizes, probe: device),
              case .device(let many, _) = try OffloadDecision.resolve(.count(99), sizes: Self.sizes, probe: device) else {
            Issue.record("expected device plans"); return
        }
        #expect(five == all && many == all)
        #expect(all.offloadedBlocks == 4 && all.outputOnDevice && all.layerCount == 5)
        #expect(all.deviceBytes == 4 * Self.gib + Self.gib / 2)
    }

    /// auto fits whole blocks from the last into free memory minus the margin
    /// (max(512 MiB, 5% of the device)), and the output only once every block is in.
    @Test func autoFitsWhatTheMarginLeaves() throws {
        // 80 GiB device: margin 4 GiB. 6.6 GiB free leaves 2.6: two blocks.
        guard case .device(let partial, let summary) = try OffloadDecision.resolve(.auto, sizes: Self.sizes, probe: Self.device(freeGiB: 6.6)) else {
            Issue.record("expected a device plan"); return
        }
        #expect(partial.offloadedBlocks == 2 && !partial.outputOnDevice)
        #expect(summary.hasPrefix("2 of 5 layers on cuda:0 (Test GPU)"))
        // 8.2 GiB free leaves 4.2: all four blocks, not the head.
        guard case .device(let blocksOnly, _) = try OffloadDecision.resolve(.auto, sizes: Self.sizes, probe: Self.device(freeGiB: 8.2)) else {
            Issue.record("expected a device plan"); return
        }
        #expect(blocksOnly.offloadedBlocks == 4 && !blocksOnly.outputOnDevice)
        guard case .device(let everything, _) = try OffloadDecision.resolve(.auto, sizes: Self.sizes, probe: Self.device(freeGiB: 9)) else {
            Issue.record("expected a device plan"); return
        }
        #expect(everything.layerCount == 5)
        // 4.5 GiB free leaves 0.5: nothing fits, so the CPU, with the reason.
        guard case .cpu(let reason?) = try OffloadDecision.resolve(.auto, sizes: Self.sizes, probe: Self.device(freeGiB: 4.5)) else {
            Issue.record("expected the CPU"); return
        }
        #expect(reason.contains("not one layer fits"))
        // A small device's margin is 512 MiB.
        #expect(OffloadDecision.margin(totalBytes: 4 * Self.gib) == 512 << 20)
    }

    @Test func anExplicitCountThatDoesNotFitIsAnError() {
        #expect {
            try OffloadDecision.resolve(.all, sizes: Self.sizes, probe: Self.device(freeGiB: 6))
        } throws: { error in
            guard case OffloadError.doesNotFit(.all, let needed, let usable, let device) = error else { return false }
            return needed == 4 * Self.gib + Self.gib / 2 && usable == 2 * Self.gib && device == "cuda:0 (Test GPU)"
        }
    }
}
