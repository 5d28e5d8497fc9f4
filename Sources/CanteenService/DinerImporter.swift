import CanteenDomain
import Foundation
import Postgres

/// Bulk registration (SPEC §2.7): the spreadsheet a village committee hands over, as a CSV.
///
/// Every row gets exactly one outcome — `created`, `existing` (its resident ID is registered;
/// nothing changes) or `rejected` with its code — and a bad row never stops the file. Each row's
/// own content is checked by `DinerDraft.validated`, as for `POST /v1/diners`; the file's resident
/// IDs, cards and home sites are then looked up in one statement, and the new diners written
/// with one COPY and one audit row for the file. A dry run reads the same facts
/// and writes nothing.
public struct DinerImporter: Sendable {
    let db: Database
    let clock: BusinessClock

    init(db: Database, clock: BusinessClock) {
        self.db = db
        self.clock = clock
    }

    public enum Status: String, Sendable {
        case created, existing, rejected
    }

    /// One data row's outcome. `fields` are the row as read, the resident ID masked (for a rejects file).
    public struct Row: Sendable {
        public let line: Int
        public var status: Status
        public var dinerID: Int?
        public var error: CanteenError?
        public var fields: [String]
    }

    public struct Report: Sendable {
        public var rows: [Row] = []
        public var header: [String] = []
        public var dryRun = false

        public var created: Int { rows.count(where: { $0.status == .created }) }
        public var existing: Int { rows.count(where: { $0.status == .existing }) }
        public var rejected: Int { rows.count(where: { $0.status == .rejected }) }
        public var summary: String { "created \(created), existing \(existing), rejected \(rejected)" }
    }

    public enum Phase: Sendable {
        case checking(rows: Int)
        case storing(rows: Int)
        case done
    }

    /// The columns a file may name, in English or as a village committee's spreadsheet does.
    static let columnNames: [String: String] = [
        "name": "name", "姓名": "name",
        "resident_id": "resident_id", "身份证号": "resident_id", "身份证号码": "resident_id",
        "phone": "phone", "电话": "phone", "联系电话": "phone",
        "address": "address", "住址": "address",
        "community": "community", "社区": "community",
        "card_no": "card_no", "卡号": "card_no",
        "home_site": "home_site", "所属食堂": "home_site",
    ]

    /// Registers the diners of `csv`. `homeSite` is the home site of rows that name none (an
    /// operator of one site: that site, as for a single registration).
    public func importCSV(_ csv: Data, homeSite defaultHome: String? = nil, dryRun: Bool = false, by actor: Principal,
                          progress: @escaping @Sendable (Phase) -> Void = { _ in }) async throws -> Report {
        try actor.require(.admin, .operator)
        var home = defaultHome?.trimmingWhitespace().nonEmpty
        if let code = home {
            guard Site.isValidCode(code) else { throw CanteenError.validation([FieldError(field: "home_site", message: "is not a site code")]) }
            try actor.requireSite(code)
        } else if actor.isOperator, actor.siteCodes.count == 1 {
            home = actor.siteCodes.first
        }
        if let code = home, try await !siteExists(code) {
            throw CanteenError.validation([FieldError(field: "home_site", message: "site \(code) does not exist")])
        }
        let today = clock.today()
        var report = Report()
        report.dryRun = dryRun
        var candidates: [(row: Int, diner: DinerDraft.Valid)] = []
        let file = try Self.read(csv)
        report.header = file.header
        report.rows.reserveCapacity(file.records.count)
        progress(.checking(rows: file.records.count))
        let defaultSite = home
        let outcomes = await ParallelCheck.map(file.records, minimumPart: 5_000) { record in
            Self.check(record, columns: file.columns, headerCount: file.header.count, defaultHome: defaultSite, today: today, actor: actor)
        }
        for (record, outcome) in zip(file.records, outcomes) {
            switch outcome {
            case .success(let valid):
                candidates.append((report.rows.count, valid))
                report.rows.append(Row(line: record.line, status: .created, fields: []))
            case .failure(let error):
                report.rows.append(Row(line: record.line, status: .rejected, error: error, fields: []))
            }
        }
        progress(.storing(rows: candidates.count))
        let checked = candidates, defaultHome = home, clock = self.clock
        let decided: [(row: Int, status: Status, dinerID: Int?, error: CanteenError?)]
        if dryRun {
            decided = try await db.session { session in try Self.decide(checked, session).map { ($0.row, $0.status, $0.dinerID, $0.error) } }
        } else {
            let rows = report.rows
            decided = try await db.transaction { session in
                let decided = try Self.register(checked, session, clock: clock)
                var done = Report(rows: rows, header: [])
                Self.apply(decided, to: &done)
                if done.created > 0 {
                    try Audit.record(session, actor: actor, action: "diner.import", entity: .diner, entityID: "import",
                                     detail: ImportAudit(report: done, homeSite: defaultHome))
                }
                return decided
            }
        }
        Self.apply(decided, to: &report)
        // The rows a rejects file shows, as they were read, the resident ID masked.
        for index in report.rows.indices where report.rows[index].status == .rejected {
            report.rows[index].fields = Self.masked(file.records[index].fields, column: file.columns["resident_id"])
        }
        progress(.done)
        return report
    }

