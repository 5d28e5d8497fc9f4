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
