/// Turns a request's generated tokens into text as they arrive and cuts it at the request's
/// stop strings: the one place text-level stop rules live (the token-level ones, end of
/// generation, max tokens and a full context, live in the `Scheduler`). The server and
/// `InferenceEngine.generate` both stream through it.
public struct GeneratedText {
    private var detokenizer: StreamingDetokenizer
    private var stops: StopStringMatcher
    /// Generated tokens already turned into text.
    public private(set) var emitted = 0

    /// A stream for tokens generated after `prompt` (whose last token decides the first piece's
    /// leading space), stopping at any of `stops`.
    public init(tokenizer: Tokenizer, after prompt: [TokenID], stops: [String]) {
        detokenizer = StreamingDetokenizer(tokenizer: tokenizer, previous: prompt.last)
        self.stops = StopStringMatcher(stops: stops)
    }

    /// The text of the tokens of `generated` not seen yet, held back while it could still be the
    /// start of a stop string; `stopped` when one matched (the text ends before it). With
    /// `finished` (generation ended), whatever was held back is released too.
    public mutating func advance(_ generated: ArraySlice<TokenID>, finished: Bool) -> (text: String, stopped: Bool) {
        var text = ""
        var stopped = false
        var i = generated.startIndex + emitted
        while i < generated.endIndex, !stopped {
            let (release, matched) = stops.append(detokenizer.append(generated[i]))
            text += release
            stopped = matched
            i += 1
        }
        emitted = i - generated.startIndex
        if finished, !stopped { text += stops.append(detokenizer.finish()).release + stops.finish() }
        return (text, stopped)
    }
}
