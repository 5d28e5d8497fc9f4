import CanteenDomain
import CanteenService
import Foundation
import Postgres
import Testing
import TestSupport

/// Rules of SPEC §2.5, §2.9 and §2.11 that no other test would notice breaking.
@Suite("Guarded rules")
struct GuardedRulesTests {
    /// A policy unlike the default one: other amounts, a 60–69 tier, and a daily cap.
    static func cappedPolicy(from: String = "2026-01-01", cap: Int) -> PolicyService.Draft {
        PolicyService.Draft(
            effectiveFrom: from,
            tiers: [SubsidyTier(label: "60-69", minAge: 60, maxAge: 69, subsidyFen: 100),
                    SubsidyTier(label: "70-79", minAge: 70, maxAge: 79, subsidyFen: 250),
                    SubsidyTier(label: "80+", minAge: 80, maxAge: nil, subsidyFen: 450)],
            maxSubsidizedMealsPerDay: cap)
    }

    /// The subsidy of each valid meal a diner has on a day, by slot.
    static func subsidies(_ services: CanteenServices, diner: Int, on day: String) async throws -> [String: Int] {
        try await services.db.session { session in
            Dictionary(uniqueKeysWithValues: try session.query(
                "SELECT slot, subsidy_fen FROM meal WHERE diner_id = $1 AND served_on = $2::date AND status = 'valid'", [diner, day])
                .rows.map { (try $0.decode(0, as: String.self), try $0.decode(1, as: Int.self)) })
        }
    }

    static func count(_ services: CanteenServices, _ sql: String, _ parameters: [any PostgresEncodable] = []) async throws -> Int {
        try await services.db.session { try $0.query(sql, parameters).first!.decode(0, as: Int.self) }
    }

    // MARK: §2.5 the daily cap, in logging order

    @Test func theDailyCapCountsABatchsItemsInTheirOrder() async throws {
        try await TestDatabase.withServices { services in
            try await Fixtures.site(services, "LY-01")
            _ = try await services.policies.add(Self.cappedPolicy(cap: 2), by: .testBureau)
            let a = try await Fixtures.diner(services, born: "1940-05-05", serial: 1).diner.id
            let b = try await Fixtures.diner(services, born: "1941-06-06", serial: 2).diner.id
            let day = "2026-11-10"
            // The items' order is not the slots' order: the cap must follow the items.
            let items = [(a, "dinner"), (b, "breakfast"), (a, "lunch"), (b, "dinner"), (a, "breakfast"), (b, "lunch")]
            let results = try await services.meals.logBatch(items.enumerated().map { index, item in
                Fixtures.meal(site: "LY-01", diner: item.0, slot: item.1, on: day, key: "b\(index)")
            }, by: .testAdmin)
            #expect(results.map(\.status.rawValue) == Array(repeating: "created", count: 6))
            #expect(results.map { $0.meal?.subsidyFen } == [450, 450, 450, 450, 0, 0])
            #expect(try await Self.subsidies(services, diner: a, on: day) == ["dinner": 450, "lunch": 450, "breakfast": 0])
            #expect(try await Self.subsidies(services, diner: b, on: day) == ["breakfast": 450, "dinner": 450, "lunch": 0])
        }
    }

    @Test func theDailyCapCountsAnImportsRowsInTheirOrderAfterTheMealsAlreadyLogged() async throws {
        try await TestDatabase.withServices { services in
            try await Fixtures.site(services, "LY-01")
            _ = try await services.policies.add(Self.cappedPolicy(cap: 2), by: .testBureau)
            let a = try await Fixtures.diner(services, born: "1940-05-05", serial: 1).diner
            let b = try await Fixtures.diner(services, born: "1941-06-06", serial: 2).diner
            let day = "2026-11-10"
            // b's lunch was logged at the counter before the file came: it is b's first subsidised meal.
            _ = try await services.meals.log(Fixtures.meal(site: "LY-01", diner: b.id, slot: "lunch", on: day), by: .testAdmin)
            let csv = """
                resident_id,served_on,slot,price_fen
                \(a.residentID),\(day),dinner,1000
                \(b.residentID),\(day),dinner,1000
                \(a.residentID),\(day),breakfast,1000
                \(b.residentID),\(day),breakfast,1000
                \(a.residentID),\(day),lunch,1000
                """
            let report = try await services.importer.importCSV(Data(csv.utf8), siteCode: "LY-01", by: .testAdmin)
            #expect(report.created == 5)
            #expect(report.rejects.isEmpty)
            #expect(try await Self.subsidies(services, diner: a.id, on: day) == ["dinner": 450, "breakfast": 450, "lunch": 0])
            #expect(try await Self.subsidies(services, diner: b.id, on: day) == ["lunch": 450, "dinner": 450, "breakfast": 0])
        }
    }

