import CanteenDomain
import CanteenHTTP
import CanteenService
import Foundation
import HTTPTypes
import HummingbirdTesting
import Testing
import TestSupport

/// SPEC §2.11: a bureau token limited to `streets` is a street office (街道办): it sees and acts on
/// its streets' sites, diners, meals, claims, reports and audit rows only — on every route.
@Suite("A street office's token")
struct StreetScopeHTTPTests {
    @Test func aStreetOfficeSeesAndActsOnItsOwnStreetOnly() async throws {
        try await TestDatabase.withServices { services in
            let w = try await APITests.world(services)  // LY-01, LY-02 in 柳园街道
            _ = try await services.sites.create(SiteDraft(code: "ZL-01", name: "张炉集幸福食堂", kind: "village", street: "张炉集镇",
                                                          opensOn: "2022-09-01", slots: ["lunch"], defaultPriceFen: 800), by: .testAdmin)
            let village = try await Fixtures.diner(services, born: "1944-04-04", serial: 7, card: "ZL-7", home: "ZL-01").diner.id
            let visitor = w.diner1  // home LY-01, eats once at ZL-01
            let zlMeal = try await services.meals.log(Fixtures.meal(site: "ZL-01", diner: visitor, on: "2026-10-05"), by: .testAdmin).meal.id
            let villageMeal = try await services.meals.log(Fixtures.meal(site: "ZL-01", diner: village, on: "2026-10-05"), by: .testAdmin).meal.id
            let lyClaim = try await services.claims.build(siteCode: "LY-02", month: "2026-10", by: .testAdmin).claim.id
            _ = try await services.claims.transition(lyClaim, .submit, by: .testAdmin)
            let zlClaim = try await services.claims.build(siteCode: "ZL-01", month: "2026-10", by: .testAdmin).claim.id
            _ = try await services.claims.transition(zlClaim, .submit, by: .testAdmin)

            try await buildApplication(services: services).test(.router) { client in
                func call(_ method: HTTPRequest.Method, _ uri: String, _ token: String, _ body: String? = nil) async throws
                    -> (HTTPResponse.Status, [String: Any], String) {
                    let answer = try await APITests.request(client, method, uri, token: token, body: body)
                    return (answer.0, answer.1, answer.3)
                }
                func items(_ answer: (HTTPResponse.Status, [String: Any], String)) -> [[String: Any]] {
                    answer.1["items"] as? [[String: Any]] ?? []
                }
                // Issuing one: only a bureau token names streets.
                let issued = try await call(.post, "/v1/tokens", w.admin, #"{"name": "张炉集镇街道办", "role": "bureau", "streets": ["张炉集镇"]}"#)
                #expect(issued.0 == .created && issued.1["streets"] as? [String] == ["张炉集镇"], "\(issued.2)")
                let office = try #require(issued.1["token"] as? String)
                #expect(try await call(.post, "/v1/tokens", w.admin, #"{"name": "x", "role": "operator", "site_codes": ["LY-01"], "streets": ["张炉集镇"]}"#).0
                        == .unprocessableContent)
                let tokens = try await call(.get, "/v1/tokens", w.admin)
                #expect(tokens.0 == .ok, "\(tokens.2)")
                #expect(items(tokens).first?["name"] as? String == "张炉集镇街道办" && items(tokens).first?["streets"] as? [String] == ["张炉集镇"])
                #expect(!tokens.2.contains(office) && !tokens.2.contains("token_hash") && items(tokens).allSatisfy { $0["token"] == nil })
                #expect(try await call(.get, "/v1/tokens", w.bureau).0 == .forbidden)

                // Sites.
                #expect(items(try await call(.get, "/v1/sites", office)).map { $0["code"] as? String } == ["ZL-01"])
                #expect(try await call(.get, "/v1/sites/LY-01", office).0 == .forbidden)
                #expect(items(try await call(.get, "/v1/sites?street=柳园街道", office)).isEmpty)
                let outside = #"{"code": "LY-09", "name": "外街", "kind": "village", "street": "柳园街道", "opens_on": "2026-01-01"}"#
                #expect(try await call(.post, "/v1/sites", office, outside).0 == .forbidden)
                let inside = #"{"code": "ZL-02", "name": "张炉集二食堂", "kind": "village", "street": "张炉集镇", "opens_on": "2026-01-01"}"#
                #expect(try await call(.post, "/v1/sites", office, inside).0 == .created)
                // Its new site is its own at once (no cached list of sites).
                #expect(try await call(.patch, "/v1/sites/ZL-02", office, #"{"phone": "0635-1"}"#).0 == .ok)
                #expect(try await call(.patch, "/v1/sites/ZL-02", office, #"{"street": "柳园街道"}"#).0 == .forbidden)
                #expect(try await call(.patch, "/v1/sites/LY-01", office, #"{"phone": "0635-2"}"#).0 == .forbidden)
                #expect(try await call(.post, "/v1/policies", office,
                                       #"{"effective_from": "2027-01-01", "tiers": [{"label": "80+", "min_age": 80, "max_age": null, "subsidy_fen": 400}]}"#).0
                        == .forbidden)

                // Diners: those of its sites, and those who ate there.
                let diners = items(try await call(.get, "/v1/diners", office)).compactMap { $0["id"] as? Int }
                #expect(Set(diners) == [village, visitor])
                #expect(try await call(.get, "/v1/diners/\(visitor)", office).0 == .ok)
                #expect(try await call(.get, "/v1/diners/\(w.diner2)", office).0 == .forbidden)
                #expect(try await call(.get, "/v1/diners/lookup?card_no=C-2", office).0 == .forbidden)
                #expect(try await call(.get, "/v1/diners/lookup?card_no=ZL-7", office).0 == .ok)
                #expect(try await call(.post, "/v1/diners/\(w.diner2)/categories", office, #"{"category": "dibao", "effective_on": "2026-01-01"}"#).0
                        == .forbidden)

                // Meals.
                #expect(items(try await call(.get, "/v1/meals", office)).allSatisfy { $0["site_code"] as? String == "ZL-01" })
                #expect(items(try await call(.get, "/v1/meals", office)).count == 2)
                #expect(try await call(.get, "/v1/meals/\(zlMeal)", office).0 == .ok)
                #expect(try await call(.get, "/v1/meals/\(w.meal2)", office).0 == .forbidden)
                #expect(try await call(.get, "/v1/meals?site_code=LY-02", office).0 == .forbidden)

                // Claims.
                #expect(items(try await call(.get, "/v1/claims", office)).map { $0["id"] as? Int } == [zlClaim])
                #expect(try await call(.get, "/v1/claims/\(lyClaim)", office).0 == .forbidden)
                #expect(try await call(.post, "/v1/claims/\(lyClaim)/approve", office).0 == .forbidden)
                #expect(try await call(.get, "/v1/claims/\(lyClaim)/export?format=csv", office).0 == .forbidden)
                #expect(try await call(.post, "/v1/claims/\(zlClaim)/approve", office, #"{"comment": "同意"}"#).0 == .ok)

                // The monthly report: its street, and `street=` outside it is forbidden.
                let report = try await call(.get, "/v1/reports/monthly?month=2026-10", office)
                #expect(report.0 == .ok, "\(report.2)")
                #expect((report.1["sites"] as? [[String: Any]])?.map { $0["site_code"] as? String } == ["ZL-01", "ZL-02"], "\(report.2)")
                #expect(try await call(.get, "/v1/reports/monthly?month=2026-10&street=柳园街道", office).0 == .forbidden)
                #expect(try await call(.get, "/v1/reports/monthly?month=2026-10&street=张炉集镇", office).0 == .ok)
                let everyStreet = try await call(.get, "/v1/reports/monthly?month=2026-10", w.bureau)
                #expect((everyStreet.1["sites"] as? [Any])?.count == 4)

                // The audit log: its sites, meals, claims and diners; no policies, tokens or other streets.
                var rows: [[String: Any]] = []
                var cursor: String?
                repeat {
                    let page = try await call(.get, "/v1/audit?limit=500" + (cursor.map { "&cursor=\($0)" } ?? ""), office)
                    rows += items(page)
                    cursor = page.1["next_cursor"] as? String
                } while cursor != nil
                #expect(!rows.isEmpty)
                for row in rows {
                    let entity = row["entity"] as? String, id = row["entity_id"] as? String ?? ""
                    switch entity {
                    case "site": #expect(id.hasPrefix("ZL-"), "\(row)")
                    case "meal": #expect([String(zlMeal), String(villageMeal)].contains(id), "\(row)")
                    case "claim": #expect(id == String(zlClaim), "\(row)")
                    case "diner": #expect([String(village), String(visitor)].contains(id), "\(row)")
                    default: Issue.record("a street office read \(row)")
                    }
                }
                #expect(rows.contains { $0["entity"] as? String == "claim" })
                // A meal logged there by mistake and voided gives the office no reach to the diner.
                let mistake = try await services.meals.log(Fixtures.meal(site: "ZL-01", diner: w.diner2, on: "2026-11-02"), by: .testAdmin).meal.id
                #expect(try await call(.get, "/v1/diners/\(w.diner2)", office).0 == .ok)
                _ = try await services.meals.void(mistake, reason: "刷错卡", by: .testAdmin)
                #expect(try await call(.get, "/v1/diners/\(w.diner2)", office).0 == .forbidden)
                #expect(!items(try await call(.get, "/v1/diners", office)).contains { $0["id"] as? Int == w.diner2 })
                let all = items(try await call(.get, "/v1/audit?limit=500", w.bureau))
                #expect(all.contains { $0["entity"] as? String == "token" } && all.contains { $0["entity_id"] as? String == "LY-01" })
            }
        }
    }
}
