import CanteenDomain
import CanteenHTTP
import CanteenService
import Foundation
import Hummingbird
import HummingbirdTesting
import NIOCore
import Postgres
import Testing
import TestSupport

/// The HTTP API against a real database: every route, role and error code of SPEC §3.
@Suite("HTTP API")
struct APITests {
    struct World {
        let services: CanteenServices
        let admin: String
        let bureau: String
        let op1: String
        let op2: String
        let diner1: Int
        let diner2: Int
        let meal2: Int
    }

    /// Two sites, a diner of each, a meal at LY-02, and a token per role.
    static func world(_ services: CanteenServices) async throws -> World {
        try await Fixtures.site(services, "LY-01")
        try await Fixtures.site(services, "LY-02")
        let d1 = try await Fixtures.diner(services, born: "1945-03-15", serial: 1, card: "C-1", home: "LY-01").diner.id
        let d2 = try await Fixtures.diner(services, born: "1940-03-15", serial: 2, card: "C-2", home: "LY-02").diner.id
        let meal2 = try await services.meals.log(Fixtures.meal(site: "LY-02", diner: d2, on: "2026-10-10"), by: .testAdmin).meal.id
        func token(_ name: String, _ role: String, _ sites: [String] = []) async throws -> String {
            try await services.tokens.create(TokenService.Draft(name: name, role: role, siteCodes: sites), by: .testAdmin).secret
        }
        return World(services: services, admin: try await token("admin", "admin"), bureau: try await token("bureau", "bureau"),
                     op1: try await token("op1", "operator", ["LY-01"]), op2: try await token("op2", "operator", ["LY-02"]),
                     diner1: d1, diner2: d2, meal2: meal2)
    }

    static func request(_ client: some TestClientProtocol, _ method: HTTPRequest.Method, _ uri: String, token: String?,
                        body: String? = nil, headers extra: HTTPFields = [:]) async throws -> (HTTPResponse.Status, [String: Any], HTTPFields, String) {
        var headers = extra
        if let token { headers[.authorization] = "Bearer \(token)" }
        if body != nil { headers[.contentType] = "application/json" }
        return try await client.execute(uri: uri, method: method, headers: headers, body: body.map { ByteBuffer(string: $0) }) { response in
            let text = String(buffer: response.body)
            let object = (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any] ?? [:]
            return (response.status, object, response.headers, text)
        }
    }

    /// SPEC §2.3's masked form, written out independently of `ResidentID.mask`: first 6 and last 4 kept.
    static func masked(_ residentID: String) -> String {
        String(residentID.prefix(6)) + String(repeating: "*", count: 8) + String(residentID.suffix(4))
    }

