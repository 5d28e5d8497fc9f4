import CanteenDomain
import CanteenService
import Foundation
import Postgres
import Testing
import TestSupport

@Suite("Monthly claims and reports")
struct ClaimServiceTests {
    static func code(_ body: () async throws -> Void) async -> CanteenError.Code? {
        do { try await body(); return nil } catch let error as CanteenError { return error.code } catch { return .unavailable }
    }

    /// October 2026 at LY-01: a diner turning 80 on the 15th eats lunch every day; another (72) eats on ten days;
    /// a 65-year-old eats too (no subsidy). Returns their ids.
    static func october(_ services: CanteenServices) async throws -> (turning: Int, seventy: Int, young: Int) {
        try await Fixtures.site(services, "LY-01", slots: ["lunch", "dinner"])
        try await Fixtures.site(services, "LY-02")
        let turning = try await Fixtures.diner(services, born: "1946-10-15", serial: 1, name: "王某某").diner.id
        let seventy = try await Fixtures.diner(services, born: "1954-01-20", serial: 2, name: "李某某").diner.id
        let young = try await Fixtures.diner(services, born: "1961-06-01", serial: 3, name: "赵某某").diner.id
        var csv = "resident_id,served_on,slot,price_fen\n"
        let ids = try await [turning, seventy, young].asyncMap { try await services.diners.get($0, by: .testAdmin).diner.residentID }
        for day in 1...31 {
            let date = String(format: "2026-10-%02d", day)
            csv += "\(ids[0]),\(date),lunch,1000\n"
            if day <= 10 { csv += "\(ids[1]),\(date),dinner,300\n" }
            if day % 3 == 0 { csv += "\(ids[2]),\(date),lunch,1000\n" }
        }
        let report = try await services.importer.importCSV(Data(csv.utf8), siteCode: "LY-01", by: .testAdmin)
        #expect(report.created == 31 + 10 + 10)
        // Meals elsewhere and in other months never count.
        _ = try await services.meals.log(Fixtures.meal(site: "LY-02", diner: seventy, slot: "lunch", on: "2026-10-05"), by: .testAdmin)
        _ = try await services.meals.log(Fixtures.meal(site: "LY-01", diner: seventy, slot: "lunch", on: "2026-11-05"), by: .testAdmin)
        return (turning, seventy, young)
    }

    /// The expected sums, computed independently from the meals table.
    static func independentTotals(_ services: CanteenServices, site: String, month: String) async throws -> (meals: Int, subsidy: Int) {
        try await services.db.session { session in
            let row = try session.query("""
                SELECT count(*), coalesce(sum(subsidy_fen), 0) FROM meal
                WHERE site_code = $1 AND to_char(served_on, 'YYYY-MM') = $2 AND status = 'valid' AND subsidy_fen > 0
                """, [site, month]).first!
            return (try row.decode(0), try row.decode(1))
        }
    }

    @Test func aDraftSumsTheMonthWithOneLinePerBracketAndRefreshes() async throws {
        try await TestDatabase.withServices { services in
            let d = try await Self.october(services)
            let built = try await services.claims.build(siteCode: "LY-01", month: "2026-10", by: .testOperator("LY-01"))
            #expect(built.created)
            let claim = built.claim
            let expected = try await Self.independentTotals(services, site: "LY-01", month: "2026-10")
            #expect(claim.status == .draft)
            #expect(claim.meals == expected.meals)
            #expect(claim.subsidyFen == expected.subsidy)
            #expect(claim.meals == 41)
            #expect(claim.subsidyFen == 14 * 200 + 17 * 400 + 10 * 200)
            #expect(claim.diners == 2)
            #expect(claim.totalFen == claim.subsidyFen)
            #expect(claim.brackets == [ClaimBracket(bracket: "70-79", meals: 24, diners: 2, subsidyFen: 24 * 200),
                                       ClaimBracket(bracket: "80+", meals: 17, diners: 1, subsidyFen: 17 * 400)])
            let turningLines = claim.lines.filter { $0.dinerID == d.turning }
            #expect(turningLines.map(\.bracket) == ["70-79", "80+"])
            #expect(turningLines.map(\.meals) == [14, 17])
            #expect(claim.lines.allSatisfy { $0.residentIDMasked.contains("********") })
            #expect(!claim.lines.contains { $0.dinerID == d.young })

