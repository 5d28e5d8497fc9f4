import CanteenDomain
import Testing

/// SPEC §2.14: a canteen earns the policy's operating subsidy once for every diner and date with
/// a valid subsidised meal; a void after the month was claimed claws the day back only when it
/// leaves the day without one.
@Suite("Operating subsidy")
struct OperatingSubsidyTests {
    static let november = LocalDate(iso: "2026-11-02")!
    static func policy(from: String, operating: Int?) -> SubsidyPolicy {
        SubsidyPolicy(effectiveFrom: LocalDate(iso: from)!, tiers: SubsidyPolicy.standard.tiers, maxSubsidizedMealsPerDay: nil,
                      operatingFenPerDinerDay: operating)
    }
    static let paying = PolicyBook([policy(from: "2026-01-01", operating: 300)])

    @Test func aDinerDayWithTwoSubsidisedMealsCountsOnce() {
        // Lunch and dinner of one diner on one date, and one meal of another diner: two diner-days.
        let meals = [Meal(diner: 1, on: Self.november), Meal(diner: 1, on: Self.november), Meal(diner: 2, on: Self.november)]
        let earned = OperatingSubsidy.earned(dinerDays: Reference.dinerDays(meals), policies: Self.paying)
        #expect(earned == OperatingSubsidy.Earned(dinerDays: 2, fen: 600))
    }

    @Test func voidingOneOfTwoClawsBackNothingVoidingTheLastClawsBackTheDay() {
        #expect(OperatingSubsidy.clawBack(subsidisedMealsLeft: 1, on: Self.november, policies: Self.paying) == 0)
        #expect(OperatingSubsidy.clawBack(subsidisedMealsLeft: 0, on: Self.november, policies: Self.paying) == -300)
    }

    @Test func eachDateEarnsTheRateOfItsOwnPolicy() {
        let book = PolicyBook([Self.policy(from: "2026-01-01", operating: nil), Self.policy(from: "2026-11-16", operating: 250)])
        let days = [LocalDate(iso: "2026-11-15")!: 4, LocalDate(iso: "2026-11-16")!: 3, LocalDate(iso: "2026-11-30")!: 1]
        // The days under the policy without an operating subsidy earn nothing and are not counted.
        #expect(OperatingSubsidy.earned(dinerDays: days, policies: book) == OperatingSubsidy.Earned(dinerDays: 4, fen: 1000))
        #expect(OperatingSubsidy.clawBack(subsidisedMealsLeft: 0, on: LocalDate(iso: "2026-11-15")!, policies: book) == 0)
        #expect(OperatingSubsidy.paid(in: YearMonth(iso: "2026-11")!, policies: book))
        #expect(!OperatingSubsidy.paid(in: YearMonth(iso: "2026-10")!, policies: book))
        // Before the first policy there is nothing.
        #expect(OperatingSubsidy.earned(dinerDays: [LocalDate(iso: "2020-01-01")!: 5], policies: book) == .none)
    }

    @Test func aPolicyTakesTheOperatingSubsidyWithinTheMealPriceRange() {
        func refused(_ operating: Int?) -> Bool {
            (try? SubsidyPolicy.validated(effectiveFrom: "2026-01-01", tiers: SubsidyPolicy.standard.tiers, maxSubsidizedMealsPerDay: nil,
                                          operatingFenPerDinerDay: operating)) == nil
        }
        #expect(!refused(nil) && !refused(0) && !refused(300) && !refused(100_000))
        #expect(refused(-1) && refused(100_001))
    }

    /// Any meals of a month, claimed, then voided in any order: what the claim earned plus every
    /// void's claw-back is what the meals still valid earn — no day is clawed back twice or never.
    @Test(arguments: 0..<200) func clawBacksAlwaysLeaveWhatTheRemainingMealsEarn(seed: Int) {
        var random = SplitMix64(seed: UInt64(seed))
        let count = Int.random(in: 0...12, using: &random)
        var meals = (0..<count).map { _ in
            Meal(diner: Int.random(in: 1...3, using: &random), on: Self.november.adding(days: Int.random(in: 0...2, using: &random)))
        }
        let claimed = OperatingSubsidy.earned(dinerDays: Reference.dinerDays(meals), policies: Self.paying)
        var clawedBack = 0
        for _ in 0..<Int.random(in: 0...count, using: &random) {
            let voided = meals.remove(at: Int.random(in: 0..<meals.count, using: &random))
            let left = meals.filter { $0.diner == voided.diner && $0.on == voided.on }.count
            clawedBack += OperatingSubsidy.clawBack(subsidisedMealsLeft: left, on: voided.on, policies: Self.paying)
        }
        let remaining = OperatingSubsidy.earned(dinerDays: Reference.dinerDays(meals), policies: Self.paying)
        #expect(claimed.fen + clawedBack == remaining.fen)
        #expect(remaining.fen == Reference.dinerDayCount(meals) * 300)
    }

    /// A subsidised meal of one site, as far as the operating subsidy cares.
    struct Meal: Equatable {
        let diner: Int
        let on: LocalDate
    }

    /// The plain model: a diner-day is a distinct (diner, date) pair.
    enum Reference {
        static func dinerDays(_ meals: [Meal]) -> [LocalDate: Int] {
            var diners: [LocalDate: Set<Int>] = [:]
            for meal in meals { diners[meal.on, default: []].insert(meal.diner) }
            return diners.mapValues(\.count)
        }

        static func dinerDayCount(_ meals: [Meal]) -> Int {
            Set(meals.map { "\($0.diner)/\($0.on)" }).count
        }
    }
}

@Suite("Funder totals")
struct FunderTotalsTests {
    @Test func totalsListEveryNonZeroFunderInTheSPECsOrderNegativesIncluded() {
        let shares = [FundingShare(.street, 100), FundingShare(.city, 200), FundingShare(.district, 0), FundingShare(.street, -100),
                      FundingShare(.city, -50), FundingShare(.district, -30)]
        #expect(FundingShare.totals(shares) == [FundingShare(.city, 150), FundingShare(.district, -30)])
        #expect(FundingShare.totals([]) == [])
    }

    @Test func aBracketListsTheCategoriesOfItsLinesInTheSPECsOrder() {
        let lines = [
            ClaimLine(dinerID: 1, name: "甲", residentIDMasked: "x", bracket: "低保特困", categories: [.tekun], meals: 3, subsidyFen: 3900),
            ClaimLine(dinerID: 2, name: "乙", residentIDMasked: "x", bracket: "低保特困", categories: [.dibao], meals: 1, subsidyFen: 1300),
            ClaimLine(dinerID: 2, name: "乙", residentIDMasked: "x", bracket: "80+", meals: 2, subsidyFen: 800),
        ]
        #expect(ClaimBracket.totals(of: lines) == [
            ClaimBracket(bracket: "80+", meals: 2, diners: 1, subsidyFen: 800),
            ClaimBracket(bracket: "低保特困", categories: [.dibao, .tekun], meals: 4, diners: 2, subsidyFen: 5200),
        ])
    }
}
