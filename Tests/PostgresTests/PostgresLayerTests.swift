import Foundation
import Postgres
import Testing
import TestSupport

@Suite("Postgres layer against the real server")
struct PostgresLayerTests {
    @Test func parametersAndTypedDecoding() async throws {
        try await TestDatabase.withPool(migrated: false) { pool, _ in
            let row = try await pool.withSession { session in
                try session.query("""
                    SELECT $1::int AS i, $2::bigint AS big, $3::bool AS b, $4::text AS t, $5::text AS n,
                           '2026-11-22 10:58:24.5+08'::timestamptz AS ts, '{"a": [1, 2]}'::jsonb AS j,
                           ARRAY['lunch', 'din"ner', 'a,b']::text[] AS arr, 1.5::float8 AS d
                    """, [42, Int64(9_000_000_000), true, "幸福食堂 'quoted'", String?.none]).first!
            }
            #expect(try row.decode("i", as: Int.self) == 42)
            #expect(try row.decode("big", as: Int64.self) == 9_000_000_000)
            #expect(try row.decode("b", as: Bool.self) == true)
            #expect(try row.decode("t", as: String.self) == "幸福食堂 'quoted'")
            #expect(try row.decode("n", as: String?.self) == nil)
            #expect(try row.decode("d", as: Double.self) == 1.5)
            let ts = try row.decode("ts", as: Date.self)
            #expect(ts.timeIntervalSince1970 == 1_795_316_304.5)
            struct J: Decodable, Equatable { let a: [Int] }
            #expect(try row.decodeJSON("j", as: J.self) == J(a: [1, 2]))
            #expect(try row.decode("arr", as: TextArray.self).elements == ["lunch", "din\"ner", "a,b"])
            #expect(throws: PostgresError.self) { try row.decode("n", as: String.self) }
            #expect(throws: PostgresError.self) { try row.decode("t", as: Int.self) }
            #expect(throws: PostgresError.self) { try row.decode("missing", as: Int.self) }
        }
    }

