import Memory

/// The device's copies of the offloaded layers' part of KV pages: `slots` device pages, each
/// the bytes from `hostOffset` to the end of a host page (the offloaded layers come last in a
/// page). The host page stays the backing store: a page the device needs and does not hold is
/// given a slot (loaded from the host when the host holds its bytes), and when every slot is
/// taken the one least recently used goes back to its host page first. So pages of idle,
/// cached or compressed sequences follow the cache's own life cycle, and the device only ever
/// holds what recent batches used.
final class DevicePageCache {
    let buffer: DeviceBuffer
    let slots: Int
    let slotBytes: Int
    /// Where the device-held part starts in a host page.
    let hostOffset: Int
    /// The layout's first device-held layer (place).
    let firstPlace: Int
    let layerBytes: Int
    private let stream: CUDAStream
    private var slotOfPage: [UInt: Int32]
    /// [slots] the host page each slot holds (0: free), and the batch that last used it.
    private var pageOfSlot: [UInt]
    private var lastUse: [UInt64]
    private var freeSlots: [Int32]
    /// Host pages whose device-held part is valid on the host (written back, or written by the
    /// host), so a slot for one is loaded; other pages are new and their bytes are not read.
    private var validOnHost: Set<UInt>
    private var batch: UInt64 = 0
    /// Loads, write-backs (for tests and reports).
    private(set) var loads = 0, writeBacks = 0

    init(context: CUDAContext, stream: CUDAStream, layout: KVPageLayout, firstPlace: Int, slots: Int) throws(CUDAError) {
        precondition(firstPlace >= 0 && firstPlace < layout.layers && slots > 0)
        self.slots = slots
        self.firstPlace = firstPlace
        layerBytes = layout.layerBytes
        hostOffset = firstPlace * layout.layerBytes
        slotBytes = (layout.layers - firstPlace) * layout.layerBytes
        buffer = try DeviceBuffer(context: context, bytes: slots * slotBytes)
        self.stream = stream
        slotOfPage = Dictionary(minimumCapacity: slots)
        pageOfSlot = [UInt](repeating: 0, count: slots)
        lastUse = [UInt64](repeating: 0, count: slots)
        freeSlots = (0..<Int32(slots)).reversed()
        validOnHost = Set(minimumCapacity: slots)
    }

    var bytes: Int { buffer.bytes }

    /// Starts a batch: pages used from now on are protected from eviction until the next one.
    func beginBatch() { batch += 1 }

    /// The device address of the device-held part of host page `page`, giving it a slot when it
    /// has none.
    func address(of page: UnsafeMutableRawPointer) throws(CUDAError) -> UInt64 {
        let key = UInt(bitPattern: page)
        let slot: Int
        if let found = slotOfPage[key] {
            slot = Int(found)
        } else {
            slot = try takeSlot()
            slotOfPage[key] = Int32(slot)
            pageOfSlot[slot] = key
            if validOnHost.contains(key) {
                try buffer.upload(page + hostOffset, count: slotBytes, offset: slot * slotBytes, stream: stream)
                loads += 1
            }
        }
        lastUse[slot] = batch
        return buffer.address + UInt64(slot * slotBytes)
    }

    private func takeSlot() throws(CUDAError) -> Int {
        if let free = freeSlots.popLast() { return Int(free) }
        var oldest = -1
        for s in 0..<slots where lastUse[s] < batch && (oldest < 0 || lastUse[s] < lastUse[oldest]) { oldest = s }
        precondition(oldest >= 0, "DevicePageCache: one batch needs more than its \(slots) device pages")
        let page = pageOfSlot[oldest]
        try writeBack(slot: oldest, to: UnsafeMutableRawPointer(bitPattern: page)!)
        slotOfPage[page] = nil
        return oldest
    }

    private func writeBack(slot: Int, to page: UnsafeMutableRawPointer) throws(CUDAError) {
        try buffer.download(page + hostOffset, count: slotBytes, offset: slot * slotBytes, stream: stream)
        try stream.synchronize()
        validOnHost.insert(UInt(bitPattern: page))
        writeBacks += 1
    }

    /// Makes the host page complete (the device's part written back) before the host reads it.
    func pageWillBeRead(_ page: UnsafeMutableRawPointer) throws(CUDAError) {
        guard let slot = slotOfPage[UInt(bitPattern: page)] else { return }
        try writeBack(slot: Int(slot), to: page)
    }

    /// Forgets the device's copy of a page the host rewrote; its next use loads the host's bytes.
    func pageWasWritten(_ page: UnsafeMutableRawPointer) {
        let key = UInt(bitPattern: page)
        validOnHost.insert(key)
        guard let slot = slotOfPage.removeValue(forKey: key) else { return }
        pageOfSlot[Int(slot)] = 0
        freeSlots.append(slot)
    }
}
