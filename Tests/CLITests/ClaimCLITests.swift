import CanteenDomain
import Foundation
import Testing
import TestSupport

@Suite("canteen CLI: claim, report")
struct ClaimCLITests {
    func json(_ text: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
    }

    @Test func buildSubmitExportAndReport() async throws {
        try await TestDatabase.withPool { _, name in
            let cli = CLIRunner(databaseURL: try TestDatabase.connectionString(database: name))
            _ = try await cli.run("db", "seed")
            let residentID = Fixtures.residentID(born: LocalDate(iso: "1944-05-05")!, serial: 9)
            _ = try await cli.run("diner", "register", "--name", "周某某", "--resident-id", residentID, "--home-site", "LY-XINYI")
            for day in ["2026-10-08", "2026-10-09"] {
                let logged = try await cli.run("meal", "log", "--site", "LY-XINYI", "--resident-id", residentID, "--slot", "lunch", "--on", day)
                #expect(logged.status == 0, "\(logged.stderr)")
            }
            let built = try await cli.run("claim", "build", "--site", "LY-XINYI", "--month", "2026-10", "--json")
            #expect(built.status == 0, "\(built.stderr)")
            let claim = try json(built.stdout)
            #expect(claim["total_fen"] as? Int == 800)
            #expect((claim["lines"] as? [[String: Any]])?.first?["resident_id_masked"] as? String == ResidentID.mask(residentID))
            #expect(claim["brackets"] != nil)
            let id = try #require(claim["id"] as? Int)

            let submitted = try await cli.run("claim", "submit", String(id), "--override-reason", "核实", "--json")
            #expect(try json(submitted.stdout)["status"] as? String == "submitted")
            let again = try await cli.run("claim", "submit", String(id), "--json")
            #expect(again.status != 0)
            #expect(try json(again.stderr)["code"] as? String == "invalid_state")
            let closed = try await cli.run("meal", "log", "--site", "LY-XINYI", "--resident-id", residentID, "--slot", "dinner", "--on", "2026-10-10", "--json")
            #expect(try json(closed.stderr)["code"] as? String == "period_closed")

            let csv = try await cli.run("claim", "export", String(id), "--format", "csv")
            #expect(csv.stdoutBytes.prefix(3) == Data([0xEF, 0xBB, 0xBF]))
            #expect(csv.stdout.contains("食堂编码"))
            #expect(!csv.stdout.contains(residentID))
            let html = try await cli.run("claim", "export", String(id), "--format", "html")
            #expect(html.stdout.contains("捌元整"))
            let human = try await cli.run("claim", "show", String(id))
            #expect(human.stdout.contains("¥8.00"))

            let report = try await cli.run("report", "monthly", "--month", "2026-10", "--street", "柳园街道", "--json")
            let body = try json(report.stdout)
            #expect((body["totals"] as? [String: Any])?["subsidy_fen"] as? Int == 800)
            #expect((body["sites"] as? [[String: Any]])?.count == 6)
        }
    }
}
