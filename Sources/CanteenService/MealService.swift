import CanteenDomain
import Foundation
import Postgres

/// Meals (SPEC §2.8): logging at the counter (one round trip), batches from card
/// readers, voids, reads, and subsidy quotes.
public struct MealService: Sendable {
    let db: Database
    let clock: BusinessClock
    let counter: MealGroupCommit

    public init(db: Database, clock: BusinessClock) {
        self.db = db
        self.clock = clock
        self.counter = MealGroupCommit(db: db, concurrency: db.pool.configuration.maxConnections)
    }

    /// A logged meal, and whether it was an idempotent replay of an earlier request.
    public struct Logged: Sendable {
        public let meal: Meal
        public let replayed: Bool
    }

    /// The columns of a meal, in the order `log_meal` returns them after its first three.
    static let columns = """
        m.id, m.diner_id, m.site_code, m.served_on, m.slot, m.price_fen, m.delivery, m.age, m.bracket, m.subsidy_fen,
        m.price_fen - m.subsidy_fen, m.status, m.claim_id, m.created_at, m.void_reason, m.voided_by, m.voided_at
        """

    static let logStatement = """
        SELECT * FROM log_meal($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
        """

    /// Many meals in one statement: each row of the arrays is one independent `log_meal` call.
    static let logManyStatement = """
        SELECT r.* FROM unnest($1::text[], $2::bigint[], $3::text[], $4::text[], $5::date[], $6::text[], $7::integer[],
                               $8::boolean[], $9::text[], $10::text[], $11::text[], $12::date[]) WITH ORDINALITY
                 AS i (site, diner_id, resident_id, card_no, served_on, slot, price, delivery, key, fingerprint, actor, today, ord)
        CROSS JOIN LATERAL log_meal(i.site, i.diner_id, i.resident_id, i.card_no, i.served_on, i.slot, i.price,
                                    i.delivery, i.key, i.fingerprint, i.actor, i.today) r
        ORDER BY i.ord
        """

    /// Logs one meal. A replayed idempotency key answers the meal first created. Concurrent
    /// calls share statements and commits (`MealGroupCommit`); each is answered only after
    /// its meal is committed.
    public func log(_ draft: MealDraft, idempotencyKey: String? = nil, by actor: Principal) async throws -> Logged {
        try actor.require(.admin, .operator)
        let today = clock.today()
        let request = try draft.validated(today: today, idempotencyKey: idempotencyKey ?? draft.clientRef)
        try actor.requireSite(request.siteCode)
        let row = try await counter.log(Self.parameters(request, actor: actor, today: today).map(\.postgresText))
        let outcome: Outcome
        do { outcome = try Self.outcome(row, clock: clock) } catch { throw db.mapped(error) }
        switch outcome {
        case .created(let meal): return Logged(meal: meal, replayed: false)
        case .replayed(let meal): return Logged(meal: meal, replayed: true)
        case .refused(let error): throw error
        }
    }

    /// Logs each meal independently and answers one result per meal, in order. A refused meal
    /// is an outcome row, not an error; a statement that fails as a whole (a constraint or a
    /// cast no check foresaw) is run again one meal at a time, in order, so whatever is wrong
    /// with one meal never fails its neighbours. Only a lost database fails them all: nothing
    /// of theirs is known to be stored, and a retry with their keys is safe.
    static func logEach(_ db: Database, _ columns: [[String?]]) async -> [Result<Row, any Error>] {
        do {
            let rows = try await db.read { session in try logMany(session, columns) }
            guard rows.count == columns.count else { throw CanteenError.internalFailure() }
            return rows.map { .success($0) }
        } catch {
            if columns.count == 1 || isUnavailable(error) {
                return Array(repeating: .failure(error), count: columns.count)
            }
            var results: [Result<Row, any Error>] = []
            results.reserveCapacity(columns.count)
            for meal in columns { results += await logEach(db, [meal]) }
            return results
        }
    }

    static func isUnavailable(_ error: any Error) -> Bool {
        error is CancellationError || (error as? CanteenError)?.code == .unavailable
    }

