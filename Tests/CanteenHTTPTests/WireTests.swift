import CanteenAPI
import CanteenDomain
import CanteenHTTP
import CanteenService
import CanteenWire
import Foundation
import HummingbirdTesting
import Testing
import TestSupport

/// The wire types generated from the contract carry every field the contract requires, with
/// explicit nulls (synthesized Codable alone would leave a nil out).
@Suite("Wire types from the contract")
struct WireTests {
    static func object(_ value: some Encodable) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: JSONCoding.encoder().encode(value)) as? [String: Any])
    }

    @Test func aSiteHasTheSpecFieldsWithExplicitNulls() throws {
        let site = Site(code: "LY-01", name: "幸福食堂", kind: .village, street: "柳园街道", opensOn: LocalDate(iso: "2022-09-01")!)
        let object = try Self.object(Components.Schemas.Site(SiteView(site: site, today: LocalDate(iso: "2026-11-22")!)))
        #expect(Set(object.keys) == ["code", "name", "kind", "street", "community", "address", "operator", "phone",
                                     "opens_on", "closes_on", "slots", "default_price_fen", "status"])
        for key in ["community", "address", "operator", "phone", "closes_on", "default_price_fen"] {
            #expect(object[key] is NSNull, "\(key)")
        }
        #expect(object["status"] as? String == "operating")
        #expect(object["opens_on"] as? String == "2022-09-01")
        #expect(object["slots"] as? [String] == ["lunch"])
        let full = Site(code: "LY-02", name: "x", kind: .communityCenter, street: "s", community: "c", address: "a", operatorName: "o",
                        phone: "1", opensOn: LocalDate(iso: "2022-09-01")!, closesOn: LocalDate(iso: "2026-01-01")!, slots: [.lunch, .dinner],
                        defaultPriceFen: 900)
        let closed = try Self.object(Components.Schemas.Site(SiteView(site: full, today: LocalDate(iso: "2026-11-22")!)))
        #expect(closed["operator"] as? String == "o")
        #expect(closed["closes_on"] as? String == "2026-01-01")
        #expect(closed["default_price_fen"] as? Int == 900)
        #expect(closed["kind"] as? String == "community_center")
        #expect(closed["status"] as? String == "closed")
    }

    @Test func aPageAlwaysCarriesItsNextCursor() throws {
        let last = try Self.object(Components.Schemas.SitePage(Page<SiteView>(items: [], nextCursor: nil)))
        #expect(Set(last.keys) == ["items", "next_cursor"])
        #expect(last["next_cursor"] is NSNull)
    }

    @Test func aDinerCarriesTheFullResidentIDOnlyWhenTheViewAllowsIt() throws {
        let diner = Diner(id: 7, name: "王大爷", residentID: "371500194005010153", sex: .male, birthDate: LocalDate(iso: "1940-05-01")!,
                          phone: nil, address: nil, community: "东关", homeSite: nil, cardNo: nil, status: .movedOut,
                          registeredAt: "2026-11-01T09:00:00+08:00",
                          categories: [CategoryPeriod(id: 3, category: .lowIncome, effectiveOn: LocalDate(iso: "2026-01-01")!, endsOn: nil)])
        let masked = try Self.object(Components.Schemas.Diner(DinerView(diner)))
        #expect(Set(masked.keys) == ["id", "name", "resident_id_masked", "sex", "birth_date", "phone", "address", "community",
                                     "home_site", "card_no", "status", "registered_at", "categories"])
        let period = try #require((masked["categories"] as? [[String: Any]])?.first)
        #expect(Set(period.keys) == ["id", "category", "effective_on", "ends_on"])
        #expect(period["category"] as? String == "low_income" && period["ends_on"] is NSNull)
        #expect(masked["resident_id_masked"] as? String == "371500********0153")
        #expect(masked["phone"] is NSNull && masked["home_site"] is NSNull)
        #expect(masked["status"] as? String == "moved_out")
        #expect(masked["sex"] as? String == "M")
        let full = try Self.object(Components.Schemas.Diner(DinerView(diner, showsResidentID: true)))
        #expect(full["resident_id"] as? String == "371500194005010153")
    }

    @Test func aClaimInAListCarriesItsTotalsAndOneReadByIdItsLines() throws {
        let claim = Claim(id: 3, siteCode: "LY-01", siteName: "x", street: "s", month: YearMonth(iso: "2026-10")!, status: .draft,
                          meals: 2, diners: 1, subsidyFen: 800, adjustmentFen: 0,
                          lines: [ClaimLine(dinerID: 1, name: "王", residentIDMasked: "371500********0153", bracket: "80+", meals: 2, subsidyFen: 800)],
                          adjustments: [], checks: [], rejectReason: nil, overrideReason: nil, builtAt: "2026-11-01T09:00:00+08:00",
                          submittedAt: nil, approvedAt: nil, rejectedAt: nil, paidAt: nil)
        let listed = try Self.object(Components.Schemas.Claim(ClaimView(claim, detailed: false)))
        #expect(listed["lines"] == nil && listed["brackets"] == nil && listed["adjustments"] == nil)
        for key in ["reject_reason", "override_reason", "submitted_at", "approved_at", "rejected_at", "paid_at"] {
            #expect(listed[key] is NSNull, "\(key)")
        }
        #expect(listed["total_fen"] as? Int == 800)
        #expect(listed["month"] as? String == "2026-10")
        let read = try Self.object(Components.Schemas.Claim(ClaimView(claim)))
        let lines = try #require(read["lines"] as? [[String: Any]])
        #expect(lines.first?["resident_id_masked"] as? String == "371500********0153")
        #expect((read["brackets"] as? [[String: Any]])?.first?["diners"] as? Int == 1)
    }

    @Test func anAuditEntryCarriesItsDetailAsTheJSONThatWasRecorded() async throws {
        try await TestDatabase.withServices { services in
            try await Fixtures.site(services, "LY-01")
            _ = try await services.sites.close("LY-01", on: LocalDate(iso: "2026-11-20")!, by: .testAdmin)
            let token = try await services.tokens.create(TokenService.Draft(name: "a", role: "admin", siteCodes: []), by: .testAdmin).secret
            try await buildApplication(services: services).test(.router) { client in
                let answer = try await APITests.request(client, .get, "/v1/audit?entity=site", token: token)
                let items = try #require(answer.1["items"] as? [[String: Any]])
                let created = try #require(items.first { $0["action"] as? String == "site.create" }?["detail"] as? [String: Any])
                #expect(created["code"] as? String == "LY-01")
                #expect(created["slots"] as? [String] == ["breakfast", "lunch", "dinner"])
                #expect(created["default_price_fen"] as? Int == 1000)
                let updated = try #require(items.first { $0["action"] as? String == "site.update" }?["detail"] as? [String: Any])
                let closes = try #require(updated["closes_on"] as? [String: Any])
                #expect(closes["from"] is NSNull)
                #expect(closes["to"] as? String == "2026-11-20")
            }
        }
    }

    /// A PATCH body tells an absent member (leave it) from null (clear it); a site's code cannot change.
    @Test func aSitePatchBodyTellsNullFromAbsent() throws {
        func patch(_ json: String) throws -> SitePatch {
            try SitePatch(JSONCoding.decoder().decode(SitePatchBody.self, from: Data(json.utf8)))
        }
        let site = Site(code: "LY-01", name: "幸福食堂", kind: .village, street: "柳园街道", phone: "0635-1",
                        opensOn: LocalDate(iso: "2022-09-01")!)
        let changed = try patch(#"{"name": "新名字", "closes_on": "2030-01-01", "phone": null}"#).applied(to: site)
        #expect(changed.name == "新名字")
        #expect(changed.closesOn == LocalDate(iso: "2030-01-01"))
        #expect(changed.phone == nil)
        #expect(changed.street == site.street)
        #expect(try patch(#"{"street": "新街道"}"#).applied(to: site).phone == "0635-1")
        #expect(try patch(#"{"closes_on": null}"#).applied(to: changed).closesOn == nil)
        #expect(throws: CanteenError.self) { try patch(#"{"code": "OTHER"}"#) }
    }

    @Test func aDinerPatchBodyRefusesWhatTheResidentIDFixes() throws {
        for member in ["resident_id", "birth_date", "sex", "status"] {
            let body = try JSONCoding.decoder().decode(DinerPatchBody.self, from: Data(#"{"\#(member)": "x", "phone": null}"#.utf8))
            do {
                _ = try DinerPatch(body)
                Issue.record("\(member) was accepted")
            } catch let error as CanteenError {
                #expect(error.code == .validationFailed)
                #expect(error.errors.map(\.field) == [member])
            }
        }
        let body = try JSONCoding.decoder().decode(DinerPatchBody.self, from: Data(#"{"phone": null, "card_no": "C-1"}"#.utf8))
        let patch = try DinerPatch(body)
        guard case .cleared = patch.phone, case .set("C-1") = patch.cardNo, case .unchanged = patch.address else {
            Issue.record("unexpected \(patch)")
            return
        }
    }
}
