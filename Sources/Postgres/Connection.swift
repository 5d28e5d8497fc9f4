import CLibPQ
import Dispatch
import Foundation

/// One PostgreSQL connection, serialised on its own dispatch queue so that
/// libpq's blocking calls never run on Swift's cooperative thread pool or on an
/// event loop (the design GRDB uses for SQLite connections).
final class Connection: Sendable {
    let handle: ConnectionHandle
    private let queue: DispatchQueue

    private init(handle: ConnectionHandle, queue: DispatchQueue) {
        self.handle = handle
        self.queue = queue
    }

    /// Opens a connection on a fresh queue and applies the session settings.
    static func connect(_ configuration: PostgresConfiguration) async throws -> Connection {
        let queue = DispatchQueue(label: "canteen.postgres.connection")
        return try await withCheckedThrowingContinuation { continuation in
            queue.async {
                continuation.resume(with: Result { try connectBlocking(configuration, queue: queue) })
            }
        }
    }

    private static func connectBlocking(_ configuration: PostgresConfiguration, queue: DispatchQueue) throws -> Connection {
        // Defaults first: values in the connection string, expanded at `dbname`, override them.
        let keywords = ["connect_timeout", "application_name", "dbname"]
        let values = [String(configuration.connectTimeoutSeconds), configuration.applicationName, configuration.connectionString]
        let pointer = withCStringArray(keywords) { k in
            withCStringArray(values) { v in PQconnectdbParams(k, v, 1) }
        }
        guard let pointer else {
            throw PostgresError(kind: .connection, serverMessage: "out of memory")
        }
        let handle = ConnectionHandle(pointer: pointer)
        guard PQstatus(pointer) == CONNECTION_OK else {
            let message = String(cString: PQerrorMessage(pointer)).trimmingCharacters(in: .whitespacesAndNewlines)
            throw PostgresError(kind: .connection, serverMessage: message)
        }
        // Server notices (e.g. "already exists, skipping") are not errors; libpq would print them to stderr.
        PQsetNoticeProcessor(pointer, { _, _ in }, nil)
        let connection = Connection(handle: handle, queue: queue)
        let session = Session(handle: handle, cancellation: JobCancellation())
        for (name, value) in configuration.settings.sorted(by: { $0.key < $1.key }) {
            try session.query("SELECT set_config($1, $2, false)", [name, value])
        }
        return connection
    }

    /// Runs `body` on this connection's queue. Cancelling the calling task sends
    /// the server a cancel request for the statement in flight, and makes the
    /// session refuse further statements (so a transaction rolls back).
    func run<T: Sendable>(_ body: @escaping @Sendable (Session) throws -> T) async throws -> T {
        let cancellation = JobCancellation()
        let job = ObjectIdentifier(cancellation)
        let handle = self.handle
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
                queue.async {
                    handle.begin(job: job)
                    let session = Session(handle: handle, cancellation: cancellation)
                    let result = Result { try body(session) }
                    if case .failure = result { session.rollbackQuietly() }
                    handle.end()
                    continuation.resume(with: result)
                }
            }
        } onCancel: {
            cancellation.cancel()
            handle.cancel(job: job)
        }
    }

    /// See `ConnectionHandle.isHealthy`; call only while holding the connection's lease.
    var isHealthy: Bool { handle.isHealthy }

    /// Lost, or abandoned by a session that found it of no further use (`Session.abandon()`).
    var isBroken: Bool { PQstatus(handle.pointer) != CONNECTION_OK || handle.abandoned.value }
}

private func withCStringArray<R>(_ strings: [String], _ body: (UnsafePointer<UnsafePointer<CChar>?>) -> R) -> R {
    let copies = strings.map { strdup($0) }
    defer { copies.forEach { free($0) } }
    var pointers: [UnsafePointer<CChar>?] = copies.map { $0.map { UnsafePointer($0) } }
    pointers.append(nil)
    return pointers.withUnsafeBufferPointer { body($0.baseAddress!) }
}