    /// A pipeline answers every statement's rows in order; a failing statement throws its own
    /// error, the statements after it do not run, and the connection is usable afterwards.
    @Test func aPipelineAnswersInOrderAndStopsAtTheFirstFailure() async throws {
        try await TestDatabase.withPool(migrated: false) { pool, _ in
            try await pool.withSession { session in
                try session.executeScript("CREATE TABLE p (v int PRIMARY KEY)")
                let results = try session.pipeline([
                    .command("BEGIN"), .prepared("INSERT INTO p VALUES ($1) RETURNING v", [1]),
                    .unnamed("SELECT v + $1 AS w FROM p", [10]), .command("COMMIT"),
                ])
                #expect(results.count == 4)
                #expect(try results[1].one().decode("v", as: Int.self) == 1)
                #expect(try results[2].one().decode("w", as: Int.self) == 11)
                // The prepared statement is reused; the duplicate key fails it, the insert after it never runs.
                #expect(throws: PostgresError.self) {
                    try session.pipeline([
                        .command("BEGIN"), .prepared("INSERT INTO p VALUES ($1) RETURNING v", [2]),
                        .prepared("INSERT INTO p VALUES ($1) RETURNING v", [1]),
                        .prepared("INSERT INTO p VALUES ($1) RETURNING v", [3]), .command("COMMIT"),
                    ])
                }
                session.rollbackQuietly()
                #expect(try session.query("SELECT array_agg(v ORDER BY v)::text AS vs FROM p").one().decode("vs", as: String.self) == "{1}")
                // A NUL in any value refuses the whole pipeline before anything is sent.
                #expect(throws: PostgresError.self) {
                    try session.pipeline([.prepared("INSERT INTO p VALUES ($1)", [4]), .unnamed("SELECT $1::text", ["a\u{0}b"])])
                }
                #expect(try session.query("SELECT count(*) AS n FROM p").one().decode("n", as: Int.self) == 1)
            }
        }
    }

    @Test func timestampRoundTripsThroughParameters() async throws {
        try await TestDatabase.withPool(migrated: false) { pool, _ in
            let now = Date(timeIntervalSince1970: 1_795_316_304.123456)
            let back = try await pool.withSession { session in
                try session.query("SELECT $1::timestamptz AS ts", [now]).first!.decode("ts", as: Date.self)
            }
            #expect(abs(back.timeIntervalSince1970 - now.timeIntervalSince1970) < 0.000_001)
        }
    }

    @Test func serverErrorsCarrySQLStateAndConstraintButNoSQLOrValues() async throws {
        try await TestDatabase.withPool(migrated: false) { pool, _ in
            try await pool.withSession { session in
                try session.executeScript("CREATE TABLE person (id text CONSTRAINT person_pk PRIMARY KEY)")
                try session.query("INSERT INTO person VALUES ($1)", ["371502199001011234"])
            }
            do {
                try await pool.withSession { session in
                    try session.query("INSERT INTO person VALUES ($1)", ["371502199001011234"])
                }
                Issue.record("expected a unique violation")
            } catch let error as PostgresError {
                #expect(error.kind == .server)
                #expect(error.sqlState == .uniqueViolation)
                #expect(error.constraint == "person_pk")
                #expect(!error.description.contains("371502199001011234"))
                #expect(!error.description.contains("INSERT"))
            }
            do {
                try await pool.withSession { session in try session.query("SELECT $1::int", ["not a number 371502"]) }
                Issue.record("expected a syntax error")
            } catch let error as PostgresError {
                #expect(error.sqlState == .invalidTextRepresentation)
                #expect(!error.description.contains("371502"))
            }
        }
    }

    @Test func malformedAndUnreachableDatabasesAreClearErrors() async throws {
        let malformed = PostgresConfiguration(connectionString: "postgresql://a:b@host:notaport/db?sslmode=bogus=")
        #expect(throws: PostgresError.self) { try malformed.validate() }
        var unreachable = PostgresConfiguration(connectionString: "host=127.0.0.1 port=1 dbname=x user=x", maxConnections: 1)
        unreachable.connectTimeoutSeconds = 2
        let pool = PostgresPool(unreachable)
        do {
            try await pool.withSession { try $0.query("SELECT 1") }
            Issue.record("expected a connection error")
        } catch let error as PostgresError {
            #expect(error.kind == .connection)
            #expect(error.isConnectionFailure)
        }
        // The failed connect gave its lease back: the next try fails the same way instead of hanging.
        await #expect(throws: PostgresError.self) { try await pool.withSession { try $0.query("SELECT 1") } }
        await pool.close()
    }

    @Test func transactionsCommitOrRollBack() async throws {
        try await TestDatabase.withPool(migrated: false) { pool, name in
            try await pool.withSession { try $0.executeScript("CREATE TABLE t (v int NOT NULL)") }
            try await pool.withTransaction { try $0.query("INSERT INTO t VALUES (1)") }
            struct Boom: Error {}
            await #expect(throws: Boom.self) {
                try await pool.withTransaction { session in
                    try session.query("INSERT INTO t VALUES (2)")
                    throw Boom()
                }
            }
            await #expect(throws: PostgresError.self) {
                try await pool.withTransaction { session in
                    try session.query("INSERT INTO t VALUES (3)")
                    try session.query("INSERT INTO t VALUES (NULL)")
                }
            }
            // Every connection went back idle, outside a transaction: no lease is out, and the server
            // sees each backend of this database idle (not "idle in transaction"). Asked before the
            // pool is used again, which would replace a connection it finds inside a transaction.
            #expect(pool.statistics.leased == 0)
            let states = try await Self.backendStates(name)
            #expect(!states.isEmpty)
            #expect(states.allSatisfy { $0 == "idle" }, "\(states)")
            let values = try await pool.withSession { session in
                try session.query("SELECT v FROM t ORDER BY v").rows.map { try $0.decode(0, as: Int.self) }
            }
            #expect(values == [1])
        }
    }

    @Test func cancellationStopsTheStatementAndRollsBack() async throws {
        try await TestDatabase.withPool(migrated: false, maxConnections: 1) { pool, name in
            try await pool.withSession { try $0.executeScript("CREATE TABLE t (v int)") }
            // The statement waits for a lock this test holds, so only a cancel that reaches the
            // server ends it; lock_timeout turns a cancel that never arrives into an error
            // (55P03, not a CancellationError) instead of a hang.
            let lock = try Self.lockHolder(name)
            try await lock.withSession { try $0.query("SELECT pg_advisory_lock(17)") }
            let task = Task {
                try await pool.withTransaction { session in
                    try session.query("INSERT INTO t VALUES (1)")
                    try session.executeScript("SET LOCAL lock_timeout = '30s'")
                    try session.query("SELECT pg_advisory_lock(17)")
                }
            }
            try await Self.waitUntilABackendWaitsForALock(name)
            task.cancel()
            await #expect(throws: CancellationError.self) { try await task.value }
            // The lock is still held, yet the same (only) connection answers: the statement ended
            // on the server, and the insert was rolled back.
            let count = try await pool.withSession { try $0.query("SELECT count(*) FROM t").first!.decode(0, as: Int.self) }
            #expect(count == 0)
            try await lock.withSession { try $0.query("SELECT pg_advisory_unlock(17)") }
            await lock.close()
        }
    }

    @Test func copyInLoadsRowsAndAbortsCleanly() async throws {
        try await TestDatabase.withPool(migrated: false) { pool, _ in
            try await pool.withSession { try $0.executeScript("CREATE TABLE c (id int, name text)") }
            let copied = try await pool.withSession { session in
                try session.copyIn("COPY c (id, name) FROM STDIN (FORMAT csv)") { writer in
                    var chunk = ""
                    for i in 1...10_000 {
                        chunk += "\(i),\"食堂 \(i), \"\"quoted\"\"\"\n"
                        if i % 1000 == 0 { try writer.write(chunk); chunk = "" }
                    }
                }
            }
            #expect(copied == 10_000)
            struct Stop: Error {}
            await #expect(throws: Stop.self) {
                try await pool.withSession { session in
                    try session.copyIn("COPY c (id, name) FROM STDIN (FORMAT csv)") { writer in
                        try writer.write("20001,x\n")
                        throw Stop()
                    }
                }
            }
            await #expect(throws: PostgresError.self) {
                try await pool.withSession { session in
                    try session.copyIn("COPY c (id, name) FROM STDIN (FORMAT csv)") { writer in
                        try writer.write("30001,ok\nnot-a-number,x\n")
                    }
                }
            }
            let (count, sample) = try await pool.withSession { session in
                let count: Int = try session.query("SELECT count(*) FROM c").first!.decode(0)
                let name: String = try session.query("SELECT name FROM c WHERE id = 7").first!.decode(0)
                return (count, name)
            }
            #expect(count == 10_000)
            #expect(sample == "食堂 7, \"quoted\"")
        }
    }

    @Test func manyConcurrentTasksShareASmallPool() async throws {
        try await TestDatabase.withPool(migrated: false, maxConnections: 3) { pool, name in
            let results = try await withThrowingTaskGroup(of: Int.self) { group in
                for i in 0..<200 {
                    group.addTask {
                        try await pool.withSession { session in
                            try session.query("SELECT $1::int + count(*)::int FROM pg_stat_activity WHERE datname = $2",
                                              [i, name]).first!.decode(0, as: Int.self) - i
                        }
                    }
                }
                var seen: [Int] = []
                for try await backends in group { seen.append(backends) }
                return seen
            }
            #expect(results.count == 200)
            #expect(results.allSatisfy { $0 >= 1 && $0 <= 3 })
            // Every connection the pool opened came back to it: the server has exactly its idle ones.
            let backends = try await Self.backendStates(name)
            #expect(pool.statistics.idle == backends.count)
            #expect((1...3).contains(backends.count))
            #expect(pool.statistics.leased == 0)
        }
    }

    @Test func acquiringWaitsWithATimeout() async throws {
        try await TestDatabase.withPool(migrated: false, maxConnections: 1, configure: { $0.acquireTimeout = .milliseconds(200) }) { pool, name in
            // The holder keeps the only connection until this test lets it go: it waits for a lock the test holds.
            let lock = try Self.lockHolder(name)
            try await lock.withSession { try $0.query("SELECT pg_advisory_lock(18)") }
            let holder = Task { try await pool.withSession { try $0.query("SELECT pg_advisory_lock(18)") } }
            try await Self.waitUntilABackendWaitsForALock(name)
            do {
                try await pool.withSession { try $0.query("SELECT 1") }
                Issue.record("expected a pool timeout")
            } catch let error as PostgresError {
                #expect(error.kind == .poolTimeout)
            }
            try await lock.withSession { try $0.query("SELECT pg_advisory_unlock(18)") }
            await lock.close()
            _ = try await holder.value
            // After the holder is done the pool serves again.
            let one = try await pool.withSession { try $0.query("SELECT 1").first!.decode(0, as: Int.self) }
            #expect(one == 1)
        }
    }

    @Test func brokenConnectionsAreReplacedAfterTerminateBackend() async throws {
        try await TestDatabase.withPool(migrated: false, maxConnections: 3) { pool, name in
            // Warm all three connections.
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<3 { group.addTask { try await pool.withSession { _ = try $0.query("SELECT pg_sleep(0.2)") } } }
                try await group.waitForAll()
            }
            #expect(pool.statistics.idle == 3)
            let admin = try TestDatabase.adminPool()
            let terminated = try await admin.withSession { session in
                try session.query("SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = $1",
                                  [name]).first!.decode(0, as: Int.self)
            }
            #expect(terminated == 3)
            // Wait until the server has closed them.
            for _ in 0..<50 {
                let left: Int = try await admin.withSession { session in
                    try session.query("SELECT count(*) FROM pg_stat_activity WHERE datname = $1", [name]).first!.decode(0)
                }
                if left == 0 { break }
                try await Task.sleep(for: .milliseconds(50))
            }
            let answers = try await withThrowingTaskGroup(of: Int.self) { group in
                for i in 0..<30 {
                    group.addTask { try await pool.withSession { try $0.query("SELECT $1::int", [i]).first!.decode(0, as: Int.self) } }
                }
                var all: [Int] = []
                for try await answer in group { all.append(answer) }
                return all
            }
            #expect(answers.sorted() == Array(0..<30))
        }
    }

    /// A write refused because the server is read-only (25006: a standby, or a primary since
    /// demoted) drops the connection, so the next session connects again through the URL's hosts
    /// instead of writing to the same read-only server forever.
    @Test func aReadOnlyServerIsLeftForAFreshConnection() async throws {
        try await TestDatabase.withPool(migrated: false, maxConnections: 1) { pool, _ in
            try await pool.withSession { try $0.executeScript("CREATE TABLE w (v int)") }
            let readOnlyBackend: Int = try await pool.withSession { session in
                try session.executeScript("SET default_transaction_read_only = on")
                return try session.query("SELECT pg_backend_pid() AS pid").one().decode("pid")
            }
            let failure = await #expect(throws: PostgresError.self) {
                try await pool.withSession { _ = try $0.query("INSERT INTO w VALUES (1)") }
            }
            #expect(failure?.sqlState == .readOnlySQLTransaction)
            #expect(failure?.isConnectionFailure == true)
            let backend: Int = try await pool.withSession { session in
                _ = try session.query("INSERT INTO w VALUES (2)")
                return try session.query("SELECT pg_backend_pid() AS pid").one().decode("pid")
            }
            #expect(backend != readOnlyBackend)
        }
    }

    /// A session tells whether it can run more work as it stands, and one that abandons its
    /// connection has it dropped: the next session gets a new one.
    @Test func anAbandonedConnectionIsNotLentAgain() async throws {
        try await TestDatabase.withPool(migrated: false, maxConnections: 1) { pool, _ in
            let first: Int = try await pool.withSession { session in
                #expect(session.isReusable)
                try session.executeScript("BEGIN")
                #expect(!session.isReusable, "a transaction left open")
                try session.executeScript("ROLLBACK")
                #expect(session.isReusable)
                session.abandon()
                #expect(!session.isReusable)
                return try session.query("SELECT pg_backend_pid() AS pid").one().decode("pid")
            }
            let second: Int = try await pool.withSession { try $0.query("SELECT pg_backend_pid() AS pid").one().decode("pid") }
            #expect(second != first)
            let third: Int = try await pool.withSession { try $0.query("SELECT pg_backend_pid() AS pid").one().decode("pid") }
            #expect(third == second, "a connection nobody abandoned is lent again")
        }
    }

    /// A statement whose first execution fails is still prepared on the server: the next use
    /// runs it instead of preparing it again under the same name (which PostgreSQL refuses).
    @Test func aStatementPreparedInAFailedPipelineIsUsedAgain() async throws {
        try await TestDatabase.withPool(migrated: false, maxConnections: 1) { pool, _ in
            try await pool.withSession { session in
                try session.executeScript("CREATE TABLE q (v int PRIMARY KEY)")
                try session.queryPrepared("INSERT INTO q VALUES ($1)", [1])
                let insert = "INSERT INTO q VALUES ($1) RETURNING v"
                let failure = #expect(throws: PostgresError.self) { try session.queryPrepared(insert, [1]) }
                #expect(failure?.sqlState == .uniqueViolation)
                #expect(try session.queryPrepared(insert, [2]).one().decode("v", as: Int.self) == 2)
            }
        }
    }

    @Test func preparedStatementsAreReused() async throws {
        try await TestDatabase.withPool(migrated: false, maxConnections: 1) { pool, _ in
            let values = try await pool.withSession { session in
                try (0..<5).map { i in try session.queryPrepared("SELECT $1::int * 2", [i]).first!.decode(0, as: Int.self) }
            }
            #expect(values == [0, 2, 4, 6, 8])
            let prepared = try await pool.withSession { session in
                try session.query("SELECT count(*) FROM pg_prepared_statements").first!.decode(0, as: Int.self)
            }
            #expect(prepared == 1)
        }
    }

    /// The states of the client backends connected to database `name`, as the server reports them.
    static func backendStates(_ name: String) async throws -> [String] {
        try await TestDatabase.adminPool().withSession { session in
            try session.query("""
                SELECT coalesce(state, '') FROM pg_stat_activity WHERE datname = $1 AND backend_type = 'client backend'
                """, [name]).rows.map { try $0.decode(0) }
        }
    }

    /// A one-connection pool on database `name` that holds advisory locks for a test.
    static func lockHolder(_ name: String) throws -> PostgresPool {
        PostgresPool(PostgresConfiguration(connectionString: try TestDatabase.connectionString(database: name), maxConnections: 1))
    }

    /// Returns once a backend of database `name` is waiting for an advisory lock.
    static func waitUntilABackendWaitsForALock(_ name: String) async throws {
        for _ in 0..<1200 {
            let waiting: Int = try await TestDatabase.adminPool().withSession { session in
                try session.query("""
                    SELECT count(*) FROM pg_stat_activity WHERE datname = $1 AND wait_event_type = 'Lock' AND wait_event = 'advisory'
                    """, [name]).first!.decode(0)
            }
            if waiting > 0 { return }
            try await Task.sleep(for: .milliseconds(25))
        }
        struct NeverWaited: Error {}
        Issue.record("no backend of \(name) began waiting for the lock")
        throw NeverWaited()
    }
}
