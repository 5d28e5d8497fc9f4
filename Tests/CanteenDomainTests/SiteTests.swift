import CanteenDomain
import Foundation
import Testing

@Suite("Canteen sites")
struct SiteTests {
    let draft = SiteDraft(code: "LY-01", name: " 东关国际幸福食堂 ", kind: "enterprise", street: "柳园街道",
                          opensOn: "2022-10-01", slots: ["dinner", "lunch"], defaultPriceFen: 1200)

    @Test func aValidDraftBecomesASite() throws {
        let site = try draft.validated()
        #expect(site.name == "东关国际幸福食堂")
        #expect(site.slots == [.lunch, .dinner])
        #expect(site.defaultPriceFen == 1200)
        #expect(SiteDraft(code: "AB", name: "x", kind: "other", street: "s", opensOn: "2022-01-01").slotsDefaultToLunch)
    }

    @Test func statusFollowsOpeningAndClosingDates() throws {
        var site = try draft.validated()
        site.closesOn = LocalDate(iso: "2023-01-01")
        #expect(site.status(on: LocalDate(iso: "2022-09-30")!) == .preparing)
        #expect(site.status(on: LocalDate(iso: "2022-10-01")!) == .operating)
        #expect(site.status(on: LocalDate(iso: "2022-12-31")!) == .operating)
        #expect(site.status(on: LocalDate(iso: "2023-01-01")!) == .closed)
        #expect(site.serves(.lunch, on: LocalDate(iso: "2022-10-01")!))
        #expect(!site.serves(.breakfast, on: LocalDate(iso: "2022-10-01")!))
    }

    @Test(arguments: [
        ("code", SiteDraft(code: "ly-01", name: "n", kind: "village", street: "s", opensOn: "2022-01-01")),
        ("code", SiteDraft(code: "A", name: "n", kind: "village", street: "s", opensOn: "2022-01-01")),
        ("code", SiteDraft(code: String(repeating: "A", count: 33), name: "n", kind: "village", street: "s", opensOn: "2022-01-01")),
        ("code", SiteDraft(code: "LY 01", name: "n", kind: "village", street: "s", opensOn: "2022-01-01")),
        ("name", SiteDraft(code: "LY", name: "  ", kind: "village", street: "s", opensOn: "2022-01-01")),
        ("name", SiteDraft(code: "LY", name: String(repeating: "食", count: 65), kind: "village", street: "s", opensOn: "2022-01-01")),
        ("kind", SiteDraft(code: "LY", name: "n", kind: "canteen", street: "s", opensOn: "2022-01-01")),
        ("street", SiteDraft(code: "LY", name: "n", kind: "village", opensOn: "2022-01-01")),
        ("opens_on", SiteDraft(code: "LY", name: "n", kind: "village", street: "s", opensOn: "2022-02-30")),
        ("closes_on", SiteDraft(code: "LY", name: "n", kind: "village", street: "s", opensOn: "2022-02-01", closesOn: "2022-01-01")),
        ("slots", SiteDraft(code: "LY", name: "n", kind: "village", street: "s", opensOn: "2022-02-01", slots: [])),
        ("slots", SiteDraft(code: "LY", name: "n", kind: "village", street: "s", opensOn: "2022-02-01", slots: ["supper"])),
        ("slots", SiteDraft(code: "LY", name: "n", kind: "village", street: "s", opensOn: "2022-02-01", slots: ["lunch", "lunch"])),
        ("default_price_fen", SiteDraft(code: "LY", name: "n", kind: "village", street: "s", opensOn: "2022-02-01", defaultPriceFen: 100_001)),
        ("default_price_fen", SiteDraft(code: "LY", name: "n", kind: "village", street: "s", opensOn: "2022-02-01", defaultPriceFen: -1)),
        ("phone", SiteDraft(code: "LY", name: "n", kind: "village", street: "s", phone: "call me", opensOn: "2022-02-01")),
    ])
    func invalidDraftsNameTheField(_ field: String, _ draft: SiteDraft) {
        do {
            _ = try draft.validated()
            Issue.record("expected validation_failed for \(field)")
        } catch let error as CanteenError {
            #expect(error.code == .validationFailed)
            #expect(error.errors.contains { $0.field == field })
        } catch {
            Issue.record("unexpected \(error)")
        }
    }

    @Test func patchesChangeOnlyWhatTheyName() throws {
        let site = try draft.validated()
        let patch = SitePatch(name: "新名字", phone: .cleared, closesOn: .set("2030-01-01"))
        let changed = try patch.applied(to: site)
        #expect(changed.name == "新名字")
        #expect(changed.closesOn == LocalDate(iso: "2030-01-01"))
        #expect(changed.phone == nil)
        #expect(changed.street == site.street)
        let reopen = SitePatch(closesOn: .cleared)
        #expect(try reopen.applied(to: changed).closesOn == nil)
    }
}

extension SiteDraft {
    var slotsDefaultToLunch: Bool { (try? validated().slots) == [.lunch] }
}
