#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A calendar date and time, as `strftime_now` formats it and chat templates print it
/// ("03 Dec 2026"). A value rather than a clock so that tests can fix it.
public struct JinjaDate: Sendable, Equatable {
    /// The year, e.g. 2026.
    public var year: Int
    /// 1...12
    public var month: Int
    /// 1...31
    public var day: Int
    /// 0...23
    public var hour: Int
    /// 0...59
    public var minute: Int
    /// 0...60
    public var second: Int

    /// A date (and time of day, midnight unless given).
    public init(year: Int, month: Int, day: Int, hour: Int = 0, minute: Int = 0, second: Int = 0) {
        self.year = year
        self.month = month
        self.day = day
        self.hour = hour
        self.minute = minute
        self.second = second
    }

    /// The current local date and time, as Hugging Face's `datetime.now()` and llama.cpp's
    /// `localtime` read it.
    public static func now() -> JinjaDate {
        var seconds = time(nil)
        var parts = tm()
        localtime_r(&seconds, &parts)
        return JinjaDate(year: Int(parts.tm_year) + 1900, month: Int(parts.tm_mon) + 1, day: Int(parts.tm_mday),
                         hour: Int(parts.tm_hour), minute: Int(parts.tm_min), second: Int(parts.tm_sec))
    }

    /// The date formatted by C's `strftime` in the C locale (`%d %b %Y` gives "03 Dec 2026").
    public func formatted(_ format: String) -> String {
        var parts = tm()
        parts.tm_year = Int32(truncatingIfNeeded: year - 1900)
        parts.tm_mon = Int32(truncatingIfNeeded: month - 1)
        parts.tm_mday = Int32(truncatingIfNeeded: day)
        parts.tm_hour = Int32(truncatingIfNeeded: hour)
        parts.tm_min = Int32(truncatingIfNeeded: minute)
        parts.tm_sec = Int32(truncatingIfNeeded: second)
        // timegm fills in the weekday and day of the year (%a, %A, %j) without time zones.
        var copy = parts
        let seconds = timegm(&copy)
        var normalized = tm()
        var t = seconds
        gmtime_r(&t, &normalized)
        guard !format.isEmpty else { return "" }
        var size = 256
        while size <= 65536 {
            var buffer = [CChar](repeating: 0, count: size)
            let written = strftime(&buffer, size, format, &normalized)
            if written > 0 { return String(decoding: buffer[..<written].map { UInt8(bitPattern: $0) }, as: UTF8.self) }
            size *= 4
        }
        return ""
    }
}
