import CanteenHTTP
import CanteenService
import Foundation
import HummingbirdTesting
import Testing
import TestSupport

/// SPEC §3.3: `POST /v1/diners/{id}/categories` and `…/categories/{period_id}/end`; the diner
/// object carries every period, a look-up's `today` the categories held today.
@Suite("Diner categories over HTTP")
struct DinerCategoryHTTPTests {
    @Test func periodsAreAddedAndEndedThroughTheAPI() async throws {
        try await TestDatabase.withServices { services in
            let w = try await APITests.world(services)
            try await buildApplication(services: services).test(.router) { client in
                let path = "/v1/diners/\(w.diner1)/categories"
                let added = try await APITests.request(client, .post, path, token: w.bureau,
                                                       body: #"{"category": "low_income", "effective_on": "2026-01-01"}"#)
                #expect(added.0 == .created, "\(added.3)")
                let periods = try #require(added.1["categories"] as? [[String: Any]])
                #expect(periods.count == 1)
                #expect(periods.first?["category"] as? String == "low_income")
                #expect(periods.first?["ends_on"] is NSNull)
                let period = try #require(periods.first?["id"] as? Int)
                // Operators read; only admin and bureau write.
                #expect(try await APITests.request(client, .post, path, token: w.op1,
                                                   body: #"{"category": "dibao", "effective_on": "2026-01-01"}"#).0 == .forbidden)
                let lookup = try await APITests.request(client, .get, "/v1/diners/lookup?card_no=C-1", token: w.op1)
                #expect((lookup.1["today"] as? [String: Any])?["categories"] as? [String] == ["low_income"])
                #expect((lookup.1["categories"] as? [Any])?.count == 1)
                // Each rule answers its code.
                let word = try await APITests.request(client, .post, path, token: w.admin, body: #"{"category": "poor", "effective_on": "2026-01-01"}"#)
                #expect(word.0 == .badRequest && word.1["code"] as? String == "invalid_request")
                let overlap = try await APITests.request(client, .post, path, token: w.admin,
                                                         body: #"{"category": "low_income", "effective_on": "2026-05-01", "ends_on": null}"#)
                #expect(overlap.0 == .unprocessableContent && overlap.1["code"] as? String == "validation_failed")
                let backwards = try await APITests.request(client, .post, path, token: w.admin,
                                                           body: #"{"category": "dibao", "effective_on": "2026-05-01", "ends_on": "2026-04-01"}"#)
                #expect(backwards.0 == .unprocessableContent)
                let end = "\(path)/\(period)/end"
                let ended = try await APITests.request(client, .post, end, token: w.admin, body: #"{"ends_on": "2026-11-22"}"#)
                #expect(ended.0 == .ok, "\(ended.3)")
                #expect(((ended.1["categories"] as? [[String: Any]])?.first?["ends_on"] as? String) == "2026-11-22")
                let twice = try await APITests.request(client, .post, end, token: w.admin, body: #"{"ends_on": "2026-12-01"}"#)
                #expect(twice.0 == .conflict && twice.1["code"] as? String == "invalid_state")
                // Held up to the day before the end: not today any more.
                let today = try await APITests.request(client, .get, "/v1/diners/lookup?card_no=C-1", token: w.op1)
                #expect((today.1["today"] as? [String: Any])?["categories"] as? [String] == [])
                let missing = try await APITests.request(client, .post, "\(path)/\(period + 50)/end", token: w.admin, body: #"{"ends_on": "2026-12-01"}"#)
                #expect(missing.0 == .notFound)
            }
        }
    }

    /// A policy with a category tier, through the API: the meal and the quote of a diner holding
    /// the category show its tier and category; the policy reads back with its tiers in order.
    @Test func aCategoryTierPaysItsDinersThroughTheAPI() async throws {
        try await TestDatabase.withServices { services in
            let w = try await APITests.world(services)
            try await buildApplication(services: services).test(.router) { client in
                let policy = try await APITests.request(client, .post, "/v1/policies", token: w.bureau, body: """
                    {"effective_from": "2026-11-01", "max_subsidized_meals_per_day": null, "tiers": [
                      {"label": "70-79", "min_age": 70, "max_age": 79, "subsidy_fen": 200},
                      {"label": "80+", "min_age": 80, "max_age": null, "subsidy_fen": 400},
                      {"label": "低保", "min_age": 60, "max_age": null, "subsidy_fen": 600, "categories": ["tekun", "dibao"]}]}
                    """)
                #expect(policy.0 == .created, "\(policy.3)")
                let tiers = try #require(policy.1["tiers"] as? [[String: Any]])
                #expect(tiers.map { $0["label"] as? String } == ["70-79", "80+", "低保"])
                #expect(tiers[2]["categories"] as? [String] == ["tekun", "dibao"])
                #expect(tiers[0]["categories"] == nil)
                let current = try await APITests.request(client, .get, "/v1/policies/current?on=2026-11-20", token: w.op1)
                #expect((current.1["tiers"] as? [[String: Any]])?.last?["categories"] as? [String] == ["tekun", "dibao"])

                _ = try await APITests.request(client, .post, "/v1/diners/\(w.diner1)/categories", token: w.bureau,
                                               body: #"{"category": "dibao", "effective_on": "2026-11-01"}"#)
                let quote = try await APITests.request(client, .get, "/v1/subsidy-quote?diner_id=\(w.diner1)&slot=lunch&price_fen=1000&served_on=2026-11-20",
                                                       token: w.op1)
                #expect(quote.1["bracket"] as? String == "低保" && quote.1["category"] as? String == "dibao" && quote.1["subsidy_fen"] as? Int == 600,
                        "\(quote.3)")
                // A look-up today names the tier the diner's category earns, as the meal will.
                let lookup = try await APITests.request(client, .get, "/v1/diners/lookup?card_no=C-1", token: w.op1)
                #expect((lookup.1["today"] as? [String: Any])?["bracket"] as? String == "低保", "\(lookup.3)")
                let meal = try await APITests.request(client, .post, "/v1/meals", token: w.op1,
                                                      body: #"{"site_code": "LY-01", "diner_id": \#(w.diner1), "slot": "lunch", "price_fen": 1000, "served_on": "2026-11-20"}"#)
                #expect(meal.0 == .created, "\(meal.3)")
                #expect(meal.1["bracket"] as? String == "低保" && meal.1["category"] as? String == "dibao" && meal.1["subsidy_fen"] as? Int == 600)
                // Before the period: the age tier, and a null category.
                let before = try await APITests.request(client, .post, "/v1/meals", token: w.op1,
                                                        body: #"{"site_code": "LY-01", "diner_id": \#(w.diner1), "slot": "lunch", "price_fen": 1000, "served_on": "2026-10-20"}"#)
                #expect(before.1["bracket"] as? String == "80+" && before.1["category"] is NSNull, "\(before.3)")
                // Two tiers of the same set of categories may not overlap; the contract refuses an unknown word.
                let same = try await APITests.request(client, .post, "/v1/policies", token: w.bureau, body: """
                    {"effective_from": "2026-11-15", "tiers": [
                      {"label": "a", "min_age": 60, "max_age": null, "subsidy_fen": 600, "categories": ["dibao", "tekun"]},
                      {"label": "b", "min_age": 70, "max_age": null, "subsidy_fen": 700, "categories": ["tekun", "dibao"]}]}
                    """)
                #expect(same.0 == .unprocessableContent && same.1["code"] as? String == "validation_failed", "\(same.3)")
                let word = try await APITests.request(client, .post, "/v1/policies", token: w.bureau, body: """
                    {"effective_from": "2026-11-15", "tiers": [{"label": "a", "min_age": 60, "max_age": null, "subsidy_fen": 600, "categories": ["poor"]}]}
                    """)
                #expect(word.0 == .badRequest && word.1["code"] as? String == "invalid_request")
            }
            // The database's own guarantee: the same set, overlapping, is refused even past the service.
            let refused: Bool = await {
                do {
                    try await services.db.pool.withSession { session in
                        _ = try session.query("""
                            INSERT INTO subsidy_tier (policy_id, label, min_age, max_age, subsidy_fen, categories, position)
                            SELECT id, 'x', 65, NULL, 100, ARRAY['dibao', 'tekun'], 9 FROM subsidy_policy WHERE effective_from = '2026-11-01'
                            """)
                    }
                    return false
                } catch {
                    return "\(error)".contains("subsidy_tier_no_overlap")
                }
            }()
            #expect(refused)
        }
    }
}