    // MARK: §2.5 a new policy leaves logged meals alone

    @Test func addingAPolicyNeverChangesMealsAlreadyLogged() async throws {
        try await TestDatabase.withServices { services in
            try await Fixtures.site(services, "LY-01")
            let old = try await Fixtures.diner(services, born: "1940-05-05", serial: 1).diner
            let young = try await Fixtures.diner(services, born: "1952-03-01", serial: 2).diner
            let day = "2026-11-10"
            // Under the default policy, by every way of logging.
            _ = try await services.meals.log(Fixtures.meal(site: "LY-01", diner: old.id, slot: "lunch", on: day), by: .testAdmin)
            _ = try await services.meals.logBatch([Fixtures.meal(site: "LY-01", diner: young.id, slot: "lunch", on: day, key: "k1")],
                                                  by: .testAdmin)
            _ = try await services.importer.importCSV(Data("resident_id,served_on,slot,price_fen\n\(old.residentID),\(day),dinner,300\n".utf8),
                                                      siteCode: "LY-01", by: .testAdmin)
            func stored() async throws -> [String] {
                try await services.db.session { session in
                    try session.query("""
                        SELECT id || ' ' || age || ' ' || bracket || ' ' || subsidy_fen || ' ' || (price_fen - subsidy_fen) || ' ' || coalesce(subsidy_seq::text, '-')
                        FROM meal ORDER BY id
                        """).rows.map { try $0.decode(0) }
                }
            }
            let before = try await stored()
            #expect(before.count == 3)
            #expect(try await Self.subsidies(services, diner: old.id, on: day) == ["lunch": 400, "dinner": 300])
            #expect(try await Self.subsidies(services, diner: young.id, on: day) == ["lunch": 200])

            // A policy in force from before those meals, with other amounts and a cap of one a day.
            _ = try await services.policies.add(Self.cappedPolicy(from: "2026-11-01", cap: 1), by: .testBureau)
            #expect(try await stored() == before)
            let read = try await services.meals.list(by: .testAdmin).items.map(\.subsidyFen)
            #expect(read == [400, 200, 300])

            // It does hold for meals logged from now on (so the test above could have seen a change).
            let later = try await services.meals.log(Fixtures.meal(site: "LY-01", diner: young.id, slot: "lunch", on: "2026-11-11"),
                                                     by: .testAdmin).meal
            #expect(later.subsidyFen == 250)
            // A claim sums the subsidies the meals stored.
            let claim = try await services.claims.build(siteCode: "LY-01", month: "2026-11", by: .testAdmin).claim
            #expect(claim.subsidyFen == 400 + 200 + 300 + 250)
        }
    }

    // MARK: §2.5 a quote is what the meal then gets

    enum Path: String, CaseIterable { case alone, batch, csvImport }

