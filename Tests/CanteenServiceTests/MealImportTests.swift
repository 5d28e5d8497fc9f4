import CanteenDomain
import CanteenService
import Foundation
import Testing
import TestSupport

@Suite("CSV import of meals")
struct MealImportTests {
    @Test func goodRowsBadRowsAndDuplicatesAndASecondRunReplaysEverything() async throws {
        try await TestDatabase.withServices { services in
            try await Fixtures.site(services, "LY-01", slots: ["lunch", "dinner"])
            try await Fixtures.site(services, "LY-02")
            let a = try await Fixtures.diner(services, born: "1940-05-05", serial: 1, card: "A-1").diner
            let b = try await Fixtures.diner(services, born: "1946-11-10", serial: 2).diner
            let c = try await Fixtures.diner(services, born: "1930-01-01", serial: 3, card: "C-3").diner
            _ = try await services.diners.setStatus(c.id, status: "moved_out", effectiveOn: "2026-11-15", by: .testAdmin)
            // Already logged: a's lunch on the 20th (at another site).
            let existing = try await services.meals.log(Fixtures.meal(site: "LY-02", diner: a.id, on: "2026-11-20"), by: .testAdmin).meal
            try await services.db.transaction { session in
                try session.query("INSERT INTO claim (site_code, month, status) VALUES ('LY-01', '2026-09-01', 'submitted')")
            }
            let csv = """
                \u{FEFF}resident_id,card_no,served_on,slot,price_fen,client_ref
                \(a.residentID),,2026-11-18,lunch,1000,r2
                ,A-1,2026-11-18,dinner,,r3
                \(b.residentID.lowercased()),,2026-11-18,lunch,900,r4
                \(b.residentID),,2026-11-18,lunch,900,r5
                \(a.residentID),,2026-11-20,lunch,1000,r6
                \(c.residentID),,2026-11-14,lunch,1000,r7
                \(c.residentID),,2026-11-15,lunch,1000,r8
                371502194503151235,,2026-11-18,lunch,1000,r9
                \(a.residentID),,2026-11-31,lunch,1000,r10
                \(a.residentID),,2026-11-23,lunch,1000,r11
                \(a.residentID),,2026-11-17,supper,1000,r12
                \(a.residentID),,2026-11-17,lunch,-5,r13
                \(a.residentID),,2026-11-17,lunch,abc,r14
                \(a.residentID),,2026-11-17,breakfast,1000,r15
                \(a.residentID),,2026-09-10,lunch,1000,r16
                ,NO-CARD,2026-11-17,lunch,1000,r17
                \(a.residentID),,2026-11-16,lunch,1000
                \(a.residentID),,2026-11-16,dinner,1000,r2
                \(a.residentID),,2026-11-18,lunch,1000,r2
                too,few,fields
                \(a.residentID),,2026-11-15,lunch,1000,r22,extra
                \(b.residentID),,2026-11-10,dinner,1000,r23
                """
            let report = try await services.importer.importCSV(Data(csv.utf8), siteCode: "LY-01", by: .testAdmin)
            let byLine = Dictionary(uniqueKeysWithValues: report.rejects.map { ($0.line, $0.code) })
            #expect(byLine == [
                5: "duplicate_meal", 6: "duplicate_meal", 8: "diner_inactive", 9: "invalid_resident_id", 10: "invalid_date",
                11: "invalid_date", 12: "invalid_request", 13: "invalid_price", 14: "invalid_price", 15: "site_not_operating",
                16: "period_closed", 17: "not_found", 19: "idempotency_mismatch", 21: "invalid_resident_id", 22: "invalid_request",
            ])
            #expect(report.created == 6)  // lines 2, 3, 4, 7, 18, 23
            #expect(report.replayed == 1)  // line 20 repeats line 2
            #expect(report.duplicate == 2)
            #expect(report.rejected == 13)
            #expect(report.summary == "created 6, replayed 1, duplicate 2, rejected 13")
            #expect(report.rejects.first { $0.line == 6 }?.detail.contains("meal \(existing.id)") == true)
            #expect(report.rejects.first { $0.line == 5 }?.detail.contains("line 4") == true)
            // Every data row has one outcome, in file order: what the HTTP import answers.
            #expect(report.rows.map(\.line) == Array(2...23))
            #expect(report.rows.first { $0.line == 6 }.map { ($0.status, $0.mealID) } ?? (.created, nil) == (.duplicate, existing.id))
            #expect(report.rows.first { $0.line == 9 }?.error?.code == .invalidResidentID)
            #expect(report.rows.filter { $0.status == .created }.compactMap(\.mealID).count == 6)

