import CLibPQ
import Foundation

/// Cancellation state of one job on a connection, shared with the task that started it.
final class JobCancellation: Sendable {
    private let flag = AtomicFlag()
    var isCancelled: Bool { flag.value }
    func cancel() { flag.set() }
}

/// How PostgreSQL plans the prepared statements (`Session.queryPrepared`) of a transaction.
public enum PreparedPlans: Sendable {
    /// PostgreSQL's own choice: a plan made for each call's values for the first five calls,
    /// then the generic plan only if its estimated cost is not higher.
    case automatic
    /// The statement's one generic plan, made once per connection. For short statements run
    /// thousands of times whose parameters are arrays: PostgreSQL cannot tell an array's length
    /// from a generic plan, rates it costlier, and otherwise plans such a statement again on every call.
    case generic

    /// The statements that begin a transaction with these plans, for the head of a `Session.pipeline`.
    public var beginning: [PipelineStatement] {
        switch self {
        case .automatic: [.command("BEGIN")]
        case .generic: [.command("BEGIN"), .command("SET LOCAL plan_cache_mode = force_generic_plan")]
        }
    }

    /// The same statements as one script.
    var begin: String { beginning.map(\.sql).joined(separator: "; ") }
}

/// One statement of `Session.pipeline`.
public struct PipelineStatement {
    let sql: String
    let parameters: [any PostgresEncodable]
    let prepared: Bool

    /// A parameterised statement, prepared once per connection (as `Session.queryPrepared`).
    public static func prepared(_ sql: String, _ parameters: [any PostgresEncodable] = []) -> PipelineStatement {
        PipelineStatement(sql: sql, parameters: parameters, prepared: true)
    }

    /// A statement planned for its values on each call (as `Session.query`).
    public static func unnamed(_ sql: String, _ parameters: [any PostgresEncodable] = []) -> PipelineStatement {
        PipelineStatement(sql: sql, parameters: parameters, prepared: false)
    }

    /// One statement without parameters (`BEGIN`, `COMMIT`, `SET LOCAL …`).
    public static func command(_ sql: String) -> PipelineStatement {
        .unnamed(sql)
    }
}

/// The synchronous statement API of one connection, valid only inside the closure
/// that `PostgresPool.withSession` / `withTransaction` runs on the connection's
/// own serial queue. It is deliberately not `Sendable`.
public struct Session {
    let handle: ConnectionHandle
    let cancellation: JobCancellation

    /// The SQLSTATE text field of a result (`PG_DIAG_SQLSTATE` does not import).
    private static let diagSQLState = Int32(UInt8(ascii: "C"))
    private static let diagConstraint = Int32(UInt8(ascii: "n"))
    private static let diagColumn = Int32(UInt8(ascii: "c"))
    private static let diagMessage = Int32(UInt8(ascii: "M"))

    // MARK: statements

    /// Runs one parameterised statement and returns its rows.
    @discardableResult
    public func query(_ sql: String, _ parameters: [any PostgresEncodable] = []) throws -> QueryResult {
        try checkCancelled()
        let result = try withParameters(parameters) { values, count in
            PQexecParams(handle.pointer, sql, count, nil, values, nil, nil, 0)
        }
        return try consume(result)
    }

    /// Runs one parameterised statement through a prepared statement cached on this connection
    /// (prepared and run in one round trip the first time).
    @discardableResult
    public func queryPrepared(_ sql: String, _ parameters: [any PostgresEncodable] = []) throws -> QueryResult {
        guard let result = try pipeline([.prepared(sql, parameters)]).first else {
            throw PostgresError(kind: .unexpected, serverMessage: "the statement answered no result")
        }
        return result
    }

