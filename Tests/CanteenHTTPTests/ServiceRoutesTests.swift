import CanteenHTTP
import Foundation
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

    @Test func theContractIsServedByteForByteAsTheFileHoldsIt() async throws {
        let file = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Sources/CanteenAPI/openapi.yaml")
        let expected = try Data(contentsOf: file)
        #expect(expected.count > 10_000)
        let pool = PostgresPool(PostgresConfiguration(connectionString: "host=127.0.0.1 port=1 dbname=x user=x", maxConnections: 1))
        let app = buildApplication(services: CanteenServices(pool: pool, clock: TestClock.at(.init(year: 2026, month: 11, day: 22)!)))
        try await app.test(.router) { client in
            try await client.execute(uri: "/openapi.yaml", method: .get) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.contentType] == "application/yaml; charset=utf-8")
                #expect(Data(buffer: response.body) == expected)
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
