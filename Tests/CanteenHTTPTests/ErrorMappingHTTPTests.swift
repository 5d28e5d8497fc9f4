import CanteenHTTP
import CanteenService
import Foundation
import Hummingbird
import HummingbirdTesting
import Postgres
import Testing
import TestSupport

/// SPEC §3 and issue 13: a database failure is mapped once, in the service layer; the HTTP
/// layer turns the service's error into problem+json and nothing else.
@Suite("Errors mapped once per layer")
struct ErrorMappingHTTPTests {
    static let site = #"{"code": "LY-09", "name": "九号食堂", "kind": "village", "street": "柳园街道", "opens_on": "2022-09-01", "slots": ["lunch"]}"#

    @Test func aDatabaseFailureNobodyMappedIsA500InternalThatSaysNothingOfIt() async throws {
        try await TestDatabase.withServices { services in
            let token = try await services.tokens.create(TokenService.Draft(name: "a", role: "admin", siteCodes: []), by: .testAdmin).secret
            try await services.db.session { session in
                try session.executeScript("""
                    CREATE FUNCTION test_disk_on_fire() RETURNS trigger LANGUAGE plpgsql AS $$
                    BEGIN RAISE EXCEPTION 'disk on fire' USING ERRCODE = 'XX000'; END $$;
                    CREATE TRIGGER test_disk_on_fire BEFORE INSERT ON site FOR EACH ROW EXECUTE FUNCTION test_disk_on_fire();
                    """)
            }
            try await buildApplication(services: services).test(.router) { client in
                let answer = try await APITests.request(client, .post, "/v1/sites", token: token, body: Self.site)
                #expect(answer.0 == .internalServerError)
                #expect(answer.1["code"] as? String == "internal")
                #expect(answer.2[.contentType] == "application/problem+json")
                #expect(!answer.3.contains("disk on fire") && !answer.3.contains("XX000"))
            }
        }
    }

    @Test func anUnreachableDatabaseIs503Unavailable() async throws {
        var configuration = PostgresConfiguration(connectionString: "host=127.0.0.1 port=1 dbname=x user=x", maxConnections: 1)
        configuration.connectTimeoutSeconds = 1
        let pool = PostgresPool(configuration)
        let services = CanteenServices(pool: pool, clock: TestClock.at(.init(year: 2026, month: 11, day: 22)!))
        try await buildApplication(services: services).test(.router) { client in
            let answer = try await APITests.request(client, .get, "/v1/sites", token: "cnt_whatever")
            #expect(answer.0 == .serviceUnavailable)
            #expect(answer.1["code"] as? String == "unavailable")
        }
        await pool.close()
    }

    @Test func thePoolAttachedToTheServerClosesWhenTheServerStops() async throws {
        try await TestDatabase.withServices { services in
            try await buildApplication(services: services, attached: [services.poolService]).test(.router) { client in
                try await client.execute(uri: "/ready", method: .get) { #expect($0.status == .ok) }
            }
            await #expect {
                try await services.db.pool.withSession { try $0.query("SELECT 1") }
            } throws: { error in
                (error as? PostgresError)?.kind == .poolClosed
            }
        }
    }
}
