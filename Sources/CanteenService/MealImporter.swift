import CanteenDomain
import Foundation
import Postgres

/// `canteen meal import`: a day's (or month's) taps from an offline card reader.
///
/// The same engine as the counter at a larger size: every row's own content is checked by
/// `MealDraft.validated`, as for `POST /v1/meals`; the facts of all rows are read set-based,
/// every row is decided by `MealLedger` in file order, and the accepted meals are written with
/// COPY (`MealStore`, `.bulk`). A bad row never stops the import: it is reported with its line
/// number and error code.
public struct MealImporter: Sendable {
    let db: Database
    let clock: BusinessClock
    let store: MealStore

    init(db: Database, clock: BusinessClock, catalog: Catalog) {
        self.db = db
        self.clock = clock
        self.store = MealStore(catalog: catalog, clock: clock)
    }

    /// A row that was not logged.
    public struct Reject: Sendable, Equatable {
        public let line: Int
        public let code: String
        public let detail: String
        public let fields: [String]
    }

    /// One data row's outcome: the meal it created or replayed, or (a duplicate) the meal already
    /// in its slot; the error of a duplicate or rejected row.
    public struct Row: Sendable {
        public enum Status: String, Sendable {
            case created, replayed, duplicate, rejected
        }

        public let line: Int
        public let status: Status
        public let mealID: Int?
        public let error: CanteenError?
    }

    public struct Report: Sendable {
        public var created = 0
        public var replayed = 0
        public var duplicate = 0
        public var rejected = 0
        /// Every data row, in file order.
        public var rows: [Row] = []
        public var rejects: [Reject] = []
        public var header: [String] = []

        public var summary: String { "created \(created), replayed \(replayed), duplicate \(duplicate), rejected \(rejected)" }
    }

    public enum Phase: Sendable {
        case checking(rows: Int)
        case storing(rows: Int)
        case done
    }

    static let knownColumns: Set<String> = ["resident_id", "card_no", "served_on", "slot", "price_fen", "client_ref", "delivery"]

    /// Imports `csv` for `siteCode`; `progress` is told how far it got. Every data row of the
    /// file is counted exactly once: created + replayed + duplicate + rejected = rows.
    public func importCSV(_ csv: Data, siteCode: String, by actor: Principal,
                          progress: @escaping @Sendable (Phase) -> Void = { _ in }) async throws -> Report {
        try actor.require(.admin, .operator)
        try actor.requireSite(siteCode)
        // An unknown site is the file's error, before a row is read: its rows are not "checked".
        guard try await db.session({ session in try !session.query("SELECT 1 FROM site WHERE code = $1", [siteCode]).isEmpty }) else {
            throw CanteenError.notFound("site \(siteCode)")
        }
        let today = clock.today()
        var report = Report()
        var records: [CSV.Record] = []
        var columns: [String: Int] = [:]
        var headerError: CanteenError?

        csv.withUnsafeBytes { raw in
            let bytes = raw.bindMemory(to: UInt8.self)
            CSV.parse(bytes) { record in
                if columns.isEmpty && headerError == nil {
                    let names = record.fields.map { $0.trimmingWhitespace().lowercased() }
                    report.header = names
                    for (i, name) in names.enumerated() where Self.knownColumns.contains(name) { columns[name] = i }
                    if columns["resident_id"] == nil && columns["card_no"] == nil {
                        headerError = CanteenError.invalidRequest("the header must name a resident_id or card_no column")
                    } else if columns["slot"] == nil {
                        headerError = CanteenError.invalidRequest("the header must name a slot column")
                    }
                    return
                }
                guard headerError == nil else { return }
                records.append(record)
                if records.count % 50_000 == 0 { progress(.checking(rows: records.count)) }
            }
        }
        if let headerError { throw headerError }
        if columns.isEmpty { throw CanteenError.invalidRequest("the file is empty: it needs a header row") }
        let dataRows = records.count
        // Each row's own checks and its request's hash, in parts on every core (the rest of the
        // import is the database's work and the rows' decisions in file order).
        let headerCount = report.header.count
        let parsed = records, known = columns
        let checked = await ParallelCheck.map(parsed, minimumPart: 10_000) { record -> Result<MealStore.Item, CanteenError> in
            Self.check(record, columns: known, headerCount: headerCount, siteCode: siteCode, today: today, actor: actor)
        }
        var requests: [(line: Int, request: MealRequest)] = []
        var items: [MealStore.Item] = []
        var recordBytes: [Int: Range<Int>] = [:]  // where each checked row lies, to quote it if the database refuses it
        requests.reserveCapacity(dataRows)
        items.reserveCapacity(dataRows)
        recordBytes.reserveCapacity(dataRows)
        for (record, result) in zip(records, checked) {
            switch result {
            case .success(let item):
                requests.append((record.line, item.request))
                items.append(item)
                recordBytes[record.line] = record.bytes
            case .failure(let error):
                report.rejects.append(Reject(line: record.line, code: error.code.rawValue, detail: error.message.rendered(in: Language.current),
                                             fields: Self.masked(record.fields, columns: columns)))
                report.rows.append(Row(line: record.line, status: .rejected, mealID: nil, error: error))
            }
        }
        records = []
        let rows = items
        report.rejected = report.rejects.count
        progress(.storing(rows: requests.count))

        let store = self.store
        let outcomes = try await db.transaction { session -> [MealStore.Outcome] in
            // Room to sort and hash a file's facts and rows in memory (this transaction only).
            try session.executeScript("SET LOCAL work_mem = '256MB'")
            let outcomes = try store.logBulk(rows, today: today, session)
            let ids = outcomes.compactMap { outcome -> Int? in if case .created(let meal) = outcome { meal.id } else { nil } }
            if let first = ids.min(), let last = ids.max() {
                try Audit.record(session, actor: actor, action: "meal.import", entity: .meal, entityID: siteCode,
                                 detail: ImportAudit(siteCode: siteCode, created: ids.count, firstMealID: first, lastMealID: last))
            }
            return outcomes
        }
        for ((line, _), outcome) in zip(requests, outcomes) {
            let error: CanteenError
            switch outcome {
            case .created(let meal):
                report.created += 1
                report.rows.append(Row(line: line, status: .created, mealID: meal.id, error: nil))
                continue
            case .replayed(let meal):
                report.replayed += 1
                report.rows.append(Row(line: line, status: .replayed, mealID: meal.id, error: nil))
                continue
            case .refused(let refusal): error = refusal
            }
            if error.code == .duplicateMeal {
                report.duplicate += 1
                report.rows.append(Row(line: line, status: .duplicate, mealID: error.existingMealID, error: error))
            } else {
                report.rejected += 1
                report.rows.append(Row(line: line, status: .rejected, mealID: nil, error: error))
            }
            var fields: [String] = []
            if let range = recordBytes[line] {
                csv.withUnsafeBytes { raw in
                    let slice = UnsafeBufferPointer(rebasing: raw.bindMemory(to: UInt8.self)[range])
                    CSV.parse(slice) { fields = $0.fields }
                }
            }
            report.rejects.append(Reject(line: line, code: error.code.rawValue, detail: error.message.rendered(in: Language.current), fields: Self.masked(fields, columns: columns)))
        }
        report.rejects.sort { $0.line < $1.line }
        report.rows.sort { $0.line < $1.line }
        // The promise of the summary line: no row is lost between reading and storing.
        guard report.created + report.replayed + report.duplicate + report.rejected == dataRows else {
            throw CanteenError.internalFailure()
        }
        progress(.done)
        return report
    }

