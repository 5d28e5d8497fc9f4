import CanteenDomain
import Foundation
import Postgres

/// Monthly subsidy claims (SPEC §2.9): build, refresh, lifecycle, frozen numbers.
public struct ClaimService: Sendable {
    let db: Database
    let clock: BusinessClock

    public init(db: Database, clock: BusinessClock) {
        self.db = db
        self.clock = clock
    }

    /// A built claim and whether this build created it (201) or refreshed a draft (200).
    public struct Built: Sendable {
        public let claim: Claim
        public let created: Bool
    }

    /// Late entries: meals logged this many days or more after the day they were served.
    static let lateEntryDays = 7
    /// A day with more meals than this multiple of the site's median day is unusual.
    static let busyDayFactor = 3

    public func build(siteCode: String?, month: String?, by actor: Principal) async throws -> Built {
        try actor.require(.admin, .operator)
        guard let siteCode, !siteCode.isEmpty else { throw CanteenError.invalidRequest("site_code is required", field: "site_code") }
        guard let text = month, let month = YearMonth(iso: text) else {
            throw CanteenError.invalidRequest("month must be YYYY-MM", field: "month")
        }
        try actor.requireSite(siteCode)
        let today = clock.today()
        guard month <= today.yearMonth else {
            throw CanteenError.validation([FieldError(field: "month", message: "\(month) has not begun")])
        }
        let clock = self.clock
        return try await db.transaction { session in
            guard let site = try session.query("SELECT opens_on, closes_on FROM site WHERE code = $1", [siteCode]).first else {
                throw CanteenError.notFound("site \(siteCode)")
            }
            // A claim for a month the site never operated in could only collect other months' adjustments.
            let opensOn: LocalDate = try site.decode(0)
            if month < opensOn.yearMonth {
                throw CanteenError.validation([FieldError(field: "month", message: "\(siteCode) opened in \(opensOn.yearMonth): no claim for \(month)")])
            }
            if let closesOn: LocalDate = try site.decode(1), month > closesOn.yearMonth {
                throw CanteenError.validation([FieldError(field: "month", message: "\(siteCode) closed in \(closesOn.yearMonth): no claim for \(month)")])
            }
            // Concurrent builders of one site and month meet at the unique key: one inserts, all lock the row.
            let created = try !session.query("""
                INSERT INTO claim (site_code, month) VALUES ($1, $2) ON CONFLICT (site_code, month) DO NOTHING RETURNING id
                """, [siteCode, month.firstDay]).isEmpty
            let row = try session.query("SELECT id, status FROM claim WHERE site_code = $1 AND month = $2 FOR UPDATE",
                                        [siteCode, month.firstDay]).one()
            let id: Int = try row.decode(0)
            let status = try ClaimStatus(stored: try row.decode(1))
            if status.closesPeriod {
                throw CanteenError(.periodClosed, "the claim for \(siteCode) \(month) is already \(status.rawValue)")
            }
            // A rejected claim built again is a draft; its rejection stays in its events.
            try session.query("""
                UPDATE claim SET status = 'draft', reject_reason = NULL, rejected_at = NULL, override_reason = NULL, built_at = now() WHERE id = $1
                """, [id])
            try Self.compute(session, claimID: id, siteCode: siteCode, month: month)
            try Self.recordEvent(session, claimID: id, actor: actor, action: created ? .build : .rebuild)
            try Audit.record(session, actor: actor, action: created ? "claim.build" : "claim.rebuild", entity: .claim,
                             entityID: String(id), detail: ["site_code": siteCode, "month": month.description])
            return Built(claim: try Self.load(id, session, clock: clock), created: created)
        }
    }