            _ = try await services.meals.log(Fixtures.meal(site: "LY-01", diner: d.seventy, slot: "lunch", on: "2026-10-20"), by: .testAdmin)
            let refreshed = try await services.claims.build(siteCode: "LY-01", month: "2026-10", by: .testAdmin)
            #expect(!refreshed.created)
            #expect(refreshed.claim.id == claim.id)
            #expect(refreshed.claim.meals == 42)
            let listed = try await services.claims.list(.init(month: YearMonth(iso: "2026-10")), by: .testBureau)
            #expect(listed.items.map(\.claim.id) == [claim.id])
        }
    }

    @Test func submittingFreezesTheNumbersAndClosesTheMonth() async throws {
        try await TestDatabase.withServices { services in
            let d = try await Self.october(services)
            let draft = try await services.claims.build(siteCode: "LY-01", month: "2026-10", by: .testAdmin).claim
            let submitted = try await services.claims.transition(draft.id, .submit, by: .testOperator("LY-01"))
            #expect(submitted.status == .submitted)
            #expect(submitted.submittedAt != nil)
            let frozenTotal = submitted.totalFen

            let late = await Self.code { _ = try await services.meals.log(Fixtures.meal(site: "LY-01", diner: d.seventy, on: "2026-10-21"), by: .testAdmin) }
            #expect(late == .periodClosed)
            let rebuild = await Self.code { _ = try await services.claims.build(siteCode: "LY-01", month: "2026-10", by: .testAdmin) }
            #expect(rebuild == .periodClosed)
            // Even behind the service's back, the frozen lines cannot be changed.
            await #expect(throws: PostgresError.self) {
                try await services.db.pool.withSession { try $0.execute("DELETE FROM claim_line WHERE claim_id = $1", [draft.id]) }
            }
            await #expect(throws: PostgresError.self) {
                try await services.db.pool.withSession { try $0.execute("UPDATE claim_line SET subsidy_fen = 0 WHERE claim_id = $1", [draft.id]) }
            }
            // Later changes to diners and policies never alter it.
            _ = try await services.diners.setStatus(d.turning, status: "deceased", effectiveOn: "2026-10-01", by: .testAdmin)
            _ = try await services.policies.add(PolicyService.Draft(effectiveFrom: "2026-01-01",
                tiers: [SubsidyTier(label: "60+", minAge: 60, maxAge: nil, subsidyFen: 900)], maxSubsidizedMealsPerDay: nil), by: .testAdmin)
            #expect(try await services.claims.get(draft.id, by: .testAdmin) == submitted)

            // A void in the closed month becomes an adjustment carried by the next claim built.
            let meals = try await services.meals.list(.init(siteCode: "LY-01", dinerID: d.turning, from: LocalDate(iso: "2026-10-20"), to: LocalDate(iso: "2026-10-20")), by: .testAdmin)
            let voided = try await services.meals.void(meals.items[0].id, reason: "老人住院，误刷", by: .testAdmin)
            #expect(try await services.claims.get(draft.id, by: .testAdmin).totalFen == frozenTotal)
            let november = try await services.claims.build(siteCode: "LY-01", month: "2026-11", by: .testAdmin).claim
            #expect(november.adjustments == [ClaimAdjustment(mealID: voided.id, dinerID: d.turning, servedOn: LocalDate(iso: "2026-10-20")!,
                                                             subsidyFen: -400, funding: [FundingShare(.city, -400)], reason: "老人住院，误刷")])
            #expect(november.adjustmentFen == -400)
            #expect(november.funders == [FundingShare(.city, november.subsidyFen - 400)])
            #expect(november.totalFen == november.subsidyFen - 400)
            // Submitting November before it has ended is refused.
            let early = await Self.code { _ = try await services.claims.transition(november.id, .submit, by: .testAdmin) }
            #expect(early == .invalidState)
        }
    }

    @Test func theLifecycleAllowsOnlyItsTransitions() async throws {
        try await TestDatabase.withServices { services in
            _ = try await Self.october(services)
            let id = try await services.claims.build(siteCode: "LY-01", month: "2026-10", by: .testAdmin).claim.id
            #expect(await Self.code { _ = try await services.claims.transition(id, .approve, by: .testBureau) } == .invalidState)
            #expect(await Self.code { _ = try await services.claims.transition(id, .pay, by: .testBureau) } == .invalidState)
            #expect(await Self.code { _ = try await services.claims.transition(id, .submit, by: .testBureau) } == .forbidden)
            #expect(await Self.code { _ = try await services.claims.transition(id, .submit, by: .testOperator("LY-02")) } == .forbidden)
            _ = try await services.claims.transition(id, .submit, by: .testAdmin)
            #expect(await Self.code { _ = try await services.claims.transition(id, .approve, by: .testOperator("LY-01")) } == .forbidden)
            #expect(await Self.code { _ = try await services.claims.transition(id, .reject, by: .testBureau) } == .validationFailed)
            let rejected = try await services.claims.transition(id, .reject, reason: "明细与台账不符", by: .testBureau)
            #expect(rejected.status == .rejected)
            #expect(rejected.rejectReason == "明细与台账不符")
            #expect(await Self.code { _ = try await services.claims.transition(id, .submit, by: .testAdmin) } == .invalidState)
            // The month opened again: rebuild to draft, submit, approve, pay.
            let rebuilt = try await services.claims.build(siteCode: "LY-01", month: "2026-10", by: .testAdmin)
            #expect(rebuilt.claim.id == id)
            #expect(rebuilt.claim.status == .draft)
            #expect(rebuilt.claim.rejectReason == nil && rebuilt.claim.rejectedAt == nil)
            // The rejection is kept in the claim's history through the rebuild.
            #expect(rebuilt.claim.events.map(\.action) == [.build, .submit, .reject, .rebuild])
            #expect(rebuilt.claim.events.first { $0.action == .reject }.map { ($0.reason, $0.actor) } ?? (nil, "")
                    == ("明细与台账不符", "test-bureau"))
            _ = try await services.claims.transition(id, .submit, by: .testAdmin)
            let approved = try await services.claims.transition(id, .approve, ClaimService.Note(comment: "同意拨付"), by: .testBureau)
            #expect(approved.approvalComment == "同意拨付" && approved.events.last?.comment == "同意拨付")
            #expect(await Self.code { _ = try await services.claims.transition(id, .reject, reason: "x", by: .testBureau) } == .invalidState)
            #expect(await Self.code { _ = try await services.claims.transition(id, .pay, ClaimService.Note(paidOn: "2026-11-23"), by: .testBureau) }
                    == .validationFailed)  // tomorrow
            #expect(await Self.code { _ = try await services.claims.transition(id, .pay, ClaimService.Note(paidOn: "11/20"), by: .testBureau) }
                    == .validationFailed)
            #expect(await Self.code { _ = try await services.claims.transition(id, .pay, ClaimService.Note(reference: String(repeating: "9", count: 65)),
                                                                               by: .testBureau) } == .validationFailed)
            let paid = try await services.claims.transition(id, .pay, ClaimService.Note(reference: "PZ-2026-118", paidOn: "2026-11-20"), by: .testBureau)
            #expect(paid.status == .paid)
            #expect(paid.paidAt != nil)
            #expect(paid.paymentReference == "PZ-2026-118" && paid.paidOn?.description == "2026-11-20")
            #expect(paid.events.map(\.action) == [.build, .submit, .reject, .rebuild, .submit, .approve, .pay])
            #expect(paid.events.last.map { ($0.reference, $0.paidOn?.description) } ?? (nil, nil) == ("PZ-2026-118", "2026-11-20"))
            // Without a date, a payment is today's.
            let other = try await services.claims.build(siteCode: "LY-02", month: "2026-10", by: .testAdmin).claim.id
            _ = try await services.claims.transition(other, .submit, by: .testAdmin)
            _ = try await services.claims.transition(other, .approve, by: .testBureau)
            let today = try await services.claims.transition(other, .pay, by: .testBureau)
            #expect(today.paidOn?.description == "2026-11-22" && today.paymentReference == nil && today.approvalComment == nil)
            #expect(await Self.code { _ = try await services.claims.transition(id, .pay, by: .testBureau) } == .invalidState)
            let actions = try await services.db.session { session in
                try session.query("SELECT action FROM audit_log WHERE entity = 'claim' ORDER BY id").rows.map { try $0.decode(0, as: String.self) }
            }
            #expect(actions == ["claim.build", "claim.submit", "claim.reject", "claim.rebuild", "claim.submit", "claim.approve", "claim.pay",
                                "claim.build", "claim.submit", "claim.approve", "claim.pay"])
        }
    }

    @Test func rejectingAMonthWhoseVoidWasAlreadyAdjustedElsewhereNeverDeductsTwice() async throws {
        try await TestDatabase.withServices(today: LocalDate(year: 2026, month: 12, day: 10)!) { services in
            let d = try await Self.october(services)
            let october = try await services.claims.build(siteCode: "LY-01", month: "2026-10", by: .testAdmin).claim
            _ = try await services.claims.transition(october.id, .submit, by: .testAdmin)
            let meal = try await services.meals.list(.init(siteCode: "LY-01", dinerID: d.turning, from: LocalDate(iso: "2026-10-25"), to: LocalDate(iso: "2026-10-25")), by: .testAdmin).items[0]
            _ = try await services.meals.void(meal.id, reason: "误刷", by: .testAdmin)
            // September is earlier than the void's meal: it never carries the deduction (SPEC §2.8).
            let september = try await services.claims.build(siteCode: "LY-01", month: "2026-09", by: .testAdmin).claim
            #expect(september.adjustmentFen == 0)
            // November is the next month submitted, and carries it.
            _ = try await services.claims.build(siteCode: "LY-01", month: "2026-11", by: .testAdmin)
            let novemberID = try await services.claims.build(siteCode: "LY-01", month: "2026-11", by: .testAdmin).claim.id
            let november = try await services.claims.transition(novemberID, .submit, by: .testAdmin)
            #expect(november.adjustmentFen == -400)
            // October is rejected and rebuilt: the voided meal stays in it, because November already deducted it.
            _ = try await services.claims.transition(october.id, .reject, reason: "重新核对", by: .testBureau)
            let rebuilt = try await services.claims.build(siteCode: "LY-01", month: "2026-10", by: .testAdmin).claim
            #expect(rebuilt.subsidyFen == october.subsidyFen)
            #expect(rebuilt.totalFen + november.totalFen == october.totalFen - 400 + november.subsidyFen)
        }
    }

    @Test func blockingChecksNeedAnOverrideReason() async throws {
        try await TestDatabase.withServices { services in
            let d = try await Self.october(services)
            // The diner is recorded deceased from 2026-10-25 after the meals were logged.
            _ = try await services.diners.setStatus(d.seventy, status: "deceased", effectiveOn: "2026-10-05", by: .testAdmin)
            let claim = try await services.claims.build(siteCode: "LY-01", month: "2026-10", by: .testAdmin).claim
            let check = try #require(claim.checks.first { $0.code == "meals_while_inactive" })
            #expect(check.severity == .blocking)
            #expect(check.count == 6)
            #expect(await Self.code { _ = try await services.claims.transition(claim.id, .submit, by: .testAdmin) } == .validationFailed)
            let submitted = try await services.claims.transition(claim.id, .submit, reason: "死亡登记延迟，餐次经核实无误", by: .testAdmin)
            #expect(submitted.overrideReason == "死亡登记延迟，餐次经核实无误")
            let html = try ClaimDocument.html(submitted, printedAt: "2026-11-22T12:00:00+08:00")
            #expect(html.contains("死亡登记延迟"))
            #expect(html.contains("老人状态非正常期间的就餐记录"))
        }
    }

    @Test func exportsCarryTheLinesAdjustmentsAndTotals() async throws {
        try await TestDatabase.withServices { services in
            _ = try await Self.october(services)
            let claim = try await services.claims.build(siteCode: "LY-01", month: "2026-10", by: .testAdmin).claim
            let csv = ClaimDocument.csv(claim)
            #expect(csv.hasPrefix("\u{FEFF}食堂编码,食堂名称"))
            let records = CSV.records(csv)
            // The lines, then the operating subsidy, the three funders and the total.
            #expect(records.count == 1 + claim.lines.count + 1 + 3 + 1)
            let header = try #require(records.first?.fields)
            let name = try #require(header.firstIndex(of: "姓名")), amount = try #require(header.firstIndex(of: "补贴金额(元)"))
            #expect(records.suffix(5).map { $0.fields[name] } == ["运营补贴", "市级", "区县级", "街道、乡镇级", "合计"])
            #expect(records.suffix(5).map { $0.fields[amount] } == ["0.00", "116.00", "0.00", "0.00", "116.00"])
            #expect(records[1].fields[try #require(header.firstIndex(of: "补贴档次"))] == "70-79")
            let html = try ClaimDocument.html(claim, printedAt: "2026-11-22T12:00:00+08:00")
            #expect(html.contains("幸福食堂老年人就餐补贴申报表"))
            #expect(html.contains("壹佰壹拾陆元整"))
            #expect(html.contains("¥116.00"))
            #expect(html.contains("王某某"))
            #expect(!html.contains(try await services.diners.get(claim.lines[0].dinerID, by: .testAdmin).diner.residentID))
            #expect(html.contains("LY-01幸福食堂"))
        }
    }

    @Test func theMonthlyReportMatchesTheMealsAcrossSites() async throws {
        try await TestDatabase.withServices { services in
            _ = try await Self.october(services)
            _ = try await services.claims.build(siteCode: "LY-01", month: "2026-10", by: .testAdmin)
            let report = try await services.reports.monthly(month: "2026-10", street: "柳园街道", by: .testBureau)
            #expect(report.sites.map(\.siteCode) == ["LY-01", "LY-02"])
            let ly01 = report.sites[0]
            #expect((ly01.meals, ly01.subsidizedMeals, ly01.diners, ly01.subsidyFen) == (51, 41, 3, 11_600))
            #expect(ly01.claimStatus == .draft)
            #expect(report.sites[1].meals == 1)
            #expect(report.sites[1].claimStatus == nil)
            #expect(report.totals.meals == 52)
            #expect(report.totals.diners == 3)
            #expect(report.totals.subsidyFen == 11_600 + 200)
            #expect(report.brackets.map(\.bracket) == ["70-79", "80+", "none"])
            #expect(report.days.count == 31)
            #expect(await Self.code { _ = try await services.reports.monthly(month: "2026-10", street: nil, by: .testOperator("LY-01")) } == .forbidden)
            #expect(await Self.code { _ = try await services.reports.monthly(month: "10/2026", street: nil, by: .testBureau) } == .invalidRequest)
        }
    }
}

