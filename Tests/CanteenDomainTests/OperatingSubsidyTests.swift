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
    static let rates = OperatingSubsidy.rates(in: YearMonth(iso: "2026-11")!, policies: paying)

    @Test func aDinerDayWithTwoSubsidisedMealsCountsOnce() {
        // Lunch and dinner of one diner on one date, and one meal of another diner: two diner-days.
        let meals = [Meal(diner: 1, on: Self.november), Meal(diner: 1, on: Self.november), Meal(diner: 2, on: Self.november)]
        let earned = OperatingSubsidy.earned(dinerDays: Reference.dinerDays(meals), rates: Self.rates)
        #expect(earned == OperatingSubsidy.Earned(dinerDays: 2, fen: 600))
    }

    @Test func voidingOneOfTwoClawsBackNothingVoidingTheLastClawsBackTheDay() {
        #expect(OperatingSubsidy.clawBack(subsidisedMealsLeft: 1, rate: 300) == 0)
        #expect(OperatingSubsidy.clawBack(subsidisedMealsLeft: 0, rate: 300) == -300)
        // A day the closed claim paid nothing for claws back nothing.
        #expect(OperatingSubsidy.clawBack(subsidisedMealsLeft: 0, rate: nil) == 0)
    }

    @Test func eachDateEarnsTheRateOfItsOwnPolicy() {
        let book = PolicyBook([Self.policy(from: "2026-01-01", operating: nil), Self.policy(from: "2026-11-16", operating: 250)])
        let rates = OperatingSubsidy.rates(in: YearMonth(iso: "2026-11")!, policies: book)
        #expect(rates.count == 15 && rates[LocalDate(iso: "2026-11-16")!] == 250 && rates[LocalDate(iso: "2026-11-15")!] == nil)
        let days = [LocalDate(iso: "2026-11-15")!: 4, LocalDate(iso: "2026-11-16")!: 3, LocalDate(iso: "2026-11-30")!: 1]
        // The days under the policy without an operating subsidy earn nothing and are not counted.
        #expect(OperatingSubsidy.earned(dinerDays: days, rates: rates) == OperatingSubsidy.Earned(dinerDays: 4, fen: 1000))
        #expect(OperatingSubsidy.rates(in: YearMonth(iso: "2026-10")!, policies: book).isEmpty)
        // Before the first policy there is nothing.
        #expect(OperatingSubsidy.rates(in: YearMonth(iso: "2020-01")!, policies: book).isEmpty)
    }

    @Test func aPolicyTakesTheOperatingSubsidyWithinTheMealPriceRange() {
        func refused(_ operating: Int?) -> Bool {
            (try? SubsidyPolicy.validated(effectiveFrom: "2026-01-01", tiers: SubsidyPolicy.standard.tiers, maxSubsidizedMealsPerDay: nil,
                                          operatingFenPerDinerDay: operating)) == nil
        }
        #expect(!refused(nil) && !refused(0) && !refused(300) && !refused(100_000))
        #expect(refused(-1) && refused(100_001))
    }

    /// A month of one site through everything that can happen to it: meals logged while it is
    /// open, its claim submitted, voids (an adjustment each, carried by a later frozen claim or
    /// still open), rejections (the open adjustments of the month are dropped, the carried ones
    /// stay) and rebuilds. At the end, what the month's last claim paid plus every carried
    /// claw-back is what the meals still valid earn, counted plainly: no day is paid twice or lost.
    @Test(arguments: 0..<300) func whatIsPaidAlwaysEndsAsWhatTheValidMealsEarn(seed: Int) {
        var random = SplitMix64(seed: UInt64(seed))
        var meals: [(meal: Meal, valid: Bool)] = []
        var closed = false
        var paid = OperatingSubsidy.Earned.none
        var open: [Int] = [], carried: [Int] = []
        func submit() {
            let valid = meals.filter(\.valid).map(\.meal)
            let elsewhere = OperatingSubsidy.Earned(dinerDays: carried.filter { $0 < 0 }.count, fen: -carried.reduce(0, +))
            paid = OperatingSubsidy.claimed(dinerDays: Reference.dinerDays(valid), rates: Self.rates, takenBackElsewhere: elsewhere)
            closed = true
        }
        for _ in 0..<Int.random(in: 0...30, using: &random) {
            switch Int.random(in: 0..<10, using: &random) {
            case 0..<4 where !closed:
                meals.append((Meal(diner: Int.random(in: 1...3, using: &random), on: Self.november.adding(days: Int.random(in: 0...2, using: &random))), true))
            case 4..<7:
                guard let index = meals.indices.filter({ meals[$0].valid }).randomElement(using: &random) else { continue }
                meals[index].valid = false
                guard closed else { continue }
                let voided = meals[index].meal
                let left = meals.filter { $0.valid && $0.meal == voided }.count
                open.append(OperatingSubsidy.clawBack(subsidisedMealsLeft: left, rate: Self.rates[voided.on]))
            case 7:
                carried += open
                open = []
            case 8 where closed:
                closed = false
                open = []
            case 9 where !closed:
                submit()
            default:
                continue
            }
        }
        if !closed { submit() }
        carried += open
        let valid = meals.filter(\.valid).map(\.meal)
        #expect(paid.fen + carried.reduce(0, +) == Reference.dinerDayCount(valid) * 300)
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
