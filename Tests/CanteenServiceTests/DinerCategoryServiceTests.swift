import CanteenDomain
import CanteenService
import Foundation
import Postgres
import Testing
import TestSupport

/// SPEC §2.12 against the real database: admin and bureau add and end periods, operators read
/// them, every change is audited, and the database refuses what concurrency could slip past.
@Suite("Diner categories in the database")
struct DinerCategoryServiceTests {
    @Test func periodsAreAddedEndedReadAndAudited() async throws {
        try await TestDatabase.withServices { services in
            try await Fixtures.site(services, "LY-01")
            let id = try await Fixtures.diner(services, born: "1941-05-05", serial: 1, card: "C-1", home: "LY-01").diner.id
            var view = try await services.diners.addCategory(id, CategoryPeriodDraft(category: "dibao", effectiveOn: "2026-01-01"), by: .testBureau)
            view = try await services.diners.addCategory(
                id, CategoryPeriodDraft(category: "disabled", effectiveOn: "2025-06-01", endsOn: "2026-01-01"), by: .testAdmin)
            // Oldest first.
            #expect(view.diner.categories.map(\.category) == [.disabled, .dibao])
            let dibao = try #require(view.diner.categories.last)
            view = try await services.diners.endCategory(id, period: dibao.id, endsOn: "2026-11-01", by: .testBureau)
            #expect(view.diner.categories.last?.endsOn == LocalDate(iso: "2026-11-01"))
            // An operator of the diner's site reads them; the look-up says what is held today.
            let read = try await services.diners.get(id, by: .testOperator("LY-01"))
            #expect(read.diner.categories.count == 2)
            _ = try await services.diners.addCategory(id, CategoryPeriodDraft(category: "youfu", effectiveOn: "2026-11-22"), by: .testAdmin)
            _ = try await services.diners.addCategory(id, CategoryPeriodDraft(category: "tekun", effectiveOn: "2026-01-01"), by: .testAdmin)
            let lookup = try await services.diners.lookup(residentID: nil, cardNo: "C-1", by: .testOperator("LY-01"))
            #expect(lookup.diner.diner.categories.held(on: lookup.today.date) == [.tekun, .youfu])
            // Every change is in the audit log, under the diner.
            let actions = try await services.audit.list(entity: "diner", entityID: String(id), by: .testAdmin).items.map(\.action)
            // Oldest first, as the log lists them.
            #expect(actions.filter { $0.hasPrefix("diner.category.") }
                    == ["diner.category.add", "diner.category.add", "diner.category.end", "diner.category.add", "diner.category.add"])
        }
    }

    @Test func onlyAdminAndBureauWriteAndEachRuleHasItsCode() async throws {
        try await TestDatabase.withServices { services in
            try await Fixtures.site(services, "LY-01")
            let id = try await Fixtures.diner(services, born: "1941-05-05", serial: 1, home: "LY-01").diner.id
            func code(_ body: () async throws -> DinerView) async -> CanteenError.Code? {
                do { _ = try await body(); return nil } catch let error as CanteenError { return error.code } catch { return nil }
            }
            #expect(await code { try await services.diners.addCategory(id, CategoryPeriodDraft(category: "dibao", effectiveOn: "2026-01-01"),
                                                                       by: .testOperator("LY-01")) } == .forbidden)
            let period = try await services.diners.addCategory(id, CategoryPeriodDraft(category: "dibao", effectiveOn: "2026-01-01"), by: .testAdmin)
                .diner.categories[0].id
            #expect(await code { try await services.diners.addCategory(id, CategoryPeriodDraft(category: "dibao", effectiveOn: "2026-05-01"),
                                                                       by: .testAdmin) } == .validationFailed)
            #expect(await code { try await services.diners.endCategory(id, period: period, endsOn: "2026-11-01", by: .testOperator("LY-01")) }
                    == .forbidden)
            #expect(await code { try await services.diners.endCategory(id, period: period, endsOn: "2025-12-31", by: .testAdmin) } == .validationFailed)
            _ = try await services.diners.endCategory(id, period: period, endsOn: "2026-11-01", by: .testAdmin)
            #expect(await code { try await services.diners.endCategory(id, period: period, endsOn: "2026-12-01", by: .testAdmin) } == .invalidState)
            #expect(await code { try await services.diners.endCategory(id, period: period + 99, endsOn: "2026-12-01", by: .testAdmin) } == .notFound)
            #expect(await code { try await services.diners.addCategory(id + 99, CategoryPeriodDraft(category: "dibao", effectiveOn: "2026-01-01"),
                                                                       by: .testAdmin) } == .notFound)
        }
    }

    /// What code checks first, the database guarantees: no overlap of one category, an end set
    /// once, a period never deleted — even for SQL that bypasses the service.
    @Test func theDatabaseRefusesOverlapsASecondEndAndDeletes() async throws {
        try await TestDatabase.withServices { services in
            let id = try await Fixtures.diner(services, born: "1941-05-05", serial: 1).diner.id
            let period = try await services.diners.addCategory(id, CategoryPeriodDraft(category: "dibao", effectiveOn: "2026-01-01"), by: .testAdmin)
                .diner.categories[0].id
            func sqlState(_ sql: String, _ parameters: [any PostgresEncodable]) async -> SQLState? {
                do {
                    try await services.db.pool.withSession { session in _ = try session.query(sql, parameters) }
                    return nil
                } catch let error as PostgresError {
                    return error.sqlState
                } catch {
                    return nil
                }
            }
            let insert = "INSERT INTO diner_category (diner_id, category, effective_on, ends_on, recorded_by) VALUES ($1, $2, $3::date, $4::date, 'sql')"
            #expect(await sqlState(insert, [id, "dibao", "2026-06-01", nil as String?]) == .exclusionViolation)
            #expect(await sqlState(insert, [id, "dibao", "2025-01-01", "2026-01-02"]) == .exclusionViolation)
            #expect(await sqlState(insert, [id, "dibao", "2025-01-01", "2026-01-01"]) == nil)
            #expect(await sqlState(insert, [id, "tekun", "2026-06-01", "2026-06-01"]) == .checkViolation)
            #expect(await sqlState("UPDATE diner_category SET ends_on = '2026-03-01' WHERE id = $1", [period]) == nil)
            #expect(await sqlState("UPDATE diner_category SET ends_on = '2026-04-01' WHERE id = $1", [period]) == .checkViolation)
            #expect(await sqlState("UPDATE diner_category SET category = 'tekun' WHERE id = $1", [period]) == .checkViolation)
            #expect(await sqlState("DELETE FROM diner_category WHERE id = $1", [period]) != nil)
        }
    }
}
