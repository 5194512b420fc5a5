extension KeyedDecodingContainer {
    /// Decodes an optional integer field, naming the field when the number is not an integer of `T`'s range
    /// (Foundation's decoder fails on `1.5` or `1e30` for an `Int` with an internal error that it reports
    /// as invalid JSON, without the field).
    func decodeIntegerIfPresent<T: FixedWidthInteger & Decodable>(_ type: T.Type, forKey key: Key) throws -> T? {
        do {
            return try decodeIfPresent(T.self, forKey: key)
        } catch {
            if let number = try? decodeIfPresent(Double.self, forKey: key) {
                let path = OpenAIError.path(codingPath + [key])
                throw OpenAIError.invalidValue(path, "'\(path)' must be an integer from \(T.min) to \(T.max), not \(number).")
            }
            throw error
        }
    }
}