    @Test(arguments: Path.allCases)
    func aQuoteEqualsTheMealLoggedUnderADailyCapAndAnotherPolicy(_ path: Path) async throws {
        try await TestDatabase.withServices { services in
            try await Fixtures.site(services, "LY-01")
            _ = try await services.policies.add(Self.cappedPolicy(cap: 2), by: .testBureau)
            // 86, 74, 65 and 50 on the day: each tier of the policy, and none.
            let births = ["1940-05-05", "1952-03-01", "1961-07-20", "1976-01-01"]
            let day = "2026-11-10"
            for (serial, birth) in births.enumerated() {
                let diner = try await Fixtures.diner(services, born: birth, serial: serial + 1).diner
                // Three meals a day against a cap of two, one priced under the tier's amount.
                for (slot, price) in [("lunch", 1000), ("breakfast", 300), ("dinner", 1000)] {
                    let quote = try await services.quotes.quote(dinerID: diner.id, servedOn: day, slot: slot, priceFen: price, by: .testAdmin)
                    let meal: Meal
                    switch path {
                    case .alone:
                        meal = try await services.meals.log(Fixtures.meal(site: "LY-01", diner: diner.id, slot: slot, on: day, price: price),
                                                            by: .testAdmin).meal
                    case .batch:
                        let results = try await services.meals.logBatch(
                            [Fixtures.meal(site: "LY-01", diner: diner.id, slot: slot, on: day, price: price, key: "\(diner.id)-\(slot)")],
                            by: .testAdmin)
                        meal = try #require(results.first?.meal, "\(results)")
                    case .csvImport:
                        let csv = "resident_id,served_on,slot,price_fen\n\(diner.residentID),\(day),\(slot),\(price)\n"
                        let report = try await services.importer.importCSV(Data(csv.utf8), siteCode: "LY-01", by: .testAdmin)
                        #expect(report.created == 1)
                        meal = try #require(try await services.meals.list(.init(dinerID: diner.id), by: .testAdmin).items.first { $0.slot.rawValue == slot })
                    }
                    let what = "\(path) born \(birth) \(slot) at \(price)"
                    #expect(quote.age == meal.age, "\(what)")
                    #expect(quote.bracket == meal.bracket, "\(what)")
                    #expect(quote.subsidyFen == meal.subsidyFen, "\(what)")
                    #expect(quote.payableFen == meal.payableFen, "\(what)")
                }
            }
            // The figures themselves, so that agreeing on a wrong rule does not pass either.
            let meals = try await services.meals.list(by: .testAdmin).items
            #expect(meals.map(\.subsidyFen) == [450, 300, 0, 250, 250, 0, 100, 100, 0, 0, 0, 0])
            #expect(meals.map(\.bracket) == ["80+", "80+", "80+", "70-79", "70-79", "70-79", "60-69", "60-69", "60-69", "none", "none", "none"])
        }
    }

    // MARK: §2.9 approved and paid months stay closed

