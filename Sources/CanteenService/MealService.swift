import CanteenDomain
import Foundation
import Postgres

/// Meals (SPEC §2.8): logging at the counter, batches from card readers, voids, reads.
/// Whether a meal is accepted and what it is subsidised is `MealLedger`'s to decide; this
/// service reads the facts and stores the result (`MealStore`).
public struct MealService: Sendable {
    let db: Database
    let clock: BusinessClock
    let store: MealStore
    let counter: MealGroupCommit

    init(db: Database, clock: BusinessClock, catalog: Catalog) {
        self.db = db
        self.clock = clock
        let store = MealStore(catalog: catalog, clock: clock)
        self.store = store
        let pool = db.pool
        self.counter = MealGroupCommit(concurrency: pool.configuration.maxConnections, othersWaiting: { pool.hasWaiters }) { drain in
            try await db.session { session in
                drain { items in
                    let results = Self.logEach(items, session, db: db, store: store, today: clock.today())
                    return (results, session.isReusable)
                }
            }
        }
    }

    /// A logged meal, and whether it was an idempotent replay of an earlier request.
    public struct Logged: Sendable {
        public let meal: Meal
        public let replayed: Bool
    }

    /// The columns of a meal, named as `meal(from:)` reads them.
    static let columns = """
        m.id, m.diner_id, m.site_code, m.served_on, m.slot, m.price_fen, m.delivery, m.age, m.bracket, m.category, m.subsidy_fen,
        m.funders, m.city_fen, m.district_fen, m.street_fen,
        m.price_fen - m.subsidy_fen AS payable_fen, m.status, m.claim_id, m.created_at, m.void_reason, m.voided_by, m.voided_at
        """

    /// Logs one meal. A replayed idempotency key answers the meal first created. Concurrent
    /// calls share statements and commits (`MealGroupCommit`); each is answered only after
    /// its meal is committed.
    public func log(_ draft: MealDraft, idempotencyKey: String? = nil, by actor: Principal) async throws -> Logged {
        try actor.require(.admin, .operator)
        let request = try draft.validated(today: clock.today(), idempotencyKey: idempotencyKey ?? draft.clientRef)
        try actor.requireSite(request.siteCode)
        switch try await counter.log(Self.item(request, actor: actor)) {
        case .created(let meal): return Logged(meal: meal, replayed: false)
        case .replayed(let meal): return Logged(meal: meal, replayed: true)
        case .refused(let error): throw error
        }
    }

    static func item(_ request: MealRequest, actor: Principal) -> MealStore.Item {
        MealStore.Item(request: request, requestHash: requestHash(request), actor: actor.name)
    }

    /// What `meal.request_hash` stores: the SHA-256 of the request's canonical content, so an
    /// idempotency key can be checked against it without keeping a resident ID outside the diner.
    static func requestHash(_ request: MealRequest) -> String {
        SHA256Hex.of(Array(request.canonicalContent.utf8))
    }

    /// Logs each meal independently and answers one result per meal, in order (one transaction
    /// per pass, `MealStore.logCommitting`). Meals whose pass failed as a whole (a constraint or
    /// a cast no check foresaw) are logged again one at a time, in order, so whatever is wrong
    /// with one meal never fails its neighbours. Only a lost database fails them all: nothing of
    /// theirs is known to be stored, and a retry with their keys is safe.
    static func logEach(_ items: [MealStore.Item], db: Database, store: MealStore, today: LocalDate) async
        -> [Result<MealStore.Outcome, any Error>] {
        do {
            return try await db.session { session in logEach(items, session, db: db, store: store, today: today) }
        } catch {
            return Array(repeating: .failure(error), count: items.count)
        }
    }

    /// `logEach` on a session the caller holds (the counter's drainer logs group after group on one).
    /// A session found lost, or left unfit for more work, is abandoned: the pool then drops its
    /// connection instead of lending it again (a server turned read-only still looks connected).
    static func logEach(_ items: [MealStore.Item], _ session: Session, db: Database, store: MealStore, today: LocalDate)
        -> [Result<MealStore.Outcome, any Error>] {
        var results = store.logCommitting(items, today: today, session).map { $0.mapError { db.mapped($0) } }
        defer { if lostSession(results) || !session.isReusable { session.abandon() } }
        let failed = results.indices.filter { if case .failure = results[$0] { true } else { false } }
        guard !failed.isEmpty, items.count > 1, !lostSession(results) else { return results }
        for index in failed { results[index] = logEach([items[index]], session, db: db, store: store, today: today)[0] }
        return results
    }

