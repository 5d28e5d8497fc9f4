import Foundation
import Synchronization

/// A bounded pool of connections. Each connection serves one task at a time;
/// callers beyond `maxConnections` wait (up to `acquireTimeout`) instead of
/// growing the pool. Broken connections are dropped and replaced on the next use,
/// so a restarted server or terminated backend never needs a process restart.
public final class PostgresPool: Sendable {
    public let configuration: PostgresConfiguration

    private struct Waiter {
        let id: UInt64
        let continuation: CheckedContinuation<Connection?, any Error>
    }

    private struct State {
        var idle: [Connection] = []
        /// Leases handed out (each may or may not hold a connection yet).
        var leased = 0
        var waiters: [Waiter] = []
        var nextWaiterID: UInt64 = 0
        var closed = false
    }

    private let state = Mutex(State())

    public init(_ configuration: PostgresConfiguration) {
        self.configuration = configuration
    }

    /// Runs `body` on one pooled connection, outside any explicit transaction.
    public func withSession<T: Sendable>(_ body: @escaping @Sendable (Session) throws -> T) async throws -> T {
        let connection = try await lease()
        var healthy = false
        defer { release(connection, healthy: healthy) }
        do {
            let value = try await connection.run(body)
            healthy = !connection.isBroken
            return value
        } catch {
            healthy = !connection.isBroken && !((error as? PostgresError)?.isConnectionFailure ?? false)
            throw error
        }
    }

    /// Runs `body` in a transaction on one pooled connection: committed when it
    /// returns, rolled back when it throws or the calling task is cancelled.
    public func withTransaction<T: Sendable>(plans: PreparedPlans = .automatic,
                                             _ body: @escaping @Sendable (Session) throws -> T) async throws -> T {
        try await withSession { session in try session.transaction(plans: plans, body) }
    }

    /// Closes idle connections and refuses new work; waiting callers get `poolClosed`.
    public func close() async {
        let (idle, waiters) = state.withLock { state -> ([Connection], [Waiter]) in
            state.closed = true
            defer { state.idle = []; state.waiters = [] }
            return (state.idle, state.waiters)
        }
        _ = idle // connections close when their handles are released
        for waiter in waiters {
            waiter.continuation.resume(throwing: PostgresError(kind: .poolClosed, serverMessage: "closed"))
        }
    }

    /// Whether a task waits for a lease: one that holds a connection across many units of work
    /// (the counter's drainer) lets it go between them, so that others get their turn.
    public var hasWaiters: Bool {
        state.withLock { !$0.waiters.isEmpty }
    }

    /// Connections currently open and idle, and leases in use (for tests and metrics).
    public var statistics: (idle: Int, leased: Int) {
        state.withLock { ($0.idle.count, $0.leased) }
    }

    // MARK: leasing

    private enum Grant {
        case ready(Connection?)
        case wait(UInt64)
    }

    private func lease() async throws -> Connection {
        try Task.checkCancellation()
        let grant: Grant = try state.withLock { state in
            if state.closed { throw PostgresError(kind: .poolClosed, serverMessage: "closed") }
            if state.leased < configuration.maxConnections {
                state.leased += 1
                return .ready(state.idle.popLast())
            }
            state.nextWaiterID += 1
            return .wait(state.nextWaiterID)
        }
        var candidate: Connection?
        switch grant {
        case .ready(let connection):
            candidate = connection
        case .wait(let id):
            candidate = try await waitForLease(id: id)
        }
        // From here this task holds a lease; give it back if anything below fails.
        do {
            // The lease makes this task the connection's only user, and the check only reads
            // libpq's state and polls the socket without blocking: no hop to its queue needed.
            if let connection = candidate, connection.isHealthy {
                return connection
            }
            return try await Connection.connect(configuration)
        } catch {
            release(nil, healthy: false)
            throw error
        }
    }

    private func waitForLease(id: UInt64) async throws -> Connection? {
        let timeout = configuration.acquireTimeout
        let timer = Task { [weak self] in
            try await Task.sleep(for: timeout)
            self?.abandonWaiter(id, with: PostgresError(kind: .poolTimeout, serverMessage: "timeout"))
        }
        defer { timer.cancel() }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                let enqueued = state.withLock { state -> Bool in
                    guard !state.closed else { return false }
                    state.waiters.append(Waiter(id: id, continuation: continuation))
                    return true
                }
                if !enqueued {
                    continuation.resume(throwing: PostgresError(kind: .poolClosed, serverMessage: "closed"))
                } else if Task.isCancelled {
                    // Cancelled before the waiter was listed: the handler found nothing to remove.
                    abandonWaiter(id, with: CancellationError())
                }
            }
        } onCancel: {
            self.abandonWaiter(id, with: CancellationError())
        }
    }

    /// Removes a waiter that timed out or was cancelled, if it is still waiting.
    private func abandonWaiter(_ id: UInt64, with error: any Error) {
        let waiter = state.withLock { state -> Waiter? in
            guard let index = state.waiters.firstIndex(where: { $0.id == id }) else { return nil }
            return state.waiters.remove(at: index)
        }
        waiter?.continuation.resume(throwing: error)
    }

    /// Returns a lease: a healthy connection goes back to the idle list, and the
    /// lease passes to the longest waiter if there is one.
    private func release(_ connection: Connection?, healthy: Bool) {
        let handoff = state.withLock { state -> (Waiter, Connection?)? in
            if let connection, healthy, !state.closed { state.idle.append(connection) }
            if !state.waiters.isEmpty {
                let waiter = state.waiters.removeFirst()
                return (waiter, state.idle.popLast())
            }
            state.leased -= 1
            return nil
        }
        if let (waiter, connection) = handoff {
            waiter.continuation.resume(returning: connection)
        }
    }
}