    static func apply(_ decided: [(row: Int, status: Status, dinerID: Int?, error: CanteenError?)], to report: inout Report) {
        for outcome in decided {
            report.rows[outcome.row].status = outcome.status
            report.rows[outcome.row].dinerID = outcome.dinerID
            report.rows[outcome.row].error = outcome.error
        }
    }

    private func siteExists(_ code: String) async throws -> Bool {
        try await db.session { session in try !session.query("SELECT 1 FROM site WHERE code = $1", [code]).isEmpty }
    }

    /// Reads the header (English or Chinese names, unknown ones ignored) and every data record.
    static func read(_ csv: Data) throws -> (header: [String], columns: [String: Int], records: [CSV.Record]) {
        var columns: [String: Int]?
        var headerError: CanteenError?
        var header: [String] = []
        var records: [CSV.Record] = []
        csv.withUnsafeBytes { raw in
            CSV.parse(raw.bindMemory(to: UInt8.self)) { record in
                guard headerError == nil else { return }
                guard columns != nil else {
                    header = record.fields.map { $0.trimmingWhitespace() }
                    var found: [String: Int] = [:]
                    for (i, name) in header.enumerated() {
                        guard let column = columnNames[name.lowercased()], found[column] == nil else { continue }
                        found[column] = i
                    }
                    if found["name"] == nil || found["resident_id"] == nil {
                        headerError = CanteenError.invalidRequest(
                            "the header must name a name (姓名) and a resident_id (身份证号) column; it names: \(header.joined(separator: ", "))")
                    }
                    columns = found
                    return
                }
                records.append(record)
            }
        }
        if let headerError { throw headerError }
        guard let columns else { throw CanteenError.invalidRequest("the file is empty: it needs a header row") }
        return (header, columns, records)
    }

    /// One row's own content, checked as `POST /v1/diners` checks a body.
    static func check(_ record: CSV.Record, columns: [String: Int], headerCount: Int, defaultHome: String?, today: LocalDate,
                      actor: Principal) -> Result<DinerDraft.Valid, CanteenError> {
        guard record.fields.count <= headerCount else {
            return .failure(.invalidRequest("the row has \(record.fields.count) fields, the header \(headerCount)"))
        }
        guard !record.fields.contains(where: { $0.utf8.contains(0) }) else {
            return .failure(.invalidRequest("a field holds a NUL character"))
        }
        func field(_ name: String) -> String? {
            guard let i = columns[name], i < record.fields.count else { return nil }
            return record.fields[i].trimmingWhitespace().nonEmpty
        }
        guard let residentID = field("resident_id") else {
            return .failure(.invalidRequest("resident_id is empty", field: "resident_id"))
        }
        let draft = DinerDraft(name: field("name"), residentID: residentID, phone: field("phone"), address: field("address"),
                               community: field("community"), homeSite: field("home_site") ?? defaultHome, cardNo: field("card_no"))
        do {
            let valid = try draft.validated(today: today)
            if let site = valid.homeSite { try actor.requireSite(site) }
            return .success(valid)
        } catch let error as CanteenError {
            return .failure(error)
        } catch {
            return .failure(.invalidRequest("unreadable row"))
        }
    }

    static func masked(_ fields: [String], column: Int?) -> [String] {
        guard let i = column, i < fields.count else { return fields }
        var out = fields
        out[i] = ResidentID.mask(fields[i].trimmingWhitespace())
        return out
    }

    /// A checked row's outcome against the registered diners and the rows before it.
    struct Decision {
        let row: Int
        let status: Status
        let dinerID: Int?
        let error: CanteenError?
        /// The row to create, or for an in-file repeat of its resident ID, the row it repeats.
        var createdRow: Int?
    }

