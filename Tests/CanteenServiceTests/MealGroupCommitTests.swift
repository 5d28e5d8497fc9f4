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
        for _ in 0..<1_000_000 where !Task.isCancelled {
            if condition() { return true }
            await Task.yield()
        }
        return condition()
    }

    /// How many meals were answered.
    final class Answers: Sendable {
        private let state = Mutex(0)
        var count: Int { state.withLock { $0 } }
        func add() { state.withLock { $0 += 1 } }
    }

    /// A counter over a held writer, and the answers its callers got.
    struct Bench {
        let writer = Writer()
        let answers = Answers()
        let counter: MealGroupCommit

        init(concurrency: Int) {
            let writer = writer
            counter = MealGroupCommit(concurrency: concurrency) { await writer.log($0) }
        }

        /// Logs the meals of `diners`, each in a task of its own, counting the answers. The tasks
        /// are not awaited: a meal never answered fails the test's last `eventually`, it cannot
        /// hang it.
        func log(_ diners: ClosedRange<Int>) {
            for diner in diners {
                Task { [counter, answers] in
                    _ = try await counter.log(MealGroupCommitTests.item(diner))
                    answers.add()
                }
            }
        }

        /// Lets every group finish, then whether all `count` meals were answered.
        func finish(answering count: Int) async -> Bool {
            writer.releaseAll()
            return await MealGroupCommitTests.eventually { answers.count == count }
        }
    }

    @Test("one group is in flight; a second starts only while a full group waits for it")
    func oneGroupUntilAFullOneWaits() async throws {
        let bench = Bench(concurrency: 2)
        let (writer, counter) = (bench.writer, bench.counter)
        defer { writer.releaseAll() }
        bench.log(1...1)
        #expect(await Self.eventually { writer.held == 1 })
        // 63 meals arrive while the first group is in flight: they wait, in one queue.
        bench.log(2...64)
        #expect(await Self.eventually { counter.waiting == 63 || writer.groups.count > 1 })
        #expect(writer.groups.count == 1, "a second group started before a full one waited: \(writer.groups)")
        // The 64th waiting meal fills a group: it goes on the second connection at once.
        bench.log(65...65)
        #expect(await Self.eventually { writer.held == 2 })
        #expect(Set(writer.groups.last ?? []) == Set(2...65))
        #expect(await bench.finish(answering: 65), "\(bench.answers.count) of 65 meals answered")
        #expect(writer.mostRunning == 2)
        #expect(counter.waiting == 0)
        #expect(await Self.eventually { counter.drainers == 0 })
    }

    @Test("the group beside another stops when less than a full group waits")
    func theSecondGroupStopsAfterTheBurst() async throws {
        let bench = Bench(concurrency: 2)
        let (writer, counter) = (bench.writer, bench.counter)
        defer { writer.releaseAll() }
        bench.log(1...1)
        #expect(await Self.eventually { writer.held == 1 })
        bench.log(2...65)
        #expect(await Self.eventually { writer.held == 2 })
        bench.log(66...70)
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
        #expect(await bench.finish(answering: 70), "\(bench.answers.count) of 70 meals answered")
        #expect(await Self.eventually { counter.drainers == 0 })
    }

    @Test("each group beside others needs a full group waiting for every one in flight")
    func aFullGroupWaitsForEachGroupInFlight() async throws {
        let bench = Bench(concurrency: 8)
        let (writer, counter) = (bench.writer, bench.counter)
        defer { writer.releaseAll() }
        bench.log(1...1)
        #expect(await Self.eventually { writer.held == 1 })
        bench.log(2...65)
        #expect(await Self.eventually { writer.held == 2 })
        // Two groups in flight: 64 waiting are one full group, not one for each of them.
        bench.log(66...129)
        #expect(await Self.eventually { counter.waiting == 64 || writer.held > 2 })
        #expect(writer.held == 2, "a third group started with one full group waiting: \(writer.groups.count) groups")
        #expect(counter.drainers == 2)
        // 128 waiting are a full group for each: a third goes, with the first 64 of them.
        bench.log(130...193)
        #expect(await Self.eventually { writer.held == 3 })
        #expect(Set(writer.groups.last ?? []) == Set(66...129))
        #expect(counter.waiting == 64)
        #expect(await bench.finish(answering: 193), "\(bench.answers.count) of 193 meals answered")
        #expect(writer.groups.joined().sorted() == Array(1...193))
        #expect(await Self.eventually { counter.drainers == 0 })
    }

    @Test("every meal of a stream goes in exactly one group and is answered, whatever the pool's size",
          arguments: [1, 2, 4])
    func everyMealIsAnsweredOnce(concurrency: Int) async throws {
        let bench = Bench(concurrency: concurrency)
        let (writer, counter) = (bench.writer, bench.counter)
        writer.releaseAll()
        for hundred in 0..<30 {
            bench.log(hundred * 100 + 1...hundred * 100 + 100)
            await Task.yield()
        }
        #expect(await bench.finish(answering: 3_000), "\(bench.answers.count) of 3000 meals answered")
        #expect(writer.groups.joined().sorted() == Array(1...3_000))
        #expect(writer.groups.allSatisfy { (1...MealGroupCommit.largestGroup).contains($0.count) })
        #expect(writer.mostRunning <= concurrency)
        #expect(counter.waiting == 0)
        #expect(await Self.eventually { counter.drainers == 0 })
    }

    @Test("the meals that arrive while a group is in flight go together in the next one")
    func waitingMealsGoTogether() async throws {
        let bench = Bench(concurrency: 2)
        let (writer, counter) = (bench.writer, bench.counter)
        defer { writer.releaseAll() }
        bench.log(1...1)
        #expect(await Self.eventually { writer.held == 1 })
        bench.log(2...6)
        #expect(await Self.eventually { counter.waiting == 5 || writer.groups.count > 1 })
        writer.release(0)
        #expect(await Self.eventually { writer.groups.count == 2 })
        #expect(await bench.finish(answering: 6), "\(bench.answers.count) of 6 meals answered")
        #expect(writer.groups.map { Set($0) } == [[1], Set(2...6)])
        #expect(writer.mostRunning == 1)
    }
}
