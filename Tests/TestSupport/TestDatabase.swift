import CanteenDomain
import CanteenService
import Foundation
import Postgres
import Synchronization

/// A fresh database per test, cloned from a template migrated once per run, on
/// the private test cluster that `make test` starts. With no cluster, tests fail
/// (they never skip).
public enum TestDatabase {
    public struct Unavailable: Error, CustomStringConvertible {
        public let description: String
    }

    /// The repository root, found from this file's path.
    public static let repositoryRoot: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    public static var migrationsFolder: URL { repositoryRoot.appendingPathComponent("sql") }

    /// Connection string of the test cluster's maintenance database (`dbname=postgres`).
    public static func baseConnectionString() throws -> String {
        if let env = ProcessInfo.processInfo.environment["CANTEEN_TEST_DATABASE_URL"], !env.isEmpty { return env }
        let file = repositoryRoot.appendingPathComponent(".local/test-database-url")
        if let text = try? String(contentsOf: file, encoding: .utf8), !text.isEmpty {
            return text.trimmingCharacters(in: .whitespacesAndNewlines)
        }
        throw Unavailable(description: "no test database: run `make test` (or `scripts/db.sh start --test`) first")
    }

    /// The connection string of database `name` on the test cluster.
    public static func connectionString(database name: String) throws -> String {
        try baseConnectionString() + " dbname=\(name)"
    }

    private static let counter = Atomic<Int>(0)
    private static let templateTask = Mutex<Task<String, any Error>?>(nil)

    static let admin: PostgresPool? = {
        guard let base = try? baseConnectionString() else { return nil }
        // Every test queues here to create its database: on a busy machine the queue outlasts the
        // default 10 s acquire timeout, and waiting one's turn is not a failure.
        return PostgresPool(PostgresConfiguration(connectionString: base, maxConnections: 2, acquireTimeout: .seconds(300),
                                                  applicationName: "canteen-tests"))
    }()

    public static func adminPool() throws -> PostgresPool {
        guard let admin else { _ = try baseConnectionString(); throw Unavailable(description: "no test database") }
        return admin
    }

    /// The migrated template, created once per process (and reused while the migrations are unchanged).
    static func template() async throws -> String {
        let task = templateTask.withLock { task -> Task<String, any Error> in
            if let task { return task }
            let created = Task { try await createTemplate() }
            task = created
            return created
        }
        return try await task.value
    }

    private static func createTemplate() async throws -> String {
        let admin = try adminPool()
        let migrator = try Migrator(directory: migrationsFolder)
        let fingerprint = migrator.migrations.map { "\($0.version)\($0.name)\($0.sql)" }.joined()
        let name: String = try await admin.withSession { session in
            try session.query("SELECT 'tpl_' || left(md5($1), 12)", [fingerprint]).first!.decode(0)
        }
        let exists = try await admin.withSession { session in
            try !session.query("SELECT 1 FROM pg_database WHERE datname = $1", [name]).isEmpty
        }
        if !exists {
            // Build under a private name and rename: concurrent test processes never see a half-migrated template.
            let building = "t_\(getpid())_template"
            try await drop(building)
            try await admin.withSession { session in try session.executeScript("CREATE DATABASE \"\(building)\"") }
            let pool = PostgresPool(PostgresConfiguration(connectionString: try connectionString(database: building), maxConnections: 1))
            do {
                try await migrator.migrate(pool)
                await pool.close()
            } catch {
                await pool.close()
                throw error
            }
            var attempts = 0
            while true {
                do {
                    try await admin.withSession { session in
                        try session.executeScript("ALTER DATABASE \"\(building)\" RENAME TO \"\(name)\"")
                    }
                    break
                } catch let error as PostgresError where error.sqlState == SQLState("42P04") {
                    try await drop(building)  // another process finished first
                    break
                } catch let error as PostgresError where error.sqlState == SQLState("55006") && attempts < 50 {
                    attempts += 1  // the migrator's backend is still exiting
                    try await Task.sleep(for: .milliseconds(100))
                }
            }
        }
        try await dropLeftovers()
        return name
    }