    /// True when a result says the database was lost: the session is of no use for more.
    static func lostSession(_ results: [Result<MealStore.Outcome, any Error>]) -> Bool {
        results.contains { if case .failure(let error) = $0 { isUnavailable(error) } else { false } }
    }

    static func isUnavailable(_ error: any Error) -> Bool {
        error is CancellationError || (error as? CanteenError)?.code == .unavailable
    }

    // MARK: batch

    /// One item's answer in a batch: the meal created or replayed, or why not.
    public struct BatchResult: Sendable {
        public enum Status: String, Sendable {
            case created, replayed, duplicate, rejected
        }

        public let clientRef: String?
        public let status: Status
        public let meal: Meal?
        public let error: CanteenError?
    }

    public static let maximumBatch = 1000

    /// Logs up to 1000 meals, each independently and in order (a transaction per pass, as at the counter); results come
    /// in request order.
    public func logBatch(_ drafts: [MealDraft], by actor: Principal) async throws -> [BatchResult] {
        try actor.require(.admin, .operator)
        guard drafts.count <= Self.maximumBatch else {
            throw CanteenError.invalidRequest("a batch holds at most \(Self.maximumBatch) meals", field: "meals")
        }
        let today = clock.today()
        var results = [BatchResult?](repeating: nil, count: drafts.count)
        var accepted: [(index: Int, item: MealStore.Item)] = []
        for (index, draft) in drafts.enumerated() {
            do {
                let request = try draft.validated(today: today, idempotencyKey: draft.clientRef)
                try actor.requireSite(request.siteCode)
                accepted.append((index, Self.item(request, actor: actor)))
            } catch let error as CanteenError {
                results[index] = BatchResult(clientRef: draft.clientRef, status: .rejected, meal: nil, error: error)
            }
        }
        if !accepted.isEmpty {
            let logged = await Self.logEach(accepted.map(\.item), db: db, store: store, today: today)
            if case .failure(let error)? = logged.first(where: { if case .failure(let e) = $0 { Self.isUnavailable(e) } else { false } }) {
                throw error
            }
            for ((index, _), result) in zip(accepted, logged) {
                let ref = drafts[index].clientRef
                let outcome: MealStore.Outcome
                do {
                    outcome = try result.get()
                } catch {
                    outcome = .refused(db.mapped(error) as? CanteenError ?? .internalFailure())
                }
                switch outcome {
                case .created(let meal): results[index] = BatchResult(clientRef: ref, status: .created, meal: meal, error: nil)
                case .replayed(let meal): results[index] = BatchResult(clientRef: ref, status: .replayed, meal: meal, error: nil)
                case .refused(let error):
                    results[index] = BatchResult(clientRef: ref, status: error.code == .duplicateMeal ? .duplicate : .rejected,
                                                 meal: nil, error: error)
                }
            }
        }
        return results.compactMap { $0 }
    }

    // MARK: reads

    public func get(_ id: Int, by actor: Principal) async throws -> Meal {
        let clock = self.clock
        let meal = try await db.session { session in try Self.load(id, session, clock: clock) }
        try actor.requireSite(meal.siteCode)
        return meal
    }

    public struct Filter: Sendable {
        public var siteCode: String?
        public var dinerID: Int?
        public var from: LocalDate?
        public var to: LocalDate?
        public var status: MealStatus?
        /// `served_on`: one day (with a site, the listing sums that day up).
        public var day: LocalDate?
        public init(siteCode: String? = nil, dinerID: Int? = nil, from: LocalDate? = nil, to: LocalDate? = nil, status: MealStatus? = nil,
                    day: LocalDate? = nil) {
            self.siteCode = siteCode
            self.dinerID = dinerID
            self.from = from
            self.to = to
            self.status = status
            self.day = day
        }
    }

    /// A page of meals as the counter reads them: with their diners' names and, for one site's
    /// day, what the day came to.
    public struct Listing: Sendable {
        public let page: Page<Meal>
        public let dinerNames: [Int: String]
        public let summary: DaySummary?

