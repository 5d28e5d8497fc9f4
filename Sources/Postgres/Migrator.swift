import Foundation

/// Applies the numbered SQL files of a folder (`0001_name.sql`, `0002_…`) in
/// order, each once and in its own transaction, and records each with a
/// SHA-256 checksum in `schema_migration`. Forward only: an applied migration
/// that was edited, removed or reordered is refused rather than guessed at.
public struct Migrator: Sendable {
    public struct Migration: Sendable, Equatable {
        public let version: Int
        public let name: String
        public let sql: String

        public init(version: Int, name: String, sql: String) {
            self.version = version
            self.name = name
            self.sql = sql
        }
    }

    public enum State: String, Sendable, Codable {
        case applied, pending
    }

    public struct Status: Sendable, Equatable {
        public let version: Int
        public let name: String
        public let state: State
        public let appliedAt: Date?
    }

    public struct Refusal: Error, CustomStringConvertible, Sendable {
        public let description: String
    }

    public let migrations: [Migration]

    public init(migrations: [Migration]) throws {
        let sorted = migrations.sorted { $0.version < $1.version }
        for (a, b) in zip(sorted, sorted.dropFirst()) where a.version == b.version {
            throw Refusal(description: "two migrations share version \(a.version): \(a.name) and \(b.name)")
        }
        self.migrations = sorted
    }

    /// Reads `NNNN_name.sql` files from `directory`.
    public init(directory: URL) throws {
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: directory.path)
        } catch {
            throw Refusal(description: "cannot read migrations folder \(directory.path)")
        }
        var found: [Migration] = []
        for file in names where file.hasSuffix(".sql") {
            let stem = file.dropLast(4)
            guard let underscore = stem.firstIndex(of: "_"), let version = Int(stem[..<underscore]) else {
                throw Refusal(description: "migration file \(file) is not named NNNN_name.sql")
            }
            let sql = try String(contentsOf: directory.appendingPathComponent(file), encoding: .utf8)
            found.append(Migration(version: version, name: String(stem[stem.index(after: underscore)...]), sql: sql))
        }
        try self.init(migrations: found)
    }

    private static let lockKey = 7_432_001_202_211  // any constant shared by all migrators of this schema

    private static let createTable = """
        CREATE TABLE IF NOT EXISTS schema_migration (
            version    integer PRIMARY KEY,
            name       text NOT NULL,
            checksum   text NOT NULL,
            applied_at timestamptz NOT NULL DEFAULT now()
        )
        """

    /// What is applied and what is pending; throws when history and files disagree.
    public func status(_ pool: PostgresPool) async throws -> [Status] {
        try await pool.withSession { session in
            try session.executeScript(Self.createTable)
            return try self.check(session).statuses
        }
    }

    /// Applies every pending migration and returns the ones it applied.
    @discardableResult
    public func migrate(_ pool: PostgresPool) async throws -> [Migration] {
        try await pool.withSession { session in
            try session.executeScript(Self.createTable)
            // One migrator at a time, across processes.
            try session.query("SELECT pg_advisory_lock($1)", [Self.lockKey])
            defer { _ = try? session.query("SELECT pg_advisory_unlock($1)", [Self.lockKey]) }
            let pending = try self.check(session).pending
            for migration in pending {
                try session.transaction { tx in
                    try tx.executeScript(migration.sql)
                    try tx.query(
                        "INSERT INTO schema_migration (version, name, checksum) VALUES ($1, $2, encode(sha256(convert_to($3, 'UTF8')), 'hex'))",
                        [migration.version, migration.name, migration.sql])
                }
            }
            return pending
        }
    }

    private func check(_ session: Session) throws -> (statuses: [Status], pending: [Migration]) {
        let applied = try session.query("SELECT version, name, checksum, applied_at FROM schema_migration ORDER BY version")
        var appliedByVersion: [Int: (name: String, checksum: String, at: Date)] = [:]
        for row in applied.rows {
            appliedByVersion[try row.decode(0, as: Int.self)] = (try row.decode(1), try row.decode(2), try row.decode(3))
        }
        let byVersion = Dictionary(uniqueKeysWithValues: migrations.map { ($0.version, $0) })
        for (version, record) in appliedByVersion.sorted(by: { $0.key < $1.key }) {
            guard let file = byVersion[version] else {
                throw Refusal(description: "migration \(version) (\(record.name)) was applied but its file is missing")
            }
            guard file.name == record.name else {
                throw Refusal(description: "migration \(version) was applied as \(record.name) but the file is now named \(file.name)")
            }
            let checksum: String = try session.query(
                "SELECT encode(sha256(convert_to($1, 'UTF8')), 'hex')", [file.sql]).one().decode(0)
            guard checksum == record.checksum else {
                throw Refusal(description: "migration \(version)_\(file.name) was edited after it was applied; add a new migration instead")
            }
        }
        let highestApplied = appliedByVersion.keys.max() ?? 0
        var statuses: [Status] = []
        var pending: [Migration] = []
        for migration in migrations {
            if let record = appliedByVersion[migration.version] {
                statuses.append(Status(version: migration.version, name: migration.name, state: .applied, appliedAt: record.at))
            } else {
                guard migration.version > highestApplied else {
                    throw Refusal(description: "migration \(migration.version)_\(migration.name) is older than the applied \(highestApplied) and was never applied")
                }
                statuses.append(Status(version: migration.version, name: migration.name, state: .pending, appliedAt: nil))
                pending.append(migration)
            }
        }
        return (statuses, pending)
    }
}
