import CanteenDomain
import CanteenHTTP
import CanteenService
import Foundation
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing
import TestSupport

/// The holes an attacker found (issue 11), over the HTTP API. Malformed HTTP framing and slow
/// clients need raw sockets: `scripts/hostile-http.py`, run by `make test`.
@Suite("Hostile input: HTTP")
struct HostileInputHTTPTests {
    typealias API = APITests

    @Test func aNULCharacterInAnyTextIsInvalidRequest() async throws {
        try await TestDatabase.withServices { services in
            let w = try await API.world(services)
            try await buildApplication(services: services).test(.router) { client in
                // The driver would cut "LY-01\0ZZ" to "LY-01" and log the meal at LY-01.
                let meal = try await API.request(client, .post, "/v1/meals", token: w.admin,
                                                 body: #"{"site_code": "LY-01\u0000ZZ", "diner_id": \#(w.diner1), "slot": "lunch", "price_fen": 1000}"#)
                #expect(meal.0 == .badRequest)
                #expect(meal.1["code"] as? String == "invalid_request")
                let nameWithNUL = try await API.request(client, .post, "/v1/diners", token: w.admin,
                                                        body: #"{"name": "王\u0000某", "resident_id": "\#(Fixtures.residentID(born: LocalDate(year: 1945, month: 1, day: 1)!, serial: 9))"}"#)
                #expect(nameWithNUL.1["code"] as? String == "invalid_request")
                let query = try await API.request(client, .get, "/v1/sites?street=%E6%9F%B3%00x", token: w.admin)
                #expect(query.0 == .badRequest)
                #expect(query.1["code"] as? String == "invalid_request")
                let path = try await API.request(client, .get, "/v1/sites/LY-01%00ZZ", token: w.admin)
                #expect(path.1["code"] as? String == "invalid_request")
                // An escaped backslash followed by "u0000" is text, not a NUL.
                let text = try await API.request(client, .post, "/v1/meals", token: w.admin,
                                                 body: #"{"site_code": "LY-01\\u0000", "diner_id": \#(w.diner1), "slot": "lunch", "price_fen": 1000}"#)
                #expect(text.1["code"] as? String == "not_found")
                let meals = try await services.db.session { try $0.query("SELECT count(*) FROM meal").first!.decode(0, as: Int.self) }
                #expect(meals == 1)  // the world's own meal only
            }
        }
    }

    @Test func headAnswersLikeGetWithoutABody() async throws {
        try await TestDatabase.withServices { services in
            let w = try await API.world(services)
            try await buildApplication(services: services).test(.router) { client in
                for uri in ["/health", "/v1/sites", "/v1/sites/LY-01", "/openapi.yaml"] {
                    let head = try await client.execute(uri: uri, method: .head, headers: [.authorization: "Bearer \(w.admin)"]) { $0 }
                    #expect(head.status == .ok, "HEAD \(uri)")
                    #expect(head.body.readableBytes == 0, "HEAD \(uri)")
                }
                let missing = try await client.execute(uri: "/v1/sites/NOPE", method: .head, headers: [.authorization: "Bearer \(w.admin)"]) { $0 }
                #expect(missing.status == .notFound)
                let anonymous = try await client.execute(uri: "/v1/sites", method: .head) { $0 }
                #expect(anonymous.status == .unauthorized)
            }
        }
    }

    @Test func inputThatOnceReachedTheDatabaseGetsItsOwnCode() async throws {
        try await TestDatabase.withServices { services in
            let w = try await API.world(services)
            try await buildApplication(services: services).test(.router) { client in
                let family = "👨‍👩‍👧‍👦"
                let rid = Fixtures.residentID(born: LocalDate(year: 1945, month: 1, day: 1)!, serial: 9)
                let long = try await API.request(client, .post, "/v1/diners", token: w.admin,
                                                 body: #"{"name": "\#(String(repeating: family, count: 64))", "resident_id": "\#(rid)"}"#)
                #expect(long.0 == .unprocessableContent)
                #expect(long.1["code"] as? String == "validation_failed")
                let report = try await API.request(client, .get, "/v1/reports/monthly?month=9999-12", token: w.admin)
                #expect(report.0 == .unprocessableContent)
                #expect(report.1["code"] as? String == "validation_failed")
                let unborn = try await API.request(client, .get, "/v1/subsidy-quote?diner_id=\(w.diner1)&slot=lunch&price_fen=1000&served_on=1940-01-01",
                                                   token: w.admin)
                #expect(unborn.0 == .unprocessableContent)
                #expect(unborn.1["code"] as? String == "invalid_date")
                #expect(unborn.1["age"] == nil)
                let batch = try await API.request(client, .post, "/v1/meals/batch", token: w.admin, body: """
                    {"meals": [
                      {"client_ref": "ok", "site_code": "LY-01", "diner_id": \(w.diner1), "slot": "lunch", "price_fen": 1000, "served_on": "2026-11-02"},
                      {"client_ref": "unborn", "site_code": "LY-01", "diner_id": \(w.diner1), "slot": "dinner", "price_fen": 1000, "served_on": "1940-01-01"}
                    ]}
                    """)
                #expect(batch.0 == .ok)
                let results = try #require(batch.1["results"] as? [[String: Any]])
                #expect(results.map { $0["status"] as? String } == ["created", "rejected"])
                #expect((results[1]["error"] as? [String: Any])?["code"] as? String == "invalid_date")
                let single = try await API.request(client, .post, "/v1/meals", token: w.admin,
                                                   body: #"{"site_code": "LY-01", "diner_id": \#(w.diner1), "slot": "dinner", "price_fen": 1000, "served_on": "1940-01-01"}"#)
                #expect(single.0 == .unprocessableContent)
                #expect(single.1["code"] as? String == "invalid_date")
            }
        }
    }

    @Test func throttlingSlowsOnlyTheFailingCredentials() async throws {
        try await TestDatabase.withServices { services in
            let w = try await API.world(services)
            try await buildApplication(services: services).test(.router) { client in
                for _ in 0..<25 { _ = try await API.request(client, .get, "/v1/sites", token: "cnt_guess") }
                let throttled = try await API.request(client, .get, "/v1/sites", token: "cnt_other_guess")
                #expect(throttled.0 == .tooManyRequests)
                #expect(throttled.1["code"] as? String == "too_many_requests")
                #expect((Int(throttled.2[.retryAfter] ?? "") ?? 0) > 0)
                for token in [w.admin, w.bureau, w.op1, w.op2] {
                    let ok = try await API.request(client, .get, "/v1/sites", token: token)
                    #expect(ok.0 == .ok)
                    #expect(ok.2[.retryAfter] == nil)
                }
                let meal = try await API.request(client, .post, "/v1/meals", token: w.op1,
                                                 body: #"{"site_code": "LY-01", "diner_id": \#(w.diner1), "slot": "lunch", "price_fen": 1000}"#)
                #expect(meal.0 == .created)
            }
        }
    }
}
