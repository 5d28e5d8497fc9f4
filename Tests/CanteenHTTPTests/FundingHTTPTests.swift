import CanteenHTTP
import CanteenService
import Foundation
import HummingbirdTesting
import Testing
import TestSupport

/// SPEC §2.13 over HTTP: a policy's tier funders, and the funding each meal and quote carries.
@Suite("Funders over HTTP")
struct FundingHTTPTests {
    @Test func aMealCarriesItsTiersFundingCutByThePrice() async throws {
        try await TestDatabase.withServices { services in
            let w = try await APITests.world(services)
            try await buildApplication(services: services).test(.router) { client in
                let policy = try await APITests.request(client, .post, "/v1/policies", token: w.bureau, body: """
                    {"effective_from": "2026-11-01", "max_subsidized_meals_per_day": null, "tiers": [
                      {"label": "70-79", "min_age": 70, "max_age": 79, "subsidy_fen": 200},
                      {"label": "80+", "min_age": 80, "max_age": null, "subsidy_fen": 400,
                       "funders": [{"funder": "city", "share_fen": 200}, {"funder": "district", "share_fen": 100}, {"funder": "street", "share_fen": 100}]}]}
                    """)
                #expect(policy.0 == .created, "\(policy.3)")
                #expect(((policy.1["tiers"] as? [[String: Any]])?.last?["funders"] as? [[String: Any]])?.count == 3)
                func funding(_ object: [String: Any]) -> [String] {
                    (object["funding"] as? [[String: Any]] ?? []).map { "\($0["funder"] as? String ?? "?"):\($0["share_fen"] as? Int ?? -1)" }
                }
                // diner1 is 81 in November 2026: the split tier, cut from the street backwards at a price of 250.
                let meal = try await APITests.request(client, .post, "/v1/meals", token: w.op1,
                                                      body: #"{"site_code": "LY-01", "diner_id": \#(w.diner1), "slot": "lunch", "price_fen": 250, "served_on": "2026-11-20"}"#)
                #expect(meal.0 == .created, "\(meal.3)")
                #expect(funding(meal.1) == ["city:200", "district:50", "street:0"])
                let id = try #require(meal.1["id"] as? Int)
                #expect(funding(try await APITests.request(client, .get, "/v1/meals/\(id)", token: w.op1).1) == ["city:200", "district:50", "street:0"])
                let quote = try await APITests.request(client, .get, "/v1/subsidy-quote?diner_id=\(w.diner1)&slot=dinner&price_fen=1000&served_on=2026-11-20",
                                                       token: w.op1)
                #expect(funding(quote.1) == ["city:200", "district:100", "street:100"])
                // Under the default policy (before November) the city pays all; a free meal has no funding.
                let october = try await APITests.request(client, .post, "/v1/meals", token: w.op1,
                                                         body: #"{"site_code": "LY-01", "diner_id": \#(w.diner1), "slot": "lunch", "price_fen": 1000, "served_on": "2026-10-20"}"#)
                #expect(funding(october.1) == ["city:400"])
                let free = try await APITests.request(client, .post, "/v1/meals", token: w.op1,
                                                      body: #"{"site_code": "LY-01", "diner_id": \#(w.diner1), "slot": "dinner", "price_fen": 0, "served_on": "2026-11-20"}"#)
                #expect(free.0 == .created && (free.1["funding"] as? [Any])?.isEmpty == true, "\(free.3)")
                let unequal = try await APITests.request(client, .post, "/v1/policies", token: w.bureau, body: """
                    {"effective_from": "2026-11-15", "tiers": [{"label": "a", "min_age": 60, "max_age": null, "subsidy_fen": 400,
                      "funders": [{"funder": "city", "share_fen": 100}]}]}
                    """)
                #expect(unequal.0 == .unprocessableContent && unequal.1["code"] as? String == "validation_failed")
            }
        }
    }
}

/// SPEC §2.9, §2.10, §2.14 over HTTP: the operating subsidy on a policy, a claim's diner-days,
/// funders and adjustments, and the monthly report's.
@Suite("Operating subsidy and funders over HTTP")
struct OperatingSubsidyHTTPTests {
    static func shares(_ value: Any?, _ key: String) -> [String] {
        (value as? [[String: Any]] ?? []).map { "\($0["funder"] as? String ?? "?"):\($0[key] as? Int ?? -1)" }
    }

    @Test func claimsAndTheReportCarryTheOperatingSubsidyAndFunders() async throws {
        try await TestDatabase.withServices { services in
            let w = try await APITests.world(services)
            try await buildApplication(services: services).test(.router) { client in
                let refused = try await APITests.request(client, .post, "/v1/policies", token: w.bureau, body: """
                    {"effective_from": "2026-10-01", "operating_fen_per_diner_day": -1,
                     "tiers": [{"label": "80+", "min_age": 80, "max_age": null, "subsidy_fen": 400}]}
                    """)
                #expect(refused.0 == .unprocessableContent && refused.1["code"] as? String == "validation_failed", "\(refused.3)")
                let policy = try await APITests.request(client, .post, "/v1/policies", token: w.bureau, body: """
                    {"effective_from": "2026-10-01", "operating_fen_per_diner_day": 300, "tiers": [
                      {"label": "70-79", "min_age": 70, "max_age": 79, "subsidy_fen": 200},
                      {"label": "80+", "min_age": 80, "max_age": null, "subsidy_fen": 400,
                       "funders": [{"funder": "city", "share_fen": 200}, {"funder": "district", "share_fen": 100}, {"funder": "street", "share_fen": 100}]}]}
                    """)
                #expect(policy.0 == .created && policy.1["operating_fen_per_diner_day"] as? Int == 300, "\(policy.3)")
                let current = try await APITests.request(client, .get, "/v1/policies", token: w.op1)
                #expect((current.1["items"] as? [[String: Any]])?.first?["operating_fen_per_diner_day"] is NSNull, "\(current.3)")

                var ids: [Int] = []
                for slot in ["lunch", "dinner"] {
                    let meal = try await APITests.request(client, .post, "/v1/meals", token: w.op1,
                                                          body: #"{"site_code": "LY-01", "diner_id": \#(w.diner1), "slot": "\#(slot)", "price_fen": 1000, "served_on": "2026-10-03"}"#)
                    ids.append(try #require(meal.1["id"] as? Int, "\(meal.3)"))
                }
                let built = try await APITests.request(client, .post, "/v1/claims", token: w.op1, body: #"{"site_code": "LY-01", "month": "2026-10"}"#)
                #expect(built.0 == .created, "\(built.3)")
                #expect(built.1["operating_diner_days"] as? Int == 1 && built.1["operating_subsidy_fen"] as? Int == 300)
                #expect(Self.shares(built.1["funders"], "subsidy_fen") == ["city:400", "district:200", "street:200"])
                #expect(built.1["total_fen"] as? Int == 800 + 300)
                let id = try #require(built.1["id"] as? Int)
                #expect(try await APITests.request(client, .post, "/v1/claims/\(id)/submit", token: w.op1).0 == .ok)
                for meal in ids {
                    let voided = try await APITests.request(client, .post, "/v1/meals/\(meal)/void", token: w.op1, body: #"{"reason": "刷错卡"}"#)
                    #expect(voided.0 == .ok, "\(voided.3)")
                }
                let november = try await APITests.request(client, .post, "/v1/claims", token: w.op1, body: #"{"site_code": "LY-01", "month": "2026-11"}"#)
                let adjustments = try #require(november.1["adjustments"] as? [[String: Any]], "\(november.3)")
                #expect(adjustments.map { $0["operating_fen"] as? Int } == [0, -300])
                #expect(Self.shares(adjustments[0]["funding"], "share_fen") == ["city:-200", "district:-100", "street:-100"])
                #expect(november.1["adjustment_fen"] as? Int == -800 - 300)
                #expect(Self.shares(november.1["funders"], "subsidy_fen") == ["city:-400", "district:-200", "street:-200"])
                let listed = try await APITests.request(client, .get, "/v1/claims?month=2026-11", token: w.op1)
                #expect((listed.1["items"] as? [[String: Any]])?.first?["adjustment_fen"] as? Int == -1100, "\(listed.3)")

                // The report is from live meals: LY-01's are void; LY-02's meal of 10 October earns the day at that date's policy.
                let report = try await APITests.request(client, .get, "/v1/reports/monthly?month=2026-10", token: w.bureau)
                let sites = try #require(report.1["sites"] as? [[String: Any]], "\(report.3)")
                let ly01 = try #require(sites.first { $0["site_code"] as? String == "LY-01" })
                let ly02 = try #require(sites.first { $0["site_code"] as? String == "LY-02" })
                #expect(ly01["operating_subsidy_fen"] as? Int == 0 && Self.shares(ly01["funders"], "subsidy_fen") == [])
                #expect(ly02["operating_subsidy_fen"] as? Int == 300 && Self.shares(ly02["funders"], "subsidy_fen") == ["city:400"])
                #expect(Self.shares(report.1["funders"], "subsidy_fen") == ["city:400"])
                #expect((report.1["totals"] as? [String: Any])?["operating_subsidy_fen"] as? Int == 300)
            }
        }
    }
}