    /// Sends `statements` in one round trip (libpq's pipeline mode) and answers each one's rows,
    /// in order. PostgreSQL runs them one after another; when one fails, those after it are
    /// skipped and its error is thrown (an open transaction is then aborted, and rolled back
    /// when the job ends).
    @discardableResult
    public func pipeline(_ statements: [PipelineStatement]) throws -> [QueryResult] {
        try checkCancelled()
        // Every value is checked before anything is sent: a refused one leaves nothing half-sent.
        let texts = try statements.map { try Self.texts(of: $0.parameters) }
        let pointer = handle.pointer
        guard PQenterPipelineMode(pointer) == 1 else { throw connectionError() }
        defer { _ = PQexitPipelineMode(pointer) }
        // Statements prepared by this pipeline are remembered once PostgreSQL has them, even when
        // a later statement fails: the server keeps a prepared statement whatever follows it, and
        // preparing it again under the same name would fail on every later use of the connection.
        var preparing: [(sql: String, name: String)] = []
        var commands: [PipelineCommand] = []
        for (statement, values) in zip(statements, texts) {
            guard statement.prepared else {
                let sent = withTexts(values) { values, count in
                    PQsendQueryParams(pointer, statement.sql, count, nil, values, nil, nil, 0)
                }
                guard sent == 1 else { throw connectionError() }
                commands.append(.statement)
                continue
            }
            let name: String
            if let existing = handle.preparedStatements[statement.sql] ?? preparing.first(where: { $0.sql == statement.sql })?.name {
                name = existing
            } else {
                name = "s\(handle.preparedStatements.count + preparing.count + 1)"
                guard PQsendPrepare(pointer, name, statement.sql, Int32(statement.parameters.count), nil) == 1 else { throw connectionError() }
                preparing.append((statement.sql, name))
                commands.append(.prepare(sql: statement.sql, name: name))
            }
            let sent = withTexts(values) { values, count in
                PQsendQueryPrepared(pointer, name, count, values, nil, nil, 0)
            }
            guard sent == 1 else { throw connectionError() }
            commands.append(.statement)
        }
        guard PQpipelineSync(pointer) == 1 else { throw connectionError() }
        // Each command answers one result and then NULL; the sync answers PGRES_PIPELINE_SYNC.
        var results: [QueryResult] = []
        var failure: (any Error)?
        for command in commands {
            guard let result = PQgetResult(pointer) else { throw connectionError() }
            if PQresultStatus(result) == PGRES_PIPELINE_ABORTED || failure != nil {
                PQclear(result)
            } else {
                do {
                    let rows = try consume(result)
                    switch command {
                    case .statement: results.append(rows)
                    case .prepare(let sql, let name): handle.preparedStatements[sql] = name
                    }
                } catch {
                    failure = error
                }
            }
            while let extra = PQgetResult(pointer) { PQclear(extra) }
        }
        guard let sync = PQgetResult(pointer) else { throw connectionError() }
        let synced = PQresultStatus(sync) == PGRES_PIPELINE_SYNC
        PQclear(sync)
        guard synced else { throw connectionError() }
        if let failure { throw failure }
        return results
    }

    /// A command `pipeline` sent: a statement whose rows the caller asked for, or the preparation of one.
    private enum PipelineCommand {
        case statement
        case prepare(sql: String, name: String)
    }

    /// Runs one parameterised statement and returns the number of rows it affected.
    @discardableResult
    public func execute(_ sql: String, _ parameters: [any PostgresEncodable] = []) throws -> Int {
        try query(sql, parameters).affectedRows
    }

    /// Runs a script of one or more statements without parameters (migrations, `SET`, `BEGIN`).
    public func executeScript(_ sql: String) throws {
        try checkCancelled()
        _ = try consume(PQexec(handle.pointer, sql))
    }

    /// Runs `body` in a transaction: commits when it returns, rolls back when it
    /// throws or when the task that asked for this work was cancelled.
    public func transaction<T>(plans: PreparedPlans = .automatic, _ body: (Session) throws -> T) throws -> T {
        try executeScript(plans.begin)
        do {
            let value = try body(self)
            try checkCancelled()
            try executeScript("COMMIT")
            return value
        } catch {
            rollbackQuietly()
            throw error
        }
    }