    /// Runs the rows of `logManyStatement` (one row: the single statement, prepared too).
    static func logMany(_ session: Session, _ columns: [[String?]]) throws -> [Row] {
        if columns.count == 1 {
            return try session.queryPrepared(logStatement, columns[0].map { $0 as any PostgresEncodable }).rows
        }
        let parameters: [any PostgresEncodable] = (0..<12).map { column in NullableTextArray(columns.map { $0[column] }) }
        return try session.queryPrepared(logManyStatement, parameters).rows
    }

    enum Outcome {
        case created(Meal)
        case replayed(Meal)
        case refused(CanteenError)
    }

    static func parameters(_ request: MealRequest, actor: Principal, today: LocalDate) -> [any PostgresEncodable] {
        var dinerID: Int?
        var residentID: String?
        var cardNo: String?
        switch request.diner {
        case .id(let id): dinerID = id
        case .residentID(let value): residentID = value
        case .cardNo(let card): cardNo = card
        }
        return [request.siteCode, dinerID, residentID, cardNo, request.servedOn, request.slot.rawValue, request.priceFen,
                request.delivery, request.idempotencyKey, requestHash(request), actor.name, today]
    }

    /// What `meal.request_hash` stores: the SHA-256 of the request's canonical content, so an
    /// idempotency key can be checked against it without keeping a resident ID outside the diner.
    static func requestHash(_ request: MealRequest) -> String {
        SHA256Hex.of(Array(request.canonicalContent.utf8))
    }

    /// Reads one row of `log_meal`: outcome, error_code, detail, then the meal's columns.
    static func outcome(_ row: Row, clock: BusinessClock) throws -> Outcome {
        let outcome: String = try row.decode(0)
        let code: String? = try row.decode(1)
        let detail: String? = try row.decode(2)
        let mealID: Int? = try row.decode(3)
        switch outcome {
        case "created": return .created(try meal(from: row, offset: 3, clock: clock))
        case "replayed": return .replayed(try meal(from: row, offset: 3, clock: clock))
        default:
            let errorCode = code.flatMap(CanteenError.Code.init(rawValue:)) ?? .invalidRequest
            var error = CanteenError(errorCode, detail ?? errorCode.rawValue)
            if errorCode == .duplicateMeal { error.existingMealID = mealID }
            return .refused(error)
        }
    }

    // MARK: batch

    /// One item's result in a batch: `created | replayed | duplicate | rejected`.
    public struct BatchResult: Sendable, Encodable {
        public let clientRef: String?
        public let status: String
        public let meal: Meal?
        public let error: Problem?

        enum CodingKeys: String, CodingKey {
            case status, meal, error
            case clientRef = "client_ref"
        }

