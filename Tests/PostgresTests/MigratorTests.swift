import Foundation
import Postgres
import Testing
import TestSupport

@Suite("Migrations")
struct MigratorTests {
    func migrations(_ list: [(Int, String, String)]) throws -> Migrator {
        try Migrator(migrations: list.map { Migrator.Migration(version: $0.0, name: $0.1, sql: $0.2) })
    }

    @Test func appliesInOrderOnceAndRecordsThem() async throws {
        try await TestDatabase.withPool(migrated: false) { pool, _ in
            let m = try migrations([(2, "b", "INSERT INTO a VALUES (2)"), (1, "a", "CREATE TABLE a (v int)")])
            let first = try await m.migrate(pool)
            #expect(first.map(\.version) == [1, 2])
            let again = try await m.migrate(pool)
            #expect(again.isEmpty)
            let status = try await m.status(pool)
            #expect(status.map(\.state) == [.applied, .applied])
            let rows = try await pool.withSession { try $0.query("SELECT count(*) FROM a").first!.decode(0, as: Int.self) }
            #expect(rows == 1)
        }
    }

    @Test func aFailingMigrationLeavesNothingBehind() async throws {
        try await TestDatabase.withPool(migrated: false) { pool, _ in
            let m = try migrations([(1, "a", "CREATE TABLE a (v int)"), (2, "bad", "CREATE TABLE b (v int); SELECT 1/0;")])
            await #expect(throws: PostgresError.self) { try await m.migrate(pool) }
            let status = try await m.status(pool)
            #expect(status.map(\.state) == [.applied, .pending])
            let bExists = try await pool.withSession { try !$0.query("SELECT 1 FROM pg_class WHERE relname = 'b'").isEmpty }
            #expect(!bExists)
        }
    }

    @Test func refusesEditedRemovedOrReorderedHistory() async throws {
        try await TestDatabase.withPool(migrated: false) { pool, _ in
            try await migrations([(1, "a", "CREATE TABLE a (v int)"), (3, "c", "CREATE TABLE c (v int)")]).migrate(pool)
            let edited = try migrations([(1, "a", "CREATE TABLE a (v bigint)"), (3, "c", "CREATE TABLE c (v int)")])
            await #expect(throws: Migrator.Refusal.self) { try await edited.migrate(pool) }
            let removed = try migrations([(1, "a", "CREATE TABLE a (v int)")])
            await #expect(throws: Migrator.Refusal.self) { try await removed.status(pool) }
            let renamed = try migrations([(1, "a2", "CREATE TABLE a (v int)"), (3, "c", "CREATE TABLE c (v int)")])
            await #expect(throws: Migrator.Refusal.self) { try await renamed.migrate(pool) }
            let inserted = try migrations([(1, "a", "CREATE TABLE a (v int)"), (2, "b", "CREATE TABLE b (v int)"), (3, "c", "CREATE TABLE c (v int)")])
            await #expect(throws: Migrator.Refusal.self) { try await inserted.migrate(pool) }
            #expect(throws: Migrator.Refusal.self) {
                try migrations([(1, "a", "SELECT 1"), (1, "b", "SELECT 1")])
            }
        }
    }

    @Test func theProjectMigrationsApplyToAnEmptyDatabaseAndLoadTheDefaultPolicy() async throws {
        try await TestDatabase.withPool(migrated: false) { pool, _ in
            let m = try Migrator(directory: TestDatabase.migrationsFolder)
            try await m.migrate(pool)
            let tiers = try await pool.withSession { session in
                try session.query("""
                    SELECT p.effective_from::text, t.label, t.min_age, t.max_age, t.subsidy_fen
                    FROM subsidy_policy p JOIN subsidy_tier t ON t.policy_id = p.id ORDER BY t.min_age
                    """).rows.map { "\(try $0.decode(0, as: String.self)) \(try $0.decode(1, as: String.self)) \(try $0.decode(2, as: Int.self))-\(try $0.decode(3, as: Int?.self).map(String.init) ?? "") \(try $0.decode(4, as: Int.self))" }
            }
            #expect(tiers == ["2022-09-01 70-79 70-79 200", "2022-09-01 80+ 80- 400"])
        }
    }
}