    /// Whether this session can run more work as it stands: still connected, no transaction or
    /// pipeline left open, and not abandoned. A caller that keeps a session across units of work
    /// checks it between them, as the pool checks a connection before lending it.
    public var isReusable: Bool {
        handle.isIdle && !handle.abandoned.value
    }

    /// Gives this connection up: the pool closes it when the session ends instead of lending it
    /// again. For a connection that still looks connected but can serve no more, such as one to a
    /// server that has turned read-only, whose failures the caller kept as results instead of throwing.
    public func abandon() {
        handle.abandoned.set()
    }

    /// Rolls back the open transaction, if any, ignoring failures (the connection may be gone).
    public func rollbackQuietly() {
        guard PQstatus(handle.pointer) == CONNECTION_OK,
              PQtransactionStatus(handle.pointer) != PQTRANS_IDLE else { return }
        if let result = PQexec(handle.pointer, "ROLLBACK") { PQclear(result) }
    }

    // MARK: COPY

    /// Runs `COPY … FROM STDIN`, letting `feed` send the data in chunks, and returns the rows copied.
    /// If `feed` throws, the copy is aborted and nothing it sent is kept.
    @discardableResult
    public func copyIn(_ sql: String, feed: (CopyWriter) throws -> Void) throws -> Int {
        try checkCancelled()
        guard let start = PQexec(handle.pointer, sql) else { throw connectionError() }
        let status = PQresultStatus(start)
        if status != PGRES_COPY_IN {
            _ = try consume(start)
            throw PostgresError(kind: .unexpected, serverMessage: "statement did not start COPY FROM STDIN")
        }
        PQclear(start)
        let writer = CopyWriter(handle: handle, cancellation: cancellation)
        do {
            try feed(writer)
            guard PQputCopyEnd(handle.pointer, nil) == 1 else { throw connectionError() }
        } catch {
            _ = PQputCopyEnd(handle.pointer, "aborted by client")
            // A row the server refused (a unique key, a CHECK) ends the COPY on its side, and the
            // next write finds no COPY in progress: the server's error is the one to answer.
            var refusal: (any Error)?
            while let result = PQgetResult(handle.pointer) {
                if refusal == nil, PQresultStatus(result) == PGRES_FATAL_ERROR { refusal = serverError(result) }
                PQclear(result)
            }
            if let written = error as? PostgresError, written.kind == .connection, PQstatus(handle.pointer) == CONNECTION_OK, let refusal {
                throw refusal
            }
            throw error
        }
        var copied = 0
        var failure: (any Error)?
        while let result = PQgetResult(handle.pointer) {
            do { copied = try consume(result).affectedRows } catch { failure = failure ?? error }
        }
        if let failure { throw failure }
        return copied
    }

    // MARK: internals

    func checkCancelled() throws {
        if cancellation.isCancelled { throw CancellationError() }
    }

    /// libpq takes parameters as C strings: a NUL would silently cut a value short (`"A\0B"`
    /// stored as `"A"`), so such a value is refused here, whatever checked it before.
    private func withParameters<R>(_ parameters: [any PostgresEncodable],
                                   _ body: (UnsafePointer<UnsafePointer<CChar>?>?, Int32) -> R) throws -> R {
        withTexts(try Self.texts(of: parameters), body)
    }

    private static func texts(of parameters: [any PostgresEncodable]) throws -> [String?] {
        let texts = parameters.map { $0.postgresText }
        if let index = texts.firstIndex(where: { $0?.utf8.contains(0) == true }) {
            throw PostgresError(kind: .unexpected, serverMessage: "parameter $\(index + 1) holds a NUL character")
        }
        return texts
    }

