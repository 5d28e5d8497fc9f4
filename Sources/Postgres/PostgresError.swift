/// An error from the database layer.
///
/// `description` deliberately never includes SQL text, parameter values or the
/// server's DETAIL line (which can echo row values such as ID numbers): only the
/// kind, the SQLSTATE and the constraint name. The server's primary message is
/// kept in `serverMessage` for code that needs to inspect it.
public struct PostgresError: Error, Sendable, CustomStringConvertible {
    public enum Kind: String, Sendable {
        /// Could not connect, or the connection broke.
        case connection
        /// The server refused a statement (see `sqlState`).
        case server
        /// The pool gave up waiting for a free connection.
        case poolTimeout
        /// The pool was closed.
        case poolClosed
        /// A column did not decode to the requested type.
        case decoding
        /// The connection string could not be parsed.
        case invalidConfiguration
        /// libpq answered something this layer does not expect.
        case unexpected
    }

    public let kind: Kind
    public let sqlState: SQLState?
    public let serverMessage: String
    public let constraint: String?
    public let column: String?

    public init(kind: Kind, sqlState: SQLState? = nil, serverMessage: String, constraint: String? = nil, column: String? = nil) {
        self.kind = kind
        self.sqlState = sqlState
        self.serverMessage = serverMessage
        self.constraint = constraint
        self.column = column
    }

    /// True when the connection that raised it cannot be trusted any more.
    public var isConnectionFailure: Bool {
        switch kind {
        case .connection: return true
        case .server:
            guard let state = sqlState else { return false }
            // A read-only server is no primary any more: the connection is dropped, and the next one
            // goes through the URL's hosts to whichever takes writes (`target_session_attrs`).
            return state.errorClass == "08" || state == .adminShutdown || state == .crashShutdown || state == .cannotConnectNow
                || state == .readOnlySQLTransaction
        default: return false
        }
    }

    public var description: String {
        switch kind {
        case .server:
            var text = "database error \(sqlState?.rawValue ?? "?????")"
            if let constraint { text += " (constraint \(constraint))" }
            return text
        case .connection, .invalidConfiguration:
            // libpq's connection messages name host and port, never the password.
            return "database \(kind.rawValue) error: \(serverMessage)"
        case .poolTimeout:
            return "timed out waiting for a database connection"
        case .poolClosed:
            return "the database pool is closed"
        case .decoding:
            return "could not decode column \(column ?? "?"): \(serverMessage)"
        case .unexpected:
            return "unexpected database response: \(serverMessage)"
        }
    }
}
