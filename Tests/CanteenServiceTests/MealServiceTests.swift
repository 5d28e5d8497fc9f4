import CanteenDomain
import CanteenService
import Postgres
import Testing
import TestSupport

@Suite("Meals: logging, rules, concurrency")
struct MealServiceTests {
    static func code(_ body: () async throws -> Void) async -> CanteenError.Code? {
        do { try await body(); return nil } catch let error as CanteenError { return error.code } catch { return .unavailable }
    }

    @Test func fiftyConcurrentLoggersOfOneDinerDateAndSlotMakeExactlyOneMeal() async throws {
        try await TestDatabase.withServices { services in
            try await Fixtures.site(services, "LY-01")
            let diner = try await Fixtures.diner(services, born: "1945-03-15", serial: 1)
            let results = await withTaskGroup(of: Result<Int, CanteenError>.self) { group in
                for i in 0..<50 {
                    group.addTask {
                        do {
                            let logged = try await services.meals.log(
                                Fixtures.meal(site: "LY-01", diner: diner.diner.id, on: "2026-11-20"), idempotencyKey: "k-\(i)", by: .testAdmin)
                            return .success(logged.meal.id)
                        } catch let error as CanteenError {
                            return .failure(error)
                        } catch {
                            return .failure(CanteenError(.unavailable, "\(error)"))
                        }
                    }
                }
                var all: [Result<Int, CanteenError>] = []
                for await r in group { all.append(r) }
                return all
            }
            let created = results.compactMap { try? $0.get() }
            #expect(created.count == 1)
            let failures = results.compactMap { result -> CanteenError? in if case .failure(let e) = result { return e }; return nil }
            #expect(failures.count == 49)
            #expect(failures.allSatisfy { $0.code == .duplicateMeal && $0.existingMealID == created.first })
            let stored = try await services.db.session { try $0.query("SELECT count(*) FROM meal").first!.decode(0, as: Int.self) }
            #expect(stored == 1)
        }
    }

    @Test func fiftyConcurrentRequestsWithOneKeyMakeOneMealAndAllNameIt() async throws {
        try await TestDatabase.withServices { services in
            try await Fixtures.site(services, "LY-01")
            let diner = try await Fixtures.diner(services, born: "1945-03-15", serial: 1)
            let results = try await withThrowingTaskGroup(of: (Int, Bool).self) { group in
                for _ in 0..<50 {
                    group.addTask {
                        let logged = try await services.meals.log(
                            Fixtures.meal(site: "LY-01", diner: diner.diner.id), idempotencyKey: "same-key", by: .testAdmin)
                        return (logged.meal.id, logged.replayed)
                    }
                }
                var all: [(Int, Bool)] = []
                for try await r in group { all.append(r) }
                return all
            }
            #expect(Set(results.map(\.0)).count == 1)
            #expect(results.filter { !$0.1 }.count == 1)
            #expect(results.filter { $0.1 }.count == 49)
            let stored = try await services.db.session { try $0.query("SELECT count(*) FROM meal").first!.decode(0, as: Int.self) }
            #expect(stored == 1)
        }
    }

    @Test func idempotentReplayAndMismatch() async throws {
        try await TestDatabase.withServices { services in
            try await Fixtures.site(services, "LY-01")
            try await Fixtures.site(services, "LY-02")
            let d = try await Fixtures.diner(services, born: "1945-03-15", serial: 1).diner.id
            let first = try await services.meals.log(Fixtures.meal(site: "LY-01", diner: d), idempotencyKey: "abc", by: .testAdmin)
            #expect(!first.replayed)
            let again = try await services.meals.log(Fixtures.meal(site: "LY-01", diner: d), idempotencyKey: "abc", by: .testAdmin)
            #expect(again.replayed)
            #expect(again.meal == first.meal)
            let mismatch = await Self.code {
                _ = try await services.meals.log(Fixtures.meal(site: "LY-01", diner: d, slot: "dinner"), idempotencyKey: "abc", by: .testAdmin)
            }
            #expect(mismatch == .idempotencyMismatch)
            // Keys are scoped to the site: the same key elsewhere is a new request (here a duplicate meal).
            let elsewhere = await Self.code {
                _ = try await services.meals.log(Fixtures.meal(site: "LY-02", diner: d), idempotencyKey: "abc", by: .testAdmin)
            }
            #expect(elsewhere == .duplicateMeal)
        }
    }