    @Test(arguments: [ClaimAction.approve, .pay])
    func aMonthWhoseClaimIsApprovedOrPaidIsClosed(_ last: ClaimAction) async throws {
        try await TestDatabase.withServices { services in
            try await Fixtures.site(services, "LY-01")
            let diner = try await Fixtures.diner(services, born: "1940-05-05", serial: 1, card: "C-1").diner
            _ = try await services.meals.log(Fixtures.meal(site: "LY-01", diner: diner.id, on: "2026-10-10"), by: .testAdmin)
            let id = try await services.claims.build(siteCode: "LY-01", month: "2026-10", by: .testAdmin).claim.id
            _ = try await services.claims.transition(id, .submit, by: .testAdmin)
            var claim = try await services.claims.transition(id, .approve, by: .testBureau)
            if last == .pay { claim = try await services.claims.transition(id, .pay, by: .testBureau) }
            #expect(claim.status == (last == .pay ? .paid : .approved))

            let rebuilt = await #expect(throws: CanteenError.self) {
                try await services.claims.build(siteCode: "LY-01", month: "2026-10", by: .testAdmin)
            }
            #expect(rebuilt?.code == .periodClosed)
            let alone = await #expect(throws: CanteenError.self) {
                try await services.meals.log(Fixtures.meal(site: "LY-01", diner: diner.id, on: "2026-10-11"), by: .testAdmin)
            }
            #expect(alone?.code == .periodClosed)
            let batch = try await services.meals.logBatch([Fixtures.meal(site: "LY-01", diner: diner.id, on: "2026-10-12", key: "b1")],
                                                          by: .testAdmin)
            #expect(batch.map(\.status.rawValue) == ["rejected"])
            #expect(batch.first?.error?.code.rawValue == "period_closed")
            let report = try await services.importer.importCSV(Data("card_no,served_on,slot\nC-1,2026-10-13,lunch\n".utf8),
                                                               siteCode: "LY-01", by: .testAdmin)
            #expect(report.rejects.map(\.code) == ["period_closed"])
            // Nothing was logged, and the claim's numbers stand.
            #expect(try await Self.count(services, "SELECT count(*) FROM meal") == 1)
            #expect(try await services.claims.get(id, by: .testAdmin).subsidyFen == 400)
            // The next month is still open.
            _ = try await services.meals.log(Fixtures.meal(site: "LY-01", diner: diner.id, on: "2026-11-02"), by: .testAdmin)
        }
    }

    // MARK: §2.11 audit rows for every change, in the change's transaction

    static func auditRows(_ services: CanteenServices, after id: Int) async throws -> [String] {
        try await services.db.session { session in
            try session.query("""
                SELECT actor || ' ' || action || ' ' || entity || ' ' || entity_id || ' ' || detail::text FROM audit_log WHERE id > $1 ORDER BY id
                """, [id]).rows.map { try $0.decode(0) }
        }
    }

    static func lastAuditID(_ services: CanteenServices) async throws -> Int {
        try await count(services, "SELECT coalesce(max(id), 0)::int FROM audit_log")
    }

    @Test func dinerChangesAndTokensEachWriteTheirAuditRow() async throws {
        try await TestDatabase.withServices { services in
            try await Fixtures.site(services, "LY-01")
            let diner = try await Fixtures.diner(services, born: "1940-05-05", serial: 1, home: "LY-01").diner.id
            let start = try await Self.lastAuditID(services)
            let op = Principal.testOperator("LY-01")
            var patch = DinerPatch()
            patch.phone = .set("0635-1234567")
            _ = try await services.diners.update(diner, patch, by: op)
            _ = try await services.diners.setStatus(diner, status: "suspended", effectiveOn: "2026-12-01", by: op)
            let issued = try await services.tokens.create(TokenService.Draft(name: "kiosk", role: "operator", siteCodes: ["LY-01"]), by: .testAdmin)
            try await services.tokens.revoke(issued.token.id, by: .testAdmin)
            let token = issued.token.id
            #expect(try await Self.auditRows(services, after: start) == [
                #"test-operator diner.update diner \#(diner) {"phone": {"to": "0635-1234567", "from": null}}"#,
                #"test-operator diner.status diner \#(diner) {"status": "suspended", "effective_on": "2026-12-01"}"#,
                #"test-admin token.create token \#(token) {"id": \#(token), "name": "kiosk", "role": "operator", "streets": [], "site_codes": ["LY-01"]}"#,
                #"test-admin token.revoke token \#(token) {"revoked": true}"#,
            ])
        }
    }

    /// Test-only triggers: `refuse(what)` makes the audit row of action `what` fail to be written
    /// (`audit_log:ACTION`), or makes a change to table `what` fail when its transaction commits.
    static func installRefusals(_ services: CanteenServices) async throws {
        try await services.db.pool.withSession { session in
            try session.executeScript("""
                CREATE TABLE test_refusal (what text PRIMARY KEY);
                CREATE FUNCTION test_refuse() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                    IF EXISTS (SELECT 1 FROM test_refusal
                               WHERE what = TG_TABLE_NAME || coalesce(':' || (to_jsonb(NEW) ->> 'action'), '')) THEN
                        RAISE EXCEPTION 'refused by the test';
                    END IF;
                    RETURN NEW;
                END $$;
                CREATE TRIGGER test_refuse_audit BEFORE INSERT ON audit_log FOR EACH ROW EXECUTE FUNCTION test_refuse();
                CREATE CONSTRAINT TRIGGER test_refuse_diner AFTER INSERT OR UPDATE ON diner
                    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION test_refuse();
                CREATE CONSTRAINT TRIGGER test_refuse_status AFTER INSERT OR UPDATE ON diner_status
                    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION test_refuse();
                CREATE CONSTRAINT TRIGGER test_refuse_token AFTER INSERT OR UPDATE ON api_token
                    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION test_refuse();
                """)
        }
    }

    static func refusing<T>(_ services: CanteenServices, _ what: String, _ change: () async throws -> T) async throws {
        try await services.db.pool.withSession { try $0.query("INSERT INTO test_refusal VALUES ($1)", [what]) }
        await #expect(throws: CanteenError.self, "refusing \(what)") { _ = try await change() }
        try await services.db.pool.withSession { try $0.query("DELETE FROM test_refusal") }
    }

    @Test func aChangeAndItsAuditRowAreCommittedTogetherOrNotAtAll() async throws {
        try await TestDatabase.withServices { services in
            try await Fixtures.site(services, "LY-01")
            let diner = try await Fixtures.diner(services, born: "1940-05-05", serial: 1, home: "LY-01").diner.id
            let issued = try await services.tokens.create(TokenService.Draft(name: "kiosk", role: "operator", siteCodes: ["LY-01"]), by: .testAdmin)
            try await Self.installRefusals(services)
            let start = try await Self.lastAuditID(services)
            var patch = DinerPatch()
            patch.phone = .set("0635-1234567")
            let draft = TokenService.Draft(name: "second", role: "bureau", siteCodes: nil)
            func phone() async throws -> String? { try await services.diners.get(diner, by: .testAdmin).diner.phone }
            func statuses() async throws -> Int { try await Self.count(services, "SELECT count(*)::int FROM diner_status WHERE diner_id = $1", [diner]) }
            func tokens() async throws -> Int { try await Self.count(services, "SELECT count(*)::int FROM api_token") }
            func revoked() async throws -> Int { try await Self.count(services, "SELECT count(*)::int FROM api_token WHERE revoked_at IS NOT NULL") }

            // The audit row cannot be written: the change is not kept.
            try await Self.refusing(services, "audit_log:diner.update") { try await services.diners.update(diner, patch, by: .testAdmin) }
            #expect(try await phone() == nil)
            try await Self.refusing(services, "audit_log:diner.status") {
                try await services.diners.setStatus(diner, status: "suspended", effectiveOn: "2026-12-01", by: .testAdmin)
            }
            #expect(try await statuses() == 0)  // registration writes none: active until the first change
            try await Self.refusing(services, "audit_log:token.create") { try await services.tokens.create(draft, by: .testAdmin) }
            #expect(try await tokens() == 1)
            try await Self.refusing(services, "audit_log:token.revoke") { try await services.tokens.revoke(issued.token.id, by: .testAdmin) }
            #expect(try await revoked() == 0)
            #expect(try await services.tokens.authenticate(issued.secret).name == "kiosk")

            // The change fails as it commits: no audit row of it is left either.
            try await Self.refusing(services, "diner") { try await services.diners.update(diner, patch, by: .testAdmin) }
            #expect(try await phone() == nil)
            try await Self.refusing(services, "diner_status") {
                try await services.diners.setStatus(diner, status: "suspended", effectiveOn: "2026-12-01", by: .testAdmin)
            }
            #expect(try await statuses() == 0)  // registration writes none: active until the first change
            try await Self.refusing(services, "api_token") { try await services.tokens.create(draft, by: .testAdmin) }
            #expect(try await tokens() == 1)
            try await Self.refusing(services, "api_token") { try await services.tokens.revoke(issued.token.id, by: .testAdmin) }
            #expect(try await revoked() == 0)
            #expect(try await Self.auditRows(services, after: start) == [])

            // Nothing refused: the same changes go through, each with its row (the refusals were the only obstacle).
            _ = try await services.diners.update(diner, patch, by: .testAdmin)
            _ = try await services.diners.setStatus(diner, status: "suspended", effectiveOn: "2026-12-01", by: .testAdmin)
            _ = try await services.tokens.create(draft, by: .testAdmin)
            try await services.tokens.revoke(issued.token.id, by: .testAdmin)
            let actions = try await Self.auditRows(services, after: start).map { $0.split(separator: " ")[1] }
            #expect(actions == ["diner.update", "diner.status", "token.create", "token.revoke"])
        }
    }
}
