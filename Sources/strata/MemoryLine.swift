import Engine

/// One line of memory figures: bytes per tier, pages, KV bytes per token, cold ratio, heap per step.
func memoryLine(_ m: MemoryReport, allocatedPerStep: Double) -> String {
    var line = "memory: hot \(formatBytes(m.hotBytes)) (\(m.hotPages) pages) | free \(formatBytes(m.freeBytes)) (\(m.freePages) pages)"
    line += " | cold \(formatBytes(m.coldBytes)) (\(m.coldPages) pages"
    if m.coldCompressionRatio > 0 { line += ", ratio \(String(format2: m.coldCompressionRatio))" }
    line += ") | pools \(formatBytes(m.poolBytes))"
    if m.gpuBytes > 0 { line += " | gpu \(formatBytes(m.gpuBytes))" }
    line += " | KV \(m.kvBytesPerToken) B/token"
    if m.kvBytesPerTokenWindow > 0 {
        line += " (full layers \(m.kvBytesPerTokenFull), window layers \(m.kvBytesPerTokenWindow) within \(m.kvWindow) positions;"
        line += " held \(String(format1: m.kvHeldBytesPerToken)))"
    }
    line += " | heap/step \(String(format1: allocatedPerStep)) B"
    return line
}
