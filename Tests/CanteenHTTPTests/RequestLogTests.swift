import CanteenHTTP
import CanteenService
import HummingbirdTesting
import Logging
import Postgres
import Synchronization
import Testing
import TestSupport

/// SPEC §2.3: no log line carries a resident ID, even one a client sends where an id goes.
@Suite("The request log")
struct RequestLogTests {
    /// Keeps every message logged through it.
    final class Lines: Sendable {
        let lines = Mutex<[String]>([])
    }

    struct Capture: LogHandler {
        let sink: Lines
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .info

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            sink.lines.withLock { $0.append(event.message.description) }
        }
    }

    @Test func aPathHoldingAResidentIDIsLoggedWithoutIt() async throws {
        let sink = Lines()
        let logger = Logger(label: "test") { _ in Capture(sink: sink) }
        var configuration = PostgresConfiguration(connectionString: "host=127.0.0.1 port=1 dbname=x user=x", maxConnections: 1)
        configuration.connectTimeoutSeconds = 1
        let pool = PostgresPool(configuration)
        let services = CanteenServices(pool: pool, clock: TestClock.at(.init(year: 2026, month: 11, day: 22)!))
        let residentID = "371500194005010153"
        try await buildApplication(services: services, logger: logger).test(.router) { client in
            for uri in ["/v1/diners/\(residentID)", "/\(residentID)x", "/v1/claims/576460752303423489/submit"] {
                try await client.execute(uri: uri, method: .get) { _ in }
            }
            try await client.execute(uri: "/health", method: .get) { _ in }
        }
        await pool.close()
        let lines = sink.lines.withLock { $0 }
        #expect(lines.count >= 4)
        #expect(lines.allSatisfy { !$0.contains(residentID) && !$0.contains("576460752303423489") }, "\(lines)")
        #expect(lines.contains { $0.contains("GET /v1/diners/… ") })
        #expect(lines.contains { $0.contains("GET /health 200") })
    }
}
