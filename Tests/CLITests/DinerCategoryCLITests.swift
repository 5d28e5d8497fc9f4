import CanteenDomain
import Foundation
import Testing
import TestSupport

@Suite("canteen CLI: diner category")
struct DinerCategoryCLITests {
    func json(_ text: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
    }

    @Test func aPeriodIsAddedAndEndedFromTheCommandLine() async throws {
        try await TestDatabase.withPool { _, name in
            let cli = CLIRunner(databaseURL: try TestDatabase.connectionString(database: name))
            let id = Fixtures.residentID(born: LocalDate(iso: "1940-02-02")!, serial: 3)
            let registered = try await cli.run("diner", "register", "--name", "王大娘", "--resident-id", id, "--json")
            #expect(registered.status == 0, "\(registered.stderr)")
            let diner = try #require(try json(registered.stdout)["id"] as? Int)
            #expect(try json(registered.stdout)["categories"] as? [Any] != nil)

            let added = try await cli.run("diner", "category", String(diner), "--add", "tekun", "--from", "2026-01-01", "--json")
            #expect(added.status == 0, "\(added.stderr)")
            let period = try #require((try json(added.stdout)["categories"] as? [[String: Any]])?.first)
            #expect(period["category"] as? String == "tekun")
            let periodID = try #require(period["id"] as? Int)

            let human = try await cli.run("diner", "show", String(diner))
            #expect(human.stdout.contains("特困人员"), "\(human.stdout)")

            let ended = try await cli.run("diner", "category", String(diner), "--end", String(periodID), "--on", "2026-06-01", "--json")
            #expect(ended.status == 0, "\(ended.stderr)")
            #expect((try json(ended.stdout)["categories"] as? [[String: Any]])?.first?["ends_on"] as? String == "2026-06-01")

            let twice = try await cli.run("diner", "category", String(diner), "--end", String(periodID), "--on", "2026-07-01", "--json")
            #expect(twice.status != 0)
            #expect(try json(twice.stderr)["code"] as? String == "invalid_state")
            let unknown = try await cli.run("diner", "category", String(diner), "--add", "rich", "--from", "2026-01-01", "--json")
            #expect(try json(unknown.stderr)["code"] as? String == "invalid_request")
            let both = try await cli.run("diner", "category", String(diner), "--add", "dibao", "--end", "1")
            #expect(both.status != 0)
        }
    }
}
