@testable import CanteenDomain
@testable import CanteenService
import Postgres
import Foundation
import Testing
import TestSupport

/// One rule, one implementation (SPEC §2.5): for random facts — policies with several tiers and
/// daily caps, birthdays on the day, 29 February, status changes, prices below the subsidy,
/// slots already eaten, a site that opened late — a quote, a meal logged alone, a batch item and
/// an imported row come out the same.
@Suite("One meal engine")
struct MealEngineTests {
    /// What a path answered, in the terms all four share.
    struct Answer: Equatable, CustomStringConvertible {
        var code: String?
        var age: Int?
        var bracket: String?
        var category: DinerCategory?
        var funding: [FundingShare]?
        var subsidyFen: Int?
        var payableFen: Int?

        var description: String {
            code.map { "refused \($0)" }
                ?? "age \(age ?? -1) \(bracket ?? "?") \(category?.rawValue ?? "-") subsidy \(subsidyFen ?? -1) payable \(payableFen ?? -1)"
        }

        init(code: String? = nil, meal: Meal? = nil) {
            self.code = code
            if let meal { age = meal.age; bracket = meal.bracket; category = meal.category; funding = meal.funding; subsidyFen = meal.subsidyFen; payableFen = meal.payableFen }
        }
    }

    struct Scenario {
        let birth: LocalDate
        let statuses: [(String, LocalDate)]
        /// Category periods: (category, from, until).
        let categories: [(String, LocalDate, LocalDate?)]
        let site: String
        let day: LocalDate
        let earlier: [(Slot, Int)]   // meals logged before, each (slot, price)
        let slot: Slot
        let price: Int
    }

    static let today = LocalDate(year: 2026, month: 11, day: 22)!

    static func scenario(_ rng: inout SeededGenerator) -> Scenario {
        let day = LocalDate(daysSinceEpoch: Int.random(in: 19_800...20_414, using: &rng))  // 2024-03 … 2025-11-22
        var birth: LocalDate
        switch Int.random(in: 0..<5, using: &rng) {
        case 0:  // a birthday on the day itself, turning 60, 70, 80 or 90
            birth = LocalDate(year: day.year - [60, 70, 80, 90].randomElement(using: &rng)!, month: day.month,
                              day: min(day.day, 28)) ?? day
        case 1:  // born on 29 February
            birth = LocalDate(year: [1936, 1944, 1948, 1952, 1956, 1964].randomElement(using: &rng)!, month: 2, day: 29)!
        default:
            birth = LocalDate(daysSinceEpoch: Int.random(in: -16_000 ... -3_000, using: &rng))  // 1926 … 1961
        }
        var statuses: [(String, LocalDate)] = []
        if Int.random(in: 0..<4, using: &rng) == 0 {
            let change = LocalDate(daysSinceEpoch: day.daysSinceEpoch + Int.random(in: -3...3, using: &rng))
            statuses.append((["suspended", "deceased", "moved_out"].randomElement(using: &rng)!, change))
            if Bool.random(using: &rng) {
                statuses.append(("active", LocalDate(daysSinceEpoch: change.daysSinceEpoch + Int.random(in: 0...2, using: &rng))))
            }
        }
        // Hardship categories around the day: one that ended the day before, or starts on it, or two.
        var categories: [(String, LocalDate, LocalDate?)] = []
        for category in ["dibao", "tekun", "disabled"] where Int.random(in: 0..<3, using: &rng) == 0 {
            let from = LocalDate(daysSinceEpoch: day.daysSinceEpoch + Int.random(in: -40...1, using: &rng))
            let until = Bool.random(using: &rng) ? nil : LocalDate(daysSinceEpoch: max(from.daysSinceEpoch + 1, day.daysSinceEpoch + Int.random(in: -1...2, using: &rng)))
            categories.append((category, from, until))
        }
        let slots = Slot.allCases.shuffled(using: &rng)
        let earlier = (0..<Int.random(in: 0...2, using: &rng)).map { (slots[$0], Int.random(in: 0...1200, using: &rng)) }
        // Sometimes the tested slot is one already eaten (a duplicate).
        let slot = Int.random(in: 0..<6, using: &rng) == 0 && !earlier.isEmpty ? earlier[0].0 : slots[2]
        return Scenario(birth: birth, statuses: statuses, categories: categories, site: Int.random(in: 0..<8, using: &rng) == 0 ? "LY-LATE" : "LY-01",
                        day: day, earlier: earlier, slot: slot, price: [0, 50, 150, 200, 399, 400, 1000, 1500].randomElement(using: &rng)!)
    }

