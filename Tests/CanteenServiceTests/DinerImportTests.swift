import CanteenDomain
import CanteenService
import Foundation
import Testing
import TestSupport

@Suite("bulk registration of diners (SPEC §2.7)")
struct DinerImportTests {
    static func id(_ born: String, _ serial: Int) -> String { Fixtures.residentID(born: LocalDate(iso: born)!, serial: serial) }

    static func count(_ services: CanteenServices, _ sql: String) async throws -> Int {
        try await services.db.session { session in try session.query(sql).one().decode(0, as: Int.self) }
    }

    @Test func everyRowGetsOneOutcomeAndASecondRunCreatesNothing() async throws {
        try await TestDatabase.withServices { services in
            try await Fixtures.site(services, "LY-01")
            let registered = try await Fixtures.diner(services, born: "1940-05-05", serial: 1, card: "OLD-1").diner
            let csv = """
                name,resident_id,phone,address,community,card_no,home_site,notes
                张三,\(Self.id("1944-02-03", 2)),13800000000,东关街1号,东关社区,C-2,LY-01,ignored
                李四,\(Self.id("1950-07-08", 3).lowercased()),,,,,,
                王五,\(registered.residentID),,,,C-NEW,,
                赵六,371502194503151235,,,,,,
                钱七,\(Self.id("1948-01-01", 4)),12345678901234567890123456789012345,,,,,
                孙八,\(Self.id("1949-01-01", 5)),,,,OLD-1,,
                周九,\(Self.id("1944-02-03", 2)),,,,C-9,,
                吴十,\(Self.id("1947-03-03", 6)),,,,C-2,,
                郑一,\(Self.id("1946-04-04", 7)),,,,,NOPE,
                ,\(Self.id("1945-05-05", 8)),,,,,,
                冯二,,,,,,,
                陈三,\(Self.id("1943-06-06", 9)),,,,,LY-01,,extra
                褚四,\(Self.id("1942-07-07", 10)),,,,bad card!,,
                """
            let report = try await services.dinerImporter.importCSV(Data(csv.utf8), by: .testAdmin)
            let outcomes = Dictionary(uniqueKeysWithValues: report.rows.map { ($0.line, $0) })
            #expect(report.rows.map(\.line) == Array(2...14))
            #expect(report.rows.filter { $0.status == .created }.map(\.line) == [2, 3])
            #expect(outcomes[4]?.status == .existing && outcomes[4]?.dinerID == registered.id)
            #expect(outcomes[8]?.status == .existing)  // line 2's resident ID again: the first row wins
            #expect(outcomes[8]?.dinerID == outcomes[2]?.dinerID)
            let codes = Dictionary(uniqueKeysWithValues: report.rows.compactMap { row in row.error.map { (row.line, $0.code) } })
            #expect(codes == [5: .invalidResidentID, 6: .validationFailed, 7: .duplicateCardNo, 9: .duplicateCardNo,
                              10: .validationFailed, 11: .validationFailed, 12: .invalidRequest, 13: .invalidRequest, 14: .validationFailed])
            #expect(outcomes[7]?.error?.detail.contains("diner \(registered.id)") == true)
            #expect(outcomes[9]?.error?.detail.contains("earlier row") == true)
            #expect(outcomes[5]?.fields[1] == ResidentID.mask("371502194503151235"))  // a rejects file never holds a full ID
            #expect(report.summary == "created 2, existing 2, rejected 9")

