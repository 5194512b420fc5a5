/// The body of a `/v1/completions` response, and (with `stream: true`) of each of its events:
/// `{id, object: "text_completion", created, model, choices: [{index, text, finish_reason, logprobs}], usage}`.
struct CompletionResponse: Encodable {
    struct Choice: Encodable {
        var index = 0
        var text: String
        /// "stop" or "length"; null in stream chunks before the last.
        var finishReason: Nullable<String>
        var logprobs = Nullable<CompletionLogprobs>.null

        enum CodingKeys: String, CodingKey {
            case index, text, logprobs
            case finishReason = "finish_reason"
        }
    }

    var id: String
    var object = "text_completion"
    var created: Int
    var model: String
    var choices: [Choice]
    /// Absent from stream chunks unless `stream_options.include_usage`; then null except in the last.
    var usage: Nullable<Usage>?
}
