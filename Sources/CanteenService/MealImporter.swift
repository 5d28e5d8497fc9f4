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

    /// Imports `csv` for `siteCode`; `progress` is told how far it got. Every data row of the
    /// file is counted exactly once: created + replayed + duplicate + rejected = rows.
    public func importCSV(_ csv: Data, siteCode: String, by actor: Principal,
                          progress: @escaping @Sendable (Phase) -> Void = { _ in }) async throws -> Report {
        try actor.require(.admin, .operator)
        try actor.requireSite(siteCode)
        // An unknown site is the file's error, before a row is read: its rows are not "checked".
        guard try await db.read({ session in try !session.query("SELECT 1 FROM site WHERE code = $1", [siteCode]).isEmpty }) else {
            throw CanteenError.notFound("site \(siteCode)")
        }
        let today = clock.today()
        var report = Report()
        var requests: [(line: Int, request: MealRequest)] = []
        var columns: [String: Int] = [:]
        var recordBytes: [Int: Range<Int>] = [:]  // where each checked row lies, to quote it if the database refuses it
        var headerError: CanteenError?
        var dataRows = 0

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
                dataRows += 1
                do {
                    let request = try Self.request(record, columns: columns, headerCount: report.header.count, siteCode: siteCode, today: today)
                    requests.append((record.line, request))
                    recordBytes[record.line] = record.bytes
                    if requests.count % 50_000 == 0 { progress(.checking(rows: requests.count)) }
                } catch {
                    let error = error as? CanteenError ?? CanteenError.invalidRequest("unreadable row")
                    report.rejects.append(Reject(line: record.line, code: error.code.rawValue, detail: error.detail,
                                                 fields: Self.masked(record.fields, columns: columns)))
                }
            }
        }
        if let headerError { throw headerError }
        if columns.isEmpty { throw CanteenError.invalidRequest("the file is empty: it needs a header row") }
        report.rejected = report.rejects.count
        progress(.storing(rows: requests.count))

        let checked = requests
        let result = try await db.write { session in
            try Self.applyRules(session, checked, siteCode: siteCode, today: today, actor: actor)
        }
        report.created += result.created
        report.replayed += result.replayed
        for row in result.refused {
            if row.outcome == "duplicate" { report.duplicate += 1 } else { report.rejected += 1 }
            var fields: [String] = []
            if let range = recordBytes[row.line] {
                csv.withUnsafeBytes { raw in
                    let slice = UnsafeBufferPointer(rebasing: raw.bindMemory(to: UInt8.self)[range])
                    CSV.parse(slice) { fields = $0.fields }
                }
            }
            report.rejects.append(Reject(line: row.line, code: row.code ?? "invalid_request", detail: row.detail ?? "",
                                         fields: Self.masked(fields, columns: columns)))
        }
        report.rejects.sort { $0.line < $1.line }
        // The promise of the summary line: no row is lost between reading and storing.
        guard report.created + report.replayed + report.duplicate + report.rejected == dataRows else {
            throw CanteenError.internalFailure()
        }
        progress(.done)
        return report
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

    /// One staging row in COPY text format: the diner already resolved to its id (or NULL when
    /// no diner has that resident ID or card), so no staging row holds a resident ID.
    static func stage(_ request: MealRequest, line: Int, dinerID: Int?, into out: inout [UInt8]) {
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
        put(String(line)); out.append(9)
        put(dinerID.map(String.init)); out.append(9)
        put(request.servedOn?.description); out.append(9)
        put(request.slot.rawValue); out.append(9)
        put(request.priceFen.map(String.init)); out.append(9)
        put(request.delivery ? "t" : "f"); out.append(9)
        put(request.idempotencyKey); out.append(9)
        put(MealService.requestHash(request)); out.append(10)
    }

    /// The ids of the diners the rows name, by resident ID and by card, in one statement.
    static func resolveDiners(_ session: Session, _ requests: [(line: Int, request: MealRequest)]) throws
        -> (byResidentID: [String: Int], byCard: [String: Int]) {
        var residentIDs = Set<String>()
        var cards = Set<String>()
        for (_, request) in requests {
            switch request.diner {
            case .residentID(let value): residentIDs.insert(value)
            case .cardNo(let value): cards.insert(value)
            case .id: break
            }
        }
        var byResidentID: [String: Int] = [:]
        var byCard: [String: Int] = [:]
        guard !residentIDs.isEmpty || !cards.isEmpty else { return (byResidentID, byCard) }
        let rows = try session.query("""
            SELECT id, resident_id, NULL FROM diner WHERE resident_id = ANY ($1::text[])
            UNION ALL
            SELECT id, NULL, card_no FROM diner WHERE card_no = ANY ($2::text[])
            """, [TextArray(residentIDs.sorted()), TextArray(cards.sorted())])
        for row in rows.rows {
            let id: Int = try row.decode(0)
            if let residentID: String = try row.decode(1) { byResidentID[residentID] = id }
            if let card: String = try row.decode(2) { byCard[card] = id }
        }
        return (byResidentID, byCard)
    }

    struct Applied: Sendable {
        var created = 0
        var replayed = 0
        /// Every row neither created nor replayed.
        var refused: [(line: Int, outcome: String, code: String?, detail: String?)] = []
    }

    /// The database rules, set-based, in `log_meal`'s order, then one INSERT of every row still standing.
    static func applyRules(_ session: Session, _ requests: [(line: Int, request: MealRequest)], siteCode: String, today: LocalDate,
                           actor: Principal) throws -> Applied {
        let diners = try resolveDiners(session, requests)
        var staged: [UInt8] = []
        staged.reserveCapacity(requests.count * 110)
        for (line, request) in requests {
            let dinerID: Int?
            switch request.diner {
            case .residentID(let value): dinerID = diners.byResidentID[value]
            case .cardNo(let value): dinerID = diners.byCard[value]
            case .id(let id): dinerID = id
            }
            stage(request, line: line, dinerID: dinerID, into: &staged)
        }
        try session.executeScript("""
            CREATE TEMP TABLE import_row (
                line integer, diner_id bigint, served_on date, slot text,
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

        // Every row's verdict (NULL: to be created) and subsidy. One pass with hash joins for
        // the rules of a single row; the rules between rows (a key or a slot repeated in the
        // file, the daily cap) only touch the few rows they concern.
        try session.query("""
            CREATE TEMP TABLE import_plan ON COMMIT DROP AS
            WITH site_row AS (SELECT * FROM site WHERE code = $1),
            day_key AS (
                SELECT d AS day, date_key(d) AS key
                FROM (SELECT DISTINCT coalesce(served_on, $2::date) AS d FROM import_row) days
            ),
            policy_range AS (
                SELECT id, effective_from AS from_day, max_subsidized_meals_per_day AS cap,
                       coalesce(lead(effective_from) OVER (ORDER BY effective_from), 'infinity') AS to_day
                FROM subsidy_policy
            ),
            closed_month AS (
                SELECT month FROM claim WHERE site_code = $1 AND status IN ('submitted', 'approved', 'paid')
            ),
            status_range AS (
                SELECT diner_id, status, effective_on AS from_day,
                       coalesce(lead(effective_on) OVER (PARTITION BY diner_id ORDER BY effective_on), 'infinity') AS to_day
                FROM diner_status
                WHERE diner_id IN (SELECT diner_id FROM import_row)
            ),
            resolved AS (
                SELECT i.line, i.slot, i.delivery, i.client_ref, i.fingerprint, dk.day,
                       coalesce(i.price, s.default_price_fen) AS price,
                       d.id AS diner_id, d.birth_date,
                       (dk.key - d.birth_key) / 10000 AS years,
                       s.opens_on, s.closes_on, s.slots
                FROM import_row i
                CROSS JOIN site_row s
                JOIN day_key dk ON dk.day = coalesce(i.served_on, $2::date)
                LEFT JOIN diner d ON d.id = i.diner_id
            )
            SELECT r.line, r.slot, r.delivery, r.client_ref, r.fingerprint, r.day, r.price, r.diner_id,
                   r.years AS age, coalesce(t.label, 'none') AS bracket,
                   least(coalesce(t.subsidy_fen, 0), r.price) AS subsidy, NULL::smallint AS seq, pr.cap,
                   coalesce(m.id, k.id) AS meal_id, k.id IS NOT NULL AS key_known,
                   CASE
                       WHEN k.id IS NOT NULL AND k.request_hash = r.fingerprint THEN 'replayed'
                       WHEN k.id IS NOT NULL THEN 'idempotency_mismatch'
                       WHEN r.price IS NULL THEN 'invalid_price'
                       WHEN r.diner_id IS NULL THEN 'not_found'
                       WHEN r.day < r.birth_date THEN 'invalid_date'
                       WHEN r.day < r.opens_on OR (r.closes_on IS NOT NULL AND r.day >= r.closes_on)
                            OR NOT (r.slot = ANY (r.slots)) THEN 'site_not_operating'
                       WHEN sr.status IS DISTINCT FROM 'active' THEN 'diner_inactive'
                       WHEN cm.month IS NOT NULL THEN 'period_closed'
                       WHEN m.id IS NOT NULL THEN 'duplicate_meal'
                   END AS verdict
            FROM resolved r
            LEFT JOIN meal k ON r.client_ref IS NOT NULL AND k.site_code = $1 AND k.idempotency_key = r.client_ref
            LEFT JOIN status_range sr ON sr.diner_id = r.diner_id AND r.day >= sr.from_day AND r.day < sr.to_day
            LEFT JOIN closed_month cm ON cm.month = date_trunc('month', r.day)::date
            LEFT JOIN meal m ON m.diner_id = r.diner_id AND m.served_on = r.day AND m.slot = r.slot AND m.status = 'valid'
            LEFT JOIN policy_range pr ON r.day >= pr.from_day AND r.day < pr.to_day
            LEFT JOIN subsidy_tier t ON t.policy_id = pr.id AND r.years >= t.min_age AND (t.max_age IS NULL OR r.years <= t.max_age)
            """, [siteCode, today])

        // A key repeated inside the file, not yet stored: the first row counts; the others replay it or mismatch.
        try session.execute("""
            UPDATE import_plan p
            SET verdict = CASE WHEN p.fingerprint = f.fingerprint THEN 'replay_of_' || f.line ELSE 'idempotency_mismatch' END
            FROM (SELECT DISTINCT ON (q.client_ref) q.client_ref, q.line, q.fingerprint
                  FROM import_plan q
                  JOIN (SELECT client_ref FROM import_plan WHERE client_ref IS NOT NULL AND NOT key_known
                        GROUP BY client_ref HAVING count(*) > 1) repeated ON repeated.client_ref = q.client_ref
                  ORDER BY q.client_ref, q.line) f
            WHERE p.client_ref = f.client_ref AND p.line > f.line
            """)
        // The same diner, date and slot twice in the file: the first standing row wins.
        try session.execute("""
            UPDATE import_plan p SET verdict = 'duplicate_of_' || f.first_line
            FROM (SELECT diner_id, day, slot, min(line) AS first_line FROM import_plan WHERE verdict IS NULL
                  GROUP BY diner_id, day, slot HAVING count(*) > 1) f
            WHERE p.verdict IS NULL AND p.diner_id = f.diner_id AND p.day = f.day AND p.slot = f.slot AND p.line > f.first_line
            """)
        // With a daily cap, the k-th subsidised row of a diner's day takes the k-th free place, or no subsidy.
        try session.execute("""
            UPDATE import_plan p SET seq = placed.seq, subsidy = CASE WHEN placed.seq IS NULL THEN 0 ELSE p.subsidy END
            FROM (
                SELECT ranked.line, (
                    SELECT k FROM generate_series(1, ranked.cap) k
                    WHERE k NOT IN (SELECT m.subsidy_seq FROM meal m
                                    WHERE m.diner_id = ranked.diner_id AND m.served_on = ranked.day AND m.status = 'valid'
                                      AND m.subsidy_seq IS NOT NULL)
                    ORDER BY k OFFSET ranked.rank - 1 LIMIT 1) AS seq
                FROM (SELECT line, diner_id, day, cap, row_number() OVER (PARTITION BY diner_id, day ORDER BY line) AS rank
                      FROM import_plan WHERE verdict IS NULL AND cap IS NOT NULL AND subsidy > 0) ranked
            ) placed
            WHERE p.line = placed.line
            """)

        var applied = Applied()
        let columns = """
            INSERT INTO meal (diner_id, site_code, served_on, slot, price_fen, delivery, age, bracket,
                              subsidy_fen, subsidy_seq, idempotency_key, request_hash, created_by)
            SELECT diner_id, $1, day, slot, price, delivery, age, bracket, subsidy, seq, client_ref, fingerprint, $2
            FROM import_plan WHERE verdict IS NULL ORDER BY line
            """
        // A plain INSERT is much faster than ON CONFLICT, and it stores every standing row or none.
        try session.executeScript("SAVEPOINT import_insert")
        var insertion: Row
        do {
            insertion = try session.query("""
                WITH inserted AS (\(columns) RETURNING id)
                SELECT count(*), min(id), max(id) FROM inserted
                """, [siteCode, actor.name]).first!
        } catch let error as PostgresError where error.sqlState == .uniqueViolation {
            // A concurrent logger took a unique key meanwhile: insert what is still free and mark
            // exactly the rows stored (diner, day and slot are unique among the standing rows);
            // every other standing row is answered by whatever holds its slot now.
            try session.executeScript("ROLLBACK TO SAVEPOINT import_insert")
            insertion = try session.query("""
                WITH inserted AS (\(columns) ON CONFLICT DO NOTHING RETURNING id, diner_id, served_on, slot),
                marked AS (
                    UPDATE import_plan p SET verdict = 'created', meal_id = i.id
                    FROM inserted i
                    WHERE p.verdict IS NULL AND p.diner_id = i.diner_id AND p.day = i.served_on AND p.slot = i.slot
                    RETURNING p.meal_id
                )
                SELECT count(*), min(meal_id), max(meal_id) FROM marked
                """, [siteCode, actor.name]).first!
            try session.execute("""
                UPDATE import_plan p SET verdict = 'duplicate_meal', meal_id = m.id
                FROM meal m
                WHERE p.verdict IS NULL AND m.diner_id = p.diner_id AND m.served_on = p.day AND m.slot = p.slot AND m.status = 'valid'
                """)
            try session.execute("UPDATE import_plan SET verdict = 'conflict' WHERE verdict IS NULL")
        }
        let inserted: Int = try insertion.decode(0)
        applied.created = inserted
        if inserted > 0 {
            try Audit.record(session, actor: actor, action: "meal.import", entity: .meal, entityID: siteCode,
                             detail: ImportAudit(siteCode: siteCode, created: inserted,
                                                 firstMealID: try insertion.decode(1), lastMealID: try insertion.decode(2)))
        }
        let rows = try session.query("""
            SELECT p.line, p.verdict, f.verdict, p.meal_id, p.slot, p.day
            FROM import_plan p
            LEFT JOIN import_plan f ON f.line = CASE WHEN p.verdict LIKE 'replay\\_of\\_%' THEN substr(p.verdict, 11)::integer END
            WHERE p.verdict IS NOT NULL AND p.verdict <> 'created'
            ORDER BY p.line
            """)
        for row in rows.rows {
            let outcome = Outcome.of(verdict: try row.decode(1), firstVerdict: try row.decode(2), line: try row.decode(0),
                                     mealID: try row.decode(3), slot: try row.decode(4), day: try row.decode(5, as: LocalDate?.self))
            if outcome.outcome == "replayed" { applied.replayed += 1 } else { applied.refused.append(outcome) }
        }
        return applied
    }

    /// Turns a row's verdict in the plan into the import's words: outcome, SPEC code, detail.
    enum Outcome {
        static func of(verdict: String?, firstVerdict: String?, line: Int, mealID: Int?, slot: String, day: LocalDate?)
            -> (line: Int, outcome: String, code: String?, detail: String?) {
            let when = day.map { " on \($0)" } ?? ""
            guard let verdict, verdict != "conflict" else {
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
                case nil, "created", "replayed":  // NULL: the first row was created
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
            case "invalid_date": return "served_on\(when) is before the diner's birth date"
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
