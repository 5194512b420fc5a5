import Synchronization

/// A fixed set of objects made at start-up (request and sequence records, batch
/// descriptors) and lent out again and again. `acquire` and `release` never allocate, so a
/// serving step can take and return them freely.
///
/// Misuse traps: releasing an object that is not from this pool, or one that is not out.
public final class ObjectPool<Object: AnyObject>: @unchecked Sendable {
    /// Objects in the pool, out or not.
    public let capacity: Int
    /// [capacity] every object, held for the pool's lifetime.
    private let objects: [Object]
    /// Each object's index in `objects`.
    private let index: [ObjectIdentifier: Int]
    private let state: Mutex<State>

    struct State {
        /// Indices of objects ready to lend; the last one goes out first (the most
        /// recently used, so the warmest in cache). Capacity `capacity`, so releases
        /// never grow it.
        var ready: [Int]
        /// [capacity] whether each object is lent out.
        var isOut: [Bool]
    }

    /// Makes `capacity` objects with `make`, each a distinct instance.
    public init(capacity: Int, make: () -> Object) {
        precondition(capacity >= 0, "negative pool capacity")
        var objects: [Object] = []
        objects.reserveCapacity(capacity)
        var index: [ObjectIdentifier: Int] = [:]
        index.reserveCapacity(capacity)
        for n in 0..<capacity {
            let object = make()
            precondition(index.updateValue(n, forKey: ObjectIdentifier(object)) == nil, "make() returned the same object twice")
            objects.append(object)
        }
        var ready: [Int] = []
        ready.reserveCapacity(capacity)
        ready.append(contentsOf: (0..<capacity).reversed())
        self.capacity = capacity
        self.objects = objects
        self.index = index
        self.state = Mutex(State(ready: ready, isOut: [Bool](repeating: false, count: capacity)))
    }

    /// An object not lent to anyone else, or nil when all are out.
    ///
    /// - Complexity: O(1), allocation-free.
    public func acquire() -> Object? {
        let n = state.withLock { s -> Int? in
            guard let n = s.ready.popLast() else { return nil }
            s.isOut[n] = true
            return n
        }
        return n.map { objects[$0] }
    }

    /// Takes back an object lent by `acquire`.
    ///
    /// - Complexity: O(1), allocation-free.
    public func release(_ object: Object) {
        guard let n = index[ObjectIdentifier(object)] else { preconditionFailure("object is not from this pool") }
        state.withLock { s in
            precondition(s.isOut[n], "object released twice")
            s.isOut[n] = false
            s.ready.append(n)
        }
    }

    /// Objects ready to lend now.
    public var available: Int { state.withLock { $0.ready.count } }

    /// Checks the bookkeeping against itself; traps on the first inconsistency.
    /// Meant for debug builds and tests.
    ///
    /// - Complexity: O(capacity).
    public func checkInvariants() {
        state.withLock { s in
            precondition(s.ready.count + s.isOut.count(where: { $0 }) == capacity, "objects are lost")
            precondition(Set(s.ready).count == s.ready.count, "an object is ready twice")
            precondition(s.ready.allSatisfy { !s.isOut[$0] }, "a ready object is marked out")
            precondition(objects.indices.allSatisfy { index[ObjectIdentifier(objects[$0])] == $0 }, "index is wrong")
            precondition(s.ready.capacity >= capacity, "release may grow the pool")
        }
    }
}
