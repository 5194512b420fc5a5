import Foundation
import Testing
import TestSupport

/// `strata embed` end to end, as a user runs it.
@Suite struct EmbedCommandTests {
    @Test("prints /v1/embeddings JSON: one unit vector per text, in order, with usage")
    func printsJSON() throws {
        let r = try StrataProcess.run(["embed", "--threads", "2", "A man is playing a guitar.", "hello world"])
        #expect(r.status == 0, "\(r.stderr)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        #expect(json["model"] as? String == "minilm")
        let data = try #require(json["data"] as? [[String: Any]])
        #expect(data.count == 2)
        for (i, item) in data.enumerated() {
            #expect(item["index"] as? Int == i)
            let v = try #require(item["embedding"] as? [Double])
            #expect(v.count == 384 && abs(v.reduce(0) { $0 + $1 * $1 } - 1) < 1e-4)
        }
        let usage = try #require(json["usage"] as? [String: Any])
        #expect(usage["prompt_tokens"] as? Int == 9 + 4)
    }

    @Test("an over-long text fails without --truncate and is cut with it; a missing model is a clear error")
    func errors() throws {
        let long = String(repeating: "word ", count: 400)
        let refused = try StrataProcess.run(["embed", long])
        #expect(refused.status != 0 && refused.stderr.contains("--truncate"), "\(refused.stderr)")
        let cut = try StrataProcess.run(["embed", "--truncate", long])
        #expect(cut.status == 0 && cut.stdout.contains("\"prompt_tokens\":256"), "\(cut.stderr)")
        let missing = try StrataProcess.run(["embed", "--model", "/nonexistent/model", "x"])
        #expect(missing.status != 0 && missing.stderr.contains("config.json"), "\(missing.stderr)")
    }
}