    @Test func aDinerTurningEightyMidMonthChangesBracketOnTheBirthday() async throws {
        try await TestDatabase.withServices { services in
            try await Fixtures.site(services, "LY-01")
            let d = try await Fixtures.diner(services, born: "1946-10-15", serial: 2).diner.id
            let before = try await services.meals.log(Fixtures.meal(site: "LY-01", diner: d, on: "2026-10-14"), by: .testAdmin).meal
            let on = try await services.meals.log(Fixtures.meal(site: "LY-01", diner: d, on: "2026-10-15"), by: .testAdmin).meal
            #expect((before.age, before.bracket, before.subsidyFen, before.payableFen) == (79, "70-79", 200, 800))
            #expect((on.age, on.bracket, on.subsidyFen, on.payableFen) == (80, "80+", 400, 600))
        }
    }

    @Test func someoneBornOnTheTwentyNinthOfFebruary() async throws {
        try await TestDatabase.withServices { services in
            try await Fixtures.site(services, "LY-01")
            let d = try await Fixtures.diner(services, born: "1944-02-29", serial: 3).diner.id
            let feb28 = try await services.meals.log(Fixtures.meal(site: "LY-01", diner: d, on: "2023-02-28"), by: .testAdmin).meal
            let mar1 = try await services.meals.log(Fixtures.meal(site: "LY-01", diner: d, on: "2023-03-01"), by: .testAdmin).meal
            let leap = try await services.meals.log(Fixtures.meal(site: "LY-01", diner: d, on: "2024-02-29"), by: .testAdmin).meal
            #expect(feb28.age == 78)
            #expect(mar1.age == 79)
            #expect(leap.age == 80)
            #expect(leap.bracket == "80+")
        }
    }

    @Test func aMealOnTheDayAStatusChangesAndTheDayBefore() async throws {
        try await TestDatabase.withServices { services in
            try await Fixtures.site(services, "LY-01")
            let d = try await Fixtures.diner(services, born: "1940-05-05", serial: 4).diner.id
            let view = try await services.diners.setStatus(d, status: "deceased", effectiveOn: "2026-11-10", by: .testAdmin)
            #expect(view.diner.status == .deceased)
            _ = try await services.meals.log(Fixtures.meal(site: "LY-01", diner: d, on: "2026-11-09"), by: .testAdmin)
            let onTheDay = await Self.code { _ = try await services.meals.log(Fixtures.meal(site: "LY-01", diner: d, on: "2026-11-10"), by: .testAdmin) }
            #expect(onTheDay == .dinerInactive)
            _ = try await services.diners.setStatus(d, status: "suspended", effectiveOn: "2026-11-01", by: .testAdmin)
            _ = try await services.diners.setStatus(d, status: "active", effectiveOn: "2026-11-03", by: .testAdmin)
            let suspended = await Self.code { _ = try await services.meals.log(Fixtures.meal(site: "LY-01", diner: d, on: "2026-11-02"), by: .testAdmin) }
            #expect(suspended == .dinerInactive)
            _ = try await services.meals.log(Fixtures.meal(site: "LY-01", diner: d, on: "2026-11-03"), by: .testAdmin)
            let badStatus = await Self.code { _ = try await services.diners.setStatus(d, status: "asleep", effectiveOn: "2026-11-03", by: .testAdmin) }
            #expect(badStatus == .validationFailed)
        }
    }

