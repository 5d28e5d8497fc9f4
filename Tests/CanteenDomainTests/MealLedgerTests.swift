import CanteenDomain
import Foundation
import Testing

/// `MealLedger`, the one place a meal is decided, against a plain reference reading of SPEC
/// §2.4–2.8 written here without any of its code: random facts, the same answer.
@Suite("Meal rules against a reference model")
struct MealLedgerTests {
    static let today = LocalDate(year: 2026, month: 11, day: 22)!
    static let site = Site(code: "S", name: "食堂", kind: .other, street: "街道", opensOn: LocalDate(year: 2024, month: 1, day: 10)!,
                           closesOn: LocalDate(year: 2026, month: 6, day: 1)!, slots: [.lunch, .dinner], defaultPriceFen: 800)
    static let policies = [
        SubsidyPolicy(effectiveFrom: LocalDate(year: 2022, month: 9, day: 1)!,
                      tiers: [SubsidyTier(label: "70-79", minAge: 70, maxAge: 79, subsidyFen: 200),
                              SubsidyTier(label: "80+", minAge: 80, maxAge: nil, subsidyFen: 400)],
                      maxSubsidizedMealsPerDay: nil),
        SubsidyPolicy(effectiveFrom: LocalDate(year: 2025, month: 3, day: 1)!,
                      tiers: [SubsidyTier(label: "60-74", minAge: 60, maxAge: 74, subsidyFen: 150),
                              SubsidyTier(label: "75-89", minAge: 75, maxAge: 89, subsidyFen: 350),
                              SubsidyTier(label: "90+", minAge: 90, maxAge: nil, subsidyFen: 700)],
                      maxSubsidizedMealsPerDay: 1),
    ]

    /// The reference: the SPEC's words, one after the other.
    static func reference(birth: LocalDate, statuses: [(LocalDate, DinerStatus)], earlier: [(Slot, Bool)], closed: Bool,
                          site: Site?, day: LocalDate, slot: Slot, price requested: Int?)
        -> (code: CanteenError.Code?, age: Int, bracket: String, subsidy: Int) {
        func refused(_ code: CanteenError.Code) -> (CanteenError.Code?, Int, String, Int) { (code, -1, "", -1) }
        if day > today { return refused(.invalidDate) }
        guard let site else { return refused(.notFound) }
        guard let price = requested ?? site.defaultPriceFen else { return refused(.invalidPrice) }
        if day < birth { return refused(.invalidDate) }
        if day < site.opensOn || site.closesOn.map({ day >= $0 }) == true || !site.slots.contains(slot) { return refused(.siteNotOperating) }
        let status = statuses.filter { $0.0 <= day }.max { $0.0 < $1.0 }?.1 ?? .active
        if status != .active { return refused(.dinerInactive) }
        if closed { return refused(.periodClosed) }
        if earlier.contains(where: { $0.0 == slot }) { return refused(.duplicateMeal) }
        // Completed years as PostgreSQL's age_on computed them: (YYYYMMDD - YYYYMMDD) / 10000.
        func key(_ d: LocalDate) -> Int { d.year * 10_000 + d.month * 100 + d.day }
        let age = (key(day) - key(birth)) / 10_000
        guard let policy = policies.filter({ $0.effectiveFrom <= day }).max(by: { $0.effectiveFrom < $1.effectiveFrom }) else {
            return (nil, age, "none", 0)
        }
        guard let tier = policy.tiers.first(where: { age >= $0.minAge && ($0.maxAge == nil || age <= $0.maxAge!) }) else {
            return (nil, age, "none", 0)
        }
        if let cap = policy.maxSubsidizedMealsPerDay, earlier.filter(\.1).count >= cap { return (nil, age, tier.label, 0) }
        return (nil, age, tier.label, min(tier.subsidyFen, price))
    }

