import CLibPQ
#if canImport(Glibc)
import Glibc
#endif
import Synchronization

/// Owns one libpq connection (`PGconn *`) and its cancel object (`PGcancel *`).
///
/// `@unchecked Sendable` is sound because of how it is used, which the compiler
/// cannot see: the `PGconn` is only touched from its `Connection`'s serial queue,
/// one job at a time, and the only call made from elsewhere is `PQcancel` on the
/// separate `PGcancel` object, which libpq documents as safe to call from any
/// thread. The `active` marker that decides whether a cancel may be sent is
/// guarded by a mutex.
final class ConnectionHandle: @unchecked Sendable {
    let pointer: OpaquePointer
    private let cancelObject: OpaquePointer?
    /// Which job currently runs statements here; a late cancel for an earlier job must not hit a later one.
    private let active = Mutex<ObjectIdentifier?>(nil)
    /// Prepared statement names by SQL text (touched on the serial queue only).
    var preparedStatements: [String: String] = [:]
    /// Set by `Session.abandon()`: the pool drops this connection instead of lending it again.
    let abandoned = AtomicFlag()

    init(pointer: OpaquePointer) {
        self.pointer = pointer
        self.cancelObject = PQgetCancel(pointer)
    }

    deinit {
        if let cancelObject { PQfreeCancel(cancelObject) }
        PQfinish(pointer)
    }

    func begin(job: ObjectIdentifier) { active.withLock { $0 = job } }
    func end() { active.withLock { $0 = nil } }

    /// Asks the server to cancel the statement `job` is running, if it is still the one running here.
    func cancel(job: ObjectIdentifier) {
        active.withLock { current in
            guard current == job, let cancelObject else { return }
            var buffer = [CChar](repeating: 0, count: 256)
            _ = PQcancel(cancelObject, &buffer, Int32(buffer.count))
        }
    }

    /// Connected, with no transaction or pipeline left open: ready for a next unit of work as far
    /// as libpq knows (`isHealthy` also looks at the socket; `Session.isReusable` at `abandoned`).
    var isIdle: Bool {
        PQstatus(pointer) == CONNECTION_OK && PQtransactionStatus(pointer) == PQTRANS_IDLE && PQpipelineStatus(pointer) == PQ_PIPELINE_OFF
    }

    /// Whether an idle connection is still usable. An idle connection of ours never receives
    /// anything (no LISTEN, no SET outside a query), so any byte waiting on its socket is the
    /// FATAL message of a terminated backend or a shut-down server, or the end of the stream:
    /// the connection is thrown away, even before libpq has noticed the end of the stream.
    var isHealthy: Bool {
        guard isIdle else { return false }
        let socket = PQsocket(pointer)
        guard socket >= 0 else { return false }
        var poller = pollfd(fd: socket, events: Int16(POLLIN), revents: 0)
        let ready = poll(&poller, 1, 0)
        return ready == 0
    }
}