    @Test func aSiteOnTheDayBeforeItOpensAndOnTheDayItCloses() async throws {
        try await TestDatabase.withServices { services in
            try await Fixtures.site(services, "LY-01", opensOn: "2026-11-02", closesOn: "2026-11-20", slots: ["lunch"])
            let d = try await Fixtures.diner(services, born: "1940-05-05", serial: 5).diner.id
            let early = await Self.code { _ = try await services.meals.log(Fixtures.meal(site: "LY-01", diner: d, on: "2026-11-01"), by: .testAdmin) }
            #expect(early == .siteNotOperating)
            _ = try await services.meals.log(Fixtures.meal(site: "LY-01", diner: d, on: "2026-11-02"), by: .testAdmin)
            _ = try await services.meals.log(Fixtures.meal(site: "LY-01", diner: d, on: "2026-11-19"), by: .testAdmin)
            let closed = await Self.code { _ = try await services.meals.log(Fixtures.meal(site: "LY-01", diner: d, on: "2026-11-20"), by: .testAdmin) }
            #expect(closed == .siteNotOperating)
            let wrongSlot = await Self.code { _ = try await services.meals.log(Fixtures.meal(site: "LY-01", diner: d, slot: "dinner", on: "2026-11-05"), by: .testAdmin) }
            #expect(wrongSlot == .siteNotOperating)
        }
    }

    @Test func requestErrorsCarryTheSpecCodes() async throws {
        try await TestDatabase.withServices { services in
            try await Fixtures.site(services, "LY-01")
            try await Fixtures.site(services, "NOPRICE", price: nil)
            let d = try await Fixtures.diner(services, born: "1940-05-05", serial: 6, card: "CARD-6").diner.id
            let cases: [(MealDraft, CanteenError.Code)] = [
                (Fixtures.meal(site: "LY-01", diner: d, on: "2026-11-23"), .invalidDate),
                (Fixtures.meal(site: "LY-01", diner: d, on: "2026-02-30"), .invalidDate),
                (Fixtures.meal(site: "LY-01", diner: d, price: -1), .invalidPrice),
                (Fixtures.meal(site: "LY-01", diner: d, price: 100_001), .invalidPrice),
                (Fixtures.meal(site: "NOPRICE", diner: d, price: nil), .invalidPrice),
                (Fixtures.meal(site: "LY-01", diner: d, slot: "supper"), .invalidRequest),
                (Fixtures.meal(site: "NOSUCH", diner: d), .notFound),
                (Fixtures.meal(site: "LY-01", diner: 999_999), .notFound),
                (MealDraft(siteCode: "LY-01", slot: "lunch", priceFen: 1000), .invalidRequest),
                (MealDraft(siteCode: "LY-01", dinerID: d, cardNo: "CARD-6", slot: "lunch", priceFen: 1000), .invalidRequest),
                (MealDraft(siteCode: "LY-01", residentID: "123", slot: "lunch", priceFen: 1000), .invalidResidentID),
                (MealDraft(siteCode: "LY-01", cardNo: "NO-SUCH-CARD", slot: "lunch", priceFen: 1000), .notFound),
            ]
            for (draft, expected) in cases {
                let got = await Self.code { _ = try await services.meals.log(draft, by: .testAdmin) }
                #expect(got == expected, "\(draft)")
            }
            let byCard = try await services.meals.log(MealDraft(siteCode: "LY-01", cardNo: "CARD-6", slot: "lunch", priceFen: nil), by: .testAdmin)
            #expect(byCard.meal.priceFen == 1000)  // the site's default price
            #expect(byCard.meal.servedOn.description == "2026-11-22")  // today in Asia/Shanghai
            let count = try await services.db.session { try $0.query("SELECT count(*) FROM meal").first!.decode(0, as: Int.self) }
            #expect(count == 1)
        }
    }

