/// A candidate merge of two adjacent symbols, ordered by the model's priority.
protocol MergeCandidate {
    /// Whether `self` should be merged before `other`.
    func precedes(_ other: Self) -> Bool
}

/// A binary max-heap of merge candidates (the best candidate on top). Stale candidates are
/// left in and skipped when popped, as in llama.cpp's tokenizers.
struct MergeQueue<Candidate: MergeCandidate> {
    private var heap: [Candidate] = []

    var isEmpty: Bool { heap.isEmpty }

    /// Empties the queue, keeping its storage for the next word.
    mutating func removeAll() { heap.removeAll(keepingCapacity: true) }

    /// - Complexity: O(log n).
    mutating func push(_ candidate: Candidate) {
        heap.append(candidate)
        var child = heap.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard heap[child].precedes(heap[parent]) else { break }
            heap.swapAt(child, parent)
            child = parent
        }
    }

    /// Removes and returns the best candidate.
    /// - Complexity: O(log n).
    mutating func pop() -> Candidate? {
        guard !heap.isEmpty else { return nil }
        let top = heap[0]
        let last = heap.removeLast()
        if !heap.isEmpty {
            heap[0] = last
            var parent = 0
            let count = heap.count
            while true {
                let left = 2 * parent + 1
                guard left < count else { break }
                let right = left + 1
                let best = right < count && heap[right].precedes(heap[left]) ? right : left
                guard heap[best].precedes(heap[parent]) else { break }
                heap.swapAt(best, parent)
                parent = best
            }
        }
        return top
    }
}