    /// (Re)computes a claim's lines, checks and totals from the live meals. A draft only shows
    /// the open adjustments of earlier months; `bindingAdjustments` (on submission) makes the
    /// claim carry them, so a draft that is never submitted holds none back (SPEC §2.8).
    static func compute(_ session: Session, claimID: Int, siteCode: String, month: YearMonth, bindingAdjustments: Bool = false) throws {
        let from = month.firstDay
        let to = month.next.firstDay
        try session.query("DELETE FROM claim_line WHERE claim_id = $1", [claimID])
        // Month-end aggregation over up to millions of meals: room to hash in memory.
        try session.query("SET LOCAL work_mem = '64MB'")
        let rates = OperatingSubsidy.rates(in: month, policies: try PolicyService.loadAll(session))
        let row = try Self.linesAndChecks(session, claimID: claimID, siteCode: siteCode, from: from, to: to, dinerDays: !rates.isEmpty)
        if bindingAdjustments {
            try session.query("""
                UPDATE claim_adjustment SET claim_id = $1 WHERE site_code = $2 AND claim_id IS NULL AND served_on < $3
                """, [claimID, siteCode, from])
        }
        let checks = try Self.checks(row, inactive: try Self.mealsWhileInactive(session, siteCode: siteCode, from: from, to: to))
        let operating = rates.isEmpty ? .none : OperatingSubsidy.claimed(
            dinerDays: try Self.dinerDays(row), rates: rates,
            takenBackElsewhere: try Self.operatingTakenBackElsewhere(session, claimID: claimID, siteCode: siteCode, from: from, to: to))
        try session.query("""
            UPDATE claim c SET
                meals = coalesce(l.meals, 0), diners = coalesce(l.diners, 0), subsidy_fen = coalesce(l.subsidy, 0),
                operating_diner_days = $6::integer, operating_subsidy_fen = $7::bigint, operating_rates = $8::jsonb,
                adjustment_fen = coalesce(a.total, 0), total_fen = coalesce(l.subsidy, 0) + $7::bigint + coalesce(a.total, 0),
                checks = $2::jsonb
            FROM (SELECT sum(meals)::integer AS meals, count(DISTINCT diner_id)::integer AS diners, sum(subsidy_fen) AS subsidy
                  FROM claim_line WHERE claim_id = $1) l,
                 (SELECT sum(a.subsidy_fen + a.operating_fen) AS total FROM claim_adjustment a
                  WHERE \(Self.shownAdjustments(claim: "$1", site: "$3", month: "$4", draft: "NOT $5::boolean"))) a
            WHERE c.id = $1
            """, [claimID, JSONParameter(checks), siteCode, from, bindingAdjustments, operating.dinerDays, operating.fen,
                  JSONParameter(Dictionary(uniqueKeysWithValues: rates.map { ($0.key.description, $0.value) }))])
    }

    /// The operating subsidy of this month's diner-days that other frozen claims took back (voids
    /// after this month was once claimed): how many days, and the amount, positive.
    static func operatingTakenBackElsewhere(_ session: Session, claimID: Int, siteCode: String, from: LocalDate, to: LocalDate) throws
        -> OperatingSubsidy.Earned {
        let row = try session.query("""
            SELECT count(*), coalesce(-sum(a.operating_fen), 0) FROM claim_adjustment a JOIN claim c ON c.id = a.claim_id
            WHERE a.site_code = $1 AND a.served_on >= $2 AND a.served_on < $3 AND a.operating_fen < 0
              AND c.id <> $4 AND c.status = ANY ($5::text[])
            """, [siteCode, from, to, claimID, ClaimStatus.periodClosingParameter]).one()
        return OperatingSubsidy.Earned(dinerDays: try row.decode(0), fen: try row.decode(1))
    }

    /// `diner_days` of `linesAndChecks`: per date, the diners with a valid subsidised meal (SPEC §2.14).
    static func dinerDays(_ row: Row) throws -> [LocalDate: Int] {
        let byDate = try row.decodeJSON("diner_days", as: [String: Int].self)
        return try Dictionary(uniqueKeysWithValues: byDate.map { text, diners in
            guard let date = LocalDate(iso: text) else { throw PostgresError(kind: .decoding, serverMessage: "date \(text)", column: "diner_days") }
            return (date, diners)
        })
    }

