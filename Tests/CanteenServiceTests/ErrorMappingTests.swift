import CanteenDomain
@testable import CanteenService
import Foundation
import Postgres
import Testing
import TestSupport

/// `Database.mapped` is the one place a `PostgresError` becomes a `CanteenError`.
@Suite("Database errors are mapped in the service layer")
struct ErrorMappingTests {
    let db = Database(pool: PostgresPool(PostgresConfiguration(connectionString: "host=127.0.0.1 port=1 dbname=x user=x", maxConnections: 1)))

    func code(_ error: any Error) -> CanteenError.Code? { (db.mapped(error) as? CanteenError)?.code }

    @Test func eachKindOfDatabaseFailureHasOneMeaning() {
        #expect(code(PostgresError(kind: .server, sqlState: SQLState("XX000"), serverMessage: "boom")) == .internal)
        #expect(code(PostgresError(kind: .server, sqlState: .uniqueViolation, serverMessage: "dup", constraint: "some_new_key")) == .internal)
        #expect(code(PostgresError(kind: .server, sqlState: .uniqueViolation, serverMessage: "dup", constraint: "site_pkey")) == .duplicateSiteCode)
        #expect(code(PostgresError(kind: .connection, serverMessage: "refused")) == .unavailable)
        #expect(code(PostgresError(kind: .poolTimeout, serverMessage: "waited")) == .unavailable)
        #expect(code(PostgresError(kind: .poolClosed, serverMessage: "closed")) == .unavailable)
        // A standby (or a demoted primary) refusing a write: no primary right now, try again.
        #expect(code(PostgresError(kind: .server, sqlState: .readOnlySQLTransaction, serverMessage: "read-only")) == .unavailable)
        #expect(code(PostgresError(kind: .decoding, serverMessage: "bad row")) == .internal)
        let twice = [Migrator.Migration(version: 1, name: "a", sql: ""), Migrator.Migration(version: 1, name: "b", sql: "")]
        #expect(throws: Migrator.Refusal.self) { try Migrator(migrations: twice) }
        do { _ = try Migrator(migrations: twice) } catch { #expect(code(error) == .invalidState) }
    }

    @Test func aMalformedDatabaseURLIsUnavailableWithLibpqsReason() {
        #expect {
            try CanteenServices.open(url: "postgresql://x@host:port:bad/?=", role: .commandLine, clock: TestClock.at(.init(year: 2026, month: 11, day: 22)!),
                                     logger: .init(label: "test"))
        } throws: { error in
            (error as? CanteenError)?.code == .unavailable && (error as? CanteenError)?.detail.contains("not valid") == true
        }
    }
}