    @Test func aQuoteASingleMealABatchItemAndAnImportedRowAgree() async throws {
        var rng = SeededGenerator()
        let note = rng.note
        try await TestDatabase.withServices(today: Self.today) { services in
            try await Fixtures.site(services, "LY-01", opensOn: "2022-09-01")
            try await Fixtures.site(services, "LY-LATE", opensOn: "2025-06-15", closesOn: "2025-10-01")
            _ = try await services.policies.add(PolicyService.Draft(
                effectiveFrom: "2025-01-01",
                tiers: [SubsidyTier(label: "60-69", minAge: 60, maxAge: 69, subsidyFen: 100),
                        SubsidyTier(label: "70-79", minAge: 70, maxAge: 79, subsidyFen: 250),
                        SubsidyTier(label: "80-89", minAge: 80, maxAge: 89, subsidyFen: 450),
                        SubsidyTier(label: "90+", minAge: 90, maxAge: nil, subsidyFen: 600)],
                maxSubsidizedMealsPerDay: 2), by: .testAdmin)
            _ = try await services.policies.add(PolicyService.Draft(
                effectiveFrom: "2025-08-01",
                tiers: [SubsidyTier(label: "65-79", minAge: 65, maxAge: 79, subsidyFen: 300),
                        SubsidyTier(label: "80+", minAge: 80, maxAge: nil, subsidyFen: 500,
                                    funders: [FundingShare(.city, 300), FundingShare(.district, 150), FundingShare(.street, 50)]),
                        // Category tiers overlap the age tiers: the largest subsidy wins, on a tie the first listed.
                        SubsidyTier(label: "困难", minAge: 60, maxAge: nil, subsidyFen: 500, categories: [.tekun, .dibao]),
                        SubsidyTier(label: "失能", minAge: 70, maxAge: 89, subsidyFen: 700, categories: [.disabled],
                                    funders: [FundingShare(.street, 100), FundingShare(.city, 600)])],
                maxSubsidizedMealsPerDay: 1), by: .testAdmin)

            let scenarios = (0..<400).map { _ in Self.scenario(&rng) }
            // Four diners with the same facts per scenario: one for each path.
            var diners: [[DinerView]] = []
            for (n, s) in scenarios.enumerated() {
                var four: [DinerView] = []
                for path in 0..<4 {
                    let view = try await services.diners.register(
                        DinerDraft(name: "比对\(n)-\(path)", residentID: Fixtures.residentID(born: s.birth, serial: n * 4 + path)), by: .testAdmin)
                    for (status, on) in s.statuses {
                        _ = try await services.diners.setStatus(view.diner.id, status: status, effectiveOn: on.description, by: .testAdmin)
                    }
                    for (category, from, until) in s.categories {
                        _ = try await services.diners.addCategory(view.diner.id, CategoryPeriodDraft(
                            category: category, effectiveOn: from.description, endsOn: until?.description), by: .testAdmin)
                    }
                    for (slot, price) in s.earlier {
                        _ = try? await services.meals.log(MealDraft(siteCode: "LY-01", dinerID: view.diner.id, slot: slot.rawValue,
                                                                    priceFen: price, servedOn: s.day.description), by: .testAdmin)
                    }
                    four.append(view)
                }
                diners.append(four)
            }

            var quotes: [Answer] = []
            var singles: [Answer] = []
            for (s, four) in zip(scenarios, diners) {
                do {
                    let q = try await services.quotes.quote(dinerID: four[0].diner.id, servedOn: s.day.description, slot: s.slot.rawValue,
                                                            priceFen: s.price, by: .testAdmin)
                    var answer = Answer()
                    answer.age = q.age
                    answer.bracket = q.bracket
                    answer.category = q.category
                    answer.funding = q.funding
                    answer.subsidyFen = q.subsidyFen
                    answer.payableFen = q.payableFen
                    if let reason = q.reason, ["diner_inactive", "site_not_operating", "period_closed", "already_served"].contains(reason) {
                        answer = Answer(code: reason == "already_served" ? "duplicate_meal" : reason)
                    }
                    quotes.append(answer)
                } catch let error as CanteenError {
                    quotes.append(Answer(code: error.code.rawValue))
                }
                do {
                    let meal = try await services.meals.log(MealDraft(siteCode: s.site, dinerID: four[1].diner.id, slot: s.slot.rawValue,
                                                                      priceFen: s.price, servedOn: s.day.description), by: .testAdmin).meal
                    singles.append(Answer(meal: meal))
                } catch let error as CanteenError {
                    singles.append(Answer(code: error.code.rawValue))
                }
            }
            // The quote has no site: where the site refuses the meal, the quote prices it.
            let batch = try await services.meals.logBatch(zip(scenarios, diners).map { s, four in
                MealDraft(siteCode: s.site, dinerID: four[2].diner.id, slot: s.slot.rawValue, priceFen: s.price, servedOn: s.day.description)
            }, by: .testAdmin).map { $0.meal.map { Answer(meal: $0) } ?? Answer(code: $0.error?.code.rawValue) }

            var imported = [Answer?](repeating: nil, count: scenarios.count)
            for site in ["LY-01", "LY-LATE"] {
                let rows = scenarios.indices.filter { scenarios[$0].site == site }
                var csv = "resident_id,served_on,slot,price_fen\n"
                for i in rows { csv += "\(diners[i][3].diner.residentID),\(scenarios[i].day),\(scenarios[i].slot.rawValue),\(scenarios[i].price)\n" }
                let report = try await services.importer.importCSV(Data(csv.utf8), siteCode: site, by: .testAdmin)
                let refused = Dictionary(uniqueKeysWithValues: report.rejects.map { ($0.line, $0.code) })
                for (line, i) in zip(2..., rows) { imported[i] = refused[line].map { Answer(code: $0) } }
            }
            var byDiner: [Int: [Meal]] = [:]
            for meal in try await services.meals.list(.init(), page: .all, by: .testAdmin).items { byDiner[meal.dinerID, default: []].append(meal) }
            var compared = 0
            for (i, s) in scenarios.enumerated() {
                let importedAnswer = imported[i] ?? byDiner[diners[i][3].diner.id]?.first { $0.servedOn == s.day && $0.slot == s.slot }
                    .map { Answer(meal: $0) } ?? Answer(code: "missing")
                let logged = [singles[i], batch[i], importedAnswer]
                #expect(logged.allSatisfy { $0 == singles[i] }, "scenario \(i) \(s): single \(singles[i]), batch \(batch[i]), import \(importedAnswer); \(note)")
                if singles[i].code != "site_not_operating" {
                    #expect(quotes[i] == singles[i], "scenario \(i) \(s): quote \(quotes[i]), meal \(singles[i]); \(note)")
                }
                compared += 1
            }
            #expect(compared == scenarios.count)
            // The facts were varied enough to mean something.
            #expect(Set(singles.compactMap(\.code)).isSuperset(of: ["diner_inactive", "duplicate_meal", "site_not_operating"]), "\(note)")
            #expect(singles.contains { $0.code == nil && $0.subsidyFen == 0 }, "\(note)")
            #expect(singles.contains { ($0.subsidyFen ?? 0) > 0 && $0.payableFen == 0 }, "\(note)")
            // Category tiers paid (the first of a tier's categories held), and lost on ties to the age tier listed first.
            #expect(Set(singles.compactMap(\.category)) == [.tekun, .dibao, .disabled], "\(note)")
            #expect(singles.contains { $0.bracket == "困难" } && singles.contains { $0.bracket == "失能" }, "\(note)")
        }
    }