        public func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(clientRef, forKey: .clientRef)
            try c.encode(status, forKey: .status)
            try c.encode(meal, forKey: .meal)
            try c.encode(error, forKey: .error)
        }
    }

    public static let maximumBatch = 1000

    /// Logs up to 1000 meals, each independently, in one round trip; results come in request order.
    public func logBatch(_ drafts: [MealDraft], by actor: Principal) async throws -> [BatchResult] {
        try actor.require(.admin, .operator)
        guard drafts.count <= Self.maximumBatch else {
            throw CanteenError.invalidRequest("a batch holds at most \(Self.maximumBatch) meals", field: "meals")
        }
        let today = clock.today()
        var results = [BatchResult?](repeating: nil, count: drafts.count)
        var accepted: [(index: Int, request: MealRequest)] = []
        for (index, draft) in drafts.enumerated() {
            do {
                let request = try draft.validated(today: today, idempotencyKey: draft.clientRef)
                try actor.requireSite(request.siteCode)
                accepted.append((index, request))
            } catch let error as CanteenError {
                results[index] = BatchResult(clientRef: draft.clientRef, status: "rejected", meal: nil, error: Problem(error))
            }
        }
        if !accepted.isEmpty {
            let columns = accepted.map { Self.parameters($0.request, actor: actor, today: today).map(\.postgresText) }
            let logged = await Self.logEach(db, columns)
            if case .failure(let error)? = logged.first(where: { if case .failure(let e) = $0 { Self.isUnavailable(e) } else { false } }) {
                throw error
            }
            for ((index, _), result) in zip(accepted, logged) {
                let ref = drafts[index].clientRef
                let outcome: Outcome
                do {
                    outcome = try Self.outcome(result.get(), clock: clock)
                } catch {
                    outcome = .refused(db.mapped(error) as? CanteenError ?? .internalFailure())
                }
                switch outcome {
                case .created(let meal): results[index] = BatchResult(clientRef: ref, status: "created", meal: meal, error: nil)
                case .replayed(let meal): results[index] = BatchResult(clientRef: ref, status: "replayed", meal: meal, error: nil)
                case .refused(let error):
                    results[index] = BatchResult(clientRef: ref, status: error.code == .duplicateMeal ? "duplicate" : "rejected",
                                                 meal: nil, error: Problem(error))
                }
            }
        }
        return results.compactMap { $0 }
    }

    // MARK: reads

    public func get(_ id: Int, by actor: Principal) async throws -> Meal {
        let clock = self.clock
        let meal = try await db.read { session in try Self.load(id, session, clock: clock) }
        try actor.requireSite(meal.siteCode)
        return meal
    }

    public struct Filter: Sendable {
        public var siteCode: String?
        public var dinerID: Int?
        public var from: LocalDate?
        public var to: LocalDate?
        public var status: MealStatus?
        public init(siteCode: String? = nil, dinerID: Int? = nil, from: LocalDate? = nil, to: LocalDate? = nil, status: MealStatus? = nil) {
            self.siteCode = siteCode
            self.dinerID = dinerID
            self.from = from
            self.to = to
            self.status = status
        }
    }

    /// Meals in id order; operators see only their sites' meals.
    public func list(_ filter: Filter = Filter(), page: PageRequest = .first, by actor: Principal) async throws -> Page<Meal> {
        if let site = filter.siteCode { try actor.requireSite(site) }
        let ownSites: TextArray? = actor.isOperator ? TextArray(actor.siteCodes.sorted()) : nil
        let after = try page.afterID()
        let clock = self.clock
        let meals = try await db.read { session in
            try session.query("""
                SELECT \(Self.columns) FROM meal m
                WHERE ($1::text IS NULL OR m.site_code = $1)
                  AND ($2::bigint IS NULL OR m.diner_id = $2)
                  AND ($3::date IS NULL OR m.served_on >= $3)
                  AND ($4::date IS NULL OR m.served_on <= $4)
                  AND ($5::text IS NULL OR m.status = $5)
                  AND ($6::text[] IS NULL OR m.site_code = ANY ($6::text[]))
                  AND ($7::bigint IS NULL OR m.id > $7)
                ORDER BY m.id
                LIMIT $8
                """, [filter.siteCode, filter.dinerID, filter.from, filter.to, filter.status?.rawValue, ownSites, after, page.limit + 1])
                .rows.map { try Self.meal(from: $0, offset: 0, clock: clock) }
        }
        return Page(fetched: meals, request: page, key: { String($0.id) })
    }

    // MARK: void

    /// Voids a meal: it stays, with the reason, who voided it and when, and frees its
    /// slot. Voiding a meal of a closed month creates an adjustment for the next claim.
    public func void(_ id: Int, reason: String?, by actor: Principal) async throws -> Meal {
        try actor.require(.admin, .operator)
        var v = Validation()
        let reason = v.text(reason, "reason", required: true, maxLength: TextLimits.reason)
        try v.check()
        guard let reason else { throw CanteenError.validation(v.errors) }
        let clock = self.clock
        return try await db.write { session in
            guard let row = try session.query("SELECT site_code, served_on, status FROM meal WHERE id = $1", [id]).first else {
                throw CanteenError.notFound("meal \(id)")
            }
            let site: String = try row.decode(0)
            let servedOn: LocalDate = try row.decode(1)
            try actor.requireSite(site)
            // Held shared against a concurrent claim submission of the same site and month (ClaimService).
            try session.query("SELECT pg_advisory_xact_lock_shared(period_lock_key($1, $2))", [site, servedOn])
            let before = try Self.load(id, session, clock: clock, forUpdate: true)
            guard before.status == .valid else {
                throw CanteenError(.invalidState, "meal \(id) is already void")
            }
            try session.query("""
                UPDATE meal SET status = 'void', void_reason = $2, voided_by = $3, voided_at = now(), subsidy_seq = NULL WHERE id = $1
                """, [id, reason, actor.name])
            let closed: Bool = try session.query("SELECT period_is_closed($1, $2)", [site, servedOn]).first!.decode(0)
            var adjustment: Int?
            if closed, before.subsidyFen > 0 {
                adjustment = -before.subsidyFen
                try session.query("""
                    INSERT INTO claim_adjustment (meal_id, site_code, diner_id, served_on, subsidy_fen, reason)
                    VALUES ($1, $2, $3, $4, $5, $6)
                    """, [id, site, before.dinerID, servedOn, -before.subsidyFen, reason])
            }
            try Audit.record(session, actor: actor, action: "meal.void", entity: .meal, entityID: String(id),
                             detail: VoidDetail(reason: reason, periodClosed: closed, adjustmentFen: adjustment))
            return try Self.load(id, session, clock: clock)
        }
    }

    struct VoidDetail: Encodable, Sendable {
        let reason: String
        let periodClosed: Bool
        let adjustmentFen: Int?

        enum CodingKeys: String, CodingKey {
            case reason
            case periodClosed = "period_closed"
            case adjustmentFen = "adjustment_fen"
        }
    }

    static func load(_ id: Int, _ session: Session, clock: BusinessClock, forUpdate: Bool = false) throws -> Meal {
        guard let row = try session.query("SELECT \(columns) FROM meal m WHERE m.id = $1" + (forUpdate ? " FOR UPDATE" : ""), [id]).first else {
            throw CanteenError.notFound("meal \(id)")
        }
        return try meal(from: row, offset: 0, clock: clock)
    }

    static func meal(from row: Row, offset o: Int, clock: BusinessClock) throws -> Meal {
        Meal(
            id: try row.decode(o),
            dinerID: try row.decode(o + 1),
            siteCode: try row.decode(o + 2),
            servedOn: try row.decode(o + 3),
            slot: Slot(rawValue: try row.decode(o + 4)) ?? .lunch,
            priceFen: try row.decode(o + 5),
            delivery: try row.decode(o + 6),
            age: try row.decode(o + 7),
            bracket: try row.decode(o + 8),
            subsidyFen: try row.decode(o + 9),
            payableFen: try row.decode(o + 10),
            status: MealStatus(rawValue: try row.decode(o + 11)) ?? .valid,
            claimID: try row.decode(o + 12),
            createdAt: clock.timestamp(try row.decode(o + 13, as: Date.self)),
            voidReason: try row.decode(o + 14),
            voidedBy: try row.decode(o + 15),
            voidedAt: try row.decode(o + 16, as: Date?.self).map(clock.timestamp))
    }
}

