import CanteenDomain
@testable import CanteenService
import Synchronization
import Testing

/// How the counter forms its groups (`MealGroupCommit`), with a stand-in for the database write
/// that holds each group until the test lets it go. The meals are never stored: what is tested
/// is only which meals go together, and when a group beside another may start and must stop.
@Suite("Meals: group commit at the counter", .timeLimit(.minutes(1)))
struct MealGroupCommitTests {
    /// Records the groups handed to `log` (by the diners in them) and holds each until it is
    /// released.
    final class Writer: Sendable {
        private struct State {
            var groups: [[Int]] = []
            var running = 0
            var mostRunning = 0
            /// The held groups' gates, by the group's index in `groups`.
            var gates: [Int: CheckedContinuation<Void, Never>] = [:]
            var open = false
        }
        private let state = Mutex(State())

        var groups: [[Int]] { state.withLock { $0.groups } }
        var mostRunning: Int { state.withLock { $0.mostRunning } }
        /// Groups waiting to be released.
        var held: Int { state.withLock { $0.gates.count } }

        func log(_ items: [MealStore.Item]) async -> [Result<MealStore.Outcome, any Error>] {
            let index = state.withLock { state in
                state.groups.append(items.map { dinerID(of: $0) })
                state.running += 1
                state.mostRunning = max(state.mostRunning, state.running)
                return state.groups.count - 1
            }
            await withCheckedContinuation { continuation in
                let held = state.withLock { state in
                    if !state.open { state.gates[index] = continuation }
                    return !state.open
                }
                if !held { continuation.resume() }
            }
            state.withLock { $0.running -= 1 }
            return items.map { _ in .success(.refused(CanteenError(.notFound, "not stored by this test"))) }
        }

        /// Lets the group at `index` finish.
        func release(_ index: Int) {
            state.withLock { $0.gates.removeValue(forKey: index) }?.resume()
        }

        /// Lets every group finish, those held and those to come.
        func releaseAll() {
            let gates = state.withLock { state in
                defer { state.gates = [:] }
                state.open = true
                return Array(state.gates.values)
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
    static func eventually(_ condition: () -> Bool) async -> Bool {
        for _ in 0..<1_000_000 {
            if condition() { return true }
            await Task.yield()
        }
        return condition()
    }

    /// Logs the meals of `diners`, each in a task of its own.
    static func log(_ diners: ClosedRange<Int>, _ counter: MealGroupCommit, in tasks: inout ThrowingTaskGroup<Void, any Error>) {
        for diner in diners { tasks.addTask { _ = try await counter.log(Self.item(diner)) } }
    }

    @Test("one group is in flight; a second starts only while a full group waits for it")
    func oneGroupUntilAFullOneWaits() async throws {
        let writer = Writer()
        let counter = MealGroupCommit(concurrency: 2) { await writer.log($0) }
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            defer { writer.releaseAll() }
            Self.log(1...1, counter, in: &tasks)
            #expect(await Self.eventually { writer.held == 1 })
            // 63 meals arrive while the first group is in flight: they wait, in one queue.
            Self.log(2...64, counter, in: &tasks)
            #expect(await Self.eventually { counter.waiting == 63 || writer.groups.count > 1 })
            #expect(writer.groups.count == 1, "a second group started before a full one waited: \(writer.groups)")
            // The 64th waiting meal fills a group: it goes on the second connection at once.
            Self.log(65...65, counter, in: &tasks)
            #expect(await Self.eventually { writer.held == 2 })
            #expect(Set(writer.groups.last ?? []) == Set(2...65))
            writer.releaseAll()
            try await tasks.waitForAll()
        }
        #expect(writer.mostRunning == 2)
        #expect(counter.waiting == 0)
        #expect(counter.drainers == 0)
    }

    @Test("the group beside another stops when less than a full group waits")
    func theSecondGroupStopsAfterTheBurst() async throws {
        let writer = Writer()
        let counter = MealGroupCommit(concurrency: 2) { await writer.log($0) }
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            defer { writer.releaseAll() }
            Self.log(1...1, counter, in: &tasks)
            #expect(await Self.eventually { writer.held == 1 })
            Self.log(2...65, counter, in: &tasks)
            #expect(await Self.eventually { writer.held == 2 })
            Self.log(66...70, counter, in: &tasks)
            #expect(await Self.eventually { counter.waiting == 5 })
            // The burst's group is done while the first is still in flight: its drainer stops,
            // and the five meals wait for the first group instead of going in a small one.
            writer.release(1)
            #expect(await Self.eventually { counter.drainers == 1 || writer.groups.count > 2 })
            #expect(writer.groups.count == 2, "a small group went beside another: \(writer.groups)")
            #expect(counter.waiting == 5)
            writer.release(0)
            #expect(await Self.eventually { writer.held == 1 && writer.groups.count == 3 })
            #expect(Set(writer.groups.last ?? []) == Set(66...70))
            writer.releaseAll()
            try await tasks.waitForAll()
        }
        #expect(counter.drainers == 0)
    }

    @Test("each group beside others needs a full group waiting for every one in flight")
    func aFullGroupWaitsForEachGroupInFlight() async throws {
        let writer = Writer()
        let counter = MealGroupCommit(concurrency: 8) { await writer.log($0) }
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            defer { writer.releaseAll() }
            Self.log(1...1, counter, in: &tasks)
            #expect(await Self.eventually { writer.held == 1 })
            Self.log(2...65, counter, in: &tasks)
            #expect(await Self.eventually { writer.held == 2 })
            // Two groups in flight: 64 waiting are one full group, not one for each of them.
            Self.log(66...129, counter, in: &tasks)
            #expect(await Self.eventually { counter.waiting == 64 || writer.held > 2 })
            #expect(writer.held == 2, "a third group started with one full group waiting: \(writer.groups.count) groups")
            #expect(counter.drainers == 2)
            // 128 waiting are a full group for each: a third goes, with the first 64 of them.
            Self.log(130...193, counter, in: &tasks)
            #expect(await Self.eventually { writer.held == 3 })
            #expect(Set(writer.groups.last ?? []) == Set(66...129))
            #expect(counter.waiting == 64)
            writer.releaseAll()
            try await tasks.waitForAll()
        }
        #expect(writer.groups.joined().sorted() == Array(1...193))
        #expect(counter.drainers == 0)
    }

    @Test("the meals that arrive while a group is in flight go together in the next one")
    func waitingMealsGoTogether() async throws {
        let writer = Writer()
        let counter = MealGroupCommit(concurrency: 2) { await writer.log($0) }
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            defer { writer.releaseAll() }
            Self.log(1...1, counter, in: &tasks)
            #expect(await Self.eventually { writer.held == 1 })
            Self.log(2...6, counter, in: &tasks)
            #expect(await Self.eventually { counter.waiting == 5 || writer.groups.count > 1 })
            writer.release(0)
            #expect(await Self.eventually { writer.groups.count == 2 })
            writer.releaseAll()
            try await tasks.waitForAll()
        }
        #expect(writer.groups.map { Set($0) } == [[1], Set(2...6)])
        #expect(writer.mostRunning == 1)
    }
}
