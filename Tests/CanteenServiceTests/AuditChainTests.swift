import CanteenDomain
import CanteenService
import Postgres
import Testing
import TestSupport

@Suite("Audit hash chain")
struct AuditChainTests {
    /// A world with site, diner, meal and claim audit rows written by concurrent transactions.
    static func world(_ services: CanteenServices) async throws {
        try await Fixtures.site(services, "LY-01")
        var diners: [Int] = []
        for serial in 1...6 {
            diners.append(try await Fixtures.diner(services, born: "1940-03-0\(serial)", serial: serial).diner.id)
        }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for (index, diner) in diners.enumerated() {
                group.addTask {
                    for day in 1...5 {
                        _ = try await services.meals.log(Fixtures.meal(site: "LY-01", diner: diner, on: "2026-10-0\(day)", key: "k\(index)-\(day)"),
                                                         by: .testAdmin)
                    }
                }
            }
            try await group.waitForAll()
        }
        _ = try await services.claims.build(siteCode: "LY-01", month: "2026-10", by: .testAdmin)
    }

    /// Runs SQL as the database owner with the append-only triggers off: an intruder's edit.
    static func tamper(_ services: CanteenServices, _ sql: String) async throws {
        try await services.db.pool.withSession { session in
            try session.executeScript("""
                SET session_replication_role = replica;
                \(sql);
                SET session_replication_role = origin;
                """)
        }
    }

    static func audit(_ services: CanteenServices, _ sql: String) async throws -> Int {
        try await services.db.session { try $0.query(sql).first!.decode(0, as: Int.self) }
    }

    @Test func theSwiftEncodingIsTheDatabasesEncoding() async throws {
        try await TestDatabase.withServices { services in
            try await Self.world(services)
            let rows = try await services.db.session { session in
                try session.query("""
                    SELECT id, ((extract(epoch FROM at) * 1000000)::bigint)::text, actor, action, entity, entity_id, detail::text,
                           coalesce(encode(prev_hash, 'hex'), ''), encode(hash, 'hex') FROM audit_log ORDER BY id
                    """).rows.map { row in
                    (AuditChain.Content(id: try row.decode(0), atMicroseconds: Int64(try row.decode(1, as: String.self))!,
                                        actor: try row.decode(2), action: try row.decode(3), entity: try row.decode(4),
                                        entityID: try row.decode(5), detail: try row.decode(6), previousHash: try row.decode(7)),
                     try row.decode(8, as: String.self))
                }
            }
            #expect(rows.count == 38, "a site, six diners, thirty meals and a claim")
            for (content, hash) in rows {
                #expect(AuditChain.hash(content) == hash, "row \(content.id)")
            }
            // Field boundaries are part of the encoding: moving a character between fields changes it.
            let a = AuditChain.Content(id: 1, atMicroseconds: 0, actor: "ab", action: "c", entity: "site", entityID: "1", detail: "{}", previousHash: "")
            var b = a
            b.actor = "a"
            b.action = "bc"
            #expect(AuditChain.hash(a) != AuditChain.hash(b))
        }
    }

    @Test func concurrentWritersKeepEveryChainALine() async throws {
        try await TestDatabase.withServices { services in
            try await Self.world(services)
            let verification = try await services.audit.verify(by: .testAdmin)
            #expect(verification.intact)
            #expect(verification.rows == 38)
            #expect(verification.firstBroken == nil)
            #expect(verification.chains >= 2)
            // Each chain has one start and every other row follows exactly one row.
            let starts = try await Self.audit(services, "SELECT count(*) FROM audit_log WHERE prev_id IS NULL")
            let followed = try await Self.audit(services, "SELECT count(DISTINCT prev_id) FROM audit_log")
            #expect(starts == verification.chains)
            #expect(followed == 38 - starts)
            await #expect(throws: CanteenError.self) { try await services.audit.verify(by: .testOperator("LY-01")) }
        }
    }

    /// The head moves once per statement that appends (sql/0018, 0019): after several statements of
    /// one transaction it is the last row, and a rolled-back savepoint takes its rows and its move.
    @Test func theHeadIsTheLastRowKeptAfterStatementsAndASavepoint() async throws {
        try await TestDatabase.withServices { services in
            try await Self.world(services)
            let kept = try await services.db.pool.withTransaction { session -> Int in
                let insert = "INSERT INTO audit_log (actor, action, entity, entity_id) VALUES ('test', 'site.update', 'site', $1) RETURNING id"
                try session.query(insert, ["LY-01"])
                let second: Int = try session.query(insert, ["LY-01"]).one().decode("id")
                try session.executeScript("SAVEPOINT later")
                try session.query(insert, ["LY-01"])
                try session.query(insert, ["LY-01"])
                try session.executeScript("ROLLBACK TO SAVEPOINT later")
                return second
            }
            let head = try await Self.audit(services, """
                SELECT c.last_id FROM audit_chain c JOIN audit_log a ON a.chain = c.chain AND a.id = \(kept)
                """)
            #expect(head == kept)
            // A statement that appends nothing moves no head, whatever the session has set.
            try await services.db.pool.withTransaction { session in
                try session.query("SELECT set_config('canteen.audit_last', '5:424242:deadbeef', true)")
                try session.execute(
                    "INSERT INTO audit_log (actor, action, entity, entity_id) SELECT 'test', 'site.update', 'site', 'LY-01' WHERE false")
            }
            #expect(try await Self.audit(services, "SELECT count(*) FROM audit_chain WHERE last_id = 424242") == 0)
            let verification = try await services.audit.verify(by: .testAdmin)
            #expect(verification.intact)
            #expect(verification.rows == 40)
        }
    }

    /// The head is the end of what a statement appended, in the chain's order, even when ids were
    /// given and run the other way (sql/0019).
    @Test func theHeadFollowsTheChainNotTheIds() async throws {
        try await TestDatabase.withServices { services in
            try await Self.world(services)
            try await services.db.pool.withTransaction { session in
                try session.execute("""
                    INSERT INTO audit_log (id, actor, action, entity, entity_id) OVERRIDING SYSTEM VALUE
                    VALUES (900002, 'test', 'site.update', 'site', 'LY-01'), (900001, 'test', 'site.update', 'site', 'LY-01')
                    """)
            }
            let head = try await Self.audit(services, """
                SELECT c.last_id FROM audit_chain c JOIN audit_log a ON a.chain = c.chain AND a.id = 900001
                """)
            #expect(head == 900001)
            #expect(try await Self.audit(services, "SELECT prev_id FROM audit_log WHERE id = 900001") == 900002)
            #expect(try await services.audit.verify(by: .testAdmin).intact)
        }
    }

    /// A meal's request hash is 64 lowercase hexadecimal digits, whoever writes the row.
    @Test func theDatabaseRefusesARequestHashThatIsNotSHA256Hex() async throws {
        try await TestDatabase.withServices { services in
            try await Self.world(services)
            let good = String(repeating: "0123456789abcdef", count: 4)
            for bad in [String(good.dropLast()), good + "0", good.uppercased(), String(good.dropLast()) + "g", String(good.dropLast()) + " "] {
                await #expect(throws: PostgresError.self, "\(bad)") {
                    try await services.db.pool.withSession { try $0.execute("UPDATE meal SET request_hash = $1 WHERE id = (SELECT min(id) FROM meal)", [bad]) }
                }
            }
            try await services.db.pool.withSession { try $0.execute("UPDATE meal SET request_hash = $1 WHERE id = (SELECT min(id) FROM meal)", [good]) }
        }
    }

    @Test func theServiceCannotMoveTheHeadsOrRewriteRows() async throws {
        try await TestDatabase.withServices { services in
            try await Self.world(services)
            for sql in ["UPDATE audit_chain SET last_id = 1", "DELETE FROM audit_chain", "UPDATE audit_log SET actor = 'x'",
                        "DELETE FROM audit_log WHERE id = 3", "TRUNCATE audit_log"] {
                await #expect(throws: PostgresError.self, "\(sql)") {
                    try await services.db.pool.withSession { try $0.execute(sql) }
                }
            }
            #expect(try await services.audit.verify(by: .testAdmin).intact)
        }
    }

    @Test func anEditedRowIsTheFirstBrokenLink() async throws {
        try await TestDatabase.withServices { services in
            try await Self.world(services)
            try await Self.tamper(services, "UPDATE audit_log SET detail = jsonb_set(detail, '{price_fen}', '1') WHERE id = 20")
            let verification = try await services.audit.verify(by: .testBureau)
            #expect(!verification.intact)
            #expect(verification.firstBroken?.id == 20)
            #expect(verification.firstBroken?.problem == .contentChanged)
        }
    }

    @Test func anEditedAndRehashedRowBreaksTheLinkAfterIt() async throws {
        try await TestDatabase.withServices { services in
            try await Self.world(services)
            // The intruder knows the hash function and recomputes the row's own hash.
            try await Self.tamper(services, """
                UPDATE audit_log SET actor = 'intruder',
                    hash = audit_row_hash(id, at, 'intruder', action, entity, entity_id, detail, prev_hash) WHERE id = 12
                """)
            let next = try await Self.audit(services, "SELECT coalesce((SELECT id FROM audit_log WHERE prev_id = 12), 0)")
            let verification = try await services.audit.verify(by: .testAdmin)
            #expect(!verification.intact)
            if next > 0 {
                #expect(verification.firstBroken?.id == next)
                #expect(verification.firstBroken?.problem == .previousChanged)
            } else {
                #expect(verification.firstBroken?.id == 12)
                #expect(verification.firstBroken?.problem == .headMismatch)
            }
        }
    }

    @Test func aDeletedRowBreaksTheLinkAfterIt() async throws {
        try await TestDatabase.withServices { services in
            try await Self.world(services)
            // A row in the middle of a chain (one that another row follows).
            let victim = try await Self.audit(services, "SELECT min(prev_id) FROM audit_log WHERE prev_id > 5")
            let follower = try await Self.audit(services, "SELECT id FROM audit_log WHERE prev_id = \(victim)")
            try await Self.tamper(services, "DELETE FROM audit_log WHERE id = \(victim)")
            let verification = try await services.audit.verify(by: .testAdmin)
            #expect(!verification.intact)
            #expect(verification.firstBroken?.id == follower)
            #expect(verification.firstBroken?.problem == .previousMissing)
        }
    }

    @Test func anInsertedRowIsFound() async throws {
        try await TestDatabase.withServices { services in
            try await Self.world(services)
            // A forged row that copies a real row's link and computes a valid hash for itself.
            try await Self.tamper(services, """
                INSERT INTO audit_log (id, at, actor, action, entity, entity_id, detail, chain, prev_id, prev_hash, hash)
                OVERRIDING SYSTEM VALUE
                SELECT 1000, at, 'intruder', 'meal.void', 'meal', '1', '{}', chain, prev_id, prev_hash,
                       audit_row_hash(1000, at, 'intruder', 'meal.void', 'meal', '1', '{}', prev_hash)
                FROM audit_log WHERE id = 30
                """)
            let verification = try await services.audit.verify(by: .testAdmin)
            #expect(!verification.intact)
            #expect(verification.firstBroken?.id == 30)
            #expect(verification.firstBroken?.problem == .forked)
        }
    }
}

extension AuditChainTests {
    @Test func aRowAppendedWithoutMovingTheHeadIsUnlinked() async throws {
        try await TestDatabase.withServices { services in
            try await Self.world(services)
            try await Self.tamper(services, """
                INSERT INTO audit_log (id, at, actor, action, entity, entity_id, detail, chain, prev_id, prev_hash, hash)
                OVERRIDING SYSTEM VALUE
                SELECT 1000, now(), 'intruder', 'meal.void', 'meal', '1', '{}', c.chain, c.last_id, c.last_hash,
                       audit_row_hash(1000, now(), 'intruder', 'meal.void', 'meal', '1', '{}', c.last_hash)
                FROM audit_chain c WHERE c.last_id IS NOT NULL ORDER BY c.chain LIMIT 1
                """)
            let verification = try await services.audit.verify(by: .testAdmin)
            #expect(verification.firstBroken?.id == 1000)
            #expect(verification.firstBroken?.problem == .unlinked)
        }
    }
}