    /// Drops test databases whose test process is gone (after a crash or an interrupted run).
    private static func dropLeftovers() async throws {
        let names: [String] = try await adminPool().withSession { session in
            try session.query("SELECT datname FROM pg_database WHERE datname LIKE 't\\_%'").rows.map { try $0.decode(0) }
        }
        for name in names {
            let parts = name.split(separator: "_")
            guard parts.count >= 3, let pid = Int32(parts[1]), pid != getpid(), kill(pid, 0) != 0 else { continue }
            try? await adminPool().withSession { session in
                try session.executeScript("DROP DATABASE IF EXISTS \"\(name)\" WITH (FORCE)")
            }
        }
    }

    /// Creates an empty (unmigrated) database and returns its name.
    public static func createEmpty() async throws -> String {
        let name = "t_\(getpid())_\(counter.add(1, ordering: .relaxed).newValue)"
        try await adminPool().withSession { session in
            try session.executeScript("CREATE DATABASE \"\(name)\"")
        }
        return name
    }

    /// Creates a migrated database and returns its name.
    public static func createMigrated() async throws -> String {
        let template = try await template()
        let name = "t_\(getpid())_\(counter.add(1, ordering: .relaxed).newValue)"
        try await adminPool().withSession { session in
            try session.executeScript("CREATE DATABASE \"\(name)\" TEMPLATE \"\(template)\"")
        }
        return name
    }

    public static func drop(_ name: String) async throws {
        try await adminPool().withSession { session in
            try session.executeScript("DROP DATABASE IF EXISTS \"\(name)\" WITH (FORCE)")
        }
    }

    /// Runs `body` with a pool on a fresh migrated database, then drops it.
    public static func withPool<T: Sendable>(
        migrated: Bool = true,
        maxConnections: Int = 4,
        configure: (inout PostgresConfiguration) -> Void = { _ in },
        _ body: (PostgresPool, String) async throws -> T
    ) async throws -> T {
        let name = migrated ? try await createMigrated() : try await createEmpty()
        var configuration = PostgresConfiguration(
            connectionString: try connectionString(database: name), maxConnections: maxConnections,
            settings: CanteenServices.connectionSettings(clock: TestClock.at(LocalDate(year: 2026, month: 11, day: 22)!)))
        configure(&configuration)
        let pool = PostgresPool(configuration)
        do {
            let value = try await body(pool, name)
            await pool.close()
            try await drop(name)
            return value
        } catch {
            await pool.close()
            try? await drop(name)
            throw error
        }
    }

    /// Runs `body` with the services over a fresh migrated database whose "today" is `today`.
    public static func withServices<T: Sendable>(
        today: LocalDate = LocalDate(year: 2026, month: 11, day: 22)!,
        maxConnections: Int = 4,
        _ body: (CanteenServices) async throws -> T
    ) async throws -> T {
        try await withPool(maxConnections: maxConnections) { pool, _ in
            try await body(CanteenServices(pool: pool, clock: TestClock.at(today)))
        }
    }
}

public enum TestClock {
    public static let shanghai = TimeZone(identifier: "Asia/Shanghai")!

    /// A clock fixed at noon of `date` in Shanghai.
    public static func at(_ date: LocalDate, hour: Int = 12) -> BusinessClock {
        let seconds = Double(date.daysSinceEpoch * 86_400 + (hour - 8) * 3600)
        let fixed = Date(timeIntervalSince1970: seconds)
        return BusinessClock(timeZone: shanghai, now: { fixed })
    }
}

public extension Principal {
    static let testAdmin = Principal(name: "test-admin", role: .admin)
    static let testBureau = Principal(name: "test-bureau", role: .bureau)
    static func testOperator(_ sites: String...) -> Principal {
        Principal(name: "test-operator", role: .operator, siteCodes: Set(sites))
    }
}
