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
}
