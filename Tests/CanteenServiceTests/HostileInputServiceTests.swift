import CanteenDomain
@testable import CanteenService
import Foundation
import Postgres
import Testing
import TestSupport

/// The holes an attacker found (issue 11), each closed, against the real database.
@Suite("Hostile input: services")
struct HostileInputServiceTests {
    static func code(_ body: () async throws -> Void) async -> CanteenError.Code? {
        do {
            try await body()
            return nil
        } catch let error as CanteenError {
            return error.code
        } catch {
            Issue.record("not a CanteenError: \(error)")
            return nil
        }
    }

    // MARK: 1. spreadsheet formulas

    @Test func claimAndReportCSVNeverCarryALiveFormula() async throws {
        try await TestDatabase.withServices(today: LocalDate(year: 2026, month: 12, day: 10)!) { services in
            _ = try await services.sites.create(SiteDraft(code: "LY-F", name: "@SUM(1+1)食堂", kind: "other", street: "=HYPERLINK(\"http://x\")",
                                                      opensOn: "2022-09-01", slots: ["lunch"], defaultPriceFen: 1000), by: .testAdmin)
            let names = ["=HYPERLINK(\"http://x/?\"&A1,\"点我\")", "+cmd|' /C calc'!A0", "@SUM(1+1)", "-1+1", "=cmd", "王某某"]
            var ids: [Int] = []
            for (i, name) in names.enumerated() {
                let diner = try await services.diners.register(
                    DinerDraft(name: name, residentID: Fixtures.residentID(born: LocalDate(year: 1940, month: 1, day: 1)!, serial: i + 1)),
                    by: .testAdmin)
                ids.append(diner.diner.id)
                _ = try await services.meals.log(Fixtures.meal(site: "LY-F", diner: diner.diner.id, on: "2026-10-0\(i + 1)"), by: .testAdmin)
            }
            // A void in a closed month: the next claim carries a negative adjustment.
            let october = try await services.claims.build(siteCode: "LY-F", month: "2026-10", by: .testAdmin).claim
            _ = try await services.claims.transition(october.id, .submit, by: .testAdmin)
            let voided = try await services.meals.list(.init(siteCode: "LY-F", dinerID: ids[5]), by: .testAdmin).items[0]
            _ = try await services.meals.void(voided.id, reason: "=误刷", by: .testAdmin)
            let november = try await services.claims.build(siteCode: "LY-F", month: "2026-11", by: .testAdmin).claim

            for csv in [ClaimDocument.csv(try await services.claims.get(october.id, by: .testAdmin)), ClaimDocument.csv(november),
                        ReportDocument.csv(try await services.reports.monthly(month: "2026-10", street: nil, by: .testAdmin))] {
                let records = CSV.records(csv)
                #expect(records.count > 2)
                for field in records.flatMap(\.fields) {
                    let isFigure = field.range(of: #"^-?[0-9]+(\.[0-9]+)?$"#, options: .regularExpression) != nil
                    if let first = field.unicodeScalars.first, "=+-@\t\r".unicodeScalars.contains(first) {
                        #expect(isFigure, "a live formula in the CSV: \(field)")
                    }
                }
            }
            let octoberFields = CSV.records(ClaimDocument.csv(try await services.claims.get(october.id, by: .testAdmin))).flatMap(\.fields)
            for name in names.dropLast() { #expect(octoberFields.contains("'" + name)) }
            #expect(octoberFields.contains("'=HYPERLINK(\"http://x\")"))
            #expect(octoberFields.contains("'@SUM(1+1)食堂"))
            // The adjustment stays a negative number a spreadsheet can add up.
            let adjustment = try #require(CSV.records(ClaimDocument.csv(november)).first { $0.fields.contains { $0.hasPrefix("调整") } })
            #expect(adjustment.fields.last == "-4.00")
        }
    }

    // MARK: 2. the quote follows the diner's access rule

    @Test func anOperatorQuotesOnlyDinersItMayRead() async throws {
        try await TestDatabase.withServices { services in
            try await Fixtures.site(services, "LY-A")
            try await Fixtures.site(services, "LY-B")
            let own = try await Fixtures.diner(services, born: "1945-03-15", serial: 1, home: "LY-A").diner.id
            let other = try await Fixtures.diner(services, born: "1940-03-15", serial: 2, home: "LY-B").diner.id
            let homeless = try await Fixtures.diner(services, born: "1940-03-15", serial: 3).diner.id
            let operatorA = Principal.testOperator("LY-A")
            let quote = try await services.quotes.quote(dinerID: own, servedOn: nil, slot: "lunch", priceFen: 1000, by: operatorA)
            #expect(quote.subsidyFen == 400)
            for id in [other, homeless] {
                #expect(await Self.code {
                    _ = try await services.quotes.quote(dinerID: id, servedOn: nil, slot: "lunch", priceFen: 1000, by: operatorA)
                } == .forbidden)
                #expect(await Self.code { _ = try await services.diners.get(id, by: operatorA) } == .forbidden)
                #expect(await Self.code { _ = try await services.diners.statusHistory(id, by: operatorA) } == .forbidden)
                var patch = DinerPatch()
                patch.phone = .set("1")
                #expect(await Self.code { _ = try await services.diners.update(id, patch, by: operatorA) } == .forbidden)
                #expect(await Self.code {
                    _ = try await services.diners.setStatus(id, status: "suspended", effectiveOn: "2026-11-01", by: operatorA)
                } == .forbidden)
            }
            // Bureau and admin quote anyone.
            #expect(try await services.quotes.quote(dinerID: other, servedOn: nil, slot: "lunch", priceFen: 1000, by: .testBureau).subsidyFen == 400)
        }
    }

    @Test func aQuoteBeforeTheBirthDateIsInvalidDate() async throws {
        try await TestDatabase.withServices { services in
            try await Fixtures.site(services, "LY-A")
            let diner = try await Fixtures.diner(services, born: "1945-03-15", serial: 1).diner.id
            #expect(await Self.code {
                _ = try await services.quotes.quote(dinerID: diner, servedOn: "1942-01-01", slot: "lunch", priceFen: 1000, by: .testAdmin)
            } == .invalidDate)
            let onTheDay = try await services.quotes.quote(dinerID: diner, servedOn: "1945-03-15", slot: "lunch", priceFen: 1000, by: .testAdmin)
            #expect(onTheDay.age == 0)
        }
    }

    // MARK: 3. batch items are independent

    @Test func aMealBeforeBirthIsInvalidDateAloneAndInABatch() async throws {
        try await TestDatabase.withServices { services in
            try await Fixtures.site(services, "LY-A", opensOn: "1900-01-01")
            let diner = try await Fixtures.diner(services, born: "1945-03-15", serial: 1, card: "C-1").diner.id
            #expect(await Self.code {
                _ = try await services.meals.log(Fixtures.meal(site: "LY-A", diner: diner, on: "1945-03-14"), by: .testAdmin)
            } == .invalidDate)
            let results = try await services.meals.logBatch([
                MealDraft(siteCode: "LY-A", cardNo: "C-1", slot: "lunch", priceFen: 1000, servedOn: "2026-11-02", clientRef: "good-1"),
                MealDraft(siteCode: "LY-A", dinerID: diner, slot: "lunch", priceFen: 1000, servedOn: "1940-01-01", clientRef: "unborn"),
                MealDraft(siteCode: "LY-A", dinerID: diner, slot: "dinner", priceFen: 1000, servedOn: "2026-11-02", clientRef: "good-2"),
            ], by: .testAdmin)
            #expect(results.map(\.status.rawValue) == ["created", "rejected", "created"])
            #expect(results[1].error?.code.rawValue == "invalid_date")
            let stored = try await services.meals.list(.init(dinerID: diner), by: .testAdmin).items
            #expect(stored.count == 2)
        }
    }

    /// Whatever makes a group's write fail — here an actor name the database layer refuses,
    /// which no client can send — its other meals are still logged, in order.
    @Test func aGroupWhoseStatementFailsIsLoggedMealByMeal() async throws {
        try await TestDatabase.withServices { services in
            try await Fixtures.site(services, "LY-A")
            let diner = try await Fixtures.diner(services, born: "1945-03-15", serial: 1).diner.id
            let today = LocalDate(year: 2026, month: 11, day: 22)!
            func item(_ slot: String, actor: String) throws -> MealStore.Item {
                let request = try MealDraft(siteCode: "LY-A", dinerID: diner, slot: slot, priceFen: 1000, servedOn: "2026-11-02")
                    .validated(today: today, idempotencyKey: nil)
                return MealStore.Item(request: request, requestHash: MealService.requestHash(request), actor: actor)
            }
            let results = await MealService.logEach([try item("breakfast", actor: "a"), try item("lunch", actor: "b\u{0}"),
                                                     try item("dinner", actor: "c")],
                                                    db: services.db, store: services.meals.store, today: today)
            #expect(results.count == 3)
            #expect((try? results[0].get()) != nil)
            #expect((try? results[2].get()) != nil)
            guard case .failure(let error) = results[1] else {
                Issue.record("the broken meal was logged")
                return
            }
            #expect((error as? CanteenError)?.code == .internal)
            let slots = try await services.meals.list(.init(dinerID: diner), by: .testAdmin).items.map(\.slot)
            #expect(slots == [.breakfast, .dinner])
        }
    }

    // MARK: 4. no full resident ID outside the diner record

    @Test func noTableButTheDinerRecordHoldsAFullResidentID() async throws {
        try await TestDatabase.withServices { services in
            try await Fixtures.site(services, "LY-A")
            let rid = Fixtures.residentID(born: LocalDate(year: 1945, month: 3, day: 15)!, serial: 7)
            let other = Fixtures.residentID(born: LocalDate(year: 1941, month: 2, day: 1)!, serial: 8)
            _ = try await services.diners.register(DinerDraft(name: "王某某", residentID: rid, homeSite: "LY-A"), by: .testAdmin)
            _ = try await services.diners.register(DinerDraft(name: "李某某", residentID: other), by: .testAdmin)
            _ = try await services.meals.log(MealDraft(siteCode: "LY-A", residentID: rid, slot: "lunch", priceFen: 1000), idempotencyKey: "k-1",
                                             by: .testAdmin)
            _ = try await services.meals.logBatch([MealDraft(siteCode: "LY-A", residentID: rid, slot: "dinner", priceFen: 1000, clientRef: "b-1")],
                                                  by: .testAdmin)
            let csv = "resident_id,served_on,slot,price_fen,client_ref\n\(other),2026-11-03,lunch,1000,r-1\n\(other),2026-11-03,lunch,1000,r-2\n"
            let report = try await services.importer.importCSV(Data(csv.utf8), siteCode: "LY-A", by: .testAdmin)
            #expect(report.created == 1)
            #expect(report.duplicate == 1)
            // The rejects file shows the ID masked.
            #expect(report.rejects.first?.fields.first == ResidentID.mask(other))
            _ = try await services.claims.build(siteCode: "LY-A", month: "2026-10", by: .testAdmin)

            let places = try await Self.placesHolding([rid, other], services)
            #expect(places == ["diner.resident_id"], "full resident IDs stored in \(places)")
            // Replays still find the meals by the hashed request.
            let replay = try await services.meals.log(MealDraft(siteCode: "LY-A", residentID: rid, slot: "lunch", priceFen: 1000),
                                                      idempotencyKey: "k-1", by: .testAdmin)
            #expect(replay.replayed)
            let again = try await services.importer.importCSV(Data(csv.utf8), siteCode: "LY-A", by: .testAdmin)
            #expect(again.replayed == 1)
        }
    }

    /// Every text-like column of every table in which any of `values` appears, as `table.column`.
    static func placesHolding(_ values: [String], _ services: CanteenServices) async throws -> Set<String> {
        try await services.db.session { session in
            let columns = try session.query("""
                SELECT c.table_name, c.column_name FROM information_schema.columns c
                JOIN information_schema.tables t ON t.table_schema = c.table_schema AND t.table_name = c.table_name
                WHERE c.table_schema = 'public' AND t.table_type = 'BASE TABLE'
                  AND c.data_type IN ('text', 'character varying', 'jsonb', 'json', 'ARRAY')
                """).rows.map { (try $0.decode(0, as: String.self), try $0.decode(1, as: String.self)) }
            #expect(columns.count > 10)
            var found = Set<String>()
            for (table, column) in columns {
                // Identifiers from the catalogue, quoted; the values are parameters.
                let hits: Int = try session.query("""
                    SELECT count(*) FROM "\(table)" WHERE "\(column)"::text LIKE ANY ($1::text[])
                    """, [TextArray(values.map { "%\($0)%" })]).first!.decode(0)
                if hits > 0 { found.insert("\(table).\(column)") }
            }
            return found
        }
    }

    @Test func theMigrationHashesStoredRequestsAndKeepsThemReplaying() async throws {
        try await TestDatabase.withPool(migrated: false) { pool, _ in
            let all = try Migrator(directory: TestDatabase.migrationsFolder)
            try await Migrator(migrations: all.migrations.filter { $0.version <= 7 }).migrate(pool)
            let rid = Fixtures.residentID(born: LocalDate(year: 1945, month: 3, day: 15)!, serial: 1)
            let request = MealRequest(siteCode: "LY-A", diner: .residentID(rid), slot: .lunch, priceFen: 1000, servedOn: nil,
                                      delivery: false, idempotencyKey: "old-key")
            // What the service stored before: the canonical request as it is.
            try await pool.withSession { session in
                try session.query("""
                    INSERT INTO site (code, name, kind, street, opens_on, slots, default_price_fen)
                    VALUES ('LY-A', '测试食堂', 'other', '柳园街道', '2022-09-01', '{lunch}', 1000)
                    """)
                try session.query("INSERT INTO diner (name, resident_id, sex, birth_date) VALUES ('王某某', $1, 'M', '1945-03-15')", [rid])
                try session.query("INSERT INTO diner_status (diner_id, effective_on, status, recorded_by) SELECT id, '1900-01-01', 'active', 'old' FROM diner")
                let outcome: String = try session.query("SELECT outcome FROM log_meal('LY-A', NULL, $1, NULL, NULL, 'lunch', 1000, false, 'old-key', $2, 'old', '2026-11-20')",
                                                        [rid, request.canonicalContent]).first!.decode(0)
                #expect(outcome == "created")
            }
            try await all.migrate(pool)
            let stored = try await pool.withSession { try $0.query("SELECT request_hash FROM meal").first?.decode(0, as: String.self) }
            #expect(stored == MealService.requestHash(request))
            #expect(stored?.contains(rid) == false)
            let services = CanteenServices(pool: pool, clock: TestClock.at(LocalDate(year: 2026, month: 11, day: 22)!))
            let replay = try await services.meals.log(MealDraft(siteCode: "LY-A", residentID: rid, slot: "lunch", priceFen: 1000),
                                                      idempotencyKey: "old-key", by: .testAdmin)
            #expect(replay.replayed)
        }
    }

    // MARK: 6. adjustments are bound only on submission, only to a later month

    @Test func aDraftCannotParkTheDeductionsOfVoids() async throws {
        try await TestDatabase.withServices(today: LocalDate(year: 2026, month: 12, day: 10)!) { services in
            try await Fixtures.site(services, "LY-A", opensOn: "2026-09-01", closesOn: "2027-03-01")
            let diner = try await Fixtures.diner(services, born: "1940-01-01", serial: 1).diner.id
            let meal = try await services.meals.log(Fixtures.meal(site: "LY-A", diner: diner, on: "2026-10-05"), by: .testAdmin).meal
            let october = try await services.claims.build(siteCode: "LY-A", month: "2026-10", by: .testAdmin).claim
            _ = try await services.claims.transition(october.id, .submit, by: .testAdmin)
            _ = try await services.meals.void(meal.id, reason: "刷错卡", by: .testAdmin)

            // Months the site never operated in cannot be claimed at all.
            for month in ["1999-01", "2026-08", "2027-04"] {
                #expect(await Self.code { _ = try await services.claims.build(siteCode: "LY-A", month: month, by: .testAdmin) } == .validationFailed)
            }
            // September is before the void's month: it never shows or carries the deduction.
            let september = try await services.claims.build(siteCode: "LY-A", month: "2026-09", by: .testAdmin).claim
            #expect(september.adjustments.isEmpty)
            #expect(september.adjustmentFen == 0)
            _ = try await services.claims.transition(september.id, .submit, by: .testAdmin)
            // Two later drafts both show it; neither holds it until one is submitted.
            let novemberDraft = try await services.claims.build(siteCode: "LY-A", month: "2026-11", by: .testAdmin).claim
            let decemberDraft = try await services.claims.build(siteCode: "LY-A", month: "2026-12", by: .testAdmin).claim
            #expect(novemberDraft.adjustmentFen == -400)
            #expect(decemberDraft.adjustments.map(\.mealID) == [meal.id])
            let bound = try await services.db.session { try $0.query("SELECT count(*) FROM claim_adjustment WHERE claim_id IS NOT NULL").first!.decode(0, as: Int.self) }
            #expect(bound == 0)
            let november = try await services.claims.transition(novemberDraft.id, .submit, by: .testAdmin)
            #expect(november.adjustmentFen == -400)
            #expect(november.adjustments.map(\.mealID) == [meal.id])
            #expect(november.totalFen == -400)
            // Carried once: December's draft no longer shows it.
            let december = try await services.claims.get(decemberDraft.id, by: .testAdmin)
            #expect(december.adjustments.isEmpty)
            #expect(december.adjustmentFen == 0)
            // Rejecting November frees it again for the next claim submitted.
            _ = try await services.claims.transition(november.id, .reject, reason: "重新核对", by: .testBureau)
            #expect(try await services.claims.get(decemberDraft.id, by: .testAdmin).adjustmentFen == -400)
        }
    }

    // MARK: 7. an import counts every row once

    @Test func anImportIntoAnUnknownSiteIsNotFoundBeforeReading() async throws {
        try await TestDatabase.withServices { services in
            try await Fixtures.site(services, "LY-A")
            let rid = Fixtures.residentID(born: LocalDate(year: 1945, month: 3, day: 15)!, serial: 1)
            _ = try await services.diners.register(DinerDraft(name: "王某某", residentID: rid), by: .testAdmin)
            let csv = "resident_id,served_on,slot,price_fen\n\(rid),2026-11-03,lunch,1000\n"
            #expect(await Self.code { _ = try await services.importer.importCSV(Data(csv.utf8), siteCode: "NOPE", by: .testAdmin) } == .notFound)
            let meals = try await services.db.session { try $0.query("SELECT count(*) FROM meal").first!.decode(0, as: Int.self) }
            #expect(meals == 0)
        }
    }

    @Test func everyRowOfAFileIsCountedExactlyOnce() async throws {
        try await TestDatabase.withServices(today: LocalDate(year: 2026, month: 12, day: 10)!) { services in
            try await Fixtures.site(services, "LY-A", opensOn: "2026-09-01", slots: ["breakfast", "lunch"])
            try await Fixtures.site(services, "LY-NP", price: nil)
            let born = LocalDate(year: 1945, month: 3, day: 15)!
            let rid = Fixtures.residentID(born: born, serial: 1)
            let inactive = Fixtures.residentID(born: born, serial: 2)
            let unknown = Fixtures.residentID(born: born, serial: 3)
            let badCheck = String(rid.dropLast()) + (rid.last == "0" ? "1" : "0")
            _ = try await services.diners.register(DinerDraft(name: "王某某", residentID: rid, cardNo: "C-1"), by: .testAdmin)
            let gone = try await services.diners.register(DinerDraft(name: "李某某", residentID: inactive), by: .testAdmin).diner.id
            _ = try await services.diners.setStatus(gone, status: "deceased", effectiveOn: "2026-10-01", by: .testAdmin)
            _ = try await services.meals.log(MealDraft(siteCode: "LY-A", residentID: rid, slot: "lunch", priceFen: 1000, servedOn: "2026-11-01"),
                                             idempotencyKey: "used", by: .testAdmin)
            let closed = try await services.claims.build(siteCode: "LY-A", month: "2026-09", by: .testAdmin).claim
            _ = try await services.claims.transition(closed.id, .submit, by: .testAdmin)
            let rows = [
                "\(rid),2026-11-02,lunch,1000,,ok",                   // created
                "\(rid),2026-11-02,lunch,1000,,dup-in-file",          // duplicate of the line before
                "\(rid),2026-11-01,lunch,1000,,dup-stored",           // duplicate of a stored meal
                "\(rid),2026-11-01,lunch,1000,used,replay",           // replayed (the key of the stored meal)
                "\(rid),2026-11-04,lunch,1000,used,mismatch",         // idempotency_mismatch
                "\(rid),2026-11-05,dinner,1000,,not-served",          // site_not_operating (slot)
                "\(rid),2026-08-05,lunch,1000,,before-opening",       // site_not_operating (date)
                "\(rid),2026-09-05,lunch,1000,,closed",               // period_closed
                "\(rid),1940-01-01,lunch,1000,,unborn",               // invalid_date (before birth)
                "\(rid),2027-01-01,lunch,1000,,future",               // invalid_date (future)
                "\(rid),2026-13-01,lunch,1000,,bad-date",             // invalid_date (format)
                "\(rid),2026-11-06,brunch,1000,,bad-slot",            // invalid_request
                "\(rid),2026-11-06,lunch,-1,,bad-price",              // invalid_price
                "\(rid),2026-11-06,lunch,abc,,text-price",            // invalid_price
                "\(inactive),2026-11-06,lunch,1000,,inactive",        // diner_inactive
                "\(unknown),2026-11-06,lunch,1000,,unknown",          // not_found
                "\(badCheck),2026-11-06,lunch,1000,,check",            // invalid_resident_id
                ",2026-11-06,lunch,1000,,no-diner",                   // invalid_request
                "\(rid),2026-11-07,lunch,1000,\(String(repeating: "k", count: 101)),long-key", // invalid_request
                "\(rid),2026-11-08,lunch,1000,,extra,field",          // invalid_request (too many fields)
                "\(rid),2026-11-09,lunch,1000,nul\u{0}key,nul",       // invalid_request (NUL)
                "\(rid),2026-11-10,breakfast,1000,k-a,ok-2",          // created
                "\(rid),2026-11-10,breakfast,1000,k-a,replay-in-file", // replayed (same key, same content, in the file)
                "\(rid),2026-11-11,breakfast,1000,k-a,mismatch-in-file", // idempotency_mismatch
            ]
            let csv = "resident_id,served_on,slot,price_fen,client_ref,note\n" + rows.joined(separator: "\n") + "\n\n"
            let report = try await services.importer.importCSV(Data(csv.utf8), siteCode: "LY-A", by: .testAdmin)
            #expect(report.created + report.replayed + report.duplicate + report.rejected == rows.count)
            #expect(report.created == 2)
            #expect(report.replayed == 2)
            #expect(report.duplicate == 2)
            let codes = Dictionary(uniqueKeysWithValues: report.rejects.map { ($0.line, $0.code) })
            #expect(Set(codes.keys).count == rows.count - 4)
            #expect(codes[6] == "idempotency_mismatch")
            #expect(codes[7] == "site_not_operating")
            #expect(codes[9] == "period_closed")
            #expect(codes[10] == "invalid_date")
            #expect(codes[11] == "invalid_date")
            #expect(codes[14] == "invalid_price")
            #expect(codes[16] == "diner_inactive")
            #expect(codes[17] == "not_found")
            #expect(codes[18] == "invalid_resident_id")
            #expect(codes[22] == "invalid_request")
            #expect(codes[25] == "idempotency_mismatch")
            // A site without a default price: every row without a price is rejected, and counted.
            let noPrice = "card_no,slot\nC-1,lunch\nC-1,dinner\nC-9,lunch\n"
            let priced = try await services.importer.importCSV(Data(noPrice.utf8), siteCode: "LY-NP", by: .testAdmin)
            #expect(priced.rejected == 3)
            #expect(Set(priced.rejects.map(\.code)) == ["invalid_price"])
        }
    }

    // MARK: 8. lengths, months

    @Test func lengthLimitsCountCharactersAsTheDatabaseDoes() async throws {
        try await TestDatabase.withServices { services in
            let family = "👨‍👩‍👧‍👦"
            #expect(family.count == 1)
            #expect(family.storedLength == 7)
            let rid = Fixtures.residentID(born: LocalDate(year: 1945, month: 3, day: 15)!, serial: 1)
            let error = await Self.code {
                _ = try await services.diners.register(DinerDraft(name: String(repeating: family, count: 64), residentID: rid), by: .testAdmin)
            }
            #expect(error == .validationFailed)
            // Nine families are 63 characters to both: stored.
            let stored = try await services.diners.register(DinerDraft(name: String(repeating: family, count: 9), residentID: rid), by: .testAdmin)
            #expect(stored.diner.name.storedLength == 63)
            #expect(await Self.code {
                _ = try await services.sites.create(SiteDraft(code: "LY-E", name: String(repeating: family, count: 10), kind: "other",
                                                              street: "柳园街道", opensOn: "2022-09-01"), by: .testAdmin)
            } == .validationFailed)
        }
    }

    @Test func aReportForAMonthAfterTheCurrentOneIsValidationFailed() async throws {
        try await TestDatabase.withServices { services in
            for month in ["9999-12", "2026-12", "2100-01"] {
                #expect(await Self.code { _ = try await services.reports.monthly(month: month, street: nil, by: .testAdmin) } == .validationFailed)
            }
            let current = try await services.reports.monthly(month: "2026-11", street: nil, by: .testAdmin)
            #expect(current.month.description == "2026-11")
            let ancient = try await services.reports.monthly(month: "0001-01", street: nil, by: .testAdmin)
            #expect(ancient.sites.isEmpty)
        }
    }

    @Test func aNULCharacterNeverReachesTheDatabase() async throws {
        try await TestDatabase.withServices { services in
            try await Fixtures.site(services, "ADV-A")
            let diner = try await Fixtures.diner(services, born: "1945-03-15", serial: 1).diner.id
            // Whatever path a NUL takes, it is refused, never cut short to another site's code.
            #expect(await Self.code { _ = try await services.meals.log(Fixtures.meal(site: "ADV-A\u{0}ZZ", diner: diner), by: .testAdmin) } != nil)
            let meals = try await services.db.session { try $0.query("SELECT count(*) FROM meal").first!.decode(0, as: Int.self) }
            #expect(meals == 0)
            await #expect(throws: PostgresError.self) {
                try await services.db.pool.withSession { try $0.query("SELECT $1::text", ["A\u{0}B"]) }
            }
        }
    }
}
