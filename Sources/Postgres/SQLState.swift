/// A PostgreSQL SQLSTATE code. Open, so codes without a named constant still round-trip.
public struct SQLState: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
    public init(_ rawValue: String) { self.rawValue = rawValue }

    /// The two-character class, e.g. "23" for integrity constraint violations.
    public var errorClass: Substring { rawValue.prefix(2) }
    public var description: String { rawValue }

    public static let uniqueViolation = SQLState("23505")
    public static let foreignKeyViolation = SQLState("23503")
    public static let checkViolation = SQLState("23514")
    public static let notNullViolation = SQLState("23502")
    public static let exclusionViolation = SQLState("23P01")
    public static let serializationFailure = SQLState("40001")
    public static let deadlockDetected = SQLState("40P01")
    public static let queryCanceled = SQLState("57014")
    public static let adminShutdown = SQLState("57P01")
    public static let crashShutdown = SQLState("57P02")
    public static let cannotConnectNow = SQLState("57P03")
    public static let invalidTextRepresentation = SQLState("22P02")
    public static let numericValueOutOfRange = SQLState("22003")
    public static let invalidDatetimeFormat = SQLState("22007")
    public static let datetimeFieldOverflow = SQLState("22008")
    public static let undefinedTable = SQLState("42P01")
    public static let raiseException = SQLState("P0001")
    public static let lockNotAvailable = SQLState("55P03")
    /// A write on a server in recovery: the connection reached a standby, or a primary since demoted.
    public static let readOnlySQLTransaction = SQLState("25006")
}