            let meals = try await services.meals.list(.init(siteCode: "LY-01"), by: .testAdmin).items
            #expect(meals.count == 6)
            let bLunch = try #require(meals.first { $0.dinerID == b.id && $0.slot == .lunch })
            #expect((bLunch.age, bLunch.bracket, bLunch.subsidyFen, bLunch.payableFen) == (80, "80+", 400, 500))
            let aDinner = try #require(meals.first { $0.dinerID == a.id && $0.slot == .dinner && $0.servedOn.description == "2026-11-18" })
            #expect(aDinner.priceFen == 1000)  // the site's default price
            let bDinner = try #require(meals.first { $0.dinerID == b.id && $0.servedOn.description == "2026-11-10" })
            #expect((bDinner.age, bDinner.bracket, bDinner.subsidyFen) == (80, "80+", 400))

            // The same file again: nothing new; every keyed row replays, every unkeyed one is a duplicate.
            let again = try await services.importer.importCSV(Data(csv.utf8), siteCode: "LY-01", by: .testAdmin)
            #expect(again.created == 0)
            #expect(again.replayed == 6)  // r2 r3 r4 r7 r23 and line 20
            #expect(again.duplicate == 3)  // lines 5, 6 and the unkeyed line 18
            #expect(again.rejected == 13)
            let total = try await services.db.session { try $0.query("SELECT count(*) FROM meal").first!.decode(0, as: Int.self) }
            #expect(total == 7)
            let importAudits = try await services.db.session { try $0.query("SELECT count(*) FROM audit_log WHERE action = 'meal.import'").first!.decode(0, as: Int.self) }
            #expect(importAudits == 1)
        }
    }

    /// COPY's text format gives a backslash a meaning: an imported key holding one (printable
    /// ASCII allows it) is stored as sent, and a second import of the file replays every row.
    @Test func keysWithBackslashesAreStoredAsSent() async throws {
        try await TestDatabase.withServices { services in
            try await Fixtures.site(services, "LY-01")
            let a = try await Fixtures.diner(services, born: "1940-05-05", serial: 1).diner
            let keys = [#"a\b"#, #"\N"#, #"x\ty"#, #"\\"#]
            let csv = "resident_id,served_on,slot,price_fen,client_ref\n" + zip(["2026-11-16", "2026-11-17", "2026-11-18", "2026-11-19"], keys)
                .map { "\(a.residentID),\($0),lunch,1000,\($1)" }.joined(separator: "\n")
            let first = try await services.importer.importCSV(Data(csv.utf8), siteCode: "LY-01", by: .testAdmin)
            #expect(first.summary == "created 4, replayed 0, duplicate 0, rejected 0")
            let stored: [String] = try await services.db.session { session in
                try session.query("SELECT idempotency_key FROM meal WHERE diner_id = $1 ORDER BY served_on", [a.id]).rows.map { try $0.decode("idempotency_key") }
            }
            #expect(stored == keys)
            let again = try await services.importer.importCSV(Data(csv.utf8), siteCode: "LY-01", by: .testAdmin)
            #expect(again.summary == "created 0, replayed 4, duplicate 0, rejected 0")
        }
    }

    @Test func aFileWithoutTheNeededColumnsIsRefusedWhole() async throws {
        try await TestDatabase.withServices { services in
            try await Fixtures.site(services, "LY-01")
            for csv in ["", "name,slot\nx,lunch\n", "resident_id,price_fen\n1,2\n"] {
                let error = await #expect(throws: CanteenError.self) {
                    try await services.importer.importCSV(Data(csv.utf8), siteCode: "LY-01", by: .testAdmin)
                }
                #expect(error?.code == .invalidRequest, "\(csv)")
            }
            let forbidden = await #expect(throws: CanteenError.self) {
                try await services.importer.importCSV(Data("card_no,slot\n".utf8), siteCode: "LY-01", by: .testOperator("OTHER"))
            }
            #expect(forbidden?.code == .forbidden)
        }
    }

    @Test func importAndSingleMealsComputeTheSameSubsidiesAsTheDomainRule() async throws {
        try await TestDatabase.withServices { services in
            try await Fixtures.site(services, "LY-01")
            try await Fixtures.site(services, "LY-02")
            var rng = SeededGenerator()
            let seed = rng.note
            var csv = "resident_id,served_on,slot,price_fen\n"
            var expected: [String: (LocalDate, LocalDate, Int)] = [:]  // resident id -> (birth, day, price)
            for serial in 0..<120 {
                let birth = LocalDate(daysSinceEpoch: Int.random(in: -20_000 ... -8_000, using: &rng))
                let day = LocalDate(daysSinceEpoch: Int.random(in: 19_236 ... 20_414, using: &rng))  // 2022-09-01 … 2025-11-22
                let price = Int.random(in: 0...1500, using: &rng)
                let view = try await services.diners.register(
                    DinerDraft(name: "比对\(serial)", residentID: Fixtures.residentID(born: birth, serial: serial)), by: .testAdmin)
                expected[view.diner.residentID] = (birth, day, price)
                if serial % 2 == 0 {
                    csv += "\(view.diner.residentID),\(day),lunch,\(price)\n"
                } else {
                    _ = try await services.meals.log(Fixtures.meal(site: "LY-02", diner: view.diner.id, on: day.description, price: price), by: .testAdmin)
                }
            }
            let report = try await services.importer.importCSV(Data(csv.utf8), siteCode: "LY-01", by: .testAdmin)
            #expect(report.created == 60, "\(seed)")
            let rows = try await services.db.session { session in
                try session.query("SELECT d.resident_id, m.age, m.bracket, m.subsidy_fen, m.price_fen - m.subsidy_fen FROM meal m JOIN diner d ON d.id = m.diner_id")
                    .rows.map { (try $0.decode(0, as: String.self), try $0.decode(1, as: Int.self), try $0.decode(2, as: String.self),
                                 try $0.decode(3, as: Int.self), try $0.decode(4, as: Int.self)) }
            }
            #expect(rows.count == 120, "\(seed)")
            for (residentID, years, bracket, subsidy, payable) in rows {
                let (birth, day, price) = try #require(expected[residentID], "\(seed)")
                let rule = SubsidyRule.subsidy(policy: .standard, birthDate: birth, servedOn: day, priceFen: price, subsidisedEarlierThatDay: 0)
                #expect(years == rule.age, "\(seed): born \(birth), served \(day)")
                #expect(bracket == rule.bracket, "\(seed): born \(birth), served \(day)")
                #expect(subsidy == rule.subsidyFen, "\(seed): born \(birth), served \(day), price \(price)")
                #expect(payable == rule.payableFen, "\(seed): born \(birth), served \(day), price \(price)")
            }
        }
    }
}