    /// The `claim_adjustment` rows a claim shows: those it carries once submitted; while a draft,
    /// the site's open ones of months before its own (it would carry them if submitted now).
    /// The arguments are SQL expressions (parameters or columns) for the claim's id, site,
    /// month and whether it is still a draft.
    static func shownAdjustments(claim: String, site: String, month: String, draft: String) -> String {
        "a.site_code = \(site) AND CASE WHEN \(draft) THEN a.claim_id IS NULL AND a.served_on < \(month) ELSE a.claim_id = \(claim) END"
    }

    /// Inserts the claim lines and answers the checks' figures, from one pass over the site's
    /// meals of the month that keeps only the few columns both need. The lines: valid
    /// subsidised meals, plus void ones whose deduction another frozen claim already carries,
    /// summed per diner and bracket (a hash of integers) before the diners' names are joined.
    /// Each line keeps the categories its meals were subsidised for and what each funder pays
    /// of it. With `dinerDays`, the diners with a valid subsidised meal per date too (for the
    /// operating subsidy, SPEC §2.14).
    /// The checks, over valid meals: per diner (more meals than slots, meals before the diner
    /// was registered), per day (unusually busy days) and in total (meals outside service, late
    /// entries). The city's diners are many times the month's diners of one site, so `diner` is
    /// read by key for each of those (a LATERAL lookup, kept from being flattened into a join
    /// that would hash the whole table), never scanned.
    static func linesAndChecks(_ session: Session, claimID: Int, siteCode: String, from: LocalDate, to: LocalDate, dinerDays: Bool) throws -> Row {
        try session.query("""
            WITH s AS (
                SELECT opens_on, closes_on, slots,
                       (SELECT count(*) FROM generate_series($3::date, $4::date - 1, '1 day') g
                        WHERE g >= opens_on AND (closes_on IS NULL OR g < closes_on)) AS open_days
                FROM site WHERE code = $2
            ),
            m AS MATERIALIZED (
                SELECT m.diner_id, m.bracket, m.category, m.served_on, m.subsidy_fen, m.status = 'valid' AS valid,
                       coalesce(m.city_fen, 0) AS city_fen,
                       coalesce(m.district_fen, 0) AS district_fen, coalesce(m.street_fen, 0) AS street_fen,
                       m.subsidy_fen > 0 AND (m.status = 'valid' OR EXISTS (
                           SELECT 1 FROM claim_adjustment a JOIN claim c ON c.id = a.claim_id
                           WHERE a.meal_id = m.id AND c.id <> $1 AND c.status = ANY ($7::text[]))) AS claimed,
                       m.served_on < s.opens_on OR (s.closes_on IS NOT NULL AND m.served_on >= s.closes_on)
                           OR NOT (m.slot = ANY (s.slots)) AS outside,
                       m.created_at >= (m.served_on + $6::integer)::timestamptz AS late
                FROM meal m, s
                WHERE m.site_code = $2 AND m.served_on >= $3 AND m.served_on < $4
            ),
            lines AS (
                INSERT INTO claim_line (claim_id, diner_id, bracket, name, resident_id_masked, meals, subsidy_fen,
                                        categories, city_fen, district_fen, street_fen)
                SELECT $1, g.diner_id, g.bracket, d.name,
                       left(d.resident_id, 6) || repeat('*', length(d.resident_id) - 10) || right(d.resident_id, 4),
                       g.meals, g.subsidy, g.categories, g.city, g.district, g.street
                FROM (SELECT diner_id, bracket, sum(meals) AS meals, sum(subsidy) AS subsidy,
                             coalesce(array_agg(category ORDER BY category) FILTER (WHERE category IS NOT NULL), '{}') AS categories,
                             sum(city) AS city, sum(district) AS district, sum(street) AS street
                      -- Per category first, hashed: a DISTINCT aggregate would sort every meal.
                      FROM (SELECT diner_id, bracket, category, count(*) AS meals, sum(subsidy_fen) AS subsidy,
                                   sum(city_fen) AS city, sum(district_fen) AS district, sum(street_fen) AS street
                            FROM m WHERE claimed GROUP BY diner_id, bracket, category) per_category
                      GROUP BY diner_id, bracket) g
                CROSS JOIN LATERAL (SELECT name, resident_id FROM diner WHERE id = g.diner_id OFFSET 0) d
            ),
            totals AS (SELECT count(*) FILTER (WHERE valid AND outside) AS outside, count(*) FILTER (WHERE valid AND late) AS late FROM m),
            per_diner AS (SELECT diner_id, count(*) AS n, min(served_on) AS first FROM m WHERE valid GROUP BY diner_id),
            early AS (
                SELECT p.diner_id, r.registered_on FROM per_diner p
                CROSS JOIN LATERAL (SELECT registered_at::date AS registered_on FROM diner WHERE id = p.diner_id OFFSET 0) r
                WHERE p.first < r.registered_on
            ),
            daily AS (SELECT served_on, count(*) AS n FROM m WHERE valid GROUP BY served_on),
            median AS (SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY n) AS v FROM daily)
            SELECT
                (SELECT outside FROM totals),
                (SELECT count(*) FROM per_diner WHERE n > (SELECT cardinality(slots) * open_days FROM s)),
                (SELECT count(*) FROM daily, median WHERE (SELECT count(*) FROM daily) >= 5 AND daily.n > $5 * median.v),
                (SELECT string_agg(served_on::text || ' (' || n || ')', ', ' ORDER BY served_on)
                 FROM daily, median WHERE (SELECT count(*) FROM daily) >= 5 AND daily.n > $5 * median.v),
                (SELECT late FROM totals),
                (SELECT coalesce(json_object_agg(served_on, diners), '{}')::text AS diner_days
                 FROM (SELECT served_on, count(DISTINCT diner_id) AS diners FROM m
                       WHERE $8::boolean AND valid AND subsidy_fen > 0 GROUP BY served_on) x),
                (SELECT count(*) FROM m JOIN early e ON e.diner_id = m.diner_id WHERE m.valid AND m.served_on < e.registered_on)
            """, [claimID, siteCode, from, to, busyDayFactor, lateEntryDays, ClaimStatus.periodClosingParameter, dinerDays]).one()
    }