        public var items: [Meal] { page.items }
        public var nextCursor: String? { page.nextCursor }
    }

    /// One site's day: its valid meals, their subsidies and what the diners paid.
    public struct DaySummary: Sendable, Equatable {
        public let meals: Int
        public let subsidyFen: Int
        public let payableFen: Int
    }

    /// Meals in id order; operators see only their sites' meals.
    public func list(_ filter: Filter = Filter(), page: PageRequest = .first, by actor: Principal) async throws -> Listing {
        if let site = filter.siteCode { try actor.requireSite(site) }
        let ownSites = actor.ownSites.map(TextArray.init)
        let after = try page.afterID()
        let clock = self.clock
        let (meals, names, summary) = try await db.session { session in
            let rows = try session.query("""
                SELECT \(Self.columns), d.name AS diner_name FROM meal m JOIN diner d ON d.id = m.diner_id
                WHERE ($1::text IS NULL OR m.site_code = $1)
                  AND ($2::bigint IS NULL OR m.diner_id = $2)
                  AND ($3::date IS NULL OR m.served_on >= $3)
                  AND ($4::date IS NULL OR m.served_on <= $4)
                  AND ($5::text IS NULL OR m.status = $5)
                  AND ($6::text[] IS NULL OR m.site_code = ANY ($6::text[]))
                  AND ($7::bigint IS NULL OR m.id > $7)
                ORDER BY m.id
                LIMIT $8
                """, [filter.siteCode, filter.dinerID, filter.from, filter.to, filter.status?.rawValue, ownSites, after, page.limit + 1]).rows
            var names: [Int: String] = [:]
            let meals = try rows.map { row in
                let meal = try Self.meal(from: row, clock: clock)
                names[meal.dinerID] = try row.decode("diner_name", as: String.self)
                return meal
            }
            var summary: DaySummary?
            if let site = filter.siteCode, let day = filter.day {
                let row = try session.query("""
                    SELECT count(*), coalesce(sum(subsidy_fen), 0), coalesce(sum(price_fen - subsidy_fen), 0) FROM meal
                    WHERE site_code = $1 AND served_on = $2 AND status = 'valid'
                    """, [site, day]).one()
                summary = DaySummary(meals: try row.decode(0), subsidyFen: try row.decode(1), payableFen: try row.decode(2))
            }
            return (meals, names, summary)
        }
        return Listing(page: Page(fetched: meals, request: page, key: { String($0.id) }), dinerNames: names, summary: summary)
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
        return try await db.transaction { session in
            guard let row = try session.query("SELECT site_code, served_on, diner_id FROM meal WHERE id = $1", [id]).first else {
                throw CanteenError.notFound("meal \(id)")
            }
            let site: String = try row.decode(0)
            let servedOn: LocalDate = try row.decode(1)
            try actor.requireSite(site)
            // Held shared against a concurrent claim submission of the same site and month (ClaimService).
            try session.query("SELECT pg_advisory_xact_lock_shared(period_lock_key($1, $2))", [site, servedOn])
            // Voids of one diner-day at one site take turns, so each sees whether the other left
            // the day a subsidised meal (the operating subsidy's claw-back below).
            try session.query("SELECT pg_advisory_xact_lock(hashtextextended('void/' || $1 || '/' || $2::text || '/' || $3::text, 0))",
                              [site, try row.decode(2, as: Int.self), servedOn])
            let before = try Self.load(id, session, clock: clock, forUpdate: true)
            guard before.status == .valid else {
                throw CanteenError(.invalidState, "meal \(id) is already void")
            }
            try session.query("""
                UPDATE meal SET status = 'void', void_reason = $2, voided_by = $3, voided_at = now(), subsidy_seq = NULL WHERE id = $1
                """, [id, reason, actor.name])
            // The claim that closed the month, with the operating rate it paid for the meal's day.
            let closing = try session.query("""
                SELECT (operating_rates ->> $4)::integer FROM claim
                WHERE site_code = $1 AND month = date_trunc('month', $2::date)::date AND status = ANY ($3::text[])
                """, [site, servedOn, ClaimStatus.periodClosingParameter, servedOn.description]).first
            let closed = closing != nil
            var adjustment: Int?
            var operating: Int?
            if closed, before.subsidyFen > 0 {
                // The claim counted this diner-day for the operating subsidy; it is clawed back
                // when this void leaves the day without a valid subsidised meal (SPEC §2.14).
                let left: Int = try session.query("""
                    SELECT count(*) FROM meal
                    WHERE site_code = $1 AND diner_id = $2 AND served_on = $3 AND status = 'valid' AND subsidy_fen > 0
                    """, [site, before.dinerID, servedOn]).one().decode(0)
                let clawBack = OperatingSubsidy.clawBack(subsidisedMealsLeft: left, rate: try closing?.decode(0, as: Int?.self))
                adjustment = -before.subsidyFen
                operating = clawBack
                try session.query("""
                    INSERT INTO claim_adjustment (meal_id, site_code, diner_id, served_on, subsidy_fen, operating_fen, reason)
                    VALUES ($1, $2, $3, $4, $5, $6, $7)
                    """, [id, site, before.dinerID, servedOn, -before.subsidyFen, clawBack, reason])
            }
            try Audit.record(session, actor: actor, action: "meal.void", entity: .meal, entityID: String(id),
                             detail: VoidDetail(reason: reason, periodClosed: closed, adjustmentFen: adjustment, operatingFen: operating))
            return try Self.load(id, session, clock: clock)
        }
    }