    @Test func everyDecisionMatchesTheReference() {
        let seed = UInt64.random(in: 0...UInt64.max)
        var rng = SplitMix64(seed: seed)  // the seed in every failure repeats the run
        var codes = Set<CanteenError.Code?>()
        for n in 0..<20_000 {
            let day = LocalDate(daysSinceEpoch: Int.random(in: 19_700...20_420, using: &rng))
            let birth: LocalDate
            switch Int.random(in: 0..<4, using: &rng) {
            case 0: birth = LocalDate(year: day.year - Int.random(in: 58...92, using: &rng), month: day.month, day: min(day.day, 28))!
            case 1: birth = LocalDate(year: [1932, 1936, 1944, 1952], month: 2, day: 29, using: &rng)
            case 2: birth = LocalDate(daysSinceEpoch: day.daysSinceEpoch + Int.random(in: -3...2, using: &rng))  // a baby, or unborn
            default: birth = LocalDate(daysSinceEpoch: Int.random(in: -16_000 ... -3_000, using: &rng))
            }
            var byDate: [LocalDate: DinerStatus] = [:]  // one status a date, as the database's key allows
            for _ in 0..<Int.random(in: 0...2, using: &rng) {
                byDate[LocalDate(daysSinceEpoch: day.daysSinceEpoch + Int.random(in: -2...2, using: &rng))] = DinerStatus.allCases.randomElement(using: &rng)!
            }
            let statuses = byDate.map { ($0.key, $0.value) }
            let slot = Slot.allCases.randomElement(using: &rng)!
            let earlier = Slot.allCases.shuffled(using: &rng).prefix(Int.random(in: 0...2, using: &rng)).map { ($0, Bool.random(using: &rng)) }
            let closed = Int.random(in: 0..<10, using: &rng) == 0
            let price: Int? = [nil, 0, 100, 349, 350, 800, 2000].randomElement(using: &rng)!
            let knownSite = Int.random(in: 0..<20, using: &rng) != 0
            var site = Self.site
            if Int.random(in: 0..<5, using: &rng) == 0 { site.defaultPriceFen = nil }

            var ledger = MealLedger(sites: knownSite ? ["S": site] : [:], policies: PolicyBook(Self.policies))
            ledger.add(DinerRecord(id: 1, birthDate: birth, homeSite: nil, statusHistory: statuses), residentID: nil, cardNo: nil)
            for (i, meal) in earlier.enumerated() {
                ledger.addStoredMeal(id: 100 + i, dinerID: 1, servedOn: day, slot: meal.0, subsidised: meal.1, place: nil)
            }
            if closed { ledger.closedMonths = [SiteMonth("S", day.yearMonth)] }
            let request = MealRequest(siteCode: "S", diner: .id(1), slot: slot, priceFen: price, servedOn: day, delivery: false,
                                      idempotencyKey: nil)
            let expected = Self.reference(birth: birth, statuses: statuses, earlier: earlier, closed: closed,
                                          site: knownSite ? site : nil, day: day, slot: slot, price: price)
            codes.insert(expected.code)
            switch ledger.decide(request, requestHash: "h", today: Self.today, index: 0) {
            case .create(let meal):
                #expect(expected.code == nil, "case \(n), seed \(seed): created, expected \(String(describing: expected.code))")
                #expect(meal.age == expected.age && meal.bracket == expected.bracket && meal.subsidyFen == expected.subsidy,
                        "case \(n), seed \(seed): \(meal) expected \(expected)")
                #expect(meal.payableFen == meal.priceFen - meal.subsidyFen)
                // Recorded: the same slot again is a duplicate of this meal.
                #expect(ledger.decide(request, requestHash: "h2", today: Self.today, index: 1) == .duplicate(.pending(0), slot: slot, on: day))
            case .duplicate:
                #expect(expected.code == .duplicateMeal, "case \(n), seed \(seed)")
            case .refuse(let error):
                #expect(error.code == expected.code, "case \(n), seed \(seed): \(error) expected \(String(describing: expected.code))")
            case .replay:
                Issue.record("case \(n), seed \(seed): a replay without a key")
            }
        }
        // Every way a meal can end was met.
        #expect(codes.isSuperset(of: [nil, .invalidDate, .notFound, .invalidPrice, .siteNotOperating, .dinerInactive, .periodClosed, .duplicateMeal]),
                "seed \(seed)")
    }

    @Test func aKeyReplaysItsMealOrIsAMismatch() {
        var ledger = MealLedger(sites: ["S": Self.site], policies: PolicyBook(Self.policies))
        ledger.add(DinerRecord(id: 1, birthDate: LocalDate(year: 1940, month: 1, day: 1)!, homeSite: nil, statusHistory: []),
                   residentID: nil, cardNo: "C-1")
        let day = LocalDate(year: 2025, month: 5, day: 5)!
        let first = MealRequest(siteCode: "S", diner: .cardNo("C-1"), slot: .lunch, priceFen: nil, servedOn: day, delivery: false,
                                idempotencyKey: "k")
        guard case .create(let meal) = ledger.decide(first, requestHash: "a", today: Self.today, index: 0) else {
            Issue.record("not created")
            return
        }
        #expect(meal.priceFen == 800)
        #expect(meal.subsidyFen == 350)
        #expect(meal.subsidyPlace == 1)
        #expect(ledger.decide(first, requestHash: "a", today: Self.today, index: 1) == .replay(.pending(0)))
        guard case .refuse(let mismatch) = ledger.decide(first, requestHash: "b", today: Self.today, index: 2) else {
            Issue.record("no mismatch")
            return
        }
        #expect(mismatch.code == .idempotencyMismatch)
        // The cap of one is taken by the first meal: dinner is logged without a subsidy.
        let dinner = MealRequest(siteCode: "S", diner: .id(1), slot: .dinner, priceFen: 800, servedOn: day, delivery: false, idempotencyKey: nil)
        guard case .create(let second) = ledger.decide(dinner, requestHash: "c", today: Self.today, index: 3) else {
            Issue.record("dinner not created")
            return
        }
        #expect(second.subsidyFen == 0)
        #expect(second.subsidyPlace == nil)
    }
}

extension LocalDate {
    init(year choices: [Int], month: Int, day: Int, using rng: inout some RandomNumberGenerator) {
        self = LocalDate(year: choices.randomElement(using: &rng)!, month: month, day: day)!
    }
}
