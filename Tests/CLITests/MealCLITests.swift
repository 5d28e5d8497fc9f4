import CanteenDomain
import Foundation
import Testing
import TestSupport

@Suite("canteen CLI: diner, meal, import")
struct MealCLITests {
    func json(_ text: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
    }

    static let residentID = Fixtures.residentID(born: LocalDate(iso: "1945-03-15")!, serial: 1)

    @Test func registerShowListAndStatusOfADiner() async throws {
        try await TestDatabase.withPool { _, name in
            let cli = CLIRunner(databaseURL: try TestDatabase.connectionString(database: name))
            _ = try await cli.run("site", "add", "--code", "LY-01", "--name", "馨颐", "--kind", "community_center", "--street", "柳园街道",
                                  "--opens-on", "2022-09-01", "--price-fen", "1000")
            let registered = try await cli.run("diner", "register", "--name", "王某某", "--resident-id", Self.residentID.lowercased(),
                                               "--card-no", "C-1", "--home-site", "LY-01", "--json")
            #expect(registered.status == 0, "\(registered.stderr)")
            let diner = try json(registered.stdout)
            #expect(diner["resident_id_masked"] as? String == ResidentID.mask(Self.residentID))
            #expect(diner["birth_date"] as? String == "1945-03-15")
            #expect(diner["sex"] as? String == "M")
            #expect(diner["status"] as? String == "active")
            let id = try #require(diner["id"] as? Int)

            let list = try await cli.run("diner", "list", "--json")
            let listed = try #require((try json(list.stdout)["items"] as? [[String: Any]])?.first)
            #expect(listed["resident_id"] == nil)
            #expect(!list.stdout.contains(Self.residentID))
            let human = try await cli.run("diner", "list")
            #expect(!human.stdout.contains(Self.residentID))
            #expect(human.stdout.contains("王某某"))

            let show = try await cli.run("diner", "show", String(id), "--json")
            #expect(try json(show.stdout)["resident_id"] as? String == Self.residentID)

            let duplicate = try await cli.run("diner", "register", "--name", "又一个", "--resident-id", Self.residentID, "--json")
            #expect(duplicate.status != 0)
            let problem = try json(duplicate.stderr)
            #expect(problem["code"] as? String == "duplicate_resident_id")
            #expect(problem["existing_diner_id"] as? Int == id)

            let invalid = try await cli.run("diner", "register", "--name", "x", "--resident-id", "371502194503151235", "--json")
            #expect(invalid.status != 0)
            #expect(try json(invalid.stderr)["code"] as? String == "invalid_resident_id")

            let status = try await cli.run("diner", "status", String(id), "--status", "suspended", "--on", "2020-01-01", "--json")
            #expect(try json(status.stdout)["status"] as? String == "suspended")
        }
    }

    @Test func logReplayDuplicateAndVoidAMeal() async throws {
        try await TestDatabase.withPool { _, name in
            let cli = CLIRunner(databaseURL: try TestDatabase.connectionString(database: name))
            _ = try await cli.run("site", "add", "--code", "LY-01", "--name", "馨颐", "--kind", "community_center", "--street", "柳园街道",
                                  "--opens-on", "2022-09-01", "--slots", "lunch,dinner", "--price-fen", "1000")
            _ = try await cli.run("diner", "register", "--name", "王某某", "--resident-id", Self.residentID, "--card-no", "C-1")
            let logged = try await cli.run("meal", "log", "--site", "LY-01", "--card-no", "C-1", "--slot", "lunch", "--on", "2026-11-02",
                                           "--key", "tap-1", "--json")
            #expect(logged.status == 0, "\(logged.stderr)")
            let meal = try json(logged.stdout)
            #expect(meal["subsidy_fen"] as? Int == 400)
            #expect(meal["payable_fen"] as? Int == 600)
            #expect(meal["bracket"] as? String == "80+")
            #expect(meal["status"] as? String == "valid")
            let id = try #require(meal["id"] as? Int)

            let replay = try await cli.run("meal", "log", "--site", "LY-01", "--card-no", "C-1", "--slot", "lunch", "--on", "2026-11-02",
                                           "--key", "tap-1", "--json")
            #expect(try json(replay.stdout)["id"] as? Int == id)

            let duplicate = try await cli.run("meal", "log", "--site", "LY-01", "--resident-id", Self.residentID, "--slot", "lunch",
                                              "--on", "2026-11-02", "--json")
            #expect(duplicate.status != 0)
            #expect(try json(duplicate.stderr)["existing_meal_id"] as? Int == id)
            let human = try await cli.run("meal", "log", "--site", "LY-01", "--resident-id", Self.residentID, "--slot", "lunch", "--on", "2026-11-02")
            #expect(human.stderr.hasPrefix("error: duplicate_meal"))

            let void = try await cli.run("meal", "void", String(id), "--reason", "刷错卡", "--json")
            #expect(try json(void.stdout)["status"] as? String == "void")
            #expect(try json(void.stdout)["void_reason"] as? String == "刷错卡")
        }
    }