    struct VoidDetail: Encodable, Sendable {
        let reason: String
        let periodClosed: Bool
        let adjustmentFen: Int?
        let operatingFen: Int?

        enum CodingKeys: String, CodingKey {
            case reason
            case periodClosed = "period_closed"
            case adjustmentFen = "adjustment_fen"
            case operatingFen = "operating_fen"
        }
    }

    static func load(_ id: Int, _ session: Session, clock: BusinessClock, forUpdate: Bool = false) throws -> Meal {
        guard let row = try session.query("SELECT \(columns) FROM meal m WHERE m.id = $1" + (forUpdate ? " FOR UPDATE" : ""), [id]).first else {
            throw CanteenError.notFound("meal \(id)")
        }
        return try meal(from: row, clock: clock)
    }

    static func load(ids: [Int], _ session: Session, clock: BusinessClock) throws -> [Meal] {
        try session.query("SELECT \(columns) FROM meal m WHERE m.id = ANY ($1::bigint[])", [IntArray(ids)])
            .rows.map { try meal(from: $0, clock: clock) }
    }

    /// A meal from a row of `columns`, by column name.
    static func meal(from row: Row, clock: BusinessClock) throws -> Meal {
        let subsidy: Int = try row.decode("subsidy_fen")
        return Meal(
            id: try row.decode("id"),
            dinerID: try row.decode("diner_id"),
            siteCode: try row.decode("site_code"),
            servedOn: try row.decode("served_on"),
            slot: try Slot(stored: try row.decode("slot")),
            priceFen: try row.decode("price_fen"),
            delivery: try row.decode("delivery"),
            age: try row.decode("age"),
            bracket: try row.decode("bracket"),
            category: try row.decode("category", as: String?.self).map(DinerCategory.init(stored:)),
            subsidyFen: subsidy,
            funding: try FundingColumns(row).funding(),
            payableFen: try row.decode("payable_fen"),
            status: try MealStatus(stored: try row.decode("status")),
            claimID: try row.decode("claim_id"),
            createdAt: clock.timestamp(try row.decode("created_at", as: Date.self)),
            voidReason: try row.decode("void_reason"),
            voidedBy: try row.decode("voided_by"),
            voidedAt: try row.decode("voided_at", as: Date?.self).map(clock.timestamp))
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
    /// A filter from query text. `servedOn` is one day: the range narrowed to it.
    public init(parsing siteCode: String?, dinerID: Int?, servedOn: String? = nil, from: String?, to: String?, status: String?) throws {
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
        var first = try date(from, "from"), last = try date(to, "to")
        let day = try date(servedOn, "served_on")
        if let day {
            first = max(first ?? day, day)
            last = min(last ?? day, day)
        }
        self.init(siteCode: siteCode, dinerID: dinerID, from: first, to: last, status: parsedStatus, day: day)
    }
}
