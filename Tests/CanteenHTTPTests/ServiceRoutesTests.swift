import CanteenHTTP
import CanteenService
import Hummingbird
import HummingbirdTesting
import Postgres
import Testing
import TestSupport

@Suite("Service routes")
struct ServiceRoutesTests {
    @Test func healthAnswersWithoutTheDatabase() async throws {
        var configuration = PostgresConfiguration(connectionString: "host=127.0.0.1 port=1 dbname=x user=x", maxConnections: 1)
        configuration.connectTimeoutSeconds = 1
        let pool = PostgresPool(configuration)
        let app = buildApplication(services: CanteenServices(pool: pool, clock: TestClock.at(.init(year: 2026, month: 11, day: 22)!)))
        try await app.test(.router) { client in
            try await client.execute(uri: "/health", method: .get) { response in
                #expect(response.status == .ok)
                #expect(String(buffer: response.body) == #"{"status":"ok"}"#)
            }
            try await client.execute(uri: "/ready", method: .get) { response in
                #expect(response.status == .serviceUnavailable)
            }
        }
        await pool.close()
    }

    @Test func readyAnswersWhenTheDatabaseDoes() async throws {
        try await TestDatabase.withServices { services in
            let app = buildApplication(services: services)
            try await app.test(.router) { client in
                try await client.execute(uri: "/ready", method: .get) { response in
                    #expect(response.status == .ok)
                }
            }
        }
    }
}
