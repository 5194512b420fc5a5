/// Host ranges that have device copies, by address: the device address of any byte inside a
/// registered range (weights, norm vectors, activation buffers). Lookups are a binary search
/// over sorted arrays and allocate nothing.
struct DeviceAddressMap {
    private var starts: [UInt] = []
    private var ends: [UInt] = []
    private var devices: [UInt64] = []
    /// Device bytes per host byte: 1 for copies, 4 for 8-bit activations kept as floats.
    private var scales: [UInt64] = []

    /// Registers `bytes` at `host` as having their copy at `device`. Ranges must not overlap.
    mutating func insert(host: UnsafeRawPointer, bytes: Int, device: UInt64, scale: Int = 1) {
        precondition(bytes > 0, "DeviceAddressMap: empty range")
        let start = UInt(bitPattern: host), end = start + UInt(bytes)
        let i = index(after: start)
        precondition(i == 0 || ends[i - 1] <= start, "DeviceAddressMap: \(host) overlaps a registered range")
        precondition(i == starts.count || starts[i] >= end, "DeviceAddressMap: \(host) overlaps a registered range")
        starts.insert(start, at: i)
        ends.insert(end, at: i)
        devices.insert(device, at: i)
        scales.insert(UInt64(scale), at: i)
    }

    /// The first index whose range starts after `address`.
    private func index(after address: UInt) -> Int {
        var low = 0, high = starts.count
        while low < high {
            let mid = (low + high) / 2
            if starts[mid] <= address { low = mid + 1 } else { high = mid }
        }
        return low
    }

    /// The device address of `host`, or nil when no registered range holds it.
    func device(_ host: UnsafeRawPointer) -> UInt64? {
        let address = UInt(bitPattern: host)
        let i = index(after: address) - 1
        guard i >= 0, address < ends[i] else { return nil }
        return devices[i] + UInt64(address - starts[i]) * scales[i]
    }

    /// Whether `host` lies in a registered range.
    func contains(_ host: UnsafeRawPointer) -> Bool { device(host) != nil }

    var count: Int { starts.count }
}