    /// An import's COPY meets a unique key a counter meal took after the facts were read: the
    /// rows go in through the staging table instead, every one but the one that lost.
    @Test func aBulkWriteThatMeetsAUniqueKeyStoresTheOthers() async throws {
        try await TestDatabase.withServices { services in
            try await Fixtures.site(services, "LY-01")
            let diner = try await Fixtures.diner(services, born: "1940-05-05", serial: 1).diner.id
            let today = LocalDate(year: 2026, month: 11, day: 22)!
            let store = services.meals.store
            let requests = try ["lunch", "dinner"].map { slot in
                try MealDraft(siteCode: "LY-01", dinerID: diner, slot: slot, priceFen: 1000, servedOn: "2026-11-02").validated(today: today, idempotencyKey: nil)
            }
            // The facts as the import read them, before the counter logged lunch.
            var ledger = try await services.db.session { session in
                try store.facts(for: requests.map { MealStore.Need($0, today: today) }, session)
            }
            _ = try await services.meals.log(Fixtures.meal(site: "LY-01", diner: diner, slot: "lunch", on: "2026-11-02"), by: .testAdmin)
            let priced = requests.enumerated().compactMap { index, request -> (meal: PricedMeal, actor: String)? in
                if case .create(let meal) = ledger.decide(request, requestHash: MealService.requestHash(request), today: today, index: index) {
                    return (meal, "test-import")
                }
                return nil
            }
            #expect(priced.count == 2)
            let stored = try await services.db.transaction { session in try store.copyMeals(priced, session) }
            #expect(stored.keys.filter { $0.day == DinerDate(diner, LocalDate(year: 2026, month: 11, day: 2)!) }.map(\.slot) == [.dinner])
            let meals = try await services.meals.list(.init(dinerID: diner), by: .testAdmin).items
            #expect(meals.map(\.slot) == [.lunch, .dinner])
            #expect(meals.map(\.id) == meals.map(\.id).sorted())
        }
    }