    /// Valid meals of the month on days the diner's status was not active. Only diners who
    /// ever left 'active' can have them, usually few: their meals are read through the index.
    static func mealsWhileInactive(_ session: Session, siteCode: String, from: LocalDate, to: LocalDate) throws -> Int {
        try session.query("""
            WITH status_range AS (
                SELECT diner_id, status, effective_on AS from_day,
                       coalesce(lead(effective_on) OVER (PARTITION BY diner_id ORDER BY effective_on), 'infinity') AS to_day
                FROM diner_status
                WHERE diner_id IN (SELECT diner_id FROM diner_status WHERE status <> 'active')
            )
            SELECT count(*) FROM status_range sr
            JOIN meal m ON m.diner_id = sr.diner_id AND m.served_on >= sr.from_day AND m.served_on < sr.to_day
            WHERE sr.status <> 'active' AND m.site_code = $1 AND m.served_on >= $2 AND m.served_on < $3 AND m.status = 'valid'
            """, [siteCode, from, to]).one().decode(0)
    }

    /// The pre-claim checks, like the edit checks run before a school-meal claim, from the
    /// figures of `linesAndChecks` and `mealsWhileInactive`.
    static func checks(_ row: Row, inactive: Int) throws -> [ClaimCheck] {
        var checks: [ClaimCheck] = []
        let outside: Int = try row.decode(0, as: Int?.self) ?? 0
        if outside > 0 {
            checks.append(ClaimCheck(code: "meals_outside_service", severity: .blocking, count: outside,
                                     detail: "\(outside) meals on days the site did not operate or in slots it does not serve"))
        }
        if inactive > 0 {
            checks.append(ClaimCheck(code: "meals_while_inactive", severity: .blocking, count: inactive,
                                     detail: "\(inactive) meals after the diner's status stopped being active"))
        }
        let overfed: Int = try row.decode(1)
        if overfed > 0 {
            checks.append(ClaimCheck(code: "more_meals_than_slots", severity: .blocking, count: overfed,
                                     detail: "\(overfed) diners with more meals than the slots the site served this month"))
        }
        let busy: Int = try row.decode(2)
        if busy > 0 {
            checks.append(ClaimCheck(code: "unusually_busy_day", severity: .warning, count: busy,
                                     detail: "days with over \(busyDayFactor)× the median day's meals: \(try row.decode(3, as: String?.self) ?? "")"))
        }
        let early: Int = try row.decode(6, as: Int?.self) ?? 0
        if early > 0 {
            checks.append(ClaimCheck(code: "meals_before_registration", severity: .warning, count: early,
                                     detail: "\(early) meals served before their diner was registered (copied from paper records?)"))
        }
        let late: Int = try row.decode(4, as: Int?.self) ?? 0
        if late > 0 {
            checks.append(ClaimCheck(code: "late_entries", severity: .warning, count: late,
                                     detail: "\(late) meals logged \(lateEntryDays) or more days after they were served"))
        }
        return checks
    }