    @Test func serviceRoutesAndAuthentication() async throws {
        try await TestDatabase.withServices { services in
            let w = try await Self.world(services)
            try await buildApplication(services: services).test(.router) { client in
                #expect(try await Self.request(client, .get, "/health", token: nil).0 == .ok)
                #expect(try await Self.request(client, .get, "/ready", token: nil).0 == .ok)
                let none = try await Self.request(client, .get, "/v1/sites", token: nil)
                #expect(none.0 == .unauthorized)
                #expect(none.1["code"] as? String == "unauthorized")
                #expect(none.2[.contentType] == "application/problem+json")
                #expect(try await Self.request(client, .get, "/v1/sites", token: "cnt_nonsense").0 == .unauthorized)
                let ok = try await Self.request(client, .get, "/v1/sites", token: w.admin)
                #expect(ok.0 == .ok)
                // A request without an id gets a new random version-4 UUID; each request its own.
                let ids = [ok.2[.init("X-Request-Id")!], try await Self.request(client, .get, "/v1/sites", token: w.admin).2[.init("X-Request-Id")!]]
                for id in ids {
                    #expect(try #require(id).wholeMatch(of: /[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}/) != nil, "\(id ?? "")")
                }
                #expect(ids[0] != ids[1])
                // A client's own id is echoed when it is a short word; otherwise it gets a new one.
                let echoed = try await Self.request(client, .get, "/v1/sites", token: w.admin, headers: [.init("X-Request-Id")!: "counter-7_a"])
                #expect(echoed.2[.init("X-Request-Id")!] == "counter-7_a")
                let replaced = try await Self.request(client, .get, "/v1/sites", token: w.admin, headers: [.init("X-Request-Id")!: "bad id"])
                #expect(replaced.2[.init("X-Request-Id")!]?.count == 36)
                #expect(try await Self.request(client, .get, "/v1/nothing-here", token: w.admin).1["code"] as? String == "not_found")
                // Revoked tokens stop working at once.
                let created = try await Self.request(client, .post, "/v1/tokens", token: w.admin, body: #"{"name": "temp", "role": "bureau"}"#)
                #expect(created.0 == .created)
                let secret = try #require(created.1["token"] as? String)
                #expect((secret.count) >= 40)
                #expect(try await Self.request(client, .get, "/v1/sites", token: secret).0 == .ok)
                let id = try #require(created.1["id"] as? Int)
                #expect(try await Self.request(client, .delete, "/v1/tokens/\(id)", token: w.bureau).0 == .forbidden)
                #expect(try await Self.request(client, .delete, "/v1/tokens/\(id)", token: w.admin).0 == .noContent)
                #expect(try await Self.request(client, .get, "/v1/sites", token: secret).0 == .unauthorized)
                // Stored only as a hash: no column of any table holds the secret (the search itself finds the token's name).
                let (holding, named) = try await services.db.session { session in
                    (try TestDatabase.tablesHolding(secret, session), try TestDatabase.tablesHolding("temp", session))
                }
                #expect(holding == [])
                #expect(named.contains("public.api_token"))
            }
        }
    }

    @Test func eachRoleMayUseOnlyItsRoutes() async throws {
        try await TestDatabase.withServices { services in
            let w = try await Self.world(services)
            try await buildApplication(services: services).test(.router) { client in
                let site = #"{"code": "LY-09", "name": "新食堂", "kind": "village", "street": "李营街道", "opens_on": "2026-01-01"}"#
                #expect(try await Self.request(client, .post, "/v1/sites", token: w.op1, body: site).0 == .forbidden)
                #expect(try await Self.request(client, .post, "/v1/sites", token: w.bureau, body: site).0 == .created)
                #expect(try await Self.request(client, .post, "/v1/sites", token: w.admin, body: site).1["code"] as? String == "duplicate_site_code")
                let policy = #"{"effective_from": "2027-01-01", "tiers": [{"label": "80+", "min_age": 80, "max_age": null, "subsidy_fen": 500}], "max_subsidized_meals_per_day": null}"#
                #expect(try await Self.request(client, .post, "/v1/policies", token: w.op1, body: policy).0 == .forbidden)
                #expect(try await Self.request(client, .post, "/v1/policies", token: w.bureau, body: policy).0 == .created)
                let current = try await Self.request(client, .get, "/v1/policies/current?on=2027-02-01", token: w.op1)
                #expect((current.1["tiers"] as? [[String: Any]])?.first?["subsidy_fen"] as? Int == 500)
                #expect((try await Self.request(client, .get, "/v1/policies", token: w.op1).1["items"] as? [Any])?.count == 2)
                let newID = Fixtures.residentID(born: LocalDate(iso: "1950-01-01")!, serial: 30)
                let diner = #"{"name": "新老人", "resident_id": "\#(newID)"}"#
                #expect(try await Self.request(client, .post, "/v1/diners", token: w.bureau, body: diner).0 == .forbidden)
                let registered = try await Self.request(client, .post, "/v1/diners", token: w.op1, body: diner)
                #expect(registered.0 == .created)
                #expect(registered.1["home_site"] as? String == "LY-01")
                #expect(registered.1["resident_id"] == nil)
                #expect(registered.1["resident_id_masked"] as? String == Self.masked(newID))
                #expect(!registered.3.contains(newID))
                #expect(try await Self.request(client, .get, "/v1/reports/monthly?month=2026-10", token: w.op1).0 == .forbidden)
                #expect(try await Self.request(client, .get, "/v1/reports/monthly?month=2026-10", token: w.bureau).0 == .ok)
                #expect(try await Self.request(client, .get, "/v1/audit", token: w.op1).0 == .forbidden)
                let audit = try await Self.request(client, .get, "/v1/audit?entity=site&entity_id=LY-09", token: w.bureau)
                #expect((audit.1["items"] as? [[String: Any]])?.first?["actor"] as? String == "bureau")
                #expect(try await Self.request(client, .post, "/v1/tokens", token: w.bureau, body: #"{"name": "x", "role": "admin"}"#).0 == .forbidden)
                let meal = #"{"site_code": "LY-01", "diner_id": \#(w.diner1), "slot": "lunch", "price_fen": 1000}"#
                #expect(try await Self.request(client, .post, "/v1/meals", token: w.bureau, body: meal).0 == .forbidden)
                #expect(try await Self.request(client, .post, "/v1/meals", token: w.op1, body: meal).0 == .created)
            }
        }
    }

    @Test func anOperatorNeverReachesAnotherCanteensObjects() async throws {
        try await TestDatabase.withServices { services in
            let w = try await Self.world(services)
            let claim = try await services.claims.build(siteCode: "LY-02", month: "2026-10", by: .testAdmin).claim.id
            try await buildApplication(services: services).test(.router) { client in
                let forbidden: [(HTTPRequest.Method, String, String?)] = [
                    (.get, "/v1/sites/LY-02", nil),
                    (.patch, "/v1/sites/LY-02", #"{"name": "x"}"#),
                    (.get, "/v1/diners/\(w.diner2)", nil),
                    (.patch, "/v1/diners/\(w.diner2)", #"{"phone": "123"}"#),
                    (.post, "/v1/diners/\(w.diner2)/status", #"{"status": "suspended", "effective_on": "2026-11-01"}"#),
                    (.get, "/v1/meals/\(w.meal2)", nil),
                    (.post, "/v1/meals/\(w.meal2)/void", #"{"reason": "x"}"#),
                    (.get, "/v1/meals?site_code=LY-02", nil),
                    (.post, "/v1/meals", #"{"site_code": "LY-02", "diner_id": \#(w.diner1), "slot": "lunch", "price_fen": 1000}"#),
                    (.get, "/v1/claims/\(claim)", nil),
                    (.get, "/v1/claims/\(claim)/export?format=csv", nil),
                    (.post, "/v1/claims/\(claim)/submit", nil),
                    (.post, "/v1/claims", #"{"site_code": "LY-02", "month": "2026-10"}"#),
                    (.get, "/v1/claims?site_code=LY-02", nil),
                ]
                for (method, path, body) in forbidden {
                    let answer = try await Self.request(client, method, path, token: w.op1, body: body)
                    #expect(answer.0 == .forbidden, "\(method) \(path)")
                    #expect(answer.1["code"] as? String == "forbidden", "\(method) \(path)")
                }
                // Lists show only its own.
                let meals = try await Self.request(client, .get, "/v1/meals", token: w.op1)
                #expect((meals.1["items"] as? [Any])?.isEmpty == true)
                let diners = try await Self.request(client, .get, "/v1/diners", token: w.op1)
                #expect((diners.1["items"] as? [[String: Any]])?.map { $0["id"] as? Int } == [w.diner1])
                // It may look up any diner by card, without the full ID number.
                let lookup = try await Self.request(client, .get, "/v1/diners/lookup?card_no=C-2", token: w.op1)
                #expect(lookup.0 == .ok)
                let fullID2 = try await services.diners.get(w.diner2, by: .testAdmin).diner.residentID
                #expect(lookup.1["resident_id"] == nil)
                #expect(lookup.1["resident_id_masked"] as? String == Self.masked(fullID2))
                #expect(!lookup.3.contains(fullID2))
                #expect(lookup.1["today"] != nil)
                // Admin and bureau see the full ID only on GET /v1/diners/{id}.
                let full = try await Self.request(client, .get, "/v1/diners/\(w.diner2)", token: w.bureau)
                #expect((full.1["resident_id"] as? String)?.count == 18)
                let own = try await Self.request(client, .get, "/v1/diners/\(w.diner1)", token: w.op1)
                #expect(own.0 == .ok)
                let fullID1 = try await services.diners.get(w.diner1, by: .testAdmin).diner.residentID
                #expect(own.1["resident_id"] == nil)
                #expect(own.1["resident_id_masked"] as? String == Self.masked(fullID1))
                #expect(!own.3.contains(fullID1))
            }
        }
    }

    @Test func mealsReplaysMismatchesBatchesQuotesAndVoids() async throws {
        try await TestDatabase.withServices { services in
            let w = try await Self.world(services)
            try await buildApplication(services: services).test(.router) { client in
                let body = #"{"site_code": "LY-01", "card_no": "C-1", "slot": "lunch", "price_fen": 1000, "served_on": "2026-11-20"}"#
                let key: HTTPFields = [.init("Idempotency-Key")!: "tap-77"]
                let first = try await Self.request(client, .post, "/v1/meals", token: w.op1, body: body, headers: key)
                #expect(first.0 == .created)
                #expect(first.1["subsidy_fen"] as? Int == 400)
                let replay = try await Self.request(client, .post, "/v1/meals", token: w.op1, body: body, headers: key)
                #expect(replay.0 == .ok)
                #expect(replay.2[.init("Idempotent-Replayed")!] == "true")
                #expect(replay.1["id"] as? Int == first.1["id"] as? Int)
                let mismatch = try await Self.request(client, .post, "/v1/meals", token: w.op1,
                                                      body: body.replacingOccurrences(of: "1000", with: "900"), headers: key)
                #expect(mismatch.0.code == 422)
                #expect(mismatch.1["code"] as? String == "idempotency_mismatch")
                let duplicate = try await Self.request(client, .post, "/v1/meals", token: w.op1, body: body)
                #expect(duplicate.0 == .conflict)
                #expect(duplicate.1["existing_meal_id"] as? Int == first.1["id"] as? Int)
                let codes: [(String, Int, String)] = [
                    (#"{"site_code": "LY-01", "card_no": "C-1", "slot": "lunch", "price_fen": 1000, "served_on": "2030-01-01"}"#, 422, "invalid_date"),
                    (#"{"site_code": "LY-01", "card_no": "C-1", "slot": "lunch", "price_fen": -3}"#, 422, "invalid_price"),
                    (#"{"site_code": "LY-01", "resident_id": "123456", "slot": "lunch", "price_fen": 10}"#, 422, "invalid_resident_id"),
                    (#"{"site_code": "LY-01", "diner_id": "seven", "slot": "lunch"}"#, 400, "invalid_request"),
                    (#"{"site_code": "LY-01", "card_no": "C-1"}"#, 400, "invalid_request"),
                    (#"[1, 2]"#, 400, "invalid_request"),
                    (#"{"site_code": "LY-01", "card_no": "C-1", "slot": "lunch", "price_fen": 1000, "served_on": "2022-08-01"}"#, 422, "site_not_operating"),
                ]
                for (payload, status, code) in codes {
                    let answer = try await Self.request(client, .post, "/v1/meals", token: w.op1, body: payload)
                    #expect(answer.0.code == status, "\(payload)")
                    #expect(answer.1["code"] as? String == code, "\(payload)")
                }
                _ = try await services.diners.setStatus(w.diner1, status: "suspended", effectiveOn: "2026-11-21", by: .testAdmin)
                let inactive = try await Self.request(client, .post, "/v1/meals", token: w.op1,
                                                      body: #"{"site_code": "LY-01", "card_no": "C-1", "slot": "dinner", "price_fen": 10}"#)
                #expect(inactive.1["code"] as? String == "diner_inactive")

                let batch = try await Self.request(client, .post, "/v1/meals/batch", token: w.op2, body: """
                    {"meals": [
                      {"client_ref": "b1", "site_code": "LY-02", "card_no": "C-2", "slot": "lunch", "price_fen": 1000, "served_on": "2026-11-19"},
                      {"client_ref": "b2", "site_code": "LY-02", "card_no": "C-2", "slot": "lunch", "price_fen": 1000, "served_on": "2026-11-19"},
                      {"client_ref": "b3", "site_code": "LY-01", "card_no": "C-2", "slot": "dinner", "price_fen": 1000, "served_on": "2026-11-19"}
                    ]}
                    """)
                let results = try #require(batch.1["results"] as? [[String: Any]])
                #expect(results.map { $0["status"] as? String } == ["created", "duplicate", "rejected"])
                #expect((results[2]["error"] as? [String: Any])?["code"] as? String == "forbidden")

                // By id, an operator quotes only the diners it may read (like GET /v1/diners/{id}).
                let foreign = try await Self.request(client, .get, "/v1/subsidy-quote?diner_id=\(w.diner2)&slot=dinner&price_fen=300&served_on=2026-11-19", token: w.op1)
                #expect(foreign.0 == .forbidden)
                #expect(foreign.1["code"] as? String == "forbidden")
                #expect(foreign.1["age"] == nil)
                let quote = try await Self.request(client, .get, "/v1/subsidy-quote?diner_id=\(w.diner2)&slot=dinner&price_fen=300&served_on=2026-11-19", token: w.op2)
                #expect(quote.1["subsidy_fen"] as? Int == 300)
                #expect(quote.1["payable_fen"] as? Int == 0)
                #expect(quote.1["eligible"] as? Bool == true)
                #expect(try await Self.request(client, .get, "/v1/subsidy-quote?diner_id=x&slot=lunch&price_fen=1", token: w.op1).0 == .badRequest)

                let id = try #require(first.1["id"] as? Int)
                let void = try await Self.request(client, .post, "/v1/meals/\(id)/void", token: w.op1, body: #"{"reason": "刷错"}"#)
                #expect(void.1["status"] as? String == "void")
                #expect(try await Self.request(client, .post, "/v1/meals/\(id)/void", token: w.op1, body: #"{"reason": "again"}"#).1["code"] as? String == "invalid_state")
                #expect(try await Self.request(client, .get, "/v1/meals/999999", token: w.admin).0 == .notFound)
                let listed = try await Self.request(client, .get, "/v1/meals?site_code=LY-01&status=void&limit=1", token: w.op1)
                #expect((listed.1["items"] as? [Any])?.count == 1)
                #expect(try await Self.request(client, .get, "/v1/meals?limit=501", token: w.op1).0 == .badRequest)
            }
        }
    }

    @Test func claimsThroughTheAPIWithExportsAndTransitions() async throws {
        try await TestDatabase.withServices { services in
            let w = try await Self.world(services)
            try await buildApplication(services: services).test(.router) { client in
                let built = try await Self.request(client, .post, "/v1/claims", token: w.op2, body: #"{"site_code": "LY-02", "month": "2026-10"}"#)
                #expect(built.0 == .created)
                #expect(built.1["total_fen"] as? Int == 400)
                let again = try await Self.request(client, .post, "/v1/claims", token: w.op2, body: #"{"site_code": "LY-02", "month": "2026-10"}"#)
                #expect(again.0 == .ok)
                let id = try #require(built.1["id"] as? Int)
                let list = try await Self.request(client, .get, "/v1/claims?month=2026-10", token: w.bureau)
                let listed = try #require((list.1["items"] as? [[String: Any]])?.first)
                #expect(listed["lines"] == nil)
                let csv = try await client.execute(uri: "/v1/claims/\(id)/export?format=csv", method: .get,
                                                   headers: [.authorization: "Bearer \(w.bureau)"]) { $0 }
                #expect(csv.headers[.contentType] == "text/csv; charset=utf-8")
                #expect(Array(csv.body.readableBytesView.prefix(3)) == [0xEF, 0xBB, 0xBF])
                let html = try await client.execute(uri: "/v1/claims/\(id)/export?format=html", method: .get,
                                                    headers: [.authorization: "Bearer \(w.bureau)"]) { $0 }
                #expect(html.headers[.contentType] == "text/html; charset=utf-8")
                #expect(String(buffer: html.body).contains("肆元整"))
                #expect(try await Self.request(client, .post, "/v1/claims/\(id)/approve", token: w.bureau).1["code"] as? String == "invalid_state")
                #expect(try await Self.request(client, .post, "/v1/claims/\(id)/submit", token: w.op2).1["status"] as? String == "submitted")
                #expect(try await Self.request(client, .post, "/v1/claims", token: w.op2, body: #"{"site_code": "LY-02", "month": "2026-10"}"#).1["code"] as? String == "period_closed")
                // A missing reason is a request that does not match the contract; an empty one is a bad value.
                let missing = try await Self.request(client, .post, "/v1/claims/\(id)/reject", token: w.bureau, body: "{}")
                #expect(missing.0 == .badRequest && missing.1["code"] as? String == "invalid_request")
                #expect(try await Self.request(client, .post, "/v1/claims/\(id)/reject", token: w.bureau, body: #"{"reason": " "}"#).0.code == 422)
                #expect(try await Self.request(client, .post, "/v1/claims/\(id)/approve", token: w.bureau).1["status"] as? String == "approved")
                #expect(try await Self.request(client, .post, "/v1/claims/\(id)/pay", token: w.bureau).1["status"] as? String == "paid")
            }
        }
    }

    @Test func changesToSitesAndDinersAndTheirDuplicates() async throws {
        try await TestDatabase.withServices { services in
            let w = try await Self.world(services)
            try await buildApplication(services: services).test(.router) { client in
                let patched = try await Self.request(client, .patch, "/v1/sites/LY-01", token: w.bureau,
                                                     body: #"{"name": "改名食堂", "closes_on": "2030-01-01", "phone": null}"#)
                #expect(patched.0 == .ok)
                #expect(patched.1["name"] as? String == "改名食堂")
                #expect(patched.1["closes_on"] as? String == "2030-01-01")
                #expect(try await Self.request(client, .get, "/v1/sites/LY-01", token: w.op1).1["name"] as? String == "改名食堂")
                #expect(try await Self.request(client, .get, "/v1/sites/NOPE", token: w.admin).0 == .notFound)
                #expect(try await Self.request(client, .patch, "/v1/sites/LY-01", token: w.admin, body: #"{"code": "NEW"}"#).0.code == 422)

                let diner = try await Self.request(client, .patch, "/v1/diners/\(w.diner1)", token: w.op1, body: #"{"phone": "0635-1234567"}"#)
                #expect(diner.1["phone"] as? String == "0635-1234567")
                let taken = try await Self.request(client, .patch, "/v1/diners/\(w.diner1)", token: w.admin, body: #"{"card_no": "C-2"}"#)
                #expect(taken.0 == .conflict)
                #expect(taken.1["code"] as? String == "duplicate_card_no")
                #expect(taken.1["existing_diner_id"] as? Int == w.diner2)
                let residentID = try await services.diners.get(w.diner2, by: .testAdmin).diner.residentID
                let again = try await Self.request(client, .post, "/v1/diners", token: w.admin,
                                                   body: #"{"name": "重复", "resident_id": "\#(residentID)"}"#)
                #expect(again.0 == .conflict)
                #expect(again.1["code"] as? String == "duplicate_resident_id")
                #expect(again.1["existing_diner_id"] as? Int == w.diner2)
                let status = try await Self.request(client, .post, "/v1/diners/\(w.diner1)/status", token: w.op1,
                                                    body: #"{"status": "moved_out", "effective_on": "2026-11-01"}"#)
                #expect(status.1["status"] as? String == "moved_out")
                #expect(try await Self.request(client, .get, "/v1/diners/\(w.diner1)", token: w.op1).1["status"] as? String == "moved_out")
                #expect(try await Self.request(client, .get, "/v1/diners?q=测试", token: w.admin).0 == .ok)
                let claim = try await Self.request(client, .post, "/v1/claims", token: w.admin, body: #"{"site_code": "LY-02", "month": "2026-10"}"#)
                let id = try #require(claim.1["id"] as? Int)
                let shown = try await Self.request(client, .get, "/v1/claims/\(id)", token: w.op2)
                #expect((shown.1["lines"] as? [Any])?.count == 1)
                #expect((shown.1["brackets"] as? [Any])?.count == 1)
                let openapi = try await client.execute(uri: "/openapi.yaml", method: .get) { $0 }
                #expect(openapi.status == .ok)
                #expect(String(buffer: openapi.body).hasPrefix("openapi: 3.1.0"))
            }
        }
    }

    @Test func repeatedFailedAuthenticationIsThrottled() async throws {
        try await TestDatabase.withServices { services in
            let w = try await Self.world(services)
            try await buildApplication(services: services).test(.router) { client in
                for _ in 0..<20 {
                    #expect(try await Self.request(client, .get, "/v1/sites", token: "cnt_guess").0 == .unauthorized)
                }
                let throttled = try await Self.request(client, .get, "/v1/sites", token: "cnt_guess")
                #expect(throttled.0 == .tooManyRequests)
                #expect(throttled.1["code"] as? String == "too_many_requests")
                #expect(Int(throttled.2[.retryAfter] ?? "") ?? 0 > 0)
                // A valid token from the same address (another counter behind the same NAT) always passes,
                // and does not lift the throttle from the failing credentials.
                #expect(try await Self.request(client, .get, "/v1/sites", token: w.admin).0 == .ok)
                #expect(try await Self.request(client, .get, "/v1/sites", token: w.op1).0 == .ok)
                #expect(try await Self.request(client, .get, "/v1/sites", token: nil).0 == .tooManyRequests)
                #expect(try await Self.request(client, .get, "/v1/sites", token: "cnt_guess").0 == .tooManyRequests)
            }
        }
    }

    @Test func hostileBodiesGetClearErrors() async throws {
        try await TestDatabase.withServices { services in
            let w = try await Self.world(services)
            try await buildApplication(services: services).test(.router) { client in
                let big = String(repeating: "x", count: (1 << 20) + 10)
                let tooLarge = try await Self.request(client, .post, "/v1/sites", token: w.admin, body: big)
                #expect(tooLarge.0 == .contentTooLarge)
                #expect(tooLarge.1["code"] as? String == "payload_too_large")
                for body in ["{", "not json", "", #"{"code": 5}"#, "null"] {
                    let answer = try await Self.request(client, .post, "/v1/sites", token: w.admin, body: body)
                    #expect(answer.0 == .badRequest, "\(body)")
                    #expect(answer.1["code"] as? String == "invalid_request", "\(body)")
                    #expect(!answer.3.contains("DecodingError"))
                }
                let deep = String(repeating: "[", count: 5000) + String(repeating: "]", count: 5000)
                #expect(try await Self.request(client, .post, "/v1/meals/batch", token: w.admin, body: deep).0 == .badRequest)
                let long = #"{"name": "\#(String(repeating: "名", count: 65))", "resident_id": "\#(Fixtures.residentID(born: LocalDate(iso: "1950-01-01")!, serial: 40))"}"#
                let tooLong = try await Self.request(client, .post, "/v1/diners", token: w.admin, body: long)
                #expect(tooLong.1["code"] as? String == "validation_failed")
                #expect(try await Self.request(client, .get, "/v1/diners/0", token: w.admin).0 == .badRequest)
                #expect(try await Self.request(client, .get, "/v1/diners/-1", token: w.admin).0 == .badRequest)
                #expect(try await Self.request(client, .get, "/v1/diners/99999999999999999999", token: w.admin).0 == .badRequest)
                #expect(try await Self.request(client, .get, "/v1/claims?month=13", token: w.admin).0 == .badRequest)
                #expect(try await Self.request(client, .get, "/v1/sites?cursor=@@@", token: w.admin).0 == .badRequest)
            }
        }
    }

    @Test func theDatabaseGoingAwayIs503AndTheServiceRecovers() async throws {
        let name = try await TestDatabase.createMigrated()
        let clock = TestClock.at(LocalDate(year: 2026, month: 11, day: 22)!)
        var configuration = PostgresConfiguration(connectionString: try TestDatabase.connectionString(database: name), maxConnections: 2,
                                                  settings: CanteenServices.connectionSettings(clock: clock))
        configuration.connectTimeoutSeconds = 2
        configuration.acquireTimeout = .seconds(3)
        let pool = PostgresPool(configuration)
        let services = CanteenServices(pool: pool, clock: clock)
        let token = try await services.tokens.create(TokenService.Draft(name: "a", role: "admin", siteCodes: nil), by: .testAdmin).secret
        let admin = try TestDatabase.adminPool()
        try await buildApplication(services: services).test(.router) { client in
            #expect(try await Self.request(client, .get, "/v1/sites", token: token).0 == .ok)
            // pg_terminate_backend with a timeout returns once each backend has exited: no sleep racing the server.
            let stillThere = try await admin.withSession { session in
                try session.executeScript("ALTER DATABASE \"\(name)\" ALLOW_CONNECTIONS false")
                return try session.query("""
                    SELECT count(*) FILTER (WHERE NOT pg_terminate_backend(pid, 60000)) FROM pg_stat_activity WHERE datname = $1
                    """, [name]).first!.decode(0, as: Int.self)
            }
            #expect(stillThere == 0)
            // SPEC §5.1: while the database is unreachable, requests and /ready answer 503 within 5 seconds.
            var started = ContinuousClock.now
            let down = try await Self.request(client, .get, "/v1/sites", token: token)
            #expect(down.0 == .serviceUnavailable)
            #expect(down.1["code"] as? String == "unavailable")
            #expect(ContinuousClock.now - started <= .seconds(5))
            started = ContinuousClock.now
            #expect(try await Self.request(client, .get, "/ready", token: nil).0 == .serviceUnavailable)
            #expect(ContinuousClock.now - started <= .seconds(5))
            try await admin.withSession { session in
                try session.executeScript("ALTER DATABASE \"\(name)\" ALLOW_CONNECTIONS true")
            }
            #expect(try await Self.request(client, .get, "/ready", token: nil).0 == .ok)
            #expect(try await Self.request(client, .get, "/v1/sites", token: token).0 == .ok)
        }
        await pool.close()
        try await TestDatabase.drop(name)
    }
}
