import CanteenDomain
import Postgres
import Synchronization

/// Group commit for the meal counter. At lunch every canteen logs meals at once, and each
/// meal alone would be one round trip and one WAL flush. Here, while a statement of meals
/// is on its way to the database, the requests that arrive meanwhile wait in a queue and go
/// together in the next group: a fixed number of statements, one transaction, one flush for
/// all of them. Each meal is still independent — the rules answer a refused meal with an
/// outcome instead of raising — and each caller is answered only after the commit. Under light load
/// a request finds nothing in flight and goes alone at once, so nothing waits for a timer.
///
/// One group is in flight at a time. Another one is in flight beside it (up to `concurrency`,
/// the pool's size) only while a full group waits for it: it starts when one does, and stops
/// when it finds fewer waiting. A group's fixed cost in PostgreSQL (its transaction, plans,
/// constraint checks and flush) is ten times a meal's, so under load fewer, larger groups serve
/// more meals per second than more, smaller ones: with two groups in flight each held half as
/// many meals, and the counter logged a fifth fewer meals a second on the same machine. A
/// statement that fails for any reason other than a lost connection is retried one meal at a
/// time (`MealService.logEach`), so one bad row can never fail its neighbours.
///
/// A drainer holds one pooled session for as long as it has groups to log, and answers each
/// group's callers from the connection's thread as soon as its commit returns: the next group's
/// first statement leaves at once, without handing the drainer back to the concurrency pool and
/// leasing a connection again between groups. It lets the session go between two groups when
/// another task waits for a pooled connection (`othersWaiting`), and leases one again behind it:
/// under a steady stream of meals the pool's other users still get their turn.
final class MealGroupCommit: Sendable {
    /// Logs one group on the drainer's session: a result per item, in order, and whether the
    /// session can log another group (not when its connection was lost).
    typealias LogGroup = ([MealStore.Item]) -> (results: [Result<MealStore.Outcome, any Error>], sessionUsable: Bool)
    /// Runs `drain` on a session of its own, handing it the way to log a group there, and answers
    /// what `drain` answers; throws when no session could be had.
    typealias WithSession = @Sendable (_ drain: @escaping @Sendable (_ log: LogGroup) -> DrainEnd) async throws -> DrainEnd

    /// Why a drainer let its session go.
    enum DrainEnd: Sendable {
        /// `nextGroup` had nothing more for it: the drainer has stopped.
        case stopped
        /// Its connection was lost: the next group needs a new session.
        case sessionLost
        /// Others wait for a pooled connection: the next group goes on a session leased behind them.
        case yielded
    }

    /// One meal to log, and who waits for its answer.
    private struct Waiter {
        let item: MealStore.Item
        let continuation: CheckedContinuation<MealStore.Outcome, any Error>
    }

    private struct State {
        var queue: [Waiter] = []
        var running = 0
    }

    private let concurrency: Int
    private let withSession: WithSession
    private let othersWaiting: @Sendable () -> Bool
    private let state = Mutex(State())
    /// Large enough to amortise a flush, small enough to keep one statement short.
    static let largestGroup = 64

    /// `withSession` lends a drainer a session to log its groups on (`MealService.logEach`);
    /// `othersWaiting` tells whether another task waits for one of the same pool's sessions.
    init(concurrency: Int, othersWaiting: @escaping @Sendable () -> Bool, withSession: @escaping WithSession) {
        self.concurrency = max(1, concurrency)
        self.othersWaiting = othersWaiting
        self.withSession = withSession
    }

    /// Logs one meal; answers once its group is committed.
    func log(_ item: MealStore.Item) async throws -> MealStore.Outcome {
        try await withCheckedThrowingContinuation { continuation in
            let startDrainer = state.withLock { state -> Bool in
                state.queue.append(Waiter(item: item, continuation: continuation))
                // A full group waiting for each drainer already running (one started but not
                // yet holding its group counts): a burst starts one more, not one per meal.
                guard state.running == 0 || (state.running < concurrency && state.queue.count >= Self.largestGroup * state.running)
                else { return false }
                state.running += 1
                return true
            }
            if startDrainer {
                // Detached: the drainer serves every caller, not the first one's task (its
                // priority and task-local values).
                Task.detached { await self.drain() }
            }
        }
    }

    /// Meals waiting for the next group.
    var waiting: Int { state.withLock { $0.queue.count } }

    /// Drainers running: groups in flight, or about to be.
    var drainers: Int { state.withLock { $0.running } }

    /// Logs groups until `nextGroup` has none for this drainer, on one session while it lasts.
    private func drain() async {
        while true {
            let ended = Mutex<DrainEnd?>(nil)
            let end: DrainEnd
            do {
                end = try await withSession { log in
                    let end = self.logGroups(log)
                    ended.withLock { $0 = end }
                    return end
                }
            } catch {
                // However the session's end went wrong, a drainer that ran answers what it did.
                if let known = ended.withLock({ $0 }) {
                    end = known
                } else {
                    // No session. Beside another drainer this one stops and leaves the meals to it;
                    // the only one fails the next group with why, and tries again for the meals
                    // waiting after it, if any.
                    if stopBesideOthers() { return }
                    guard let group = nextGroup() else { return }
                    for waiter in group { waiter.continuation.resume(throwing: error) }
                    if stopIfIdle() { return }
                    continue
                }
            }
            if end == .stopped { return }
        }
    }

    /// Logs and answers groups on one session until `nextGroup` has none, the session is lost,
    /// or others wait for a session.
    private func logGroups(_ log: LogGroup) -> DrainEnd {
        while let group = nextGroup() {
            let (results, usable) = log(group.map(\.item))
            // One result per item; should `log` ever answer fewer, the rest fail rather than wait forever.
            for (index, waiter) in group.enumerated() {
                waiter.continuation.resume(with: index < results.count ? results[index] : .failure(CanteenError.internalFailure()))
            }
            if !usable { return .sessionLost }
            if othersWaiting() { return .yielded }
        }
        return .stopped
    }

    /// Stops this drainer if another one is running.
    private func stopBesideOthers() -> Bool {
        state.withLock { state in
            guard state.running > 1 else { return false }
            state.running -= 1
            return true
        }
    }

    /// Stops this drainer if nothing waits.
    private func stopIfIdle() -> Bool {
        state.withLock { state in
            guard state.queue.isEmpty else { return false }
            state.running -= 1
            return true
        }
    }

    /// The next group of this drainer; nil when it stops: nothing waits, or another drainer is
    /// running and less than a full group waits (that one takes them when its group is done).
    private func nextGroup() -> [Waiter]? {
        state.withLock { state in
            guard !state.queue.isEmpty, state.running == 1 || state.queue.count >= Self.largestGroup else {
                state.running -= 1
                return nil
            }
            let count = min(state.queue.count, Self.largestGroup)
            let group = Array(state.queue.prefix(count))
            state.queue.removeFirst(count)
            return group
        }
    }
}
