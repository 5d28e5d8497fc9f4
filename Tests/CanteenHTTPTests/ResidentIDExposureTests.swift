import CanteenDomain
import CanteenHTTP
import CanteenService
import Foundation
import Hummingbird
import HummingbirdTesting
import Postgres
import Testing
import TestSupport

/// SPEC §2.3: outside `GET /v1/diners/{id}` for admin and bureau, a full resident ID appears in
/// no answer — lists, meals, batches, quotes, look-ups, problems, claims, reports, audit — and in no audit detail.
@Suite("Full resident IDs stay out of answers")
struct ResidentIDExposureTests {
    @Test func noAnswerButTheDinerRecordCarriesAFullResidentID() async throws {
        try await TestDatabase.withServices { services in
            let w = try await APITests.world(services)
            let id1 = try await services.diners.get(w.diner1, by: .testAdmin).diner.residentID
            let id2 = try await services.diners.get(w.diner2, by: .testAdmin).diner.residentID
            // A valid number nobody registered, and one with a wrong check character.
            let stranger = Fixtures.residentID(born: LocalDate(iso: "1941-02-03")!, serial: 77)
            let wrongCheck = String(id1.dropLast()) + (id1.last == "0" ? "1" : "0")
            let secrets = [id1, id2, stranger, wrongCheck]
            _ = try await services.diners.setStatus(w.diner2, status: "suspended", effectiveOn: "2026-11-21", by: .testAdmin)

            let answers = try await buildApplication(services: services).test(.router) { client in
                var answers: [(what: String, body: String)] = []
                func ask(_ method: HTTPRequest.Method, _ uri: String, _ token: String, body: String? = nil,
                         headers: HTTPFields = [:], expect status: HTTPResponse.Status? = nil) async throws {
                    let answer = try await APITests.request(client, method, uri, token: token, body: body, headers: headers)
                    if let status { #expect(answer.0 == status, "\(method) \(uri): \(answer.3.prefix(300))") }
                    answers.append(("\(method) \(uri)", answer.3))
                }
                let key: HTTPFields = [.init("Idempotency-Key")!: "k-1"]
                let byID = #"{"site_code": "LY-01", "resident_id": "\#(id1)", "slot": "dinner", "price_fen": 1000, "served_on": "2026-11-20"}"#
                // Meals named by resident ID: created, replayed, duplicate, mismatch, inactive, unknown, malformed.
                try await ask(.post, "/v1/meals", w.op1, body: byID, headers: key, expect: .created)
                try await ask(.post, "/v1/meals", w.op1, body: byID, headers: key, expect: .ok)
                try await ask(.post, "/v1/meals", w.op1, body: byID, expect: .conflict)
                try await ask(.post, "/v1/meals", w.op1, body: byID.replacingOccurrences(of: "1000", with: "900"), headers: key)
                try await ask(.post, "/v1/meals", w.op2, body: #"{"site_code": "LY-02", "resident_id": "\#(id2)", "slot": "lunch", "price_fen": 1000}"#)
                try await ask(.post, "/v1/meals", w.op1, body: #"{"site_code": "LY-01", "resident_id": "\#(stranger)", "slot": "lunch", "price_fen": 1000}"#)
                try await ask(.post, "/v1/meals", w.op1, body: #"{"site_code": "LY-01", "resident_id": "\#(wrongCheck)", "slot": "lunch", "price_fen": 1000}"#)
                try await ask(.post, "/v1/meals/batch", w.op1, body: """
                    {"meals": [
                      {"client_ref": "b1", "site_code": "LY-01", "resident_id": "\(id1)", "slot": "lunch", "price_fen": 1000, "served_on": "2026-11-19"},
                      {"client_ref": "b2", "site_code": "LY-01", "resident_id": "\(id1)", "slot": "lunch", "price_fen": 1000, "served_on": "2026-11-19"},
                      {"client_ref": "b3", "site_code": "LY-01", "resident_id": "\(stranger)", "slot": "lunch", "price_fen": 1000},
                      {"client_ref": "b4", "site_code": "LY-01", "resident_id": "\(wrongCheck)", "slot": "lunch", "price_fen": 1000},
                      {"client_ref": "b5", "site_code": "LY-02", "resident_id": "\(id1)", "slot": "lunch", "price_fen": 1000}
                    ]}
                    """, expect: .ok)
                // Quotes, look-ups, registrations that clash or fail.
                for token in [w.admin, w.op1] {
                    try await ask(.get, "/v1/subsidy-quote?diner_id=\(w.diner1)&slot=lunch&price_fen=1000&served_on=2026-11-18", token, expect: .ok)
                    try await ask(.get, "/v1/diners/lookup?resident_id=\(id2)", token, expect: .ok)
                    try await ask(.get, "/v1/diners/lookup?resident_id=\(stranger)", token, expect: .notFound)
                }
                try await ask(.post, "/v1/diners", w.admin, body: #"{"name": "重复", "resident_id": "\#(id1)"}"#, expect: .conflict)
                try await ask(.post, "/v1/diners", w.op1, body: #"{"name": "重复", "resident_id": "\#(id2)"}"#, expect: .conflict)
                try await ask(.post, "/v1/diners", w.admin, body: #"{"name": "错号", "resident_id": "\#(wrongCheck)"}"#)
                // Claims and their documents, the monthly report.
                let built = try await APITests.request(client, .post, "/v1/claims", token: w.op2, body: #"{"site_code": "LY-02", "month": "2026-10"}"#)
                answers.append(("POST /v1/claims", built.3))
                let claim = try #require(built.1["id"] as? Int)
                for format in ["json", "csv", "html"] {
                    try await ask(.get, "/v1/claims/\(claim)/export?format=\(format)", w.bureau, expect: .ok)
                    try await ask(.get, "/v1/reports/monthly?month=2026-11&format=\(format)", w.bureau, expect: .ok)
                }
                try await ask(.get, "/v1/claims/\(claim)", w.op2, expect: .ok)
                // Every list, for admin and bureau, including a search by the full number.
                for token in [w.admin, w.bureau] {
                    for path in ["/v1/diners", "/v1/diners?q=\(id1)", "/v1/meals", "/v1/meals?site_code=LY-01&served_on=2026-11-20", "/v1/claims",
                                 "/v1/audit", "/v1/audit?entity=diner", "/v1/audit?entity=meal"] {
                        try await ask(.get, path, token, expect: .ok)
                    }
                }
                try await ask(.get, "/v1/diners", w.op1, expect: .ok)
                try await ask(.get, "/v1/meals", w.op1, expect: .ok)
                try await ask(.get, "/v1/diners/\(w.diner1)", w.op1, expect: .ok)

                // The one answer that carries it, so the search below can see an ID where one is.
                let full = try await APITests.request(client, .get, "/v1/diners/\(w.diner1)", token: w.admin)
                #expect(full.3.contains(id1))
                return answers
            }
            #expect(answers.count > 40)
            for (what, body) in answers {
                for secret in secrets {
                    #expect(!body.contains(secret), "\(what) shows \(ResidentID.mask(secret)) in full")
                }
            }
            // The audit details in the database, too.
            for secret in secrets {
                let tables = try await services.db.session { session in try TestDatabase.tablesHolding(secret, session) }
                #expect(!tables.contains("public.audit_log"), "\(ResidentID.mask(secret)): \(tables)")
            }
            let inDiners = try await services.db.session { session in try TestDatabase.tablesHolding(id1, session) }
            #expect(inDiners.contains("public.diner"))
        }
    }
}
