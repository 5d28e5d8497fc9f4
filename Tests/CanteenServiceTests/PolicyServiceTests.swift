import CanteenDomain
import CanteenService
import Testing
import TestSupport

@Suite("Policy service")
struct PolicyServiceTests {
    @Test func theMigrationsLoadTheDefaultPolicy() async throws {
        try await TestDatabase.withServices(today: LocalDate(iso: "2026-11-22")!) { services in
            var current = try await services.policies.current()
            current.id = nil
            #expect(current == .standard)
            await #expect(throws: CanteenError.self) { try await services.policies.current(on: LocalDate(iso: "2022-08-31")!) }
        }
    }

    @Test func addingAPolicyChangesWhatIsInForceFromItsDate() async throws {
        try await TestDatabase.withServices { services in
            let added = try await services.policies.add(PolicyService.Draft(
                effectiveFrom: "2027-01-01",
                tiers: [SubsidyTier(label: "70-79", minAge: 70, maxAge: 79, subsidyFen: 300),
                        SubsidyTier(label: "80+", minAge: 80, maxAge: nil, subsidyFen: 500)],
                maxSubsidizedMealsPerDay: 2), by: .testBureau)
            #expect(added.id != nil)
            do { let actual = try await services.policies.list().map(\.effectiveFrom.description); #expect(actual == ["2022-09-01", "2027-01-01"]) }
            do { let actual = try await services.policies.current(on: LocalDate(iso: "2026-12-31")!).tiers[0].subsidyFen; #expect(actual == 200) }
            let later = try await services.policies.current(on: LocalDate(iso: "2027-01-01")!)
            #expect(later.tiers.map(\.subsidyFen) == [300, 500])
            #expect(later.maxSubsidizedMealsPerDay == 2)
            let audited = try await services.db.session { try $0.query("SELECT count(*) FROM audit_log WHERE entity = 'policy'").first!.decode(0, as: Int.self) }
            #expect(audited == 1)
        }
    }

    @Test func badPoliciesAreRefusedAndWriteNothing() async throws {
        try await TestDatabase.withServices { services in
            let overlapping = PolicyService.Draft(
                effectiveFrom: "2027-01-01",
                tiers: [SubsidyTier(label: "a", minAge: 70, maxAge: 85, subsidyFen: 300),
                        SubsidyTier(label: "b", minAge: 80, maxAge: nil, subsidyFen: 500)],
                maxSubsidizedMealsPerDay: nil)
            let overlap = await #expect(throws: CanteenError.self) { try await services.policies.add(overlapping, by: .testAdmin) }
            #expect(overlap?.code == .validationFailed)
            let sameDay = PolicyService.Draft(effectiveFrom: "2022-09-01", tiers: [SubsidyTier(label: "a", minAge: 70, maxAge: nil, subsidyFen: 1)], maxSubsidizedMealsPerDay: nil)
            do {
                _ = try await services.policies.add(sameDay, by: .testAdmin)
                Issue.record("accepted a second policy on the same date")
            } catch let error as CanteenError {
                #expect(error.code == .validationFailed)
            }
            // A policy that is valid in itself: only the role refuses it.
            let valid = PolicyService.Draft(effectiveFrom: "2027-01-01", tiers: [SubsidyTier(label: "a", minAge: 70, maxAge: nil, subsidyFen: 1)],
                                            maxSubsidizedMealsPerDay: nil)
            let refused = await #expect(throws: CanteenError.self) { try await services.policies.add(valid, by: .testOperator("X")) }
            #expect(refused?.code == .forbidden)
            do { let actual = try await services.policies.list().count; #expect(actual == 1) }
        }
    }
}
