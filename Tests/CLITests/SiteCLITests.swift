import Foundation
import Postgres
import Testing
import TestSupport

@Suite("canteen CLI: db, site, policy")
struct SiteCLITests {
    func json(_ text: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
    }

    /// SPEC §4: the CLI acts as `cli:<login name>`, the account's name even when no login
    /// variable is set (a service, a container), never its number.
    @Test func theAuditActorIsTheLoginName() async throws {
        try await TestDatabase.withPool { pool, name in
            let cli = CLIRunner(databaseURL: try TestDatabase.connectionString(database: name))
            let added = try await cli.run("site", "add", "--code", "LY-01", "--name", "馨颐", "--kind", "community_center", "--street", "柳园街道",
                                          "--opens-on", "2022-09-01", environment: ["USER": "", "LOGNAME": "", "SUDO_USER": ""])
            #expect(added.status == 0, "\(added.stderr)")
            let account = String(cString: getpwuid(getuid()).pointee.pw_name)
            let actors = try await pool.withSession { session in
                try session.query("SELECT actor FROM audit_log WHERE action = 'site.create'").rows.map { try $0.decode(0, as: String.self) }
            }
            #expect(actors == ["cli:\(account)"])
            _ = try await cli.run("site", "close", "LY-01", "--on", "2026-12-01", environment: ["USER": "王会计"])
            let last = try await pool.withSession { session in try session.query("SELECT actor FROM audit_log ORDER BY id DESC LIMIT 1").one().decode(0, as: String.self) }
            #expect(last == "cli:王会计")
        }
    }

    /// SPEC §4: the CLI's errors follow `LANG` / `LC_ALL`; the code word stays.
    @Test func errorsSpeakTheLanguageOfLANG() async throws {
        try await TestDatabase.withPool { _, name in
            let cli = CLIRunner(databaseURL: try TestDatabase.connectionString(database: name))
            let zh = try await cli.run("site", "show", "NOPE", environment: ["LANG": "zh_CN.UTF-8", "LC_ALL": ""])
            #expect(zh.status == 1 && zh.stderr.contains("error: not_found: 未找到食堂 NOPE"), "\(zh.stderr)")
            let en = try await cli.run("site", "show", "NOPE", environment: ["LANG": "zh_CN.UTF-8", "LC_ALL": "C.UTF-8"])
            #expect(en.stderr.contains("error: not_found: site NOPE not found"), "\(en.stderr)")
            let json = try await cli.run("site", "show", "NOPE", "--json", environment: ["LC_ALL": "zh_CN.UTF-8"])
            #expect(json.stderr.contains(#""title":"未找到""#) || json.stderr.contains(#""title" : "未找到""#), "\(json.stderr)")
        }
    }

    @Test func siteAddAndListPrintTheAPIObjects() async throws {
        try await TestDatabase.withPool { _, name in
            let cli = CLIRunner(databaseURL: try TestDatabase.connectionString(database: name))
            let added = try await cli.run("site", "add", "--code", "LY-DONGGUAN", "--name", "东关国际幸福食堂", "--kind", "enterprise",
                                          "--street", "柳园街道", "--opens-on", "2022-10-01", "--slots", "lunch,dinner",
                                          "--price-fen", "1200", "--json")
            #expect(added.status == 0, "\(added.stderr)")
            let site = try json(added.stdout)
            #expect(site["code"] as? String == "LY-DONGGUAN")
            #expect(site["slots"] as? [String] == ["lunch", "dinner"])
            #expect(site["default_price_fen"] as? Int == 1200)
            #expect(site["closes_on"] is NSNull)
            #expect(site["status"] as? String == "operating")

            let list = try await cli.run("site", "list", "--json")
            #expect(list.status == 0)
            let page = try json(list.stdout)
            #expect((page["items"] as? [[String: Any]])?.map { $0["code"] as? String } == ["LY-DONGGUAN"])
            #expect(page["next_cursor"] is NSNull)

            let human = try await cli.run("site", "list")
            #expect(human.stdout.contains("东关国际幸福食堂"))
            #expect(human.stdout.contains("¥12.00"))
        }
    }

    @Test func badInputExitsNonZeroWithTheSpecCodeAndWritesNothing() async throws {
        try await TestDatabase.withPool { pool, name in
            let cli = CLIRunner(databaseURL: try TestDatabase.connectionString(database: name))
            let bad = try await cli.run("site", "add", "--code", "bad code", "--name", "x", "--kind", "enterprise",
                                        "--street", "s", "--opens-on", "2022-10-01", "--json")
            #expect(bad.status != 0)
            #expect(try json(bad.stderr)["code"] as? String == "validation_failed")
            #expect(bad.stdout.isEmpty)

            _ = try await cli.run("site", "add", "--code", "LY-01", "--name", "x", "--kind", "village", "--street", "s", "--opens-on", "2022-10-01")
            let duplicate = try await cli.run("site", "add", "--code", "LY-01", "--name", "y", "--kind", "village", "--street", "s", "--opens-on", "2022-10-01")
            #expect(duplicate.status != 0)
            #expect(duplicate.stderr.contains("duplicate_site_code"))
            let (sites, audits) = try await pool.withSession { session in
                (try session.query("SELECT count(*) FROM site").first!.decode(0, as: Int.self),
                 try session.query("SELECT count(*) FROM audit_log WHERE actor LIKE 'cli:%'").first!.decode(0, as: Int.self))
            }
            #expect(sites == 1)
            #expect(audits == 1)

            let missing = try await cli.run("site", "show", "NOPE", "--json")
            #expect(missing.status != 0)
            #expect(try json(missing.stderr)["code"] as? String == "not_found")
        }
    }