    private func withTexts<R>(_ texts: [String?], _ body: (UnsafePointer<UnsafePointer<CChar>?>?, Int32) -> R) -> R {
        // strdup'd copies stay valid for the whole call; freed right after.
        let cStrings: [UnsafeMutablePointer<CChar>?] = texts.map { $0.map { strdup($0) } }
        defer { cStrings.forEach { free($0) } }
        let pointers: [UnsafePointer<CChar>?] = cStrings.map { $0.map { UnsafePointer($0) } }
        return pointers.withUnsafeBufferPointer { buffer in
            body(buffer.baseAddress, Int32(buffer.count))
        }
    }

    /// Copies a result out, clears it, and turns failures into `PostgresError`.
    func consume(_ result: OpaquePointer?) throws -> QueryResult {
        guard let result else { throw connectionError() }
        defer { PQclear(result) }
        switch PQresultStatus(result) {
        case PGRES_TUPLES_OK, PGRES_SINGLE_TUPLE:
            let rowCount = Int(PQntuples(result))
            let columnCount = Int(PQnfields(result))
            var columns: [String] = []
            columns.reserveCapacity(columnCount)
            for c in 0..<columnCount { columns.append(String(cString: PQfname(result, Int32(c)))) }
            var values: [String?] = []
            values.reserveCapacity(rowCount * columnCount)
            for r in 0..<rowCount {
                for c in 0..<columnCount {
                    if PQgetisnull(result, Int32(r), Int32(c)) == 1 {
                        values.append(nil)
                    } else {
                        values.append(String(cString: PQgetvalue(result, Int32(r), Int32(c))))
                    }
                }
            }
            return QueryResult(columns: columns, values: values, affectedRows: rowCount)
        case PGRES_COMMAND_OK, PGRES_EMPTY_QUERY, PGRES_COPY_IN, PGRES_COPY_OUT:
            let affected = Int(String(cString: PQcmdTuples(result))) ?? 0
            return QueryResult(columns: [], values: [], affectedRows: affected)
        default:
            throw serverError(result)
        }
    }

    private func field(_ result: OpaquePointer, _ code: Int32) -> String? {
        guard let value = PQresultErrorField(result, code) else { return nil }
        return String(cString: value)
    }

    private func serverError(_ result: OpaquePointer) -> any Error {
        let state = field(result, Self.diagSQLState).map(SQLState.init(rawValue:))
        if state == .queryCanceled, cancellation.isCancelled { return CancellationError() }
        if state == nil, PQstatus(handle.pointer) != CONNECTION_OK { return connectionError() }
        return PostgresError(
            kind: .server,
            sqlState: state,
            serverMessage: field(result, Self.diagMessage) ?? String(cString: PQresultErrorMessage(result)),
            constraint: field(result, Self.diagConstraint),
            column: field(result, Self.diagColumn)
        )
    }

    func connectionError() -> PostgresError {
        let message = String(cString: PQerrorMessage(handle.pointer)).trimmingCharacters(in: .whitespacesAndNewlines)
        return PostgresError(kind: .connection, serverMessage: message.isEmpty ? "connection lost" : message)
    }
}

@available(*, unavailable)
extension Session: Sendable {}

/// Sends the data of a `COPY … FROM STDIN`.
public struct CopyWriter {
    let handle: ConnectionHandle
    let cancellation: JobCancellation

    public func write(_ bytes: UnsafeRawBufferPointer) throws {
        if cancellation.isCancelled { throw CancellationError() }
        guard bytes.count > 0 else { return }
        let sent = bytes.withMemoryRebound(to: CChar.self) { chars in
            PQputCopyData(handle.pointer, chars.baseAddress, Int32(chars.count))
        }
        guard sent == 1 else {
            throw PostgresError(kind: .connection, serverMessage: String(cString: PQerrorMessage(handle.pointer)))
        }
    }

    public func write(_ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { try write($0) }
    }

    public func write(_ text: String) throws {
        var text = text
        try text.withUTF8 { try write(UnsafeRawBufferPointer($0)) }
    }
}

@available(*, unavailable)
extension CopyWriter: Sendable {}
