import CanteenDomain
import Testing

/// SPEC §2.13: a tier's subsidy split among funders; a price below the subsidy cuts the shares
/// from the last funder backwards; a tier without funders is the city's alone.
@Suite("Funders")
struct FundingTests {
    static let split = SubsidyTier(label: "80+", minAge: 80, maxAge: nil, subsidyFen: 400,
                                   funders: [FundingShare(.city, 200), FundingShare(.district, 100), FundingShare(.street, 100)])

    @Test func aPriceBelowTheSubsidyCutsTheFundersBackwards() {
        #expect(Self.split.funding(of: 400) == [FundingShare(.city, 200), FundingShare(.district, 100), FundingShare(.street, 100)])
        #expect(Self.split.funding(of: 250) == [FundingShare(.city, 200), FundingShare(.district, 50), FundingShare(.street, 0)])
        #expect(Self.split.funding(of: 300) == [FundingShare(.city, 200), FundingShare(.district, 100), FundingShare(.street, 0)])
        #expect(Self.split.funding(of: 150) == [FundingShare(.city, 150), FundingShare(.district, 0), FundingShare(.street, 0)])
        #expect(Self.split.funding(of: 0) == [])
        let cityOnly = SubsidyTier(label: "70-79", minAge: 70, maxAge: 79, subsidyFen: 200)
        #expect(cityOnly.funding(of: 120) == [FundingShare(.city, 120)])
    }

    @Test func theListedOrderDecidesWhoIsCutFirst() {
        let tier = SubsidyTier(label: "x", minAge: 60, maxAge: nil, subsidyFen: 300, funders: [FundingShare(.street, 100), FundingShare(.city, 200)])
        #expect(tier.funding(of: 250) == [FundingShare(.street, 100), FundingShare(.city, 150)])
    }

    @Test func theRuleGivesEveryPricedMealItsFunding() {
        let policy = SubsidyPolicy(effectiveFrom: LocalDate(iso: "2026-01-01")!, tiers: [Self.split], maxSubsidizedMealsPerDay: 1)
        let meal = SubsidyRule.subsidy(policy: policy, birthDate: LocalDate(iso: "1940-01-01")!, servedOn: LocalDate(iso: "2026-11-20")!,
                                       priceFen: 250, subsidisedEarlierThatDay: 0)
        #expect(meal.funding.map(\.shareFen).reduce(0, +) == meal.subsidyFen)
        let capped = SubsidyRule.subsidy(policy: policy, birthDate: LocalDate(iso: "1940-01-01")!, servedOn: LocalDate(iso: "2026-11-20")!,
                                         priceFen: 250, subsidisedEarlierThatDay: 1)
        #expect(capped.subsidyFen == 0 && capped.funding == [])
    }

    @Test func sharesMustAddUpEachFunderOnceNoneNegative() {
        func fields(_ funders: [FundingShare]) -> [String] {
            do {
                _ = try SubsidyPolicy.validated(effectiveFrom: "2026-01-01",
                                                tiers: [SubsidyTier(label: "x", minAge: 60, maxAge: nil, subsidyFen: 400, funders: funders)],
                                                maxSubsidizedMealsPerDay: nil)
                return []
            } catch let error as CanteenError {
                return error.errors.map(\.field)
            } catch {
                return ["?"]
            }
        }
        #expect(fields([FundingShare(.city, 300), FundingShare(.street, 100)]) == [])
        #expect(fields([FundingShare(.city, 300), FundingShare(.street, 99)]) == ["tiers[0].funders"])
        #expect(fields([FundingShare(.city, 200), FundingShare(.city, 200)]) == ["tiers[0].funders"])
        #expect(fields([FundingShare(.city, 500), FundingShare(.street, -100)]) == ["tiers[0].funders"])
        #expect(fields([]) == ["tiers[0].funders"])
    }
}