@Suite("CSV import of hostile files")
struct HostileImportTests {
    @Test func randomBytesAndHugeFieldsNeverCrashOrWriteHalfAnImport() async throws {
        try await TestDatabase.withServices { services in
            try await Fixtures.site(services, "LY-01")
            let d = try await Fixtures.diner(services, born: "1940-05-05", serial: 1, card: "C-1")
            var generator = SeededGenerator()
            let seed = generator.note
            var files: [Data] = []
            for _ in 0..<30 {
                let length = Int.random(in: 0...2000, using: &generator)
                var bytes = (0..<length).map { _ in UInt8.random(in: 0...255, using: &generator) }
                if Bool.random(using: &generator) { bytes = Array("card_no,slot,price_fen,served_on\n".utf8) + bytes }
                files.append(Data(bytes))
            }
            files.append(Data("card_no,slot,price_fen\nC-1,lunch,99999999999999999999999\nC-1,lunch,-5\nC-1,\(String(repeating: "x", count: 100_000)),1\n".utf8))
            files.append(Data("card_no,slot,price_fen,client_ref\nC-1,lunch,100,\(String(repeating: "k", count: 5000))\n".utf8))
            files.append(Data(("card_no,slot\n" + String(repeating: "C-1,lunch,extra,fields\n", count: 2000)).utf8))
            func mealCount() async throws -> Int {
                try await services.db.session { try $0.query("SELECT count(*) FROM meal").first!.decode(0, as: Int.self) }
            }
            for (index, file) in files.enumerated() {
                let before = try await mealCount()
                do {
                    let report = try await services.importer.importCSV(file, siteCode: "LY-01", by: .testAdmin)
                    // Every row after the header has exactly one outcome, and "created" is what the table gained.
                    var records = 0
                    file.withUnsafeBytes { raw in CSV.parse(raw.bindMemory(to: UInt8.self)) { _ in records += 1 } }
                    #expect(report.created + report.replayed + report.duplicate + report.rejected == records - 1, "\(seed), file \(index)")
                    #expect(report.rejects.count == report.duplicate + report.rejected, "\(seed), file \(index)")
                    #expect(Set(report.rejects.map(\.line)).count == report.rejects.count, "\(seed), file \(index)")
                    #expect(try await mealCount() - before == report.created, "\(seed), file \(index)")
                } catch let error as CanteenError {
                    #expect(error.code == .invalidRequest, "\(seed), file \(index)")
                    #expect(try await mealCount() == before, "\(seed), file \(index)")
                }
            }
            // Whatever was imported obeys the one-meal-per-slot rule and belongs to the real diner.
            let (meals, others) = try await services.db.session { session in
                (try session.query("SELECT count(*) FROM meal").first!.decode(0, as: Int.self),
                 try session.query("SELECT count(*) FROM meal WHERE diner_id <> $1", [d.diner.id]).first!.decode(0, as: Int.self))
            }
            #expect(meals <= 1, "\(seed)")
            #expect(others == 0, "\(seed)")
        }
    }
}
