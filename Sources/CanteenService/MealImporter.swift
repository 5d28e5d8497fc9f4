import CanteenDomain
import Foundation
import Postgres

/// `canteen meal import`: a day's (or month's) taps from an offline card reader.
///
/// Every row obeys exactly the rules of one meal (SPEC §2.8): its own content is
/// checked by `MealDraft.validated`, as for `POST /v1/meals`; the rules that need the
/// database are applied set-based to all rows at once after a COPY into a staging
/// table, in the same order as `log_meal` applies them. A bad row never stops the
/// import: it is reported with its line number and error code.
public struct MealImporter: Sendable {
    let db: Database
    let clock: BusinessClock

    public init(db: Database, clock: BusinessClock) {
        self.db = db
        self.clock = clock
    }

    /// A row that was not logged.
    public struct Reject: Sendable, Equatable {
        public let line: Int
        public let code: String
        public let detail: String
        public let fields: [String]
    }

    public struct Report: Sendable, Encodable {
        public var created = 0
        public var replayed = 0
        public var duplicate = 0
        public var rejected = 0
        public var rejects: [Reject] = []
        public var header: [String] = []

        public var summary: String { "created \(created), replayed \(replayed), duplicate \(duplicate), rejected \(rejected)" }

        enum CodingKeys: String, CodingKey { case created, replayed, duplicate, rejected }
    }

    public enum Phase: Sendable {
        case checking(rows: Int)
        case storing(rows: Int)
        case done
    }

    static let knownColumns: Set<String> = ["resident_id", "card_no", "served_on", "slot", "price_fen", "client_ref", "delivery"]

    /// Imports `csv` for `siteCode`; `progress` is told how far it got.
    public func importCSV(_ csv: Data, siteCode: String, by actor: Principal,
                          progress: @escaping @Sendable (Phase) -> Void = { _ in }) async throws -> Report {
        try actor.require(.admin, .operator)
        try actor.requireSite(siteCode)
        let today = clock.today()
        var report = Report()
        var staged: [UInt8] = []
        staged.reserveCapacity(csv.count + csv.count / 2)
        var stagedRows = 0
        var columns: [String: Int] = [:]
        var lineFields: [Int: [String]] = [:]
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
                lineFields[record.line] = record.fields
                func field(_ name: String) -> String? {
                    guard let i = columns[name], i < record.fields.count else { return nil }
                    let value = record.fields[i].trimmingWhitespace()
                    return value.isEmpty ? nil : value
                }
                do {
                    // Missing trailing fields are empty (spreadsheets drop them); extra ones mean a broken row.
                    guard record.fields.count <= report.header.count else {
                        throw CanteenError.invalidRequest("the row has \(record.fields.count) fields, the header \(report.header.count)")
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
                    let request = try draft.validated(today: today, idempotencyKey: field("client_ref"))
                    Self.stage(request, line: record.line, into: &staged)
                    stagedRows += 1
                    if stagedRows % 50_000 == 0 { progress(.checking(rows: stagedRows)) }
                } catch let error as CanteenError {
                    report.rejects.append(Reject(line: record.line, code: error.code.rawValue, detail: error.detail, fields: record.fields))
                } catch {
                    report.rejects.append(Reject(line: record.line, code: "invalid_request", detail: "unreadable row", fields: record.fields))
                }
            }
        }
        if let headerError { throw headerError }
        if columns.isEmpty { throw CanteenError.invalidRequest("the file is empty: it needs a header row") }
        report.rejected = report.rejects.count
        progress(.storing(rows: stagedRows))