    // MARK: lifecycle

    /// `submit` (operators of the site, admin; after the month has ended; blocking checks need
    /// an override reason), `approve`, `reject` (with a reason), `pay` (bureau, admin).
    /// What a transition may carry besides the action: a rejection's reason (or a submission's
    /// override reason), an approval's comment, a payment's voucher number and date.
    public struct Note: Sendable {
        public var reason: String?
        public var comment: String?
        public var reference: String?
        public var paidOn: String?
        public init(reason: String? = nil, comment: String? = nil, reference: String? = nil, paidOn: String? = nil) {
            self.reason = reason
            self.comment = comment
            self.reference = reference
            self.paidOn = paidOn
        }
    }

    public func transition(_ id: Int, _ action: ClaimAction, reason: String? = nil, by actor: Principal) async throws -> Claim {
        try await transition(id, action, Note(reason: reason), by: actor)
    }

    public func transition(_ id: Int, _ action: ClaimAction, _ note: Note, by actor: Principal) async throws -> Claim {
        switch action {
        case .submit: try actor.require(.admin, .operator)
        case .approve, .reject, .pay: try actor.require(.admin, .bureau)
        }
        let today = clock.today()
        var v = Validation()
        let reason = v.text(note.reason, action == .reject ? "reason" : "override_reason", required: action == .reject, maxLength: TextLimits.reason)
        let comment = v.text(note.comment, "comment", required: false, maxLength: TextLimits.reason)
        let reference = v.text(note.reference, "reference", required: false, maxLength: TextLimits.paymentReference)
        var payday: LocalDate?
        if action == .pay {
            if let text = note.paidOn?.trimmingWhitespace(), !text.isEmpty {
                if let day = LocalDate(iso: text) {
                    if day > today { v.fail("paid_on", "\(day) is in the future (today is \(today))") } else { payday = day }
                } else {
                    v.fail("paid_on", "must be a date, YYYY-MM-DD")
                }
            } else {
                payday = today
            }
        }
        try v.check()
        let paidOn = payday
        let clock = self.clock
        return try await db.transaction { session in
            guard let head = try session.query("SELECT site_code, month FROM claim WHERE id = $1", [id]).first else {
                throw CanteenError.notFound("claim \(id)")
            }
            let siteCode: String = try head.decode(0)
            let firstDay: LocalDate = try head.decode(1)
            try actor.requireSite(siteCode)
            if action == .submit || action == .reject {
                // Waits for meal loggers and voids of this site and month, and holds new ones off
                // until the numbers are frozen (submit) or the month is open again (reject).
                try session.query("SELECT pg_advisory_xact_lock(period_lock_key($1, $2))", [siteCode, firstDay])
            }
            let status = try ClaimStatus(stored: try session.query("SELECT status FROM claim WHERE id = $1 FOR UPDATE", [id]).one().decode(0))
            let next = try action.apply(to: status)
            let month = firstDay.yearMonth
            switch action {
            case .submit:
                guard today > month.lastDay else {
                    throw CanteenError(.invalidState, "\(month) has not ended yet: submit from \(month.next.firstDay) on")
                }
                try Self.compute(session, claimID: id, siteCode: siteCode, month: month, bindingAdjustments: true)
                let checks = try session.query("SELECT checks::text FROM claim WHERE id = $1", [id]).one().decode(0, as: String.self)
                if checks.contains("\"blocking\""), reason == nil {
                    throw CanteenError.validation([FieldError(field: "override_reason",
                                                              message: "the claim has blocking checks: give an override_reason to submit it anyway")])
                }
                try session.query("""
                    UPDATE meal SET claim_id = $1
                    WHERE site_code = $2 AND served_on >= $3 AND served_on < $4 AND subsidy_fen > 0 AND status = 'valid'
                    """, [id, siteCode, month.firstDay, month.next.firstDay])
                try session.query("UPDATE claim SET status = 'submitted', submitted_at = now(), override_reason = $2 WHERE id = $1", [id, reason])
            case .approve:
                try session.query("UPDATE claim SET status = 'approved', approved_at = now(), approval_comment = $2 WHERE id = $1", [id, comment])
            case .pay:
                try session.query("UPDATE claim SET status = 'paid', paid_at = now(), payment_reference = $2, paid_on = $3 WHERE id = $1",
                                  [id, reference, paidOn])
            case .reject:
                try session.query("UPDATE claim SET status = 'rejected', rejected_at = now(), reject_reason = $2 WHERE id = $1", [id, reason])
                // The month opens again: its meals are no longer claimed, the adjustments this claim
                // carried are free for the next claim, and voids of this month that no frozen claim
                // carries are simply left out of the rebuild.
                try session.query("UPDATE meal SET claim_id = NULL WHERE claim_id = $1", [id])
                try session.query("UPDATE claim_adjustment SET claim_id = NULL WHERE claim_id = $1", [id])
                try session.query("""
                    DELETE FROM claim_adjustment a
                    WHERE a.site_code = $1 AND a.served_on >= $2 AND a.served_on < $3
                      AND (a.claim_id IS NULL OR a.claim_id IN (SELECT id FROM claim WHERE NOT status = ANY ($4::text[])))
                    """, [siteCode, month.firstDay, month.next.firstDay, ClaimStatus.periodClosingParameter])
            }
            try Self.recordEvent(session, claimID: id, actor: actor, action: ClaimEvent.Action(action), reason: reason, comment: comment,
                                 reference: reference, paidOn: paidOn)
            var detail = ["from": status.rawValue, "to": next.rawValue]
            if let reason { detail["reason"] = reason }
            if let comment { detail["comment"] = comment }
            if let reference { detail["reference"] = reference }
            if let paidOn { detail["paid_on"] = paidOn.description }
            try Audit.record(session, actor: actor, action: "claim.\(action.rawValue)", entity: .claim, entityID: String(id), detail: detail)
            return try Self.load(id, session, clock: clock)
        }
    }

