import CanteenDomain
@testable import CanteenService
import Synchronization
import Testing

/// How the counter forms its groups (`MealGroupCommit`), with a stand-in for the database write
/// that holds each group until the test lets it go. The meals are never stored: what is tested
/// is only which meals go together, and when a second group may start.
@Suite("Meals: group commit at the counter")
struct MealGroupCommitTests {
    /// Records the groups handed to `log` and holds each until `release` is called.
    final class Writer: Sendable {
        private struct State {
            var groups: [[Int]] = []
            var running = 0
            var mostRunning = 0
            var gates: [CheckedContinuation<Void, Never>] = []
            var open = false
        }
        private let state = Mutex(State())

        var groups: [[Int]] { state.withLock { $0.groups } }
        var mostRunning: Int { state.withLock { $0.mostRunning } }
        /// Groups waiting for `release`.
        var held: Int { state.withLock { $0.gates.count } }

        func log(_ items: [MealStore.Item]) async -> [Result<MealStore.Outcome, any Error>] {
            state.withLock { state in
                state.groups.append(items.map { dinerID(of: $0) })
                state.running += 1
                state.mostRunning = max(state.mostRunning, state.running)
            }
            await withCheckedContinuation { continuation in
                let held = state.withLock { state in
                    if !state.open { state.gates.append(continuation) }
                    return !state.open
                }
                if !held { continuation.resume() }
            }
            state.withLock { $0.running -= 1 }
            return items.map { _ in .success(.refused(CanteenError(.notFound, "not stored by this test"))) }
        }

        /// Lets every group held so far finish; with `forever`, every later one too.
        func release(forever: Bool = false) {
            let gates = state.withLock { state in
                defer { state.gates = [] }
                state.open = state.open || forever
                return state.gates
            }
            for gate in gates { gate.resume() }
        }

        private func dinerID(of item: MealStore.Item) -> Int {
            if case .id(let id) = item.request.diner { id } else { -1 }
        }
    }

    static func item(_ diner: Int) -> MealStore.Item {
        MealStore.Item(request: MealRequest(siteCode: "S001", diner: .id(diner), slot: .lunch, priceFen: 1000,
                                            servedOn: nil, delivery: false, idempotencyKey: nil),
                       requestHash: String(repeating: "0", count: 64), actor: "test")
    }

    /// Polls (yielding, never timing) until `condition` holds; false if it still does not after
    /// a million yields (the other tasks had every chance to run).
    @discardableResult
    static func eventually(_ condition: () -> Bool) async -> Bool {
        for _ in 0..<1_000_000 {
            if condition() { return true }
            await Task.yield()
        }
        return condition()
    }

    @Test("one group is in flight at a time; a second starts only behind a full group waiting")
    func oneGroupUntilAFullOneWaits() async throws {
        let writer = Writer()
        let counter = MealGroupCommit(concurrency: 2) { await writer.log($0) }
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            defer { writer.release(forever: true) }
            tasks.addTask { _ = try await counter.log(Self.item(1)) }
            await Self.eventually { writer.held == 1 }
            // 63 meals arrive while the first group is in flight: they wait, in one queue.
            for diner in 2...64 { tasks.addTask { _ = try await counter.log(Self.item(diner)) } }
            await Self.eventually { counter.waiting == 63 || writer.groups.count > 1 }
            #expect(writer.groups.count == 1, "a second group started before a full one waited: \(writer.groups)")
            // The 64th waiting meal fills a group: it goes on the second connection at once.
            tasks.addTask { _ = try await counter.log(Self.item(65)) }
            #expect(await Self.eventually { writer.held == 2 })
            #expect(writer.groups.count == 2)
            #expect(Set(writer.groups.last ?? []) == Set(2...65))
            writer.release(forever: true)
            try await tasks.waitForAll()
        }
        #expect(writer.mostRunning == 2)
        #expect(counter.waiting == 0)
    }

    @Test("the meals that arrive while a group is in flight go together in the next one")
    func waitingMealsGoTogether() async throws {
        let writer = Writer()
        let counter = MealGroupCommit(concurrency: 2) { await writer.log($0) }
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            defer { writer.release(forever: true) }
            tasks.addTask { _ = try await counter.log(Self.item(1)) }
            await Self.eventually { writer.held == 1 }
            for diner in 2...6 { tasks.addTask { _ = try await counter.log(Self.item(diner)) } }
            await Self.eventually { counter.waiting == 5 || writer.groups.count > 1 }
            writer.release()
            await Self.eventually { writer.groups.count == 2 }
            writer.release(forever: true)
            try await tasks.waitForAll()
        }
        #expect(writer.groups.map { Set($0) } == [[1], Set(2...6)])
        #expect(writer.mostRunning == 1)
    }
}