    @Test func voidingKeepsTheMealAndFreesTheSlot() async throws {
        try await TestDatabase.withServices { services in
            try await Fixtures.site(services, "LY-01")
            let d = try await Fixtures.diner(services, born: "1940-05-05", serial: 7).diner.id
            let meal = try await services.meals.log(Fixtures.meal(site: "LY-01", diner: d, price: 1500), by: .testAdmin).meal
            let void = try await services.meals.void(meal.id, reason: "wrong price", by: .testAdmin)
            #expect(void.status == .void)
            #expect(void.voidReason == "wrong price")
            #expect(void.voidedBy == "test-admin")
            #expect(void.voidedAt != nil)
            let again = await Self.code { _ = try await services.meals.void(meal.id, reason: "again", by: .testAdmin) }
            #expect(again == .invalidState)
            let noReason = await Self.code { _ = try await services.meals.void(meal.id, reason: "  ", by: .testAdmin) }
            #expect(noReason == .validationFailed)
            let corrected = try await services.meals.log(Fixtures.meal(site: "LY-01", diner: d, price: 1000), by: .testAdmin).meal
            #expect(corrected.id != meal.id)
            let all = try await services.meals.list(.init(dinerID: d), by: .testAdmin).items
            #expect(all.map(\.status) == [.void, .valid])
            let audits = try await services.db.session { session in
                try session.query("SELECT action FROM audit_log WHERE entity = 'meal' ORDER BY id").rows.map { try $0.decode(0, as: String.self) }
            }
            #expect(audits == ["meal.create", "meal.void", "meal.create"])
        }
    }

    @Test func aClosedMonthRefusesMealsAndVoidsBecomeAdjustments() async throws {
        try await TestDatabase.withServices { services in
            try await Fixtures.site(services, "LY-01")
            let d = try await Fixtures.diner(services, born: "1940-05-05", serial: 8).diner.id
            let october = try await services.meals.log(Fixtures.meal(site: "LY-01", diner: d, on: "2026-10-10"), by: .testAdmin).meal
            try await services.db.transaction { session in
                try session.query("INSERT INTO claim (site_code, month, status, submitted_at) VALUES ('LY-01', '2026-10-01', 'submitted', now())")
            }
            let late = await Self.code { _ = try await services.meals.log(Fixtures.meal(site: "LY-01", diner: d, on: "2026-10-11"), by: .testAdmin) }
            #expect(late == .periodClosed)
            _ = try await services.meals.void(october.id, reason: "diner was in hospital", by: .testAdmin)
            let adjustment = try await services.db.session { session in
                try session.query("SELECT subsidy_fen, reason, claim_id FROM claim_adjustment WHERE meal_id = $1", [october.id]).first.map {
                    (try $0.decode(0, as: Int.self), try $0.decode(1, as: String.self), try $0.decode(2, as: Int?.self))
                }
            }
            #expect(adjustment?.0 == -400)
            #expect(adjustment?.1 == "diner was in hospital")
            #expect(adjustment?.2 == nil)
            // Another site's month is not closed by this claim.
            try await Fixtures.site(services, "LY-02")
            _ = try await services.meals.log(Fixtures.meal(site: "LY-02", diner: d, on: "2026-10-11"), by: .testAdmin)
        }
    }

    @Test func operatorsLogAndVoidOnlyAtTheirSites() async throws {
        try await TestDatabase.withServices { services in
            try await Fixtures.site(services, "MINE")
            try await Fixtures.site(services, "THEIRS")
            let d = try await Fixtures.diner(services, born: "1940-05-05", serial: 9).diner.id
            let op = Principal.testOperator("MINE")
            let foreign = await Self.code { _ = try await services.meals.log(Fixtures.meal(site: "THEIRS", diner: d), by: op) }
            #expect(foreign == .forbidden)
            let theirs = try await services.meals.log(Fixtures.meal(site: "THEIRS", diner: d, slot: "dinner"), by: .testAdmin).meal
            let void = await Self.code { _ = try await services.meals.void(theirs.id, reason: "x", by: op) }
            #expect(void == .forbidden)
            let read = await Self.code { _ = try await services.meals.get(theirs.id, by: op) }
            #expect(read == .forbidden)
            _ = try await services.meals.log(Fixtures.meal(site: "MINE", diner: d), by: op)
            #expect(try await services.meals.list(by: op).items.map(\.siteCode) == ["MINE"])
            let bureau = await Self.code { _ = try await services.meals.log(Fixtures.meal(site: "MINE", diner: d, slot: "breakfast"), by: .testBureau) }
            #expect(bureau == .forbidden)
        }
    }

