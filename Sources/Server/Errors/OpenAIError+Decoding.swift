/// JSON decoding failures as 400s that name the field at fault.
extension OpenAIError {
    init(_ error: DecodingError) {
        switch error {
        case .keyNotFound(let key, let context):
            self = .missing(Self.path(context.codingPath + [key]))
        case .valueNotFound(_, let context):
            let param = Self.path(context.codingPath)
            self = .invalidValue(param, "'\(param)' must not be null.")
        case .typeMismatch(let type, let context):
            if context.codingPath.isEmpty {
                self = OpenAIError(status: .badRequest, message: "The request body must be a JSON object.", code: "invalid_type")
            } else {
                self = .invalidType(Self.path(context.codingPath), expected: Self.describe(type))
            }
        case .dataCorrupted(let context):
            if context.codingPath.isEmpty {
                self = OpenAIError(
                    status: .badRequest,
                    message: "We could not parse the JSON body of your request: \(Self.underlyingMessage(context)). "
                        + "Send a JSON object with the header Content-Type: application/json.",
                    code: "invalid_json")
            } else {
                let param = Self.path(context.codingPath)
                self = .invalidValue(param, "Invalid value for '\(param)': \(Self.underlyingMessage(context)).")
            }
        @unknown default:
            self = OpenAIError(status: .badRequest, message: "The request body could not be decoded: \(error)", code: "invalid_json")
        }
    }

    /// `messages[0].content`, from a coding path.
    static func path(_ codingPath: [any CodingKey]) -> String {
        var path = ""
        for key in codingPath {
            if let index = key.intValue {
                path += "[\(index)]"
            } else {
                if !path.isEmpty { path += "." }
                path += key.stringValue
            }
        }
        return path.isEmpty ? "body" : path
    }

    private static func describe(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: return "a string"
        case is Bool.Type: return "a boolean"
        case is Int.Type, is Int64.Type, is Int32.Type, is UInt64.Type: return "an integer"
        case is Double.Type, is Float.Type: return "a number"
        default:
            let name = String(describing: type)
            if name.hasPrefix("Array<") { return "an array" }
            if name.hasPrefix("Dictionary<") { return "an object" }
            return "a value of another type"
        }
    }

    /// The decoder's own explanation, without its trailing period, for embedding in ours.
    private static func underlyingMessage(_ context: DecodingError.Context) -> String {
        var message = context.debugDescription
        if let underlying = context.underlyingError {
            message += " (\(underlying))"
        }
        while message.hasSuffix(".") { message.removeLast() }
        return message.isEmpty ? "invalid JSON" : message
    }
}
