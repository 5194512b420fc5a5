#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Seconds since 1970, as OpenAI's `created` fields hold.
func unixTime() -> Int {
    Int(Date().timeIntervalSince1970)
}