    @Test func theDailyCapHoldsUnderConcurrency() async throws {
        try await TestDatabase.withServices { services in
            try await Fixtures.site(services, "LY-01")
            _ = try await services.policies.add(PolicyService.Draft(
                effectiveFrom: "2026-01-01", tiers: SubsidyPolicy.standard.tiers, maxSubsidizedMealsPerDay: 1), by: .testAdmin)
            let d = try await Fixtures.diner(services, born: "1935-01-01", serial: 10).diner.id
            for day in 1...10 {
                let date = String(format: "2026-11-%02d", day)
                let meals = try await withThrowingTaskGroup(of: Meal.self) { group in
                    for slot in ["breakfast", "lunch", "dinner"] {
                        group.addTask { try await services.meals.log(Fixtures.meal(site: "LY-01", diner: d, slot: slot, on: date), by: .testAdmin).meal }
                    }
                    var all: [Meal] = []
                    for try await meal in group { all.append(meal) }
                    return all
                }
                #expect(meals.count == 3)
                #expect(meals.filter { $0.subsidyFen > 0 }.count == 1, "\(date)")
                #expect(meals.allSatisfy { $0.bracket == "80+" })
            }
            // Voiding the subsidised meal frees the place for the corrected one.
            let subsidised = try await services.meals.list(.init(dinerID: d, from: LocalDate(iso: "2026-11-01"), to: LocalDate(iso: "2026-11-01")), by: .testAdmin)
                .items.first { $0.subsidyFen > 0 }!
            _ = try await services.meals.void(subsidised.id, reason: "wrong slot", by: .testAdmin)
            let corrected = try await services.meals.log(Fixtures.meal(site: "LY-01", diner: d, slot: subsidised.slot.rawValue, on: "2026-11-01"), by: .testAdmin).meal
            #expect(corrected.subsidyFen == 400)
        }
    }

    @Test func batchesAnswerEveryItemInOrderAndIndependently() async throws {
        try await TestDatabase.withServices { services in
            try await Fixtures.site(services, "LY-01")
            let a = try await Fixtures.diner(services, born: "1940-05-05", serial: 11).diner.id
            let b = try await Fixtures.diner(services, born: "1950-05-05", serial: 12, card: "B-CARD").diner.id
            _ = try await services.meals.log(Fixtures.meal(site: "LY-01", diner: a, slot: "dinner", on: "2026-11-21", key: "old"), by: .testAdmin)
            var items = [
                Fixtures.meal(site: "LY-01", diner: a, on: "2026-11-21", key: "r1"),
                MealDraft(siteCode: "LY-01", cardNo: "B-CARD", slot: "lunch", priceFen: 800, servedOn: "2026-11-21", clientRef: "r2"),
                Fixtures.meal(site: "LY-01", diner: a, on: "2026-11-21", key: "r3"),
                Fixtures.meal(site: "LY-01", diner: a, slot: "dinner", on: "2026-11-21", key: "old"),
                Fixtures.meal(site: "LY-01", diner: a, on: "2026-11-30", key: "r5"),
                Fixtures.meal(site: "NOPE", diner: b, key: "r6"),
            ]
            items.append(Fixtures.meal(site: "LY-01", diner: b, slot: "dinner", on: "2026-11-21", key: "r1"))
            let results = try await services.meals.logBatch(items, by: .testAdmin)
            #expect(results.map(\.status.rawValue) == ["created", "created", "duplicate", "replayed", "rejected", "rejected", "rejected"])
            #expect(results.map(\.clientRef) == ["r1", "r2", "r3", "old", "r5", "r6", "r1"])
            #expect(results[1].meal?.dinerID == b)
            #expect(results[1].meal?.subsidyFen == 200)
            #expect(results[2].error?.code.rawValue == "duplicate_meal")
            #expect(results[2].error?.existingMealID == results[0].meal?.id)
            #expect(results[4].error?.code.rawValue == "invalid_date")
            #expect(results[5].error?.code.rawValue == "not_found")
            #expect(results[6].error?.code.rawValue == "idempotency_mismatch")
            let replay = try await services.meals.logBatch(Array(items.prefix(2)), by: .testAdmin)
            #expect(replay.map(\.status.rawValue) == ["replayed", "replayed"])
            #expect(replay.map { $0.meal?.id } == results.prefix(2).map { $0.meal?.id })
            let tooMany = await Self.code { _ = try await services.meals.logBatch(Array(repeating: items[0], count: 1001), by: .testAdmin) }
            #expect(tooMany == .invalidRequest)
        }
    }