    /// One record checked (`request`) and hashed as a logged meal.
    static func check(_ record: CSV.Record, columns: [String: Int], headerCount: Int, siteCode: String, today: LocalDate,
                      actor: Principal) -> Result<MealStore.Item, CanteenError> {
        do {
            let request = try Self.request(record, columns: columns, headerCount: headerCount, siteCode: siteCode, today: today)
            var item = MealService.item(request, actor: actor)
            item.label = "line \(record.line)"
            return .success(item)
        } catch {
            return .failure(error as? CanteenError ?? CanteenError.invalidRequest("unreadable row"))
        }
    }

    /// One data row as a checked meal request (its own content, as `POST /v1/meals` checks it).
    static func request(_ record: CSV.Record, columns: [String: Int], headerCount: Int, siteCode: String,
                        today: LocalDate) throws -> MealRequest {
        // Missing trailing fields are empty (spreadsheets drop them); extra ones mean a broken row.
        guard record.fields.count <= headerCount else {
            throw CanteenError.invalidRequest("the row has \(record.fields.count) fields, the header \(headerCount)")
        }
        guard !record.fields.contains(where: { $0.utf8.contains(0) }) else {
            throw CanteenError.invalidRequest("a field holds a NUL character")
        }
        func field(_ name: String) -> String? {
            guard let i = columns[name], i < record.fields.count else { return nil }
            let value = record.fields[i].trimmingWhitespace()
            return value.isEmpty ? nil : value
        }
        var price: Int?
        if let text = field("price_fen") {
            guard let value = Int(text) else { throw CanteenError(.invalidPrice, "price_fen is not a whole number of fen") }
            price = value
        }
        var delivery: Bool?
        if let text = field("delivery")?.lowercased() {
            guard let value = ["1": true, "true": true, "yes": true, "y": true, "是": true,
                               "0": false, "false": false, "no": false, "n": false, "否": false][text] else {
                throw CanteenError.invalidRequest("delivery must be true or false")
            }
            delivery = value
        }
        let draft = MealDraft(siteCode: siteCode, residentID: field("resident_id"),
                              cardNo: field("resident_id") == nil ? field("card_no") : nil,
                              slot: field("slot"), priceFen: price, servedOn: field("served_on"), delivery: delivery)
        return try draft.validated(today: today, idempotencyKey: field("client_ref"))
    }

    /// A rejected row as the rejects file shows it: the resident ID masked (SPEC §2.3).
    static func masked(_ fields: [String], columns: [String: Int]) -> [String] {
        guard let i = columns["resident_id"], i < fields.count else { return fields }
        var out = fields
        out[i] = ResidentID.mask(fields[i].trimmingWhitespace())
        return out
    }

    struct ImportAudit: Encodable, Sendable {
        let siteCode: String
        let created: Int
        let firstMealID: Int
        let lastMealID: Int

        enum CodingKeys: String, CodingKey {
            case created
            case siteCode = "site_code"
            case firstMealID = "first_meal_id"
            case lastMealID = "last_meal_id"
        }
    }
}