    /// Decides every checked row in file order: a registered resident ID is `existing`, a card
    /// that belongs to another diner (or to an earlier row) is `duplicate_card_no`, a home site
    /// that does not exist is `validation_failed`; within the file the first row wins.
    static func decide(_ candidates: [(row: Int, diner: DinerDraft.Valid)], _ session: Session) throws -> [Decision] {
        guard !candidates.isEmpty else { return [] }
        let residentIDs = Set(candidates.map(\.diner.residentID.value))
        let cards = Set(candidates.compactMap(\.diner.cardNo))
        let homes = Set(candidates.compactMap(\.diner.homeSite))
        var registered: [String: Int] = [:]
        var cardOwner: [String: Int] = [:]
        var sites = Set<String>()
        for row in try session.query("""
            SELECT 'diner' AS kind, id, resident_id AS a, card_no AS b FROM diner
            WHERE resident_id = ANY ($1::text[]) OR card_no = ANY ($2::text[])
            UNION ALL
            SELECT 'site', NULL, code, NULL FROM site WHERE code = ANY ($3::text[])
            """, [TextArray(residentIDs.sorted()), TextArray(cards.sorted()), TextArray(homes.sorted())]).rows {
            if try row.decode("kind", as: String.self) == "site" {
                sites.insert(try row.decode("a"))
                continue
            }
            let id: Int = try row.decode("id")
            registered[try row.decode("a")] = id
            if let card: String = try row.decode("b") { cardOwner[card] = id }
        }
        var firstRow: [String: Int] = [:]  // resident ID → the file's row that registers it
        var cardRow: [String: Int] = [:]
        var decisions: [Decision] = []
        decisions.reserveCapacity(candidates.count)
        for (row, diner) in candidates {
            let residentID = diner.residentID.value
            if let id = registered[residentID] {
                decisions.append(Decision(row: row, status: .existing, dinerID: id, error: nil))
            } else if let first = firstRow[residentID] {
                decisions.append(Decision(row: row, status: .existing, dinerID: nil, error: nil, createdRow: first))
            } else if let card = diner.cardNo, let owner = cardOwner[card] {
                decisions.append(Decision(row: row, status: .rejected, dinerID: nil,
                                          error: CanteenError(.duplicateCardNo, "card \(card) already belongs to diner \(owner)", existingDinerID: owner)))
            } else if let card = diner.cardNo, cardRow[card] != nil {
                decisions.append(Decision(row: row, status: .rejected, dinerID: nil,
                                          error: CanteenError(.duplicateCardNo, "card \(card) is already on an earlier row of this file")))
            } else if let site = diner.homeSite, !sites.contains(site) {
                decisions.append(Decision(row: row, status: .rejected, dinerID: nil,
                                          error: .validation([FieldError(field: "home_site", message: "site \(site) does not exist")])))
            } else {
                firstRow[residentID] = row
                if let card = diner.cardNo { cardRow[card] = row }
                decisions.append(Decision(row: row, status: .created, dinerID: nil, error: nil, createdRow: row))
            }
        }
        return decisions
    }

    /// Decides and writes the rows to create, a few passes at most: a diner a concurrent
    /// registration created meanwhile is left out by the insert and decided again.
    static func register(_ candidates: [(row: Int, diner: DinerDraft.Valid)], _ session: Session, clock: BusinessClock) throws -> [(row: Int, status: Status, dinerID: Int?, error: CanteenError?)] {
        var done: [Int: (status: Status, dinerID: Int?, error: CanteenError?)] = [:]
        var created: [Int: Int] = [:]  // row → new diner id
        var pending = candidates
        for _ in 0..<3 where !pending.isEmpty {
            let decisions = try decide(pending, session)
            let byRow = Dictionary(uniqueKeysWithValues: pending.map { ($0.row, $0.diner) })
            let toCreate = decisions.filter { $0.status == .created }.compactMap { d in byRow[d.row].map { (d.row, $0) } }
            let stored = try insert(toCreate, session, clock: clock)
            created.merge(stored) { first, _ in first }
            var again: [(row: Int, diner: DinerDraft.Valid)] = []
            for decision in decisions {
                switch decision.status {
                case .created where created[decision.row] == nil:
                    if let diner = byRow[decision.row] { again.append((decision.row, diner)) }
                case .created:
                    done[decision.row] = (.created, created[decision.row], nil)
                case .existing:
                    // An in-file repeat names the diner its first row created (decided after it, below).
                    done[decision.row] = (.existing, decision.dinerID ?? decision.createdRow.flatMap { created[$0] }, nil)
                    if decision.dinerID == nil, let first = decision.createdRow, created[first] == nil, let diner = byRow[decision.row] {
                        again.append((decision.row, diner))
                    }
                case .rejected:
                    done[decision.row] = (.rejected, nil, decision.error)
                }
            }
            pending = again
        }
        guard pending.isEmpty else {
            throw PostgresError(kind: .server, sqlState: .serializationFailure, serverMessage: "registrations kept conflicting")
        }
        return done.map { ($0.key, $0.value.status, $0.value.dinerID, $0.value.error) }
    }

