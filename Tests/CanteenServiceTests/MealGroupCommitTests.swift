import CanteenDomain
@testable import CanteenService
import Dispatch
import Foundation
import Synchronization
import Testing

/// How the counter forms its groups (`MealGroupCommit`), with a stand-in for the database write
/// that holds each group until the test lets it go. The meals are never stored: what is tested
/// is only which meals go together, and when a group beside another may start and must stop.
@Suite("Meals: group commit at the counter", .timeLimit(.minutes(1)))
struct MealGroupCommitTests {
    /// Records the groups handed to `log` (by the diners in them) and the sessions they were
    /// logged on, and holds each group until it is released. Like a connection's thread, `log`
    /// blocks while a group is held.
    final class Writer: Sendable {
        private struct State {
            var groups: [[Int]] = []
            /// The session each group was logged on, by the group's index.
            var sessionOf: [Int] = []
            var sessions = 0
            var running = 0
            var mostRunning = 0
            /// The held groups' gates, by the group's index in `groups`.
            var gates: [Int: DispatchSemaphore] = [:]
            var open = false
            /// Sessions still to refuse, and the groups after which the session is lost.
            var refusals = 0
            var losingAfter: Set<Int> = []
            /// Whether another user of the pool waits for a session.
            var othersWait = false
        }
        private let state = Mutex(State())

        var groups: [[Int]] { state.withLock { $0.groups } }
        var sessionOf: [Int] { state.withLock { $0.sessionOf } }
        var sessions: Int { state.withLock { $0.sessions } }
        var mostRunning: Int { state.withLock { $0.mostRunning } }
        /// Groups waiting to be released.
        var held: Int { state.withLock { $0.gates.count } }

        /// The next `count` sessions asked for cannot be had.
        func refuseSessions(_ count: Int) { state.withLock { $0.refusals = count } }
        /// Whether another user of the pool waits for a session (`MealGroupCommit`'s `othersWaiting`).
        var othersWait: Bool {
            get { state.withLock { $0.othersWait } }
            set { state.withLock { $0.othersWait = newValue } }
        }
        /// The session is lost while the group at `index` is logged.
        func loseSession(after index: Int) { state.withLock { _ = $0.losingAfter.insert(index) } }

        /// A session for `drain`, on a thread of its own (the connection's), or why not.
        func withSession(_ drain: @escaping @Sendable (MealGroupCommit.LogGroup) -> MealGroupCommit.DrainEnd) async throws -> MealGroupCommit.DrainEnd {
            let session = try state.withLock { state -> Int in
                guard state.refusals == 0 else {
                    state.refusals -= 1
                    throw CanteenError(.unavailable, "no session in this test")
                }
                state.sessions += 1
                return state.sessions
            }
            return await withCheckedContinuation { continuation in
                Thread.detachNewThread { continuation.resume(returning: drain { items in self.log(items, on: session) }) }
            }
        }

        private func log(_ items: [MealStore.Item], on session: Int) -> (results: [Result<MealStore.Outcome, any Error>], sessionUsable: Bool) {
            let (gate, lost) = state.withLock { state -> (DispatchSemaphore?, Bool) in
                let index = state.groups.count
                state.groups.append(items.map { dinerID(of: $0) })
                state.sessionOf.append(session)
                state.running += 1
                state.mostRunning = max(state.mostRunning, state.running)
                var gate: DispatchSemaphore?
                if !state.open {
                    gate = DispatchSemaphore(value: 0)
                    state.gates[index] = gate
                }
                return (gate, state.losingAfter.contains(index))
            }
            gate?.wait()
            state.withLock { $0.running -= 1 }
            if lost { return (items.map { _ in .failure(CanteenError(.unavailable, "lost in this test")) }, false) }
            return (items.map { _ in .success(.refused(CanteenError(.notFound, "not stored by this test"))) }, true)
        }

        /// Lets the group at `index` finish.
        func release(_ index: Int) {
            state.withLock { $0.gates.removeValue(forKey: index) }?.signal()
        }

