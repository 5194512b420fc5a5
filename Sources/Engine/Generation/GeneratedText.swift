/// Turns a request's generated tokens into text as they arrive and cuts it at the request's
/// stop strings: the one place text-level stop rules live (the token-level ones, end of
/// generation, max tokens and a full context, live in the `Scheduler`). The server and
/// `InferenceEngine.generate` both stream through it.
public struct GeneratedText {
    private var detokenizer: StreamingDetokenizer
    private var stops: StopStringMatcher
    /// Generated tokens already turned into text.
    public private(set) var emitted = 0
    /// Bytes of text the tokens made, and how many of them were released (the rest is held
    /// back, or was cut at a stop string).
    private var producedBytes = 0, releasedBytes = 0
    /// Where each emitted token's text starts, in produced bytes.
    private var tokenStarts: [Int] = []
    /// Emitted tokens whose text has begun to be released: those before a matched stop
    /// string, or not held back (the ones a client sees, as their log-probabilities follow).
    public private(set) var releasedTokens = 0

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
            let piece = detokenizer.append(generated[i])
            tokenStarts.append(producedBytes)
            producedBytes += piece.utf8.count
            let (release, matched) = stops.append(piece)
            text += release
            stopped = matched
            i += 1
        }
        emitted = i - generated.startIndex
        if finished, !stopped {
            let piece = detokenizer.finish()
            producedBytes += piece.utf8.count
            text += stops.append(piece).release + stops.finish()
        }
        releasedBytes += text.utf8.count
        // A token whose text is all released, or that begins before what was released (a
        // stop string cuts inside it), counts; one that made no text counts with the next.
        while releasedTokens < tokenStarts.count, tokenStarts[releasedTokens] < releasedBytes
            || (finished && !stopped) {
            releasedTokens += 1
        }
        return (text, stopped)
    }
}
