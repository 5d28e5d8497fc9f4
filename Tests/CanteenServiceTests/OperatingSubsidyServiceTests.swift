import CanteenDomain
import CanteenService
import Foundation
import Postgres
import Testing
import TestSupport

/// SPEC §2.9, §2.10, §2.13, §2.14 against the database: a month's claim under a policy with a
/// category tier, funders and an operating subsidy; voids after the month was claimed; the report.
@Suite("Claims with categories, funders and the operating subsidy")
struct OperatingSubsidyServiceTests {
    /// From October 2026: 70–79 2 yuan (the city's), 80+ 4 yuan (city 2, district 1, street 1),
    /// 低保/特困 from 60: 13 yuan (city 7, district 4, street 2); 3 yuan a diner-day to the canteen.
    static let policy = PolicyService.Draft(
        effectiveFrom: "2026-10-01",
        tiers: [
            SubsidyTier(label: "70-79", minAge: 70, maxAge: 79, subsidyFen: 200),
            SubsidyTier(label: "80+", minAge: 80, maxAge: nil, subsidyFen: 400,
                        funders: [FundingShare(.city, 200), FundingShare(.district, 100), FundingShare(.street, 100)]),
            SubsidyTier(label: "低保特困", minAge: 60, maxAge: nil, subsidyFen: 1300, categories: [.dibao, .tekun],
                        funders: [FundingShare(.city, 700), FundingShare(.district, 400), FundingShare(.street, 200)]),
        ],
        maxSubsidizedMealsPerDay: nil, operatingFenPerDinerDay: 300)

    struct October {
        let dibao: Int, seventy: Int, eighty: Int
        /// Meal ids by diner and "MM-DD slot".
        let meals: [String: Int]
    }

    /// An 85-year-old 低保 diner eats lunch and dinner on 1 and 2 October (13 yuan capped at the
    /// price of 10); a 72-year-old lunch on the 1st at 1.50; an 81-year-old lunch and dinner on
    /// the 1st at 2.50 (4 yuan cut from the street backwards).
    static func october(_ services: CanteenServices) async throws -> October {
        try await Fixtures.site(services, "LY-01", slots: ["lunch", "dinner"])
        _ = try await services.policies.add(policy, by: .testBureau)
        let dibao = try await Fixtures.diner(services, born: "1941-03-01", serial: 1, name: "王某某").diner.id
        _ = try await services.diners.addCategory(dibao, CategoryPeriodDraft(category: "dibao", effectiveOn: "2026-01-01"), by: .testBureau)
        let seventy = try await Fixtures.diner(services, born: "1954-01-20", serial: 2, name: "李某某").diner.id
        let eighty = try await Fixtures.diner(services, born: "1945-05-05", serial: 3, name: "赵某某").diner.id
        var meals: [String: Int] = [:]
        func log(_ diner: Int, _ day: String, _ slot: String, _ price: Int) async throws {
            let result = try await services.meals.log(Fixtures.meal(site: "LY-01", diner: diner, slot: slot, on: "2026-10-\(day)", price: price),
                                                      by: .testOperator("LY-01"))
            meals["\(diner) \(day) \(slot)"] = result.meal.id
        }
        for day in ["01", "02"] {
            try await log(dibao, day, "lunch", 1000)
            try await log(dibao, day, "dinner", 1000)
        }
        try await log(seventy, "01", "lunch", 150)
        try await log(eighty, "01", "lunch", 250)
        try await log(eighty, "01", "dinner", 250)
        return October(dibao: dibao, seventy: seventy, eighty: eighty, meals: meals)
    }

