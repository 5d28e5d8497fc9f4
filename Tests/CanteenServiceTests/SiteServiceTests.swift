import CanteenDomain
import CanteenService
import Postgres
import Testing
import TestSupport

@Suite("Site service")
struct SiteServiceTests {
    static func draft(_ code: String, street: String = "柳园街道", opensOn: String = "2022-09-01", closesOn: String? = nil) -> SiteDraft {
        SiteDraft(code: code, name: "\(code)幸福食堂", kind: "enterprise", street: street, opensOn: opensOn,
                  closesOn: closesOn, slots: ["lunch"], defaultPriceFen: 1000)
    }

    static func count(_ services: CanteenServices, _ sql: String) async throws -> Int {
        try await services.db.session { try $0.query(sql).first!.decode(0, as: Int.self) }
    }

    @Test func createsReadsAndAuditsASite() async throws {
        try await TestDatabase.withServices { services in
            let created = try await services.sites.create(Self.draft("LY-01"), by: .testAdmin)
            #expect(created.status == .operating)
            let read = try await services.sites.get("LY-01", by: .testAdmin)
            #expect(read == created)
            let audit = try await services.db.session { session in
                try session.query("SELECT actor, action, entity, entity_id, detail->>'name' FROM audit_log").rows.map {
                    [try $0.decode(0, as: String.self), try $0.decode(1), try $0.decode(2), try $0.decode(3), try $0.decode(4)]
                }
            }
            #expect(audit == [["test-admin", "site.create", "site", "LY-01", "LY-01幸福食堂"]])
        }
    }

