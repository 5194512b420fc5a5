import Foundation

/// Multi-turn chat sessions as clients hold them: each turn resends the whole conversation
/// with the assistant's previous replies, after an idle gap.
struct ChatSessions {
    let count: Int
    let turns: Int
    let maxTokens: Int
    /// The pause before each turn after the first, per session (deterministic, 100...700 ms).
    func idleGap(session: Int, turn: Int) -> Duration { .milliseconds(100 + (session * 37 + turn * 101) % 600) }

    /// One result per turn, session-major: its status, and the reply (or the error body).
    struct Turn: Equatable {
        var status: Int
        var reply: String
        var finishReason: String
        /// Prompt plus completion tokens (`usage.total_tokens`).
        var totalTokens = 0
    }

    private static let subjects = ["cats", "the sea", "bread", "trains", "the moon", "gardens", "rain", "music",
                                   "bees", "mountains", "winter", "paper", "clocks", "rivers", "owls", "salt"]
    private static let asks = ["Tell me about", "Write two sentences about", "What do you know about", "Describe"]
    private static let followUps = ["Say more.", "Why is that?", "Give an example.", "Summarize that in one line."]

    /// The first user message of `session`: distinct for every session up to 64.
    static func opening(_ session: Int) -> String {
        "\(asks[session % asks.count]) \(subjects[(session / asks.count) % subjects.count])."
    }

    /// Runs every session concurrently against `baseURL`; returns each session's turns.
    func run(against baseURL: String) async -> [[Turn]] {
        await withTaskGroup(of: (Int, [Turn]).self) { group in
            for session in 0..<count {
                group.addTask { (session, await runSession(session, baseURL: baseURL)) }
            }
            var all = [[Turn]](repeating: [], count: count)
            for await (session, turns) in group { all[session] = turns }
            return all
        }
    }

    private func runSession(_ session: Int, baseURL: String) async -> [Turn] {
        var messages: [[String: String]] = [["role": "user", "content": Self.opening(session)]]
        var results: [Turn] = []
        for turn in 0..<turns {
            if turn > 0 {
                try? await Task.sleep(for: idleGap(session: session, turn: turn))
                messages.append(["role": "user", "content": Self.followUps[(session + turn) % Self.followUps.count]])
            }
            let body: [String: Any] = ["messages": messages, "max_tokens": maxTokens, "temperature": 0]
            let json = String(decoding: try! JSONSerialization.data(withJSONObject: body), as: UTF8.self)
            guard let (status, text) = try? await HTTP.post(baseURL + "/v1/chat/completions", json: json) else {
                results.append(Turn(status: 0, reply: "no answer", finishReason: ""))
                return results
            }
            let choice = ((try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any])
                .flatMap { ($0["choices"] as? [[String: Any]])?.first }
            let reply = (choice?["message"] as? [String: Any])?["content"] as? String
            let usage = ((try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any])?["usage"] as? [String: Any]
            results.append(Turn(status: status, reply: reply ?? text, finishReason: choice?["finish_reason"] as? String ?? "",
                                totalTokens: usage?["total_tokens"] as? Int ?? 0))
            guard status == 200, let reply else { return results }
            messages.append(["role": "assistant", "content": reply])
        }
        return results
    }
}
