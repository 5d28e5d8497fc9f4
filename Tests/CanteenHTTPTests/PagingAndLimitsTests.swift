import CanteenDomain
import CanteenHTTP
import CanteenService
import Foundation
import Hummingbird
import HummingbirdTesting
import Postgres
import Testing
import TestSupport

/// SPEC §3 over HTTP: lists page by `limit` (default 50) and `cursor`; no body over 1 MiB is read.
@Suite("HTTP paging and body limits")
struct PagingAndLimitsTests {
    /// Follows `next_cursor` from the first page to the last: each page's size and the ids in order.
    static func walk(_ client: some TestClientProtocol, _ path: String, token: String, limit: Int? = nil) async throws -> (pages: [Int], ids: [Int]) {
        var pages: [Int] = []
        var ids: [Int] = []
        var cursor: String?
        repeat {
            let query = [limit.map { "limit=\($0)" }, cursor.map { "cursor=\($0)" }].compactMap { $0 }.joined(separator: "&")
            let uri = query.isEmpty ? path : "\(path)?\(query)"
            let answer = try await APITests.request(client, .get, uri, token: token)
            #expect(answer.0 == .ok, "\(uri): \(answer.3)")
            let items = try #require(answer.1["items"] as? [[String: Any]], "\(uri): \(answer.3)")
            pages.append(items.count)
            ids += items.compactMap { $0["id"] as? Int }
            cursor = answer.1["next_cursor"] as? String
            if pages.count > 100 { Issue.record("\(path) never ends"); break }
        } while cursor != nil
        return (pages, ids)
    }

    @Test func mealsDinersClaimsAndTheAuditLogPageBy50AndByCursor() async throws {
        try await TestDatabase.withServices { services in
            try await Fixtures.site(services, "LY-01")
            try await Fixtures.site(services, "LY-02")
            var diners: [Int] = []
            for serial in 0..<60 {
                diners.append(try await Fixtures.diner(services, born: "1944-01-01", serial: 100 + serial, home: "LY-01").diner.id)
            }
            for day in ["2026-11-02", "2026-11-03"] {
                _ = try await services.meals.logBatch(diners.map { Fixtures.meal(site: "LY-01", diner: $0, on: day) }, by: .testAdmin)
            }
            var month = YearMonth(year: 2024, month: 1)!
            for _ in 0..<30 {
                for site in ["LY-01", "LY-02"] { _ = try await services.claims.build(siteCode: site, month: month.description, by: .testAdmin) }
                month = month.next
            }
            let admin = try await services.tokens.create(TokenService.Draft(name: "admin", role: "admin", siteCodes: nil), by: .testAdmin).secret
            func ids(_ table: String) async throws -> [Int] {
                try await services.db.session { try $0.query("SELECT id FROM \(table) ORDER BY id").rows.map { try $0.decode(0, as: Int.self) } }
            }
            let lists = [("/v1/meals", try await ids("meal")), ("/v1/diners", try await ids("diner")),
                         ("/v1/claims", try await ids("claim")), ("/v1/audit", try await ids("audit_log"))]
            try await buildApplication(services: services).test(.router) { client in
                for (path, expected) in lists {
                    #expect(expected.count > 50, "\(path)")
                    // No limit: pages of 50.
                    let byDefault = try await Self.walk(client, path, token: admin)
                    #expect(byDefault.ids == expected, "\(path)")
                    #expect(byDefault.pages.first == 50, "\(path)")
                    #expect(byDefault.pages.dropLast().allSatisfy { $0 == 50 }, "\(path): \(byDefault.pages)")
                    #expect(byDefault.pages.count == (expected.count + 49) / 50, "\(path): \(byDefault.pages)")
                    // A chosen limit: pages of that size, the same items.
                    let bySeven = try await Self.walk(client, path, token: admin, limit: 7)
                    #expect(bySeven.ids == expected, "\(path)")
                    #expect(bySeven.pages.dropLast().allSatisfy { $0 == 7 }, "\(path): \(bySeven.pages)")
                    #expect(bySeven.pages.count == (expected.count + 6) / 7, "\(path): \(bySeven.pages)")
                }
            }
        }
    }

    /// A JSON body of exactly `bytes` bytes: a complete object, or (`complete: false`) one cut short.
    static func body(bytes: Int, complete: Bool = true) -> String {
        let open = #"{"pad": ""#, close = complete ? #""}"# : ""
        return open + String(repeating: "x", count: bytes - open.utf8.count - close.utf8.count) + close
    }

    @Test func everyRouteWithABodyRefusesOneOver1MiB() async throws {
        try await TestDatabase.withServices { services in
            let w = try await APITests.world(services)
            let claim = try await services.claims.build(siteCode: "LY-02", month: "2026-10", by: .testAdmin).claim.id
            let routes: [(HTTPRequest.Method, String)] = [
                (.post, "/v1/sites"), (.patch, "/v1/sites/LY-01"), (.post, "/v1/policies"),
                (.post, "/v1/diners"), (.patch, "/v1/diners/\(w.diner1)"), (.post, "/v1/diners/\(w.diner1)/status"),
                (.post, "/v1/meals"), (.post, "/v1/meals/batch"), (.post, "/v1/meals/\(w.meal2)/void"),
                (.post, "/v1/claims"), (.post, "/v1/claims/\(claim)/submit"), (.post, "/v1/claims/\(claim)/reject"),
                (.post, "/v1/tokens"),
            ]
            let over = Self.body(bytes: (1 << 20) + 1)
            // Exactly 1 MiB is read: cut short, it is then a body that is not JSON.
            let atTheLimit = Self.body(bytes: 1 << 20, complete: false)
            #expect(over.utf8.count == (1 << 20) + 1 && atTheLimit.utf8.count == 1 << 20)
            try await buildApplication(services: services).test(.router) { client in
                for (method, path) in routes {
                    let refused = try await APITests.request(client, method, path, token: w.admin, body: over)
                    #expect(refused.0 == .contentTooLarge, "\(method) \(path)")
                    #expect(refused.1["code"] as? String == "payload_too_large", "\(method) \(path)")
                    let read = try await APITests.request(client, method, path, token: w.admin, body: atTheLimit)
                    #expect(read.0 == .badRequest, "\(method) \(path): \(read.3.prefix(200))")
                    #expect(read.1["code"] as? String == "invalid_request", "\(method) \(path)")
                }
            }
            // A route that takes no body (approve, pay) still refuses one over the limit unread.
            try await buildApplication(services: services).test(.router) { client in
                for path in ["/v1/claims/\(claim)/approve", "/v1/claims/\(claim)/pay"] {
                    let refused = try await APITests.request(client, .post, path, token: w.admin, body: over)
                    #expect(refused.0 == .contentTooLarge, "\(path)")
                    #expect(refused.1["code"] as? String == "payload_too_large", "\(path)")
                }
            }
            // None of it changed anything.
            #expect(try await services.meals.get(w.meal2, by: .testAdmin).status == .valid)
            #expect(try await services.claims.get(claim, by: .testAdmin).status == .draft)
        }
    }
}