    @Test func aDuplicateCodeIsRefusedAndWritesNothing() async throws {
        try await TestDatabase.withServices { services in
            _ = try await services.sites.create(Self.draft("LY-01"), by: .testAdmin)
            await #expect(throws: CanteenError(.duplicateSiteCode, "a site with code LY-01 already exists")) {
                try await services.sites.create(Self.draft("LY-01"), by: .testAdmin)
            }
            do { let actual = try await Self.count(services, "SELECT count(*) FROM site"); #expect(actual == 1) }
            do { let actual = try await Self.count(services, "SELECT count(*) FROM audit_log"); #expect(actual == 1) }
        }
    }

    @Test func concurrentCreatesOfOneCodeYieldOneSite() async throws {
        try await TestDatabase.withServices { services in
            let outcomes = await withTaskGroup(of: CanteenError.Code?.self) { group in
                for _ in 0..<20 {
                    group.addTask {
                        do { _ = try await services.sites.create(Self.draft("LY-RACE"), by: .testAdmin); return nil }
                        catch let error as CanteenError { return error.code }
                        catch { return .unavailable }
                    }
                }
                var all: [CanteenError.Code?] = []
                for await outcome in group { all.append(outcome) }
                return all
            }
            #expect(outcomes.filter { $0 == nil }.count == 1)
            #expect(outcomes.filter { $0 == .duplicateSiteCode }.count == 19)
        }
    }

    @Test func invalidInputIsValidationFailedAndWritesNothing() async throws {
        try await TestDatabase.withServices { services in
            var bad = Self.draft("LY-01")
            bad.kind = "restaurant"
            let error = await #expect(throws: CanteenError.self) { try await services.sites.create(bad, by: .testAdmin) }
            #expect(error?.code == .validationFailed)
            do { let actual = try await Self.count(services, "SELECT count(*) FROM site"); #expect(actual == 0) }
            do { let actual = try await Self.count(services, "SELECT count(*) FROM audit_log"); #expect(actual == 0) }
        }
    }

    @Test func listsFilterByStreetAndStatusAndPage() async throws {
        try await TestDatabase.withServices(today: LocalDate(iso: "2026-11-22")!) { services in
            _ = try await services.sites.create(Self.draft("A-OPEN"), by: .testAdmin)
            _ = try await services.sites.create(Self.draft("B-SOON", opensOn: "2026-11-23"), by: .testAdmin)
            _ = try await services.sites.create(Self.draft("C-CLOSED", closesOn: "2026-11-22"), by: .testAdmin)
            _ = try await services.sites.create(Self.draft("D-VILLAGE", street: "李营街道"), by: .testAdmin)
            let all = try await services.sites.list(by: .testBureau)
            #expect(all.items.map(\.site.code) == ["A-OPEN", "B-SOON", "C-CLOSED", "D-VILLAGE"])
            #expect(all.items.map(\.status) == [.operating, .preparing, .closed, .operating])
            #expect(all.nextCursor == nil)
            let operating = try await services.sites.list(.init(status: .operating), by: .testAdmin)
            #expect(operating.items.map(\.site.code) == ["A-OPEN", "D-VILLAGE"])
            let liying = try await services.sites.list(.init(street: "李营街道"), by: .testAdmin)
            #expect(liying.items.map(\.site.code) == ["D-VILLAGE"])
            let first = try await services.sites.list(page: try PageRequest(limit: 3), by: .testAdmin)
            #expect(first.items.count == 3)
            let cursor = try #require(first.nextCursor)
            let second = try await services.sites.list(page: try PageRequest(limit: 3, cursor: cursor), by: .testAdmin)
            #expect(second.items.map(\.site.code) == ["D-VILLAGE"])
            #expect(second.nextCursor == nil)
            #expect(throws: CanteenError.self) { try PageRequest(limit: 501) }
            #expect(throws: CanteenError.self) { try PageRequest(limit: 0) }
            #expect(throws: CanteenError.self) { try PageRequest(cursor: "garbage!") }
        }
    }

    @Test func operatorsSeeAndTouchOnlyTheirSites() async throws {
        try await TestDatabase.withServices { services in
            _ = try await services.sites.create(Self.draft("MINE"), by: .testAdmin)
            _ = try await services.sites.create(Self.draft("THEIRS"), by: .testAdmin)
            let op = Principal.testOperator("MINE")
            do { let actual = try await services.sites.list(by: op).items.map(\.site.code); #expect(actual == ["MINE"]) }
            _ = try await services.sites.get("MINE", by: op)
            await #expect(throws: CanteenError(.forbidden, "this token may not act for site THEIRS")) {
                try await services.sites.get("THEIRS", by: op)
            }
            await #expect(throws: CanteenError.self) { try await services.sites.create(Self.draft("NEW"), by: op) }
            await #expect(throws: CanteenError.self) { try await services.sites.close("MINE", on: LocalDate(iso: "2030-01-01")!, by: op) }
        }
    }

    @Test func updatesAndClosingAreAuditedWithTheChangedFields() async throws {
        try await TestDatabase.withServices(today: LocalDate(iso: "2026-11-22")!) { services in
            _ = try await services.sites.create(Self.draft("LY-01"), by: .testAdmin)
            let closed = try await services.sites.close("LY-01", on: LocalDate(iso: "2026-11-20")!, by: .testBureau)
            #expect(closed.status == .closed)
            #expect(closed.site.closesOn == LocalDate(iso: "2026-11-20"))
            let detail = try await services.db.session { session in
                try session.query("SELECT actor, detail::text FROM audit_log WHERE action = 'site.update'").rows.map {
                    (try $0.decode(0, as: String.self), try $0.decode(1, as: String.self))
                }
            }
            #expect(detail.count == 1)
            #expect(detail.first?.0 == "test-bureau")
            #expect(detail.first?.1 == #"{"closes_on": {"to": "2026-11-20", "from": null}}"#)
            await #expect(throws: CanteenError.notFound("site NOPE")) {
                try await services.sites.get("NOPE", by: .testAdmin)
            }
            var bad = SitePatch()
            bad.closesOn = .set("2020-01-01")
            let refused = await #expect(throws: CanteenError.self) { try await services.sites.update("LY-01", bad, by: .testAdmin) }
            #expect(refused?.code == .validationFailed)
        }
    }

    @Test func auditRowsCannotBeChangedOrDeleted() async throws {
        try await TestDatabase.withServices { services in
            _ = try await services.sites.create(Self.draft("LY-01"), by: .testAdmin)
            await #expect(throws: PostgresError.self) {
                try await services.db.pool.withSession { try $0.execute("UPDATE audit_log SET actor = 'someone else'") }
            }
            await #expect(throws: PostgresError.self) {
                try await services.db.pool.withSession { try $0.execute("DELETE FROM audit_log") }
            }
            await #expect(throws: PostgresError.self) {
                try await services.db.pool.withSession { try $0.execute("TRUNCATE audit_log") }
            }
        }
    }
}