    @Test func importWritesRejectsWithLineNumbersAndEndsWithTheSummaryLine() async throws {
        try await TestDatabase.withPool { _, name in
            let cli = CLIRunner(databaseURL: try TestDatabase.connectionString(database: name))
            _ = try await cli.run("site", "add", "--code", "LY-01", "--name", "馨颐", "--kind", "community_center", "--street", "柳园街道",
                                  "--opens-on", "2022-09-01", "--price-fen", "1000")
            _ = try await cli.run("diner", "register", "--name", "王某某", "--resident-id", Self.residentID)
            let folder = FileManager.default.temporaryDirectory.appendingPathComponent("import-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: folder) }
            let file = folder.appendingPathComponent("taps.csv")
            try """
                \u{FEFF}resident_id,served_on,slot,price_fen,client_ref
                \(Self.residentID),2026-11-20,lunch,1000,a
                \(Self.residentID),2026-11-20,lunch,1000,b
                bad-id,2026-11-20,lunch,1000,c
                \(Self.residentID),2026-11-21,lunch,,d

                """.write(to: file, atomically: true, encoding: .utf8)
            let first = try await cli.run("meal", "import", file.path, "--site", "LY-01")
            #expect(first.status == 0, "\(first.stderr)")
            #expect(first.stdout.split(separator: "\n").last == "created 2, replayed 0, duplicate 1, rejected 1")
            let rejects = try String(contentsOf: folder.appendingPathComponent("taps.rejects.csv"), encoding: .utf8)
            let records = CSV.records(rejects)
            #expect(records.first?.fields == ["line", "error", "detail", "resident_id", "served_on", "slot", "price_fen", "client_ref"])
            #expect(records.dropFirst().map { $0.fields[0] } == ["3", "4"])
            #expect(records.dropFirst().map { $0.fields[1] } == ["duplicate_meal", "invalid_resident_id"])

            let second = try await cli.run("meal", "import", file.path, "--site", "LY-01", "--json")
            let summary = try json(second.stdout)
            #expect(summary["created"] as? Int == 0)
            #expect(summary["replayed"] as? Int == 2)
            // --json is the object POST /v1/meals/import answers: every row's outcome.
            let rows = try #require(summary["rows"] as? [[String: Any]])
            #expect(rows.map { $0["status"] as? String } == ["replayed", "duplicate", "rejected", "replayed"])
        }
    }

    @Test func dinerEditAndSiteEditChangeWhatTheyNameAndClearWhatIsEmpty() async throws {
        try await TestDatabase.withPool { _, name in
            let cli = CLIRunner(databaseURL: try TestDatabase.connectionString(database: name))
            _ = try await cli.run("site", "add", "--code", "LY-01", "--name", "馨颐", "--kind", "community_center", "--street", "柳园街道",
                                  "--opens-on", "2022-09-01", "--price-fen", "1000")
            let registered = try json(try await cli.run("diner", "register", "--name", "王某某", "--resident-id", Self.residentID,
                                                         "--card-no", "C-1", "--phone", "0635-1", "--json").stdout)
            let id = try #require(registered["id"] as? Int)
            let edited = try await cli.run("diner", "edit", String(id), "--phone", "13800000000", "--card-no", "", "--home-site", "LY-01", "--json")
            #expect(edited.status == 0, "\(edited.stderr)")
            let diner = try json(edited.stdout)
            #expect(diner["phone"] as? String == "13800000000" && diner["card_no"] is NSNull && diner["home_site"] as? String == "LY-01")
            #expect(diner["name"] as? String == "王某某")  // not named: unchanged
            let bad = try await cli.run("diner", "edit", String(id), "--home-site", "NOPE")
            #expect(bad.status != 0 && bad.stderr.contains("validation_failed"), "\(bad.stderr)")

            let site = try json(try await cli.run("site", "edit", "LY-01", "--price-fen", "1100", "--phone", "0635-8888888", "--json").stdout)
            #expect(site["default_price_fen"] as? Int == 1100 && site["phone"] as? String == "0635-8888888" && site["name"] as? String == "馨颐")
            let cleared = try json(try await cli.run("site", "edit", "LY-01", "--price-fen", "", "--json").stdout)
            #expect(cleared["default_price_fen"] is NSNull)
            let human = try await cli.run("site", "edit", "LY-01", "--price-fen", "ten")
            #expect(human.status != 0 && human.stderr.contains("invalid_request"), "\(human.stderr)")
        }
    }

    @Test func dinerImportRegistersASpreadsheetAndWritesItsRejects() async throws {
        try await TestDatabase.withPool { _, name in
            let cli = CLIRunner(databaseURL: try TestDatabase.connectionString(database: name))
            _ = try await cli.run("site", "add", "--code", "LY-01", "--name", "馨颐", "--kind", "community_center", "--street", "柳园街道",
                                  "--opens-on", "2022-09-01", "--price-fen", "1000")
            let folder = FileManager.default.temporaryDirectory.appendingPathComponent("diners-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: folder) }
            let file = folder.appendingPathComponent("村委会名单.csv")
            let other = Fixtures.residentID(born: LocalDate(iso: "1950-01-02")!, serial: 2)
            try """
                \u{FEFF}姓名,身份证号,社区
                王某某,\(Self.residentID),东关社区
                李某某,371502194503151235,东关社区
                张某某,\(other),东关社区

                """.write(to: file, atomically: true, encoding: .utf8)
            let dry = try await cli.run("diner", "import", file.path, "--home-site", "LY-01", "--dry-run")
            #expect(dry.status == 0, "\(dry.stderr)")
            #expect(dry.stdout.split(separator: "\n").last == "created 2, existing 0, rejected 1")
            #expect(try await cli.run("diner", "list", "--json").stdout.contains("王某某") == false)

            let first = try await cli.run("diner", "import", file.path, "--home-site", "LY-01")
            #expect(first.stdout.split(separator: "\n").last == "created 2, existing 0, rejected 1", "\(first.stderr)")
            let rejects = try String(contentsOf: folder.appendingPathComponent("村委会名单.rejects.csv"), encoding: .utf8)
            let records = CSV.records(rejects)
            #expect(records.first?.fields == ["line", "error", "detail", "姓名", "身份证号", "社区"])
            #expect(records.dropFirst().map { [$0.fields[0], $0.fields[1], $0.fields[4]] } == [["3", "invalid_resident_id", ResidentID.mask("371502194503151235")]])

            let again = try await cli.run("diner", "import", file.path, "--json")
            let summary = try json(again.stdout)
            #expect(summary["created"] as? Int == 0 && summary["existing"] as? Int == 2 && summary["rejected"] as? Int == 1)
            let listed = try json(try await cli.run("diner", "list", "--json").stdout)["items"] as? [[String: Any]]
            #expect(listed?.compactMap { $0["home_site"] as? String } == ["LY-01", "LY-01"])
        }
    }

    @Test func demoSeedLoadsAMonthOfMealsAndIsIdempotent() async throws {
        try await TestDatabase.withPool { pool, name in
            let cli = CLIRunner(databaseURL: try TestDatabase.connectionString(database: name))
            let first = try await cli.run("db", "seed", "--demo", "--json")
            #expect(first.status == 0, "\(first.stderr)")
            let demo = try #require(try json(first.stdout)["demo"] as? [String: Any])
            #expect(demo["diners_created"] as? Int == 240)
            let meals = try #require(demo["meals"] as? [String: Any])
            #expect((meals["created"] as? Int ?? 0) > 3000)
            let ages = try await pool.withSession { session in
                try session.query("SELECT min(age_on(birth_date, current_date)), max(age_on(birth_date, current_date)), count(*) FROM diner").first.map {
                    (try $0.decode(0, as: Int.self), try $0.decode(1, as: Int.self), try $0.decode(2, as: Int.self))
                }
            }
            #expect((ages?.0 ?? 0) >= 59 && (ages?.1 ?? 0) <= 96 && ages?.2 == 240)
            let again = try await cli.run("db", "seed", "--demo", "--json")
            let againMeals = try #require((try json(again.stdout)["demo"] as? [String: Any])?["meals"] as? [String: Any])
            #expect(againMeals["created"] as? Int == 0)
        }
    }
}