extension Array {
    func asyncMap<T>(_ transform: (Element) async throws -> T) async rethrows -> [T] {
        var out: [T] = []
        for element in self { out.append(try await transform(element)) }
        return out
    }
}

@Suite("Claims under concurrency")
struct ClaimConcurrencyTests {
    @Test func concurrentBuildsOfOneSiteAndMonthMakeOneClaim() async throws {
        try await TestDatabase.withServices { services in
            _ = try await ClaimServiceTests.october(services)
            let ids = try await withThrowingTaskGroup(of: Int.self) { group in
                for _ in 0..<20 {
                    group.addTask { try await services.claims.build(siteCode: "LY-01", month: "2026-10", by: .testAdmin).claim.id }
                }
                var all: [Int] = []
                for try await id in group { all.append(id) }
                return all
            }
            #expect(Set(ids).count == 1)
            let stored = try await services.db.session { try $0.query("SELECT count(*) FROM claim").first!.decode(0, as: Int.self) }
            #expect(stored == 1)
        }
    }

    @Test func mealsLoggedWhileAClaimIsSubmittedAreEitherInItOrRefused() async throws {
        try await TestDatabase.withServices { services in
            let d = try await ClaimServiceTests.october(services)
            let claim = try await services.claims.build(siteCode: "LY-01", month: "2026-10", by: .testAdmin).claim
            let results = try await withThrowingTaskGroup(of: Bool.self) { group in
                group.addTask {
                    _ = try await services.claims.transition(claim.id, .submit, by: .testAdmin)
                    return true
                }
                for day in 11...31 {
                    group.addTask {
                        do {
                            _ = try await services.meals.log(Fixtures.meal(site: "LY-01", diner: d.seventy, slot: "dinner",
                                                                           on: String(format: "2026-10-%02d", day), price: 300), by: .testAdmin)
                            return true
                        } catch let error as CanteenError where error.code == .periodClosed {
                            return false
                        }
                    }
                }
                var all: [Bool] = []
                for try await r in group { all.append(r) }
                return all
            }
            #expect(results.count == 22)
            let frozen = try await services.claims.get(claim.id, by: .testAdmin)
            let expected = try await ClaimServiceTests.independentTotals(services, site: "LY-01", month: "2026-10")
            // Every meal that got in is in the frozen claim; none slipped in after.
            #expect(frozen.meals == expected.meals)
            #expect(frozen.subsidyFen == expected.subsidy)
            let unclaimed = try await services.db.session { session in
                try session.query("""
                    SELECT count(*) FROM meal WHERE site_code = 'LY-01' AND served_on BETWEEN '2026-10-01' AND '2026-10-31'
                      AND status = 'valid' AND subsidy_fen > 0 AND claim_id IS NULL
                    """).first!.decode(0, as: Int.self)
            }
            #expect(unclaimed == 0)
        }
    }
}

