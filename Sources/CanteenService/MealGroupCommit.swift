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
final class MealGroupCommit: Sendable {
    typealias Log = @Sendable ([MealStore.Item]) async -> [Result<MealStore.Outcome, any Error>]

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
    private let logGroup: Log
    private let state = Mutex(State())
    /// Large enough to amortise a flush, small enough to keep one statement short.
    static let largestGroup = 64

    /// `log` logs a group, one result per item in order (`MealService.logEach`).
    init(concurrency: Int, log: @escaping Log) {
        self.concurrency = max(1, concurrency)
        self.logGroup = log
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
                Task { await self.drain() }
            }
        }
    }

    /// Meals waiting for the next group.
    var waiting: Int { state.withLock { $0.queue.count } }

    /// Drainers running: groups in flight, or about to be.
    var drainers: Int { state.withLock { $0.running } }

    /// Logs groups until `nextGroup` has none for this drainer.
    private func drain() async {
        while let group = nextGroup() {
            let results = await logGroup(group.map(\.item))
            // One result per item; should `log` ever answer fewer, the rest fail rather than wait forever.
            for (index, waiter) in group.enumerated() {
                waiter.continuation.resume(with: index < results.count ? results[index] : .failure(CanteenError.internalFailure()))
            }
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