    static func recordEvent(_ session: Session, claimID: Int, actor: Principal, action: ClaimEvent.Action, reason: String? = nil,
                            comment: String? = nil, reference: String? = nil, paidOn: LocalDate? = nil) throws {
        try session.query("""
            INSERT INTO claim_event (claim_id, actor, action, reason, comment, reference, paid_on) VALUES ($1, $2, $3, $4, $5, $6, $7)
            """, [claimID, actor.name, action.rawValue, reason, comment, reference, paidOn])
    }

    static func events(_ id: Int, _ session: Session, clock: BusinessClock) throws -> [ClaimEvent] {
        try session.query("""
            SELECT at, actor, action, reason, comment, reference, paid_on FROM claim_event WHERE claim_id = $1 ORDER BY id
            """, [id]).rows.map { row in
            ClaimEvent(at: clock.timestamp(try row.decode("at")), actor: try row.decode("actor"),
                       action: try ClaimEvent.Action(stored: try row.decode("action")), reason: try row.decode("reason"),
                       comment: try row.decode("comment"), reference: try row.decode("reference"), paidOn: try row.decode("paid_on"))
        }
    }

    // MARK: reads

    public func get(_ id: Int, by actor: Principal) async throws -> Claim {
        let clock = self.clock
        let claim = try await db.session { session in try Self.load(id, session, clock: clock) }
        try actor.requireSite(claim.siteCode)
        return claim
    }

