import CanteenDomain
import PropertyBased
import Testing

@Suite("Age, brackets and subsidy")
struct SubsidyRuleTests {
    func date(_ text: String) -> LocalDate { LocalDate(iso: text)! }

    @Test func aBirthdayCountsOnTheDayItself() {
        #expect(age(bornOn: date("1946-10-15"), on: date("2026-10-14")) == 79)
        #expect(age(bornOn: date("1946-10-15"), on: date("2026-10-15")) == 80)
    }

    @Test func leapDayBirthdaysComeOnTheFirstOfMarchInCommonYears() {
        let born = date("1944-02-29")
        #expect(age(bornOn: born, on: date("2024-02-28")) == 79)
        #expect(age(bornOn: born, on: date("2024-02-29")) == 80)
        #expect(age(bornOn: born, on: date("2025-02-28")) == 80)
        #expect(age(bornOn: born, on: date("2023-02-28")) == 78)
        #expect(age(bornOn: born, on: date("2023-03-01")) == 79)
    }

    @Test func someoneTurningEightyMidMonthChangesBracketThatDay() {
        let born = date("1946-10-15")
        let before = SubsidyRule.subsidy(policy: .standard, birthDate: born, servedOn: date("2026-10-14"), priceFen: 1000, subsidisedEarlierThatDay: 0)
        let on = SubsidyRule.subsidy(policy: .standard, birthDate: born, servedOn: date("2026-10-15"), priceFen: 1000, subsidisedEarlierThatDay: 0)
        #expect(before == MealSubsidy(age: 79, bracket: "70-79", subsidyFen: 200, funding: [FundingShare(.city, 200)], payableFen: 800, reason: nil))
        #expect(on == MealSubsidy(age: 80, bracket: "80+", subsidyFen: 400, funding: [FundingShare(.city, 400)], payableFen: 600, reason: nil))
    }

    @Test func theSubsidyNeverExceedsThePrice() {
        let s = SubsidyRule.subsidy(policy: .standard, birthDate: date("1930-01-01"), servedOn: date("2026-01-01"), priceFen: 250, subsidisedEarlierThatDay: 0)
        #expect(s.subsidyFen == 250)
        #expect(s.payableFen == 0)
    }

    @Test func noPolicyNoTierAndTheDailyCap() throws {
        let young = SubsidyRule.subsidy(policy: .standard, birthDate: date("1960-01-01"), servedOn: date("2026-01-01"), priceFen: 1000, subsidisedEarlierThatDay: 0)
        #expect(young.bracket == "none")
        #expect(young.subsidyFen == 0)
        #expect(young.reason == .noTier)
        let early = SubsidyRule.subsidy(policy: nil, birthDate: date("1930-01-01"), servedOn: date("2022-08-01"), priceFen: 1000, subsidisedEarlierThatDay: 0)
        #expect(early.reason == .noPolicy)
        let capped = try SubsidyPolicy.validated(effectiveFrom: "2027-01-01", tiers: SubsidyPolicy.standard.tiers, maxSubsidizedMealsPerDay: 1)
        let second = SubsidyRule.subsidy(policy: capped, birthDate: date("1930-01-01"), servedOn: date("2027-02-01"), priceFen: 1000, subsidisedEarlierThatDay: 1)
        #expect(second.subsidyFen == 0)
        #expect(second.bracket == "80+")
        #expect(second.reason == .dailyCapReached)
    }


    @Test func ageIsMonotoneAndGrowsByOneEachBirthday() async {
        await propertyCheck(count: 500, input: Gen.int(in: -25_567...20_800).map { LocalDate(daysSinceEpoch: $0) }, Gen.int(in: 0...40_000)) { birth, offset in
            let day = birth.adding(days: offset)
            let years = age(bornOn: birth, on: day)
            #expect(years >= 0)
            #expect(age(bornOn: birth, on: day.adding(days: 1)) - years <= 1)
            // The same calendar day a year later is always exactly one year more (29 Feb → 1 Mar).
            if let later = LocalDate(year: day.year + 1, month: day.month, day: day.day) {
                #expect(age(bornOn: birth, on: later) == years + 1)
            }
        }
    }

    @Test func subsidyIsTheTierCappedByPriceAndPayableIsTheRest() async {
        await propertyCheck(count: 1000, input: Gen.int(in: -25_567...20_800).map { LocalDate(daysSinceEpoch: $0) }, Gen.int(in: 0...40_000), Gen.int(in: 0...100_000)) { birth, offset, price in
            let day = birth.adding(days: offset)
            let s = SubsidyRule.subsidy(policy: .standard, birthDate: birth, servedOn: day, priceFen: price, subsidisedEarlierThatDay: 0)
            let years = age(bornOn: birth, on: day)
            let tier = years >= 80 ? 400 : years >= 70 ? 200 : 0
            #expect(s.age == years)
            #expect(s.subsidyFen == min(tier, price))
            #expect(s.payableFen == price - s.subsidyFen)
            #expect(s.bracket == (years >= 80 ? "80+" : years >= 70 ? "70-79" : "none"))
        }
    }
}