        /// Lets every group finish, those held and those to come.
        func releaseAll() {
            let gates = state.withLock { state in
                defer { state.gates = [:] }
                state.open = true
                return Array(state.gates.values)
            }
            for gate in gates { gate.signal() }
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

    /// How many meals were answered, and how many of them with a failure.
    final class Answers: Sendable {
        private let state = Mutex((count: 0, failures: 0))
        var count: Int { state.withLock { $0.count } }
        var failures: Int { state.withLock { $0.failures } }
        func add(failed: Bool) { state.withLock { $0.count += 1; if failed { $0.failures += 1 } } }
    }

    /// A counter over a held writer, and the answers its callers got.
    struct Bench {
        let writer = Writer()
        let answers = Answers()
        let counter: MealGroupCommit

        init(concurrency: Int) {
            let writer = writer
            counter = MealGroupCommit(concurrency: concurrency, othersWaiting: { writer.othersWait }) { try await writer.withSession($0) }
        }

        /// Logs the meals of `diners`, each in a task of its own, counting the answers. The tasks
        /// are not awaited: a meal never answered fails the test's last `eventually`, it cannot
        /// hang it.
        func log(_ diners: ClosedRange<Int>) {
            for diner in diners {
                Task { [counter, answers] in
                    do {
                        _ = try await counter.log(MealGroupCommitTests.item(diner))
                        answers.add(failed: false)
                    } catch {
                        answers.add(failed: true)
                    }
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

    @Test("a drainer logs group after group on one session, and lets it go when it stops")
    func oneSessionForConsecutiveGroups() async throws {
        let bench = Bench(concurrency: 2)
        let (writer, counter) = (bench.writer, bench.counter)
        defer { writer.releaseAll() }
        bench.log(1...1)
        #expect(await Self.eventually { writer.held == 1 })
        bench.log(2...6)
        #expect(await Self.eventually { counter.waiting == 5 })
        writer.release(0)
        #expect(await Self.eventually { writer.held == 1 && writer.groups.count == 2 })
        bench.log(7...9)
        #expect(await Self.eventually { counter.waiting == 3 })
        writer.release(1)
        #expect(await Self.eventually { writer.held == 1 && writer.groups.count == 3 })
        #expect(writer.sessionOf == [1, 1, 1], "consecutive groups took new sessions: \(writer.sessionOf)")
        #expect(await bench.finish(answering: 9), "\(bench.answers.count) of 9 meals answered")
        #expect(await Self.eventually { counter.drainers == 0 })
        // Stopped, the drainer let its session go: the next meal takes a new one.
        bench.log(10...10)
        #expect(await Self.eventually { bench.answers.count == 10 })
        #expect(writer.sessionOf.last == 2)
    }

    @Test("a lost session fails only its group; the meals after it go on a new session")
    func aLostSessionIsReplaced() async throws {
        let bench = Bench(concurrency: 2)
        let (writer, counter) = (bench.writer, bench.counter)
        defer { writer.releaseAll() }
        writer.loseSession(after: 0)
        bench.log(1...1)
        #expect(await Self.eventually { writer.held == 1 })
        bench.log(2...4)
        #expect(await Self.eventually { counter.waiting == 3 })
        #expect(await bench.finish(answering: 4), "\(bench.answers.count) of 4 meals answered")
        #expect(bench.answers.failures == 1)
        #expect(writer.sessionOf == [1, 2], "\(writer.sessionOf)")
        #expect(await Self.eventually { counter.drainers == 0 })
    }

    @Test("when no session can be had, the meals waiting fail with why, and none is stranded")
    func noSessionFailsTheWaitingMeals() async throws {
        let bench = Bench(concurrency: 2)
        let (writer, counter) = (bench.writer, bench.counter)
        writer.releaseAll()
        writer.refuseSessions(2)
        bench.log(1...1)
        #expect(await Self.eventually { bench.answers.count == 1 })
        bench.log(2...2)
        #expect(await Self.eventually { bench.answers.count == 2 })
        #expect(bench.answers.failures == 2)
        #expect(await Self.eventually { counter.drainers == 0 })
        // Sessions can be had again: the meals after go on one.
        bench.log(3...30)
        #expect(await bench.finish(answering: 30), "\(bench.answers.count) of 30 meals answered")
        #expect(bench.answers.failures == 2)
        #expect(writer.groups.joined().sorted() == Array(3...30))
        #expect(await Self.eventually { counter.drainers == 0 })
    }

    @Test("while others wait for a pooled session, a drainer lets its own go between groups")
    func aDrainerYieldsItsSessionToOthers() async throws {
        let bench = Bench(concurrency: 2)
        let (writer, counter) = (bench.writer, bench.counter)
        defer { writer.releaseAll() }
        bench.log(1...1)
        #expect(await Self.eventually { writer.held == 1 })
        bench.log(2...6)
        #expect(await Self.eventually { counter.waiting == 5 })
        writer.othersWait = true
        writer.release(0)
        #expect(await Self.eventually { writer.held == 1 && writer.groups.count == 2 })
        #expect(writer.sessionOf == [1, 2], "the drainer kept its session while others waited: \(writer.sessionOf)")
        writer.othersWait = false
        bench.log(7...9)
        #expect(await Self.eventually { counter.waiting == 3 })
        writer.release(1)
        #expect(await Self.eventually { writer.held == 1 && writer.groups.count == 3 })
        #expect(writer.sessionOf == [1, 2, 2], "\(writer.sessionOf)")
        #expect(await bench.finish(answering: 9), "\(bench.answers.count) of 9 meals answered")
        #expect(bench.answers.failures == 0)
        #expect(await Self.eventually { counter.drainers == 0 })
    }

    @Test("a drainer beside another that can have no session stops and fails no meal")
    func aSecondDrainerWithoutASessionLeavesTheMealsToTheFirst() async throws {
        let bench = Bench(concurrency: 2)
        let (writer, counter) = (bench.writer, bench.counter)
        defer { writer.releaseAll() }
        bench.log(1...1)
        #expect(await Self.eventually { writer.held == 1 })
        // A full group waits: a second drainer starts, and finds no session.
        writer.refuseSessions(1)
        bench.log(2...65)
        #expect(await Self.eventually { counter.drainers == 1 && counter.waiting == 64 })
        #expect(bench.answers.failures == 0, "meals failed while a drainer could still log them")
        #expect(writer.groups.count == 1)
        #expect(await bench.finish(answering: 65), "\(bench.answers.count) of 65 meals answered")
        #expect(bench.answers.failures == 0)
        #expect(writer.groups.map { Set($0) } == [[1], Set(2...65)])
        #expect(writer.sessionOf == [1, 1])
        #expect(await Self.eventually { counter.drainers == 0 })
    }
}
