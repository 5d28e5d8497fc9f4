import CLibPQ
import Foundation

/// How to reach the database and how big the pool may grow.
public struct PostgresConfiguration: Sendable {
    /// A libpq connection string or `postgresql://` URI.
    public var connectionString: String
    public var maxConnections: Int
    /// How long a caller waits for a free connection before `poolTimeout`.
    public var acquireTimeout: Duration
    public var connectTimeoutSeconds: Int
    public var applicationName: String
    /// Session settings applied with `set_config` on every new connection (e.g. `TimeZone`).
    public var settings: [String: String]

    public init(
        connectionString: String,
        maxConnections: Int = max(2, ProcessInfo.processInfo.activeProcessorCount),
        acquireTimeout: Duration = .seconds(10),
        connectTimeoutSeconds: Int = 5,
        applicationName: String = "canteen",
        settings: [String: String] = [:]
    ) {
        self.connectionString = connectionString
        self.maxConnections = max(1, maxConnections)
        self.acquireTimeout = acquireTimeout
        self.connectTimeoutSeconds = connectTimeoutSeconds
        self.applicationName = applicationName
        self.settings = settings.merging(["DateStyle": "ISO, YMD", "IntervalStyle": "iso_8601"]) { mine, _ in mine }
    }

    /// Checks that libpq can parse the connection string, without connecting.
    public func validate() throws {
        var message: UnsafeMutablePointer<CChar>?
        guard let options = PQconninfoParse(connectionString, &message) else {
            let text = message.map { String(cString: $0) } ?? "malformed connection string"
            if let message { PQfreemem(message) }
            throw PostgresError(kind: .invalidConfiguration,
                                serverMessage: text.trimmingCharacters(in: .whitespacesAndNewlines))
        }
        PQconninfoFree(options)
    }
}