    /// The columns a new diner is copied with, in `copyRow`'s order.
    static let copyColumns = "name, resident_id, sex, birth_date, phone, address, community, home_site, card_no, registered_at"

    /// `registeredAt`: the service clock's now, as PostgreSQL reads a timestamp with its offset.
    static func copyRow(_ d: DinerDraft.Valid, registeredAt: String, into text: inout CopyText) {
        text.row([d.name, d.residentID.value, d.residentID.sex.rawValue, d.residentID.birthDate.description, d.phone, d.address,
                  d.community, d.homeSite, d.cardNo, registeredAt])
    }

    /// Stores the diners with COPY (a diner is `active` until its first status change: no status
    /// row is written); answers row → diner id of those stored. If a concurrent registration took one of their resident IDs or cards since
    /// they were decided, the COPY fails whole; then they go through a staging table and
    /// `INSERT … ON CONFLICT DO NOTHING`, which leaves that row out (to be decided again).
    static func insert(_ rows: [(row: Int, diner: DinerDraft.Valid)], _ session: Session, clock: BusinessClock) throws -> [Int: Int] {
        guard !rows.isEmpty else { return [:] }
        // In resident ID order: two imports of overlapping files take the unique index's locks in
        // the same order and wait for each other instead of deadlocking.
        let rows = rows.sorted { $0.diner.residentID.value < $1.diner.residentID.value }
        let now = clock.timestamp(clock.currentDate())
        /// The rows in COPY's text format, handed over a megabyte at a time (the server stores
        /// one part while the next is written).
        func feed(_ writer: CopyWriter) throws {
            var text = CopyText()
            for (_, diner) in rows {
                copyRow(diner, registeredAt: now, into: &text)
                if text.bytes.count >= 1 << 20 {
                    try text.send(to: writer, from: 0)
                    text = CopyText()
                }
            }
            try text.send(to: writer, from: 0)
        }
        let residentIDs = TextArray(rows.map(\.diner.residentID.value))
        let stored: QueryResult
        try session.executeScript("SAVEPOINT diner_bulk")
        do {
            _ = try session.copyIn("COPY diner (\(copyColumns)) FROM STDIN", feed: feed)
            try session.executeScript("RELEASE SAVEPOINT diner_bulk")
            // The COPY stored every one of these resident IDs: they are all this import's.
            stored = try session.query("SELECT id, resident_id FROM diner WHERE resident_id = ANY ($1::text[])", [residentIDs])
        } catch let error as PostgresError where error.sqlState == .uniqueViolation {
            try session.executeScript("""
                ROLLBACK TO SAVEPOINT diner_bulk;
                CREATE TEMP TABLE IF NOT EXISTS diner_staging (name text, resident_id text, sex text, birth_date date, phone text,
                    address text, community text, home_site text, card_no text, registered_at timestamptz,
                    ord bigint GENERATED ALWAYS AS IDENTITY) ON COMMIT DROP;
                TRUNCATE diner_staging
                """)
            _ = try session.copyIn("COPY diner_staging (\(copyColumns)) FROM STDIN", feed: feed)
            stored = try session.query("""
                INSERT INTO diner (\(copyColumns)) SELECT \(copyColumns) FROM diner_staging ORDER BY ord
                ON CONFLICT DO NOTHING RETURNING id, resident_id
                """)
        }
        let rowOf = Dictionary(rows.map { ($0.diner.residentID.value, $0.row) }) { first, _ in first }
        var ids: [Int: Int] = [:]
        ids.reserveCapacity(stored.count)
        for row in stored.rows {
            if let index = rowOf[try row.decode("resident_id", as: String.self)] { ids[index] = try row.decode("id") }
        }
        return ids
    }

    /// The import's audit row (one for the file, as a meal import writes): what it did and the
    /// ids it gave, as ranges.
    struct ImportAudit: Encodable, Sendable {
        let created: Int
        let existing: Int
        let rejected: Int
        let homeSite: String?
        let dinerIDs: [[Int]]

        init(report: Report, homeSite: String?) {
            created = report.created
            existing = report.existing
            rejected = report.rejected
            self.homeSite = homeSite
            var ranges: [[Int]] = []
            for id in report.rows.compactMap({ $0.status == .created ? $0.dinerID : nil }).sorted() {
                if let last = ranges.last?.last, last + 1 == id { ranges[ranges.count - 1][1] = id } else { ranges.append([id, id]) }
            }
            dinerIDs = ranges
        }

        enum CodingKeys: String, CodingKey {
            case created, existing, rejected
            case homeSite = "home_site"
            case dinerIDs = "diner_ids"
        }
    }
}

extension String {
    /// Nil when empty.
    var nonEmpty: String? { isEmpty ? nil : self }
}