    public struct Filter: Sendable {
        public var month: YearMonth?
        public var siteCode: String?
        public var status: ClaimStatus?
        public init(month: YearMonth? = nil, siteCode: String? = nil, status: ClaimStatus? = nil) {
            self.month = month
            self.siteCode = siteCode
            self.status = status
        }

        public init(parsing month: String?, siteCode: String?, status: String?) throws {
            var parsedMonth: YearMonth?
            if let month {
                guard let value = YearMonth(iso: month) else { throw CanteenError.invalidRequest("month must be YYYY-MM", field: "month") }
                parsedMonth = value
            }
            var parsedStatus: ClaimStatus?
            if let status {
                guard let value = ClaimStatus(rawValue: status) else {
                    throw CanteenError.invalidRequest("status must be draft, submitted, approved, rejected or paid", field: "status")
                }
                parsedStatus = value
            }
            self.init(month: parsedMonth, siteCode: siteCode, status: parsedStatus)
        }
    }

    /// Claims, newest month first (without lines). Operators see only their sites' claims.
    public func list(_ filter: Filter = Filter(), page: PageRequest = .first, by actor: Principal) async throws -> Page<ClaimView> {
        if let site = filter.siteCode { try actor.requireSite(site) }
        let ownSites = actor.ownSites.map(TextArray.init)
        let after = try page.afterID()
        let clock = self.clock
        let claims = try await db.session { session in
            try session.query("""
                SELECT c.id FROM claim c
                WHERE ($1::date IS NULL OR c.month = $1) AND ($2::text IS NULL OR c.site_code = $2)
                  AND ($3::text IS NULL OR c.status = $3) AND ($4::text[] IS NULL OR c.site_code = ANY ($4::text[]))
                  AND ($5::bigint IS NULL OR c.id > $5)
                ORDER BY c.id LIMIT $6
                """, [filter.month?.firstDay, filter.siteCode, filter.status?.rawValue, ownSites, after, page.limit + 1])
                .rows.map { try Self.load(try $0.decode(0, as: Int.self), session, clock: clock, withLines: false) }
        }
        return Page(fetched: claims.map { ClaimView($0, detailed: false) }, request: page, key: { String($0.claim.id) })
    }