            let zhang = try await services.diners.get(try #require(outcomes[2]?.dinerID), by: .testAdmin).diner
            #expect([zhang.name, zhang.phone, zhang.address, zhang.community, zhang.cardNo, zhang.homeSite, zhang.status.rawValue]
                    == ["张三", "13800000000", "东关街1号", "东关社区", "C-2", "LY-01", "active"])
            #expect(zhang.birthDate.description == "1944-02-03")
            let li = try await services.diners.get(try #require(outcomes[3]?.dinerID), by: .testAdmin).diner
            #expect(li.residentID == Self.id("1950-07-08", 3))  // stored in canonical form
            #expect(li.status == .active && zhang.status == .active)  // active until the first change
            // One audit row for the file, naming the diners it registered.
            let audit = try await services.db.session { session in
                try session.query("SELECT entity, detail::text FROM audit_log WHERE action = 'diner.import'").rows.map {
                    (try $0.decode(0, as: String.self), try $0.decode(1, as: String.self))
                }
            }
            #expect(audit.count == 1 && audit.first?.0 == "diner")
            let ids = [try #require(outcomes[2]?.dinerID), try #require(outcomes[3]?.dinerID)]
            #expect(audit.first?.1.contains(#""diner_ids": [[\#(ids[0]), \#(ids[1])]]"#) == true, "\(audit)")
            #expect(audit.first?.1.contains(#""created": 2"#) == true)
            #expect(try await Self.count(services, "SELECT count(*) FROM audit_log WHERE detail::text LIKE '%\(Self.id("1944-02-03", 2))%'") == 0)
            #expect(try await services.audit.verify(by: .testAdmin).intact)

            // The same file again: every registered resident ID is existing, nothing is written.
            let again = try await services.dinerImporter.importCSV(Data(csv.utf8), by: .testAdmin)
            #expect(again.created == 0)
            #expect(again.rows.filter { $0.status == .existing }.map(\.line) == [2, 3, 4, 8])
            #expect(again.rows.first { $0.line == 3 }?.dinerID == li.id)
            #expect(try await Self.count(services, "SELECT count(*) FROM diner") == 3)
        }
    }

    @Test func aChineseSpreadsheetWithBOMAndCRLF() async throws {
        try await TestDatabase.withServices { services in
            try await Fixtures.site(services, "LY-01")
            let csv = "\u{FEFF}序号,姓名,身份证号,电话,住址,社区,卡号,所属食堂\r\n"
                + "1,刘大爷,\(Self.id("1941-08-08", 11)),0635-1234567,\"柳园街道3号,2单元\",柳园社区,K-11,LY-01\r\n"
                + "2,王奶奶,\(Self.id("1939-09-09", 12)),,,柳园社区,,\r\n"
            let report = try await services.dinerImporter.importCSV(Data(csv.utf8), by: .testAdmin)
            #expect(report.summary == "created 2, existing 0, rejected 0")
            let liu = try await services.diners.get(try #require(report.rows.first?.dinerID), by: .testAdmin).diner
            #expect([liu.name, liu.address, liu.cardNo, liu.homeSite] == ["刘大爷", "柳园街道3号,2单元", "K-11", "LY-01"])
        }
    }

    @Test func aDryRunAnswersTheSameOutcomesAndWritesNothing() async throws {
        try await TestDatabase.withServices { services in
            try await Fixtures.site(services, "LY-01")
            let registered = try await Fixtures.diner(services, born: "1940-05-05", serial: 1).diner
            let csv = """
                姓名,身份证号
                甲,\(Self.id("1944-02-03", 2))
                乙,\(registered.residentID)
                丙,12345
                """
            let audits = try await Self.count(services, "SELECT count(*) FROM audit_log")
            let dry = try await services.dinerImporter.importCSV(Data(csv.utf8), dryRun: true, by: .testAdmin)
            #expect(dry.rows.map(\.status) == [.created, .existing, .rejected])
            #expect(dry.rows[0].dinerID == nil && dry.rows[1].dinerID == registered.id)
            #expect(try await Self.count(services, "SELECT count(*) FROM diner") == 1)
            #expect(try await Self.count(services, "SELECT count(*) FROM audit_log") == audits)
            let real = try await services.dinerImporter.importCSV(Data(csv.utf8), by: .testAdmin)
            #expect(real.rows.map(\.status) == dry.rows.map(\.status))
        }
    }

    @Test func anOperatorRegistersForItsOwnSitesOnly() async throws {
        try await TestDatabase.withServices { services in
            try await Fixtures.site(services, "LY-01")
            try await Fixtures.site(services, "LY-02")
            let csv = """
                name,resident_id,home_site
                甲,\(Self.id("1944-02-03", 2)),
                乙,\(Self.id("1945-02-03", 3)),LY-02
                """
            let report = try await services.dinerImporter.importCSV(Data(csv.utf8), by: .testOperator("LY-01"))
            #expect(report.rows.map(\.status) == [.created, .rejected])
            #expect(report.rows[1].error?.code == .forbidden)
            let first = try await services.diners.get(try #require(report.rows[0].dinerID), by: .testAdmin).diner
            #expect(first.homeSite == "LY-01")  // an operator's diners belong to its site
            await #expect(throws: CanteenError.self) {
                _ = try await services.dinerImporter.importCSV(Data(csv.utf8), homeSite: "LY-02", by: .testOperator("LY-01"))
            }
            await #expect(throws: CanteenError.self) {
                _ = try await services.dinerImporter.importCSV(Data(csv.utf8), by: .testBureau)
            }
            // --home-site fills the rows that name none.
            let more = "name,resident_id\n丙,\(Self.id("1946-02-03", 4))\n"
            let placed = try await services.dinerImporter.importCSV(Data(more.utf8), homeSite: "LY-02", by: .testAdmin)
            #expect(try await services.diners.get(try #require(placed.rows[0].dinerID), by: .testAdmin).diner.homeSite == "LY-02")
        }
    }

