import CanteenDomain
import Testing

/// SPEC §2.5 with §2.12: a tier may name categories; of the tiers that hold, the largest subsidy
/// applies (on a tie the first listed); the meal stores the first of the tier's categories held.
@Suite("Tiers by category")
struct CategoryTierTests {
    static let day = LocalDate(iso: "2026-11-20")!
    /// Chengyang-like: by age, plus a 低保/特困 tier and a 失能 tier that overlap them.
    static let policy = SubsidyPolicy(effectiveFrom: LocalDate(iso: "2026-01-01")!, tiers: [
        SubsidyTier(label: "70-79", minAge: 70, maxAge: 79, subsidyFen: 200),
        SubsidyTier(label: "80+", minAge: 80, maxAge: nil, subsidyFen: 400),
        SubsidyTier(label: "低保特困", minAge: 60, maxAge: nil, subsidyFen: 600, categories: [.dibao, .tekun]),
        SubsidyTier(label: "失能", minAge: 60, maxAge: nil, subsidyFen: 400, categories: [.disabled]),
    ], maxSubsidizedMealsPerDay: nil)

    static func subsidy(born: String, holding: Set<DinerCategory>, price: Int = 1000, policy: SubsidyPolicy = policy) -> MealSubsidy {
        SubsidyRule.subsidy(policy: policy, birthDate: LocalDate(iso: born)!, holding: holding, servedOn: day, priceFen: price,
                            subsidisedEarlierThatDay: 0)
    }

    @Test func anEightyFiveYearOldOnDibaoGetsTheDibaoTierWhenItPaysMore() {
        let dibao = Self.subsidy(born: "1941-03-01", holding: [.dibao])
        #expect(dibao.bracket == "低保特困" && dibao.category == .dibao && dibao.subsidyFen == 600)
        let none = Self.subsidy(born: "1941-03-01", holding: [])
        #expect(none.bracket == "80+" && none.category == nil && none.subsidyFen == 400)
        // A category the policy does not pay for changes nothing.
        #expect(Self.subsidy(born: "1941-03-01", holding: [.youfu]).bracket == "80+")
        // Under 70 only the category tier holds.
        #expect(Self.subsidy(born: "1962-01-01", holding: [.tekun]).bracket == "低保特困")
        #expect(Self.subsidy(born: "1962-01-01", holding: []).bracket == SubsidyPolicy.noTierBracket)
    }

    @Test func aTieGoesToTheFirstListedAndTheCapUsesTheTierBeforeThePrice() {
        // 失能 pays 400, as 80+ does: 80+ is listed first.
        let tie = Self.subsidy(born: "1941-03-01", holding: [.disabled])
        #expect(tie.bracket == "80+" && tie.category == nil)
        // 70–79 pays 200, 失能 400: 失能.
        #expect(Self.subsidy(born: "1951-03-01", holding: [.disabled]).bracket == "失能")
        // The largest subsidy is chosen before the price caps it.
        let cheap = Self.subsidy(born: "1941-03-01", holding: [.dibao], price: 300)
        #expect(cheap.bracket == "低保特困" && cheap.subsidyFen == 300 && cheap.payableFen == 0)
    }

    @Test func aMealStoresTheFirstOfItsTiersCategoriesTheDinerHolds() {
        #expect(Self.subsidy(born: "1941-03-01", holding: [.tekun, .dibao]).category == .dibao)
        #expect(Self.subsidy(born: "1941-03-01", holding: [.tekun]).category == .tekun)
        #expect(Self.subsidy(born: "1941-03-01", holding: [.tekun, .disabled]).category == .tekun)
    }

    @Test func aPeriodThatEndedTheDayBeforeNoLongerHolds() {
        let diner = DinerRecord(id: 1, birthDate: LocalDate(iso: "1941-03-01")!, homeSite: nil, statusHistory: [], categories: [
            CategoryPeriod(id: 1, category: .dibao, effectiveOn: LocalDate(iso: "2026-01-01")!, endsOn: Self.day),
            CategoryPeriod(id: 2, category: .disabled, effectiveOn: Self.day, endsOn: nil),
        ])
        #expect(diner.categories(on: Self.day) == [.disabled])
        #expect(diner.categories(on: LocalDate(iso: "2026-11-19")!) == [.dibao])
    }

    @Test func overlapsAreRefusedOnlyWithinTheSameSetOfCategories() throws {
        func validate(_ tiers: [SubsidyTier]) -> [String] {
            do {
                _ = try SubsidyPolicy.validated(effectiveFrom: "2026-01-01", tiers: tiers, maxSubsidizedMealsPerDay: nil)
                return []
            } catch let error as CanteenError {
                return error.errors.map(\.field)
            } catch {
                return ["?"]
            }
        }
        let age = [SubsidyTier(label: "70-79", minAge: 70, maxAge: 79, subsidyFen: 200), SubsidyTier(label: "80+", minAge: 80, maxAge: nil, subsidyFen: 400)]
        #expect(validate(age + [SubsidyTier(label: "低保", minAge: 60, maxAge: nil, subsidyFen: 600, categories: [.dibao])]) == [])
        #expect(Set(validate(age + [SubsidyTier(label: "75+", minAge: 75, maxAge: nil, subsidyFen: 300)])) == ["tiers"])
        // The same set, in another order, overlapping in age.
        #expect(validate(age + [SubsidyTier(label: "a", minAge: 60, maxAge: 80, subsidyFen: 600, categories: [.dibao, .tekun]),
                                SubsidyTier(label: "b", minAge: 75, maxAge: nil, subsidyFen: 700, categories: [.tekun, .dibao])]) == ["tiers"])
        // Other sets may overlap.
        #expect(validate(age + [SubsidyTier(label: "a", minAge: 60, maxAge: nil, subsidyFen: 600, categories: [.dibao, .tekun]),
                                SubsidyTier(label: "b", minAge: 60, maxAge: nil, subsidyFen: 700, categories: [.tekun])]) == [])
        #expect(validate([SubsidyTier(label: "a", minAge: 60, maxAge: nil, subsidyFen: 600, categories: [])]) == ["tiers[0].categories"])
        #expect(validate([SubsidyTier(label: "a", minAge: 60, maxAge: nil, subsidyFen: 600, categories: [.dibao, .dibao])]) == ["tiers[0].categories"])
    }
}