/// A text-format array parameter whose elements may be NULL (for `unnest` of typed columns).
struct NullableTextArray: PostgresEncodable {
    let elements: [String?]

    init(_ elements: [String?]) { self.elements = elements }

    var postgresText: String? {
        "{" + elements.map { element -> String in
            guard let element else { return "NULL" }
            var out = "\""
            for ch in element {
                if ch == "\"" || ch == "\\" { out.append("\\") }
                out.append(ch)
            }
            return out + "\""
        }.joined(separator: ",") + "}"
    }
}

extension MealService.Filter {
    /// A filter from text query values (HTTP query strings, CLI options), with the SPEC's error codes.
    public init(parsing siteCode: String?, dinerID: Int?, from: String?, to: String?, status: String?) throws {
        func date(_ text: String?, _ field: String) throws -> LocalDate? {
            guard let text else { return nil }
            guard let date = LocalDate(iso: text) else {
                throw CanteenError.invalidRequest("\(field) must be a date YYYY-MM-DD", field: field)
            }
            return date
        }
        var parsedStatus: MealStatus?
        if let status {
            guard let value = MealStatus(rawValue: status) else {
                throw CanteenError.invalidRequest("status must be valid or void", field: "status")
            }
            parsedStatus = value
        }
        self.init(siteCode: siteCode, dinerID: dinerID, from: try date(from, "from"), to: try date(to, "to"), status: parsedStatus)
    }
}
