import Foundation
import Memory

/// A parsed JSON object with typed, throwing accessors: every wrong or missing field becomes a
/// `ModelFileError.malformedJSON` naming the file and the key.
struct JSONObject {
    /// For messages: the file (and path inside it) this object came from.
    let source: String
    let fields: [String: Any]

    /// Parses `bytes` as a JSON object.
    init(bytes: UnsafeRawBufferPointer, source: String) throws(ModelFileError) {
        let data = Data(bytes)
        let parsed: Any
        do {
            parsed = try JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed])
        } catch {
            throw .malformedJSON(file: source, reason: "not valid JSON (\(error.localizedDescription))")
        }
        guard let fields = parsed as? [String: Any] else { throw .malformedJSON(file: source, reason: "not a JSON object") }
        self.init(fields: fields, source: source)
    }

    /// Reads and parses the JSON object in the file at `path`.
    init(path: String) throws(ModelFileError) {
        let file = try MappedFile.modelFile(path)
        try self.init(bytes: file.unsafeBytes, source: path)
    }

    init(fields: [String: Any], source: String) {
        self.fields = fields
        self.source = source
    }

    func has(_ key: String) -> Bool { fields[key] != nil && !(fields[key] is NSNull) }

    func object(_ key: String) throws(ModelFileError) -> JSONObject {
        guard let value = fields[key] as? [String: Any] else { throw wrong(key, "an object") }
        return JSONObject(fields: value, source: "\(source) \(key)")
    }

    func array(_ key: String) throws(ModelFileError) -> [Any] {
        guard let value = fields[key] as? [Any] else { throw wrong(key, "an array") }
        return value
    }

    func string(_ key: String) throws(ModelFileError) -> String {
        guard let value = fields[key] as? String else { throw wrong(key, "a string") }
        return value
    }

    /// An integer (a JSON number with no fraction, in Int's range).
    func int(_ key: String) throws(ModelFileError) -> Int {
        guard let value = Self.integer(fields[key]) else { throw wrong(key, "an integer") }
        return value
    }

    func double(_ key: String) throws(ModelFileError) -> Double {
        guard let number = Self.number(fields[key]) else { throw wrong(key, "a number") }
        return number.doubleValue
    }

    func bool(_ key: String) throws(ModelFileError) -> Bool {
        guard let number = fields[key] as? NSNumber, Self.isBoolean(number) else { throw wrong(key, "true or false") }
        return number.boolValue
    }

    /// An optional field: nil when absent or null, else the accessor's value or its error.
    func optional<T>(_ key: String, _ read: (String) throws(ModelFileError) -> T) throws(ModelFileError) -> T? {
        has(key) ? try read(key) : nil
    }

    func wrong(_ key: String, _ expected: String) -> ModelFileError {
        .malformedJSON(file: source, reason: fields[key] == nil ? "'\(key)' is missing" : "'\(key)' should be \(expected)")
    }

    /// `value` as an Int when it is an integral JSON number in range.
    static func integer(_ value: Any?) -> Int? {
        guard let number = number(value) else { return nil }
        let double = number.doubleValue
        guard double.rounded() == double, abs(double) < 0x1p62 else { return nil }
        return Int(double)
    }

    /// `value` as a JSON number (not true or false).
    static func number(_ value: Any?) -> NSNumber? {
        guard let number = value as? NSNumber, !isBoolean(number) else { return nil }
        return number
    }

    /// Whether JSONSerialization made `number` of true or false. (`is Bool` cannot tell: on
    /// Linux the numbers 0 and 1 cast to Bool too.)
    static func isBoolean(_ number: NSNumber) -> Bool {
        String(cString: number.objCType) == "c"
    }
}
