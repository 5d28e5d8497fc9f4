import CanteenHTTP
import CanteenService
import Foundation
import HummingbirdTesting
import Testing
import TestSupport

/// SPEC §3: a query parameter a route does not know, or one of the wrong type, outside its enum or
/// missing, is `invalid_request` naming it; an empty value is as if it were absent.
@Suite("Parameters checked against the contract")
struct ContractParametersTests {
    @Test func aParameterTheContractRefusesIsInvalidRequestNamingIt() async throws {
        try await TestDatabase.withServices { services in
            let w = try await APITests.world(services)
            try await buildApplication(services: services).test(.router) { client in
                let refused: [(uri: String, field: String)] = [
                    ("/v1/meals?dinner_id=\(w.diner1)", "dinner_id"),       // a typo is not a filter that matches everything
                    ("/v1/sites?status=open", "status"),
                    ("/v1/meals?diner_id=one", "diner_id"),
                    ("/v1/diners?limit=ten", "limit"),
                    ("/v1/meals/abc", "id"),
                    ("/v1/subsidy-quote?diner_id=\(w.diner1)&price_fen=1000", "slot"),
                    ("/v1/claims/1/export?format=pdf", "format"),
                    ("/v1/audit?entity=meal&cursor=&page=2", "page"),
                ]
                for (uri, field) in refused {
                    let answer = try await APITests.request(client, .get, uri, token: w.admin)
                    #expect(answer.0 == .badRequest, "\(uri): \(answer.3)")
                    #expect(answer.1["code"] as? String == "invalid_request", "\(uri)")
                    let errors = answer.1["errors"] as? [[String: Any]] ?? []
                    #expect(errors.first?["field"] as? String == field, "\(uri): \(answer.3)")
                }
                // Empty values filter nothing; known ones still apply.
                let all = try await APITests.request(client, .get, "/v1/sites?status=&street=&limit=", token: w.admin)
                #expect(all.0 == .ok)
                #expect((all.1["items"] as? [Any])?.count == 2)
                // A percent-encoded value is decoded before it is checked.
                let operating = try await APITests.request(client, .get, "/v1/sites?status=%6Fperating", token: w.admin)
                #expect(operating.0 == .ok, "\(operating.3)")
            }
        }
    }

    @Test func servedOnListsOneDaysMeals() async throws {
        try await TestDatabase.withServices { services in
            let w = try await APITests.world(services)
            _ = try await services.meals.log(Fixtures.meal(site: "LY-02", diner: w.diner2, on: "2026-10-11"), by: .testAdmin)
            try await buildApplication(services: services).test(.router) { client in
                func count(_ query: String) async throws -> Int? {
                    (try await APITests.request(client, .get, "/v1/meals?site_code=LY-02&\(query)", token: w.admin).1["items"] as? [Any])?.count
                }
                #expect(try await count("served_on=2026-10-10") == 1)
                #expect(try await count("served_on=2026-10-11") == 1)
                #expect(try await count("from=2026-10-01") == 2)
                #expect(try await count("served_on=2026-10-11&to=2026-10-10") == 0)
                let bad = try await APITests.request(client, .get, "/v1/meals?served_on=2026-13-01", token: w.admin)
                #expect(bad.0 == .badRequest && (bad.1["errors"] as? [[String: Any]])?.first?["field"] as? String == "served_on")
            }
        }
    }

    /// A body that does not match the contract names the member: missing, of the wrong type, or
    /// outside its enum, down to the item of a batch.
    @Test func aBodyThatDoesNotMatchTheContractNamesTheMember() async throws {
        try await TestDatabase.withServices { services in
            let w = try await APITests.world(services)
            try await buildApplication(services: services).test(.router) { client in
                let refused: [(uri: String, body: String, field: String)] = [
                    ("/v1/meals", #"{"site_code": "LY-01", "diner_id": 1}"#, "slot"),
                    ("/v1/meals", #"{"site_code": "LY-01", "diner_id": 1, "slot": "brunch"}"#, "slot"),
                    ("/v1/meals", #"{"site_code": "LY-01", "diner_id": "1", "slot": "lunch"}"#, "diner_id"),
                    ("/v1/meals/batch", #"{"meals": [{"site_code": "LY-01", "diner_id": 1, "slot": "lunch"}, {"site_code": 7, "slot": "lunch"}]}"#,
                     "meals[1].site_code"),
                    ("/v1/sites", #"{"code": "LY-09", "name": "x", "kind": "palace", "street": "s", "opens_on": "2026-01-01"}"#, "kind"),
                    ("/v1/tokens", #"{"name": "x"}"#, "role"),
                ]
                for (uri, body, field) in refused {
                    let answer = try await APITests.request(client, .post, uri, token: w.admin, body: body)
                    #expect(answer.0 == .badRequest, "\(uri) \(body): \(answer.3)")
                    #expect(answer.1["code"] as? String == "invalid_request")
                    #expect((answer.1["errors"] as? [[String: Any]])?.first?["field"] as? String == field, "\(body): \(answer.3)")
                }
                let notJSON = try await APITests.request(client, .post, "/v1/meals", token: w.admin, body: "slot=lunch")
                #expect(notJSON.0 == .badRequest && notJSON.1["code"] as? String == "invalid_request")
            }
        }
    }
}