    @Test func aClaimCountsDinerDaysOnceAndSaysWhatEachFunderPays() async throws {
        try await TestDatabase.withServices { services in
            let o = try await Self.october(services)
            let claim = try await services.claims.build(siteCode: "LY-01", month: "2026-10", by: .testOperator("LY-01")).claim
            #expect(claim.subsidyFen == 4 * 1000 + 150 + 2 * 250)
            // 王 on two days, 李 and 赵 on one each: four diner-days, however many meals.
            #expect(claim.operating == OperatingSubsidy.Earned(dinerDays: 4, fen: 1200))
            #expect(claim.totalFen == claim.subsidyFen + 1200)
            // 10 yuan of a 13-yuan tier: the street's 2 and 1 of the district's 4 are cut; 2.50 of 4 yuan: the street's 1 and half the district's.
            #expect(claim.funders == [FundingShare(.city, 4 * 700 + 150 + 2 * 200), FundingShare(.district, 4 * 300 + 2 * 50)])
            #expect(claim.funders.map(\.shareFen).reduce(0, +) == claim.subsidyFen)
            #expect(claim.brackets == [
                ClaimBracket(bracket: "70-79", meals: 1, diners: 1, subsidyFen: 150),
                ClaimBracket(bracket: "80+", meals: 2, diners: 1, subsidyFen: 500),
                ClaimBracket(bracket: "低保特困", categories: [.dibao], meals: 4, diners: 1, subsidyFen: 4000),
            ])
            #expect(claim.lines.first { $0.dinerID == o.dibao }?.categories == [.dibao])
            // The documents: brackets as the policy names them with their categories, the operating subsidy, the funders.
            let records = CSV.records(ClaimDocument.csv(claim))
            let header = try #require(records.first?.fields)
            let name = try #require(header.firstIndex(of: "姓名")), amount = try #require(header.firstIndex(of: "补贴金额(元)"))
            #expect(records.suffix(5).map { "\($0.fields[name]) \($0.fields[amount])" } == ["运营补贴 12.00", "市级 33.50", "区县级 13.00", "街道、乡镇级 0.00", "合计 58.50"])
            let category = try #require(header.firstIndex(of: "困难类别"))
            #expect(records.contains { $0.fields[category] == "低保对象" })
            let html = try ClaimDocument.html(claim, printedAt: "2026-11-22T12:00:00+08:00")
            for expected in ["低保特困", "低保对象", "运营补贴（4 人日）¥12.00", "<th>市级</th>", "¥33.50", "<th>街道、乡镇级</th>", "¥58.50", "伍拾捌元伍角"] {
                #expect(html.contains(expected), "\(expected)")
            }
            #expect(!html.contains("80岁及以上"))
            let listed = try await services.claims.list(.init(month: YearMonth(iso: "2026-10")), by: .testBureau).items[0].claim
            #expect(listed.operating == claim.operating && listed.funders == claim.funders && listed.totalFen == claim.totalFen)
        }
    }

    @Test func voidsAfterTheMonthWasClaimedTakeBackFundingAndEmptiedDays() async throws {
        try await TestDatabase.withServices { services in
            let o = try await Self.october(services)
            let october = try await services.claims.build(siteCode: "LY-01", month: "2026-10", by: .testAdmin).claim
            let submitted = try await services.claims.transition(october.id, .submit, by: .testOperator("LY-01"))
            // One of 王's two meals on the 1st: the day still has a subsidised meal, nothing clawed back.
            _ = try await services.meals.void(o.meals["\(o.dibao) 01 lunch"]!, reason: "误刷", by: .testOperator("LY-01"))
            // The other: the day is empty, its 3 yuan come back. 李's only meal: the same.
            _ = try await services.meals.void(o.meals["\(o.dibao) 01 dinner"]!, reason: "误刷", by: .testOperator("LY-01"))
            _ = try await services.meals.void(o.meals["\(o.seventy) 01 lunch"]!, reason: "重复", by: .testOperator("LY-01"))
            #expect(try await services.claims.get(october.id, by: .testAdmin).totalFen == submitted.totalFen)

            let november = try await services.claims.build(siteCode: "LY-01", month: "2026-11", by: .testAdmin).claim
            #expect(november.adjustments.map(\.subsidyFen) == [-1000, -1000, -150])
            #expect(november.adjustments.map(\.operatingFen) == [0, -300, -300])
            #expect(november.adjustments[0].funding == [FundingShare(.city, -700), FundingShare(.district, -300), FundingShare(.street, 0)])
            #expect(november.adjustments[2].funding == [FundingShare(.city, -150)])
            #expect(november.adjustmentFen == -2150 - 600)
            #expect(november.totalFen == november.subsidyFen + november.operating.fen - 2750)
            // The funders add up to the meals' subsidy plus the adjustments' (the operating part is apart).
            #expect(november.funders == [FundingShare(.city, -1550), FundingShare(.district, -600)])
            #expect(november.funders.map(\.shareFen).reduce(0, +) == november.subsidyFen - 2150)

            // The audit row of the last void says what came back.
            let detail: String = try await services.db.session { session in
                try session.query("SELECT detail::text FROM audit_log WHERE action = 'meal.void' ORDER BY id DESC LIMIT 1").one().decode(0)
            }
            #expect(detail.contains("\"operating_fen\": -300") || detail.contains("\"operating_fen\":-300"))

            // October's report is from live meals: 王 on the 2nd and 赵 on the 1st are left.
            let report = try await services.reports.monthly(month: "2026-10", street: nil, by: .testBureau)
            let site = try #require(report.sites.first { $0.siteCode == "LY-01" })
            #expect(site.subsidyFen == 2000 + 500)
            #expect(site.operatingSubsidyFen == 600)
            #expect(site.funders == [FundingShare(.city, 1400 + 400), FundingShare(.district, 600 + 100)])
            #expect(report.funders == site.funders)
            #expect(report.totals.operatingSubsidyFen == 600)
            #expect(report.brackets.first { $0.bracket == "低保特困" }?.categories == [.dibao])
            let rows = CSV.records(ReportDocument.csv(report))
            let columns = try #require(rows.first?.fields)
            let total = try #require(rows.last?.fields)
            #expect(["运营补贴(元)", "市级(元)", "区县级(元)", "街道、乡镇级(元)"].map { columns.firstIndex(of: $0).map { total[$0] } }
                    == ["6.00", "18.00", "7.00", "0.00"])
        }
    }

    @Test func concurrentVoidsOfOneDinerDayClawItBackExactlyOnce() async throws {
        try await TestDatabase.withServices { services in
            let o = try await Self.october(services)
            let october = try await services.claims.build(siteCode: "LY-01", month: "2026-10", by: .testAdmin).claim
            _ = try await services.claims.transition(october.id, .submit, by: .testAdmin)
            let ids = [o.meals["\(o.dibao) 02 lunch"]!, o.meals["\(o.dibao) 02 dinner"]!]
            try await withThrowingTaskGroup(of: Void.self) { group in
                for id in ids { group.addTask { _ = try await services.meals.void(id, reason: "并发作废", by: .testAdmin) } }
                try await group.waitForAll()
            }
            let november = try await services.claims.build(siteCode: "LY-01", month: "2026-11", by: .testAdmin).claim
            #expect(november.adjustments.map(\.operatingFen).reduce(0, +) == -300)
        }
    }

    /// The database's own guarantees behind the rules (a write that skipped the service).
    @Test func theDatabaseRefusesFundingAndAdjustmentsThatDoNotAddUp() async throws {
        try await TestDatabase.withServices { services in
            let o = try await Self.october(services)
            let meal = o.meals["\(o.eighty) 01 lunch"]!
            func refused(_ sql: String, _ parameters: [Int] = [meal]) async -> Bool {
                do {
                    try await services.db.pool.withSession { session in _ = try session.query(sql, parameters) }
                    return false
                } catch let error as PostgresError {
                    return error.sqlState == .checkViolation
                } catch {
                    return false
                }
            }
            #expect(await refused("UPDATE meal SET funders = 'city,city' WHERE id = $1"))
            #expect(await refused("UPDATE meal SET funders = 'city,town' WHERE id = $1"))
            #expect(await refused("UPDATE meal SET street_fen = 1 WHERE id = $1"))
            #expect(await refused("UPDATE meal SET funders = 'district,city' WHERE id = $1"))
            #expect(await !refused("UPDATE meal SET funders = 'district,street,city' WHERE id = $1"))
            #expect(await refused("INSERT INTO subsidy_policy (effective_from, operating_fen_per_diner_day) VALUES ('2030-01-01', -1)", []))
            #expect(await refused("""
                INSERT INTO claim_adjustment (meal_id, site_code, diner_id, served_on, subsidy_fen, operating_fen, reason)
                SELECT id, site_code, diner_id, served_on, -subsidy_fen, 300, 'sql' FROM meal WHERE id = $1
                """))
            let claim = try await services.claims.build(siteCode: "LY-01", month: "2026-10", by: .testAdmin).claim
            #expect(await refused("UPDATE claim SET operating_subsidy_fen = operating_subsidy_fen + 1 WHERE id = $1", [claim.id]))
            #expect(await refused("UPDATE meal SET funders = NULL, city_fen = NULL, district_fen = NULL, street_fen = NULL WHERE id = $1"))
            #expect(claim.totalFen == claim.subsidyFen + claim.operating.fen)
        }
    }

    /// A day clawed back by a later claim is paid again when its month is rebuilt after a
    /// rejection, and a day that lost its meals while the month was open is not.
    @Test func aRebuildAfterARejectionNeverPaysADayTwiceOrNever() async throws {
        try await TestDatabase.withServices { services in
            let o = try await Self.october(services)
            let october = try await services.claims.build(siteCode: "LY-01", month: "2026-10", by: .testAdmin).claim
            _ = try await services.claims.transition(october.id, .submit, by: .testAdmin)
            // 李's only meal (the day clawed back) and one of 赵's two (nothing clawed back) are voided;
            // November's claim carries both adjustments, and is submitted (clock: December).
            _ = try await services.meals.void(o.meals["\(o.seventy) 01 lunch"]!, reason: "误刷", by: .testAdmin)
            _ = try await services.meals.void(o.meals["\(o.eighty) 01 lunch"]!, reason: "误刷", by: .testAdmin)
            let december = CanteenServices(pool: services.db.pool, clock: TestClock.at(LocalDate(iso: "2026-12-02")!))
            let november = try await december.claims.build(siteCode: "LY-01", month: "2026-11", by: .testAdmin).claim
            #expect(november.adjustments.map(\.operatingFen) == [-300, 0])
            _ = try await december.claims.transition(november.id, .submit, by: .testAdmin)
            _ = try await services.claims.transition(october.id, .reject, reason: "请核对", by: .testBureau)
            // While October is open again: 李 eats on the 1st after all, 赵's other meal of the 1st is voided.
            _ = try await services.meals.log(Fixtures.meal(site: "LY-01", diner: o.seventy, slot: "dinner", on: "2026-10-01", price: 150),
                                             by: .testAdmin)
            _ = try await services.meals.void(o.meals["\(o.eighty) 01 dinner"]!, reason: "误刷", by: .testAdmin)
            let rebuilt = try await services.claims.build(siteCode: "LY-01", month: "2026-10", by: .testAdmin).claim
            // Valid diner-days: 王 on the 1st and 2nd, 李 on the 1st = 3, plus 李's day November took back = 4.
            // 赵 has no valid meal left and November took nothing back for him: his day is not paid.
            #expect(rebuilt.operating == OperatingSubsidy.Earned(dinerDays: 4, fen: 1200))
            // Across October's claim and November's adjustments: the three valid diner-days, once each.
            #expect(rebuilt.operating.fen - 300 == 3 * 300)
        }
    }

    /// A policy added later with an earlier date never changes what a void takes back from a
    /// frozen claim: the claw-back is the rate that claim paid.
    @Test func aVoidClawsBackTheRateTheFrozenClaimPaid() async throws {
        try await TestDatabase.withServices { services in
            let o = try await Self.october(services)
            let october = try await services.claims.build(siteCode: "LY-01", month: "2026-10", by: .testAdmin).claim
            _ = try await services.claims.transition(october.id, .submit, by: .testAdmin)
            var raised = Self.policy
            raised.effectiveFrom = "2026-10-02"
            raised.operatingFenPerDinerDay = 500
            _ = try await services.policies.add(raised, by: .testBureau)
            _ = try await services.meals.void(o.meals["\(o.dibao) 02 lunch"]!, reason: "误刷", by: .testAdmin)
            _ = try await services.meals.void(o.meals["\(o.dibao) 02 dinner"]!, reason: "误刷", by: .testAdmin)
            let november = try await services.claims.build(siteCode: "LY-01", month: "2026-11", by: .testAdmin).claim
            #expect(november.adjustments.map(\.operatingFen) == [0, -300])
        }
    }

    @Test func withoutAnOperatingSubsidyNothingIsCounted() async throws {
        try await TestDatabase.withServices { services in
            try await Fixtures.site(services, "LY-01")
            let diner = try await Fixtures.diner(services, born: "1945-05-05", serial: 3).diner.id
            _ = try await services.meals.log(Fixtures.meal(site: "LY-01", diner: diner, on: "2026-10-05"), by: .testAdmin)
            let claim = try await services.claims.build(siteCode: "LY-01", month: "2026-10", by: .testAdmin).claim
            #expect(claim.operating == .none)
            #expect(claim.funders == [FundingShare(.city, 400)])
            #expect(claim.totalFen == 400)
        }
    }
}