    /// A server that turns read-only under the counter (a primary demoted by a failover) fails
    /// the meal in flight as unavailable, and the counter's connection is dropped: the next meal
    /// goes through a new connection instead of meeting the same read-only server forever.
    @Test func aCounterConnectionToAReadOnlyServerIsDropped() async throws {
        try await TestDatabase.withServices(maxConnections: 1) { services in
            try await Fixtures.site(services, "LY-01")
            let d = try await Fixtures.diner(services, born: "1946-10-15", serial: 21)
            // The pool's only connection turns read-only, as one to a demoted primary does.
            try await services.db.pool.withSession { try $0.executeScript("SET default_transaction_read_only = on") }
            let refused = await Self.code { _ = try await services.meals.log(Fixtures.meal(site: "LY-01", diner: d.diner.id), by: .testAdmin) }
            #expect(refused == .unavailable)
            let logged = try await services.meals.log(Fixtures.meal(site: "LY-01", diner: d.diner.id), by: .testAdmin)
            #expect(logged.replayed == false)
        }
    }

    @Test func quotesAndLookupsShowWhatADinerGetsWithoutLoggingAnything() async throws {
        try await TestDatabase.withServices { services in
            try await Fixtures.site(services, "LY-01", slots: ["lunch", "dinner"])
            let d = try await Fixtures.diner(services, born: "1946-10-15", serial: 13, card: "Q-1", home: "LY-01")
            let quote = try await services.quotes.quote(dinerID: d.diner.id, servedOn: nil, slot: "lunch", priceFen: 300, by: .testAdmin)
            #expect((quote.age, quote.bracket, quote.subsidyFen, quote.payableFen, quote.eligible, quote.reason) == (80, "80+", 300, 0, true, nil))
            let lunch = try await services.meals.log(Fixtures.meal(site: "LY-01", diner: d.diner.id), by: .testAdmin).meal
            let served = try await services.quotes.quote(dinerID: d.diner.id, servedOn: "2026-11-22", slot: "lunch", priceFen: 1000, by: .testAdmin)
            #expect(served.eligible == false)
            #expect(served.reason == "already_served")
            let young = try await Fixtures.diner(services, born: "1960-01-01", serial: 14)
            let none = try await services.quotes.quote(dinerID: young.diner.id, servedOn: "2026-11-01", slot: "lunch", priceFen: 1000, by: .testAdmin)
            #expect((none.bracket, none.subsidyFen, none.payableFen, none.eligible, none.reason) == ("none", 0, 1000, false, "no_tier"))
            let lookup = try await services.diners.lookup(residentID: nil, cardNo: "Q-1", by: .testOperator("LY-01"))
            #expect(lookup.today.age == 80)
            #expect(lookup.today.slots.map(\.slot) == [.lunch, .dinner])
            #expect(lookup.today.slots.map(\.alreadyServed) == [true, false])
            #expect(lookup.today.slots.map(\.subsidyFen) == [0, 400])
            // At LY-01's price of 10 yuan; the lunch already served names its meal.
            #expect(lookup.today.slots.map(\.payableFen) == [1000, 600])
            #expect(lookup.today.slots.map(\.mealID) == [lunch.id, nil])
            let byID = try await services.diners.lookup(residentID: d.diner.residentID.lowercased(), cardNo: nil, by: .testOperator("ELSEWHERE"))
            #expect(byID.diner.diner.id == d.diner.id)
            let count = try await services.db.session { try $0.query("SELECT count(*) FROM meal").first!.decode(0, as: Int.self) }
            #expect(count == 1)
        }
    }
}