    @Test func aFileWithoutTheRequiredColumnsIsRefusedWhole() async throws {
        try await TestDatabase.withServices { services in
            for csv in ["", "name,phone\n甲,1\n", "身份证号\n\(Self.id("1944-02-03", 2))\n"] {
                do {
                    _ = try await services.dinerImporter.importCSV(Data(csv.utf8), by: .testAdmin)
                    Issue.record("accepted \(csv)")
                } catch let error as CanteenError {
                    #expect(error.code == .invalidRequest)
                }
            }
            #expect(try await Self.count(services, "SELECT count(*) FROM diner") == 0)
        }
    }

    /// A registration that commits between the import's read and its write is not written twice:
    /// the import's insert waits for it, leaves the row out, and decides it again — `existing`;
    /// a card another diner took meanwhile is `duplicate_card_no`. The rest of the file is created.
    @Test func aRegistrationThatCommitsDuringTheImport() async throws {
        try await TestDatabase.withServices { services in
            let ids = (0..<200).map { Self.id("1944-02-03", 100 + $0) }
            let csv = "name,resident_id,card_no\n" + ids.enumerated().map { "老人,\($1),K-\($0)" }.joined(separator: "\n")
            async let holder: Int = services.db.pool.withSession { session in
                try session.executeScript("BEGIN")
                let id: Int = try session.query("""
                    INSERT INTO diner (name, resident_id, sex, birth_date) VALUES ('单独', $1, 'M', '1944-02-03') RETURNING id
                    """, [ids[150]]).one().decode(0)
                try session.query("INSERT INTO diner (name, resident_id, sex, birth_date, card_no) VALUES ('持卡', $1, 'M', '1945-02-03', 'K-40')",
                                  [Self.id("1945-02-03", 999)])
                Thread.sleep(forTimeInterval: 1.5)
                try session.executeScript("COMMIT")
                return id
            }
            try await Task.sleep(for: .milliseconds(300))
            let report = try await services.dinerImporter.importCSV(Data(csv.utf8), by: .testAdmin)
            let single = try await holder
            #expect(report.rows[150].status == .existing)
            #expect(report.rows[150].dinerID == single)
            #expect(report.rows[40].error?.code == .duplicateCardNo)
            #expect(report.created == 198)
            #expect(try await Self.count(services, "SELECT count(*) FROM diner") == 200)
        }
    }
}
