import CanteenDomain
import CanteenHTTP
import CanteenService
import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import Testing
import TestSupport

/// SPEC §3.3–3.4: the files an operator who holds only a token uploads — a village committee's
/// diner list and an offline card reader's day — with the CLI's rules and every row's outcome.
@Suite("CSV imports over HTTP")
struct ImportHTTPTests {
    static func upload(_ client: some TestClientProtocol, _ uri: String, token: String, csv: some Collection<UInt8>,
                       contentType: String = "text/csv") async throws -> (HTTPResponse.Status, [String: Any], String) {
        let headers: HTTPFields = [.authorization: "Bearer \(token)", .contentType: contentType]
        return try await client.execute(uri: uri, method: .post, headers: headers, body: ByteBuffer(bytes: Array(csv))) { response in
            let text = String(buffer: response.body)
            return (response.status, (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any] ?? [:], text)
        }
    }

    static func id(_ born: String, _ serial: Int) -> String { Fixtures.residentID(born: LocalDate(iso: born)!, serial: serial) }

    @Test func dinersFromAVillageCommitteesSpreadsheet() async throws {
        try await TestDatabase.withServices { services in
            let w = try await APITests.world(services)
            let existing = try await services.diners.get(w.diner1, by: .testAdmin).diner
            let csv = "\u{FEFF}姓名,身份证号,电话,社区,卡号\n" + "甲,\(Self.id("1944-02-03", 20)),13800000000,东关社区,\n"
                + "乙,\(existing.residentID),,,\n" + "丙,123,,,\n" + "丁,\(Self.id("1945-02-03", 21)),,,C-1\n"
            try await buildApplication(services: services).test(.router) { client in
                let dry = try await Self.upload(client, "/v1/diners/import?dry_run=true", token: w.op1, csv: Array(csv.utf8))
                #expect(dry.0 == .ok, "\(dry.2)")
                #expect(dry.1["created"] as? Int == 1 && dry.1["existing"] as? Int == 1 && dry.1["rejected"] as? Int == 2)
                #expect(try await services.diners.list(by: .testAdmin).items.count == 2)

                let real = try await Self.upload(client, "/v1/diners/import", token: w.op1, csv: Array(csv.utf8))
                #expect(real.0 == .ok, "\(real.2)")
                let rows = try #require(real.1["rows"] as? [[String: Any]])
                #expect(rows.map { $0["line"] as? Int } == [2, 3, 4, 5])
                #expect(rows.map { $0["status"] as? String } == ["created", "existing", "rejected", "rejected"])
                #expect(rows[1]["diner_id"] as? Int == w.diner1)
                #expect((rows[2]["error"] as? [String: Any])?["code"] as? String == "invalid_resident_id")
                #expect((rows[3]["error"] as? [String: Any])?["code"] as? String == "duplicate_card_no")
                #expect(rows[0]["error"] is NSNull && rows[2]["diner_id"] is NSNull)
                let created = try await services.diners.get(try #require(rows[0]["diner_id"] as? Int), by: .testAdmin).diner
                #expect(created.homeSite == "LY-01" && created.community == "东关社区")  // the operator's site
                #expect(!real.2.contains(Self.id("1944-02-03", 20)))  // an operator never sees a full resident ID

                let again = try await Self.upload(client, "/v1/diners/import", token: w.op1, csv: Array(csv.utf8))
                #expect(again.1["created"] as? Int == 0 && again.1["existing"] as? Int == 2, "\(again.2)")

                // Who may, and what the route refuses.
                #expect(try await Self.upload(client, "/v1/diners/import", token: w.bureau, csv: Array(csv.utf8)).0 == .forbidden)
                #expect(try await Self.upload(client, "/v1/diners/import?home_site=LY-02", token: w.op1, csv: Array(csv.utf8)).0 == .forbidden)
                let header = try await Self.upload(client, "/v1/diners/import", token: w.admin, csv: Array("name,phone\n甲,1\n".utf8))
                #expect(header.0 == .badRequest && header.1["code"] as? String == "invalid_request", "\(header.2)")
                let flag = try await Self.upload(client, "/v1/diners/import?dry_run=maybe", token: w.admin, csv: Array(csv.utf8))
                #expect(flag.0 == .badRequest, "\(flag.2)")
                let json = try await Self.upload(client, "/v1/diners/import", token: w.admin, csv: Array(#"{"name": "甲"}"#.utf8),
                                                 contentType: "application/json")
                #expect(json.0 == .badRequest, "\(json.2)")
                let empty = try await Self.upload(client, "/v1/diners/import", token: w.admin, csv: [UInt8]())
                #expect(empty.0 == .badRequest, "\(empty.2)")
            }
        }
    }

    @Test func aCardReadersDayWithTheCLIsRules() async throws {
        try await TestDatabase.withServices { services in
            let w = try await APITests.world(services)
            let d1 = try await services.diners.get(w.diner1, by: .testAdmin).diner
            let csv = "card_no,served_on,slot,price_fen,client_ref\n" + "C-1,2026-11-18,lunch,1000,r1\n" + "C-1,2026-11-18,lunch,1000,r2\n"
                + "NO-SUCH,2026-11-18,lunch,1000,r3\n" + "C-1,2026-11-18,supper,1000,r4\n" + "\(d1.cardNo ?? ""),2026-11-19,dinner,,r5\n"
            try await buildApplication(services: services).test(.router) { client in
                let first = try await Self.upload(client, "/v1/meals/import?site_code=LY-01", token: w.op1, csv: Array(csv.utf8))
                #expect(first.0 == .ok, "\(first.2)")
                #expect([first.1["created"], first.1["replayed"], first.1["duplicate"], first.1["rejected"]].map { $0 as? Int } == [2, 0, 1, 2])
                let rows = try #require(first.1["rows"] as? [[String: Any]])
                #expect(rows.map { $0["status"] as? String } == ["created", "duplicate", "rejected", "rejected", "created"])
                let lunch = try #require(rows[0]["meal_id"] as? Int)
                #expect(rows[1]["meal_id"] as? Int == lunch)  // the meal already in that slot
                #expect((rows[2]["error"] as? [String: Any])?["code"] as? String == "not_found")
                #expect((rows[3]["error"] as? [String: Any])?["code"] as? String == "invalid_request")
                let meal = try await services.meals.get(lunch, by: .testAdmin)
                #expect(meal.siteCode == "LY-01" && meal.dinerID == w.diner1 && meal.subsidyFen == 400)

                let again = try await Self.upload(client, "/v1/meals/import?site_code=LY-01", token: w.op1, csv: Array(csv.utf8))
                #expect(again.1["created"] as? Int == 0 && again.1["replayed"] as? Int == 2, "\(again.2)")
                #expect(try await services.meals.list(.init(siteCode: "LY-01"), by: .testAdmin).items.count == 2)

                #expect(try await Self.upload(client, "/v1/meals/import?site_code=LY-02", token: w.op1, csv: Array(csv.utf8)).0 == .forbidden)
                #expect(try await Self.upload(client, "/v1/meals/import?site_code=NOPE", token: w.admin, csv: Array(csv.utf8)).0 == .notFound)
                let missing = try await Self.upload(client, "/v1/meals/import", token: w.admin, csv: Array(csv.utf8))
                #expect(missing.0 == .badRequest && missing.2.contains("site_code"), "\(missing.2)")
            }
        }
    }

    /// A file may hold 10 MiB (a JSON body 1 MiB); a NUL is the row's fault, not the request's.
    @Test func aFileMayBeTenMebibytesAndANulRejectsOnlyItsRow() async throws {
        try await TestDatabase.withServices { services in
            let w = try await APITests.world(services)
            try await buildApplication(services: services).test(.router) { client in
                var big = Array("card_no,served_on,slot,price_fen,client_ref\n".utf8)
                let row = Array("C-1,2026-11-18,lunch,1000,r1\n".utf8)
                while big.count < 2 << 20 { big += row }
                let two = try await Self.upload(client, "/v1/meals/import?site_code=LY-01", token: w.op1, csv: big)
                #expect(two.0 == .ok, "\(two.2.prefix(300))")
                #expect(two.1["created"] as? Int == 1)
                let huge = [UInt8](repeating: UInt8(ascii: "a"), count: (10 << 20) + 1)
                let tooLarge = try await Self.upload(client, "/v1/meals/import?site_code=LY-01", token: w.op1, csv: huge)
                #expect(tooLarge.0 == .contentTooLarge && tooLarge.1["code"] as? String == "payload_too_large", "\(tooLarge.2.prefix(300))")
                let nul = Array("name,resident_id\n甲\u{0},\(Self.id("1944-02-03", 30))\n乙,\(Self.id("1944-02-03", 31))\n".utf8)
                let answer = try await Self.upload(client, "/v1/diners/import", token: w.admin, csv: nul)
                #expect(answer.0 == .ok, "\(answer.2)")
                #expect((answer.1["rows"] as? [[String: Any]])?.map { $0["status"] as? String } == ["rejected", "created"])
            }
        }
    }
}