    @Test func policyShowAndAdd() async throws {
        try await TestDatabase.withPool { _, name in
            let cli = CLIRunner(databaseURL: try TestDatabase.connectionString(database: name))
            let shown = try await cli.run("policy", "show", "--on", "2026-11-22", "--json")
            #expect(shown.status == 0, "\(shown.stderr)")
            let policy = try json(shown.stdout)
            #expect(policy["effective_from"] as? String == "2022-09-01")
            #expect((policy["tiers"] as? [[String: Any]])?.map { $0["subsidy_fen"] as? Int } == [200, 400])
            #expect(policy["max_subsidized_meals_per_day"] is NSNull)

            let overlapping = try await cli.run("policy", "add", "--from", "2027-01-01", "--tier", "70-79:70:80:200", "--tier", "80+:80::400", "--json")
            #expect(overlapping.status != 0)
            #expect(try json(overlapping.stderr)["code"] as? String == "validation_failed")

            let added = try await cli.run("policy", "add", "--from", "2027-01-01", "--tier", "70-79:70:79:300", "--tier", "80+:80::500", "--daily-cap", "1", "--json")
            #expect(added.status == 0, "\(added.stderr)")
            #expect(try json(added.stdout)["max_subsidized_meals_per_day"] as? Int == 1)
        }
    }

    @Test func migrateStatusSeedAndServeRefusingPendingMigrations() async throws {
        try await TestDatabase.withPool(migrated: false) { _, name in
            let cli = CLIRunner(databaseURL: try TestDatabase.connectionString(database: name))
            let serve = try await cli.run("serve", "--port", "0")
            #expect(serve.status != 0)
            #expect(serve.stderr.contains("pending"))
            let noLoops = try await cli.run("serve", "--port", "0", "--event-loops", "0")
            #expect(noLoops.status == 64)
            #expect(noLoops.stderr.contains("--event-loops must be 1 to"))

            let migrate = try await cli.run("db", "migrate", "--json")
            #expect(migrate.status == 0, "\(migrate.stderr)")
            #expect((try json(migrate.stdout)["applied"] as? [String])?.first == "0001_sites_policies_audit")
            let again = try await cli.run("db", "migrate", "--json")
            #expect((try json(again.stdout)["applied"] as? [String]) == [])
            let status = try await cli.run("db", "status")
            #expect(status.stdout.contains("applied"))

            let seed = try await cli.run("db", "seed", "--json")
            #expect(seed.status == 0, "\(seed.stderr)")
            let seeded = try json(seed.stdout)["sites"] as? [String: Any]
            #expect((seeded?["created"] as? Int ?? 0) >= 10)
            #expect(try json(seed.stdout)["demo"] == nil)
            let reseed = try await cli.run("db", "seed", "--json")
            #expect((try json(reseed.stdout)["sites"] as? [String: Any])?["created"] as? Int == 0)
            let sites = try await cli.run("site", "list", "--street", "柳园街道", "--json")
            let codes = (try json(sites.stdout)["items"] as? [[String: Any]])?.compactMap { $0["code"] as? String } ?? []
            #expect(codes.count == 6)
            #expect(codes.contains("LY-XINYI") && codes.contains("LY-DONGGUAN"))
        }
    }

    @Test func anUnreachableOrMalformedDatabaseIsAClearErrorNotACrash() async throws {
        let unreachable = CLIRunner(databaseURL: "postgresql://x@127.0.0.1:1/none?connect_timeout=2")
        let result = try await unreachable.run("site", "list", "--json")
        #expect(result.status != 0)
        #expect(try json(result.stderr)["code"] as? String == "unavailable")
        let malformed = CLIRunner(databaseURL: "postgresql://x@host:port:bad/?=")
        let bad = try await malformed.run("site", "list")
        #expect(bad.status != 0)
        #expect(bad.stderr.hasPrefix("error: unavailable"))
    }
}

extension SiteCLITests {
    @Test func auditVerifyReportsTheFirstBrokenLinkAndExitsNonZero() async throws {
        try await TestDatabase.withPool { pool, name in
            let cli = CLIRunner(databaseURL: try TestDatabase.connectionString(database: name))
            for code in ["LY-01", "LY-02", "LY-03"] {
                _ = try await cli.run("site", "add", "--code", code, "--name", "x", "--kind", "village", "--street", "s", "--opens-on", "2022-10-01")
            }
            let intact = try await cli.run("audit", "verify")
            #expect(intact.status == 0, "\(intact.stderr)")
            #expect(intact.stdout.contains("audit log intact: 3 rows"))
            let json = try json(try await cli.run("audit", "verify", "--json").stdout)
            #expect(json["intact"] as? Bool == true)
            #expect((json["heads"] as? [Any])?.count == 16)

            try await pool.withSession { session in
                try session.executeScript("""
                    SET session_replication_role = replica;
                    UPDATE audit_log SET actor = 'someone else' WHERE id = 2;
                    SET session_replication_role = origin;
                    """)
            }
            let broken = try await cli.run("audit", "verify", "--json")
            #expect(broken.status == 1)
            let report = try self.json(broken.stdout)
            #expect(report["intact"] as? Bool == false)
            let first = try #require(report["first_broken"] as? [String: Any])
            #expect(first["id"] as? Int == 2)
            #expect(first["problem"] as? String == "content_changed")
            let human = try await cli.run("audit", "verify")
            #expect(human.status == 1)
            #expect(human.stdout.contains("first broken link: row 2"))
        }
    }
}
