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

    /// `policy add --file` takes the body of POST /v1/policies: the shipped examples load as written.
    @Test func aPolicyIsAddedFromAFile() async throws {
        try await TestDatabase.withPool { _, name in
            let cli = CLIRunner(databaseURL: try TestDatabase.connectionString(database: name))
            let seeds = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
                .appendingPathComponent("seeds/policies")
            let added = try await cli.run("policy", "add", "--file", seeds.appendingPathComponent("chengyang-style.json").path, "--json")
            #expect(added.status == 0, "\(added.stderr)")
            let policy = try json(added.stdout)
            let tiers = try #require(policy["tiers"] as? [[String: Any]])
            #expect(tiers.map { $0["label"] as? String } == ["60-69", "70-79", "80+", "低保特困"])
            #expect(tiers.last?["categories"] as? [String] == ["dibao", "tekun"])
            let shown = try await cli.run("policy", "show", "--on", "2027-01-02")
            #expect(shown.stdout.contains("低保对象、特困人员"), "\(shown.stdout)")
            // The default policy is already there: the same file again is refused, naming the date.
            let again = try await cli.run("policy", "add", "--file", seeds.appendingPathComponent("liaocheng.json").path, "--json")
            #expect(again.status != 0)
            #expect(try json(again.stderr)["code"] as? String == "validation_failed")
            let folder = FileManager.default.temporaryDirectory.appendingPathComponent("policy-\(UUID().uuidString).json")
            try Data(#"{"effective_from": "2027-02-01", "tiers": [{"label": "x", "min_age": "sixty", "max_age": null, "subsidy_fen": 1}]}"#.utf8).write(to: folder)
            defer { try? FileManager.default.removeItem(at: folder) }
            let bad = try await cli.run("policy", "add", "--file", folder.path, "--json")
            let problem = try json(bad.stderr)
            #expect(problem["code"] as? String == "invalid_request")
            #expect((problem["errors"] as? [[String: Any]])?.first?["field"] as? String == "tiers[0].min_age", "\(bad.stderr)")
        }
    }
}