        let stagedBytes = staged
        let outcomes: [(line: Int, outcome: String, code: String?, detail: String?)] = try await db.write { session in
            try Self.applyRules(session, staged: stagedBytes, siteCode: siteCode, today: today, actor: actor)
        }
        for row in outcomes {
            switch row.outcome {
            case "created": report.created += 1
            case "replayed": report.replayed += 1
            default:
                if row.outcome == "duplicate" { report.duplicate += 1 } else { report.rejected += 1 }
                report.rejects.append(Reject(line: row.line, code: row.code ?? "invalid_request", detail: row.detail ?? "",
                                             fields: lineFields[row.line] ?? []))
            }
        }
        report.rejects.sort { $0.line < $1.line }
        progress(.done)
        return report
    }

    /// One staging row in COPY text format.
    static func stage(_ request: MealRequest, line: Int, into out: inout [UInt8]) {
        func put(_ text: String?) {
            guard let text else { out.append(contentsOf: [92, 78]); return }  // \N
            for b in text.utf8 {
                switch b {
                case 92: out.append(contentsOf: [92, 92])
                case 9: out.append(contentsOf: [92, 116])
                case 10: out.append(contentsOf: [92, 110])
                case 13: out.append(contentsOf: [92, 114])
                default: out.append(b)
                }
            }
        }
        var residentID: String?
        var cardNo: String?
        if case .residentID(let value) = request.diner { residentID = value }
        if case .cardNo(let value) = request.diner { cardNo = value }
        put(String(line)); out.append(9)
        put(residentID); out.append(9)
        put(cardNo); out.append(9)
        put(request.servedOn?.description); out.append(9)
        put(request.slot.rawValue); out.append(9)
        put(request.priceFen.map(String.init)); out.append(9)
        put(request.delivery ? "t" : "f"); out.append(9)
        put(request.idempotencyKey); out.append(9)
        put(request.fingerprint); out.append(10)
    }

    /// The database rules, set-based, in `log_meal`'s order. Returns every staged row's outcome.
    static func applyRules(_ session: Session, staged: [UInt8], siteCode: String, today: LocalDate,
                           actor: Principal) throws -> [(line: Int, outcome: String, code: String?, detail: String?)] {
        try session.executeScript("""
            CREATE TEMP TABLE import_row (
                line integer PRIMARY KEY, resident_id text, card_no text, served_on date, slot text,
                price integer, delivery boolean, client_ref text, fingerprint text
            ) ON COMMIT DROP
            """)
        try session.copyIn("COPY import_row FROM STDIN") { writer in
            let chunk = 1 << 20
            var offset = 0
            try staged.withUnsafeBytes { raw in
                while offset < raw.count {
                    let end = min(offset + chunk, raw.count)
                    try writer.write(UnsafeRawBufferPointer(rebasing: raw[offset..<end]))
                    offset = end
                }
            }
        }
        try session.executeScript("ANALYZE import_row")
        // Held shared against a concurrent claim submission of the same months (see log_meal).
        try session.query("""
            SELECT pg_advisory_xact_lock_shared(period_lock_key($1, m))
            FROM (SELECT DISTINCT date_trunc('month', coalesce(served_on, $2))::date AS m FROM import_row) months ORDER BY m
            """, [siteCode, today])

        // 1. What each row refers to, and the first rule it breaks (NULL: none yet).
        try session.query("""
            CREATE TEMP TABLE import_plan ON COMMIT DROP AS
            WITH site_row AS (SELECT * FROM site WHERE code = $1),
            resolved AS (
                SELECT i.line, i.slot, i.delivery, i.client_ref, i.fingerprint,
                       coalesce(i.served_on, $2::date) AS day,
                       coalesce(i.price, s.default_price_fen) AS price,
                       coalesce(d1.id, d2.id) AS diner_id,
                       coalesce(d1.birth_date, d2.birth_date) AS birth_date,
                       k.id AS key_meal_id, k.request_hash AS key_hash,
                       s.opens_on, s.closes_on, s.slots
                FROM import_row i
                CROSS JOIN site_row s
                LEFT JOIN diner d1 ON d1.resident_id = i.resident_id
                LEFT JOIN diner d2 ON d2.card_no = i.card_no
                LEFT JOIN meal k ON k.site_code = $1 AND k.idempotency_key = i.client_ref
            ),
            status_range AS (
                SELECT diner_id, status, effective_on AS from_day,
                       coalesce(lead(effective_on) OVER (PARTITION BY diner_id ORDER BY effective_on), 'infinity') AS to_day
                FROM diner_status
                WHERE diner_id IN (SELECT diner_id FROM resolved WHERE diner_id IS NOT NULL)
            )
            SELECT r.*, sr.status AS diner_status,
                   CASE
                       WHEN r.key_meal_id IS NOT NULL AND r.key_hash = r.fingerprint THEN 'replayed'
                       WHEN r.key_meal_id IS NOT NULL THEN 'idempotency_mismatch'
                       WHEN r.price IS NULL THEN 'invalid_price'
                       WHEN r.day < r.opens_on OR (r.closes_on IS NOT NULL AND r.day >= r.closes_on) OR NOT (r.slot = ANY (r.slots))
                           THEN 'site_not_operating'
                       WHEN r.diner_id IS NULL THEN 'not_found'
                       WHEN sr.status IS DISTINCT FROM 'active' THEN 'diner_inactive'
                       WHEN period_is_closed($1, r.day) THEN 'period_closed'
                   END AS verdict,
                   NULL::bigint AS meal_id, NULL::integer AS age, NULL::text AS bracket,
                   NULL::integer AS subsidy, NULL::smallint AS seq
            FROM resolved r
            LEFT JOIN status_range sr ON sr.diner_id = r.diner_id AND r.day >= sr.from_day AND r.day < sr.to_day
            """, [siteCode, today])

        // 2. A key repeated inside the file: only its first row counts; the others replay it or mismatch.
        try session.execute("""
            UPDATE import_plan p SET verdict = CASE WHEN p.fingerprint = f.fingerprint THEN 'replay_of_' || f.line ELSE 'idempotency_mismatch' END
            FROM (SELECT DISTINCT ON (client_ref) client_ref, line, fingerprint FROM import_plan
                  WHERE client_ref IS NOT NULL ORDER BY client_ref, line) f
            WHERE p.client_ref = f.client_ref AND p.line > f.line AND (p.verdict IS NULL OR p.verdict NOT IN ('replayed', 'idempotency_mismatch'))
            """)

        // 3. Duplicates: against valid meals already logged, then within the file (the first line wins).
        try session.execute("""
            UPDATE import_plan p SET verdict = 'duplicate_meal', meal_id = m.id
            FROM meal m
            WHERE p.verdict IS NULL AND m.diner_id = p.diner_id AND m.served_on = p.day AND m.slot = p.slot AND m.status = 'valid'
            """)
        try session.execute("""
            UPDATE import_plan p SET verdict = 'duplicate_of_' || f.first_line
            FROM (SELECT line, first_value(line) OVER (PARTITION BY diner_id, day, slot ORDER BY line) AS first_line
                  FROM import_plan WHERE verdict IS NULL) f
            WHERE p.line = f.line AND f.first_line <> f.line
            """)

        // 4. Age, bracket and subsidy of every row still standing; with a daily cap, the k-th free place.
        try session.execute("""
            UPDATE import_plan p SET age = t.years, bracket = t.bracket, subsidy = t.subsidy, seq = t.seq
            FROM (
                SELECT c.line, c.years, c.bracket,
                       CASE WHEN c.cap IS NULL THEN c.base
                            WHEN c.base > 0 AND c.rank <= cardinality(c.free) THEN c.base
                            ELSE 0 END AS subsidy,
                       CASE WHEN c.cap IS NOT NULL AND c.base > 0 AND c.rank <= cardinality(c.free) THEN c.free[c.rank] END AS seq
                FROM (
                    SELECT b.*,
                           row_number() OVER (PARTITION BY b.diner_id, b.day, (b.base > 0) ORDER BY b.line) AS rank,
                           CASE WHEN b.cap IS NULL THEN NULL ELSE ARRAY(
                               SELECT k FROM generate_series(1, b.cap) k
                               WHERE k NOT IN (SELECT m.subsidy_seq FROM meal m
                                               WHERE m.diner_id = b.diner_id AND m.served_on = b.day AND m.status = 'valid'
                                                 AND m.subsidy_seq IS NOT NULL)
                               ORDER BY k) END AS free
                    FROM (
                        SELECT p2.line, p2.diner_id, p2.day, a.years, coalesce(t.bracket, 'none') AS bracket,
                               least(coalesce(t.tier_fen, 0), p2.price) AS base, t.daily_cap AS cap
                        FROM import_plan p2
                        CROSS JOIN LATERAL (SELECT age_on(p2.birth_date, p2.day) AS years) a
                        LEFT JOIN LATERAL subsidy_tier_on(p2.day, a.years) t ON true
                        WHERE p2.verdict IS NULL
                    ) b
                ) c
            ) t
            WHERE p.line = t.line
            """)

        // 5. Insert every row still standing, in file order.
        let created = try session.query("""
            WITH inserted AS (
                INSERT INTO meal (diner_id, site_code, served_on, slot, price_fen, delivery, age, bracket,
                                  subsidy_fen, subsidy_seq, idempotency_key, request_hash, created_by)
                SELECT diner_id, $1, day, slot, price, delivery, age, bracket, subsidy, seq, client_ref, fingerprint, $2
                FROM import_plan WHERE verdict IS NULL ORDER BY line
                ON CONFLICT DO NOTHING
                RETURNING id, diner_id, served_on, slot
            )
            UPDATE import_plan p SET verdict = 'created', meal_id = i.id
            FROM inserted i
            WHERE p.verdict IS NULL AND p.diner_id = i.diner_id AND p.day = i.served_on AND p.slot = i.slot
            RETURNING p.meal_id
            """, [siteCode, actor.name])
        // Rows a concurrent logger beat to a unique index: whatever it stored answers them.
        try session.execute("""
            UPDATE import_plan p SET verdict = 'duplicate_meal', meal_id = m.id
            FROM meal m
            WHERE p.verdict IS NULL AND m.diner_id = p.diner_id AND m.served_on = p.day AND m.slot = p.slot AND m.status = 'valid'
            """)

        let ids = try created.rows.map { try $0.decode(0, as: Int.self) }
        if !ids.isEmpty {
            try Audit.record(session, actor: actor, action: "meal.import", entity: .meal, entityID: siteCode,
                             detail: ImportAudit(siteCode: siteCode, created: ids.count, firstMealID: ids.min() ?? 0, lastMealID: ids.max() ?? 0))
        }

        let rows = try session.query("""
            SELECT p.line, p.verdict, f.verdict, p.meal_id, p.slot, p.day
            FROM import_plan p
            LEFT JOIN import_plan f ON f.line = CASE WHEN p.verdict LIKE 'replay\\_of\\_%' THEN substr(p.verdict, 11)::integer END
            ORDER BY p.line
            """)
        return try rows.rows.map { row in
            Outcome.of(verdict: try row.decode(1), firstVerdict: try row.decode(2), line: try row.decode(0),
                       mealID: try row.decode(3), slot: try row.decode(4), day: try row.decode(5, as: LocalDate?.self))
        }
    }

    /// Turns a row's verdict in the plan into the import's words: outcome, SPEC code, detail.
    enum Outcome {
        static func of(verdict: String?, firstVerdict: String?, line: Int, mealID: Int?, slot: String, day: LocalDate?)
            -> (line: Int, outcome: String, code: String?, detail: String?) {
            let when = day.map { " on \($0)" } ?? ""
            guard let verdict else {
                return (line, "rejected", "invalid_state", "conflicted with a concurrent change; import the file again")
            }
            switch verdict {
            case "created", "replayed":
                return (line, verdict, nil, nil)
            case "duplicate_meal":
                return (line, "duplicate", "duplicate_meal", "the diner already has a \(slot) meal\(when) (meal \(mealID.map(String.init) ?? "?"))")
            case let v where v.hasPrefix("duplicate_of_"):
                return (line, "duplicate", "duplicate_meal", "the same diner, date and slot as line \(v.dropFirst(13))")
            case let v where v.hasPrefix("replay_of_"):
                let first = v.dropFirst(10)
                switch firstVerdict {
                case "created", "replayed":
                    return (line, "replayed", nil, nil)
                case let f? where f.hasPrefix("duplicate"):
                    return (line, "duplicate", "duplicate_meal", "repeats line \(first), a duplicate meal")
                default:
                    let code = firstVerdict ?? "invalid_state"
                    return (line, "rejected", code, "repeats line \(first): \(detail(code, slot: slot, when: when))")
                }
            default:
                return (line, "rejected", verdict, detail(verdict, slot: slot, when: when))
            }
        }

        static func detail(_ code: String, slot: String, when: String) -> String {
            switch code {
            case "idempotency_mismatch": return "this client_ref was used for a different meal"
            case "invalid_price": return "price_fen is required: the site has no default price"
            case "site_not_operating": return "the site does not serve \(slot)\(when)"
            case "not_found": return "no diner has this resident ID or card number"
            case "diner_inactive": return "the diner is not active\(when)"
            case "period_closed": return "the claim for this month is already submitted"
            default: return code
            }
        }
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