extension ClaimServiceTests {
    /// Every pre-claim check from the one pass over the month's meals, with figures worked out by hand.
    @Test func everyPreClaimCheckCountsWhatItShould() async throws {
        try await TestDatabase.withServices { services in
            try await Fixtures.site(services, "LY-01")
            var diners: [Int] = []
            for serial in 1...16 {
                diners.append(try await Fixtures.diner(services, born: "1940-01-01", serial: serial).diner.id)
            }
            let (a, b) = (diners[0], diners[1])
            for day in 1...6 {
                let date = "2026-10-0\(day)"
                for slot in ["breakfast", "lunch", "dinner"] {
                    _ = try await services.meals.log(Fixtures.meal(site: "LY-01", diner: a, slot: slot, on: date), by: .testAdmin)
                }
                _ = try await services.meals.log(Fixtures.meal(site: "LY-01", diner: b, on: date), by: .testAdmin)
            }
            for diner in diners[2...] {
                _ = try await services.meals.log(Fixtures.meal(site: "LY-01", diner: diner, on: "2026-10-07"), by: .testAdmin)
            }
            // A void meal counts nowhere.
            let extra = try await services.meals.log(Fixtures.meal(site: "LY-01", diner: b, slot: "dinner", on: "2026-10-02"), by: .testAdmin)
            _ = try await services.meals.void(extra.meal.id, reason: "误刷", by: .testAdmin)
            // Afterwards the site turns out to serve only lunch and to have closed on 8 October.
            try await services.db.transaction { session in
                try session.query("UPDATE site SET slots = '{lunch}', closes_on = '2026-10-08' WHERE code = 'LY-01'")
            }
            let claim = try await services.claims.build(siteCode: "LY-01", month: "2026-10", by: .testAdmin).claim
            let checks = Dictionary(uniqueKeysWithValues: claim.checks.map { ($0.code, $0) })
            // A's breakfasts and dinners of 1–6 October.
            #expect(checks["meals_outside_service"]?.count == 12)
            #expect(checks["meals_outside_service"]?.severity == .blocking)
            // A: 18 meals, more than 1 slot × 7 open days; B: 6, not more.
            #expect(checks["more_meals_than_slots"]?.count == 1)
            // Days 1–6: 4 meals each, 7 October: 14 — over 3 × the median of 4.
            #expect(checks["unusually_busy_day"]?.count == 1)
            #expect(checks["unusually_busy_day"]?.detail.contains("2026-10-07 (14)") == true)
            #expect(checks["unusually_busy_day"]?.severity == .warning)
            // Logged on 22 November: every valid meal is a late entry.
            #expect(checks["late_entries"]?.count == 38)
            // Registered on 22 November (the service's clock), eating in October.
            #expect(checks["meals_before_registration"]?.count == 38)
            #expect(checks["meals_before_registration"]?.severity == .warning)
            #expect(checks["meals_while_inactive"] == nil)
            #expect(claim.meals == 38)
            #expect(claim.diners == 16)
            #expect(claim.subsidyFen == 38 * 400)
            #expect(claim.lines.count == 16)
            #expect(claim.lines.first { $0.dinerID == a }?.meals == 18)
        }
    }
}
