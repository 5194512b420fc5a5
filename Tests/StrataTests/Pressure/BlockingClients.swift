import Foundation

/// Runs `body(i)` for `count` clients, each on a thread of its own (raw sockets block), and
/// resumes when all are done, without holding the cooperative pool's threads meanwhile.
func onThreads(_ count: Int, _ body: @escaping @Sendable (Int) -> Void) async {
    await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
        let group = DispatchGroup()
        for i in 0..<count {
            group.enter()
            let thread = Thread {
                body(i)
                group.leave()
            }
            thread.stackSize = 1 << 20
            thread.start()
        }
        group.notify(queue: .global()) { done.resume() }
    }
}

extension RawConnection {
    /// One request with `Connection: close`, read to the end: nothing pooled stays open.
    static func exchange(port: Int, _ method: String, _ path: String, body: String? = nil) throws -> String {
        let connection = try RawConnection(port: port, readTimeout: 60)
        var head = "\(method) \(path) HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n"
        if let body { head += "Content-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n" }
        connection.send(head + "\r\n" + (body ?? ""))
        return connection.readUntilClosed().text
    }
}

extension ServerProcess {
    /// `/metrics` over a connection that closes after it (see `RawConnection.exchange`).
    func scrapeClosing() throws -> PrometheusSamples {
        let text = try RawConnection.exchange(port: port, "GET", "/metrics")
        return PrometheusSamples(String(text[(text.range(of: "\r\n\r\n")?.upperBound ?? text.startIndex)...]))
    }
}