    static func load(_ id: Int, _ session: Session, clock: BusinessClock, withLines: Bool = true) throws -> Claim {
        guard let row = try session.query("""
            SELECT c.id, c.site_code, s.name, s.street, c.month, c.status, c.meals, c.diners, c.subsidy_fen,
                   c.checks::text, c.reject_reason, c.override_reason, c.built_at, c.submitted_at, c.approved_at, c.rejected_at, c.paid_at,
                   c.operating_diner_days, c.operating_subsidy_fen,
                   l.city_fen, l.district_fen, l.street_fen, c.approval_comment, c.payment_reference, c.paid_on
            FROM claim c JOIN site s ON s.code = c.site_code,
                 LATERAL (SELECT coalesce(sum(city_fen), 0) AS city_fen, coalesce(sum(district_fen), 0) AS district_fen,
                                 coalesce(sum(street_fen), 0) AS street_fen
                          FROM claim_line WHERE claim_id = c.id) l
            WHERE c.id = $1
            """, [id]).first else {
            throw CanteenError.notFound("claim \(id)")
        }
        var lines: [ClaimLine] = []
        if withLines {
            lines = try session.query("""
                SELECT diner_id, name, resident_id_masked, bracket, array_to_string(categories, ',') AS categories, meals, subsidy_fen
                FROM claim_line WHERE claim_id = $1 ORDER BY diner_id, bracket
                """, [id]).rows.map {
                ClaimLine(dinerID: try $0.decode(0), name: try $0.decode(1), residentIDMasked: try $0.decode(2), bracket: try $0.decode(3),
                          categories: try [DinerCategory](storedList: try $0.decode(4)), meals: try $0.decode(5), subsidyFen: try $0.decode(6))
            }
        }
        // A draft (or a rejected claim, open again) shows the open adjustments it would carry if
        // submitted now (they change with every void); a frozen claim, those it carries.
        let adjustments = try session.query("""
            SELECT a.meal_id, a.diner_id, a.served_on, a.subsidy_fen, a.operating_fen, a.reason,
                   m.funders, m.city_fen, m.district_fen, m.street_fen
            FROM claim_adjustment a JOIN meal m ON m.id = a.meal_id, claim c
            WHERE c.id = $1 AND \(Self.shownAdjustments(claim: "c.id", site: "c.site_code", month: "c.month",
                                                         draft: "c.status IN ('draft', 'rejected')"))
            ORDER BY a.meal_id
            """, [id]).rows.map { row in
            let subsidy: Int = try row.decode(3)
            return ClaimAdjustment(mealID: try row.decode(0), dinerID: try row.decode(1), servedOn: try row.decode(2), subsidyFen: subsidy,
                                   operatingFen: try row.decode(4), funding: try FundingColumns(row).funding().map(\.negated),
                                   reason: try row.decode(5))
        }
        let lineFunding = [FundingShare(.city, try row.decode(19)), FundingShare(.district, try row.decode(20)),
                           FundingShare(.street, try row.decode(21))]
        func stamp(_ column: Int) throws -> String? { try row.decode(column, as: Date?.self).map(clock.timestamp) }
        let checksText: String = try row.decode(9)
        let checks = (try? JSONCoding.decoder().decode([ClaimCheck].self, from: Data(checksText.utf8))) ?? []
        return Claim(
            id: try row.decode(0), siteCode: try row.decode(1), siteName: try row.decode(2), street: try row.decode(3),
            month: try row.decode(4, as: LocalDate.self).yearMonth, status: try ClaimStatus(stored: try row.decode(5)),
            meals: try row.decode(6), diners: try row.decode(7), subsidyFen: try row.decode(8),
            operating: OperatingSubsidy.Earned(dinerDays: try row.decode(17), fen: try row.decode(18)),
            adjustmentFen: adjustments.reduce(0) { $0 + $1.totalFen },
            funders: FundingShare.totals(lineFunding + adjustments.flatMap(\.funding)),
            lines: lines, adjustments: withLines ? adjustments : [], checks: checks,
            rejectReason: try row.decode(10), overrideReason: try row.decode(11),
            builtAt: try stamp(12) ?? "", submittedAt: try stamp(13), approvedAt: try stamp(14), rejectedAt: try stamp(15), paidAt: try stamp(16),
            events: try events(id, session, clock: clock), approvalComment: try row.decode(22), paymentReference: try row.decode(23),
            paidOn: try row.decode(24))
    }
}
