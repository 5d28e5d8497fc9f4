import CanteenDomain
import Testing

@Suite("Subsidy policy")
struct SubsidyPolicyTests {
    @Test func theStandardPolicyHasTheSpecTiers() {
        let policy = SubsidyPolicy.standard
        #expect(policy.tier(forAge: 69) == nil)
        #expect(policy.tier(forAge: 70)?.subsidyFen == 200)
        #expect(policy.tier(forAge: 79)?.label == "70-79")
        #expect(policy.tier(forAge: 80)?.subsidyFen == 400)
        #expect(policy.tier(forAge: 120)?.label == "80+")
    }

    @Test func thePolicyInForceIsTheLatestOnOrBeforeTheDate() throws {
        let later = try SubsidyPolicy.validated(
            effectiveFrom: "2027-01-01",
            tiers: [SubsidyTier(label: "75+", minAge: 75, maxAge: nil, subsidyFen: 300)], maxSubsidizedMealsPerDay: 1)
        let book = PolicyBook([later, .standard])
        #expect(book.policy(on: LocalDate(iso: "2022-08-31")!) == nil)
        #expect(book.policy(on: LocalDate(iso: "2022-09-01")!) == .standard)
        #expect(book.policy(on: LocalDate(iso: "2026-12-31")!) == .standard)
        #expect(book.policy(on: LocalDate(iso: "2027-01-01")!)?.tiers.first?.label == "75+")
    }

    @Test(arguments: [
        [SubsidyTier(label: "a", minAge: 70, maxAge: 80, subsidyFen: 200), SubsidyTier(label: "b", minAge: 80, maxAge: nil, subsidyFen: 400)],
        [SubsidyTier(label: "a", minAge: 70, maxAge: nil, subsidyFen: 200), SubsidyTier(label: "b", minAge: 90, maxAge: nil, subsidyFen: 400)],
        [SubsidyTier(label: "a", minAge: 60, maxAge: 100, subsidyFen: 200), SubsidyTier(label: "b", minAge: 70, maxAge: 75, subsidyFen: 400)],
    ])
    func overlappingTiersAreRefused(_ tiers: [SubsidyTier]) {
        let error = #expect(throws: CanteenError.self) {
            try SubsidyPolicy.validated(effectiveFrom: "2027-01-01", tiers: tiers, maxSubsidizedMealsPerDay: nil)
        }
        #expect(error?.code == .validationFailed)
    }

    @Test func otherBadPoliciesAreRefusedWithValidationFailed() {
        let bad: [(String?, [SubsidyTier]?, Int?)] = [
            (nil, [SubsidyTier(label: "a", minAge: 70, maxAge: nil, subsidyFen: 200)], nil),
            ("2027-02-30", [SubsidyTier(label: "a", minAge: 70, maxAge: nil, subsidyFen: 200)], nil),
            ("2027-01-01", [], nil),
            ("2027-01-01", nil, nil),
            ("2027-01-01", [SubsidyTier(label: "", minAge: 70, maxAge: nil, subsidyFen: 200)], nil),
            ("2027-01-01", [SubsidyTier(label: "none", minAge: 70, maxAge: nil, subsidyFen: 200)], nil),
            ("2027-01-01", [SubsidyTier(label: "a", minAge: 70, maxAge: 60, subsidyFen: 200)], nil),
            ("2027-01-01", [SubsidyTier(label: "a", minAge: 200, maxAge: 300, subsidyFen: 200)], nil),
            ("2027-01-01", [SubsidyTier(label: "a", minAge: Int.max, maxAge: Int.min, subsidyFen: Int.min)], nil),
            ("2027-01-01", [SubsidyTier(label: "a", minAge: -1, maxAge: nil, subsidyFen: 200)], nil),
            ("2027-01-01", [SubsidyTier(label: "a", minAge: 70, maxAge: nil, subsidyFen: -5)], nil),
            ("2027-01-01", [SubsidyTier(label: "a", minAge: 70, maxAge: 79, subsidyFen: 200), SubsidyTier(label: "a", minAge: 80, maxAge: nil, subsidyFen: 400)], nil),
            ("2027-01-01", [SubsidyTier(label: "a", minAge: 70, maxAge: nil, subsidyFen: 200)], 0),
            ("2027-01-01", [SubsidyTier(label: "a", minAge: 70, maxAge: nil, subsidyFen: 200)], 4),
        ]
        for (from, tiers, cap) in bad {
            do {
                _ = try SubsidyPolicy.validated(effectiveFrom: from, tiers: tiers, maxSubsidizedMealsPerDay: cap)
                Issue.record("accepted \(String(describing: from)) \(String(describing: tiers)) \(String(describing: cap))")
            } catch let error as CanteenError {
                #expect(error.code == .validationFailed)
            } catch {
                Issue.record("unexpected \(error)")
            }
        }
    }
}