    /// The same race in a file of several megabytes, sent in parts: PostgreSQL refuses the first
    /// row (libpq reports it when the COPY ends, or at a later part), and the fallback still stores
    /// every other row of every part, each once.
    @Test func aBulkWriteOfManyPartsThatMeetsAUniqueKeyStoresEveryOtherRow() async throws {
        try await TestDatabase.withServices { services in
            try await Fixtures.site(services, "LY-01")
            let diner = try await Fixtures.diner(services, born: "1940-05-05", serial: 1).diner.id
            let store = services.meals.store
            _ = try await services.meals.log(Fixtures.meal(site: "LY-01", diner: diner, slot: "lunch", on: "2026-11-02"), by: .testAdmin)
            let first = LocalDate(year: 2026, month: 11, day: 2)!
            // 30,000 meals already decided (about 5 MB of COPY rows); the first is the lunch just logged.
            let meals = (0..<30_000).map { n -> (meal: PricedMeal, actor: String) in
                let day = first.adding(days: -(n / 3))
                let slot = [Slot.lunch, .dinner, .breakfast][n % 3]
                return (PricedMeal(dinerID: diner, siteCode: "LY-01", servedOn: day, slot: slot, priceFen: 1000, delivery: false,
                                   age: 86, bracket: "80+", category: nil, subsidyFen: 0, funding: [], subsidyPlace: nil,
                                   idempotencyKey: nil, requestHash: String(repeating: "a", count: 64)), "test-import")
            }
            let stored = try await services.db.transaction { session in try store.copyMeals(meals, session) }
            #expect(stored.count == 29_999)
            #expect(stored[MealStore.Cell(DinerDate(diner, first), .lunch)] == nil)
            let count: Int = try await services.db.session { try $0.query("SELECT count(*) AS n FROM meal").one().decode("n") }
            #expect(count == 30_000)
        }
    }

    /// A daily cap added after a meal was logged counts that meal: the next meal of the day gets
    /// nothing, in the quote, at the counter and in an import alike.
    @Test func aCapAddedLaterCountsTheDaysEarlierSubsidisedMeals() async throws {
        try await TestDatabase.withServices { services in
            try await Fixtures.site(services, "LY-01")
            let diner = try await Fixtures.diner(services, born: "1940-05-05", serial: 1).diner
            _ = try await services.meals.log(Fixtures.meal(site: "LY-01", diner: diner.id, slot: "lunch", on: "2026-11-10"), by: .testAdmin)
            _ = try await services.policies.add(GuardedRulesTests.cappedPolicy(from: "2026-11-01", cap: 1), by: .testBureau)
            let quote = try await services.quotes.quote(dinerID: diner.id, servedOn: "2026-11-10", slot: "dinner", priceFen: 1000, by: .testAdmin)
            #expect(quote.subsidyFen == 0)
            #expect(quote.reason == "daily_cap_reached")
            let dinner = try await services.meals.log(Fixtures.meal(site: "LY-01", diner: diner.id, slot: "dinner", on: "2026-11-10"), by: .testAdmin).meal
            #expect(dinner.subsidyFen == 0)
            let csv = "resident_id,served_on,slot,price_fen\n\(diner.residentID),2026-11-10,breakfast,1000\n"
            #expect(try await services.importer.importCSV(Data(csv.utf8), siteCode: "LY-01", by: .testAdmin).created == 1)
            let subsidies = try await services.meals.list(.init(dinerID: diner.id), by: .testAdmin).items.map(\.subsidyFen)
            #expect(subsidies == [400, 0, 0])
        }
    }
}
