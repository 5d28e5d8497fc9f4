import CanteenDomain
import Foundation
import Postgres

/// Diners (SPEC §2.7): registration, changes, look-ups, status history.
public struct DinerService: Sendable {
    let db: Database
    let clock: BusinessClock
    let store: MealStore

    init(db: Database, clock: BusinessClock, catalog: Catalog) {
        self.db = db
        self.clock = clock
        self.store = MealStore(catalog: catalog, clock: clock)
    }

    /// Columns of a diner row, with the status in force on `$1` (a date).
    static let columns = """
        d.id, d.name, d.resident_id, d.sex, d.birth_date, d.phone, d.address, d.community, d.home_site, d.card_no,
        coalesce((SELECT ds.status FROM diner_status ds WHERE ds.diner_id = d.id AND ds.effective_on <= $1::date
                  ORDER BY ds.effective_on DESC LIMIT 1), 'active') AS status,
        d.registered_at,
        (SELECT string_agg(c.id || ':' || c.category || ':' || c.effective_on || ':' || coalesce(c.ends_on::text, ''), ','
                           ORDER BY c.effective_on, c.id)
         FROM diner_category c WHERE c.diner_id = d.id) AS categories
        """

    public func register(_ draft: DinerDraft, by actor: Principal) async throws -> DinerView {
        try actor.require(.admin, .operator)
        let today = clock.today()
        let valid = try draft.validated(today: today)
        var homeSite = valid.homeSite
        if actor.isOperator {
            if let site = homeSite {
                try actor.requireSite(site)
            } else if actor.siteCodes.count == 1 {
                homeSite = actor.siteCodes.first  // an operator's diners belong to its site unless it says otherwise
            }
        }
        let clock = self.clock
        let home = homeSite
        do {
            return try await db.transaction { session in
                let homeSite = home
                try Self.checkUnique(session, residentID: valid.residentID.value, cardNo: valid.cardNo, except: nil)
                if let homeSite, try session.query("SELECT 1 FROM site WHERE code = $1", [homeSite]).isEmpty {
                    throw CanteenError.validation([FieldError(field: "home_site", message: "site \(homeSite) does not exist")])
                }
                let id: Int = try session.query("""
                    INSERT INTO diner (name, resident_id, sex, birth_date, phone, address, community, home_site, card_no, registered_at)
                    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id
                    """, [valid.name, valid.residentID.value, valid.residentID.sex.rawValue, valid.residentID.birthDate,
                          valid.phone, valid.address, valid.community, homeSite, valid.cardNo, clock.currentDate()]).one().decode(0)
                // Active until the first status change: no status row (SPEC §2.7).
                let diner = try Self.load(id, today: today, session, clock: clock)
                try Audit.record(session, actor: actor, action: "diner.create", entity: .diner, entityID: String(id),
                                 detail: DinerAuditRecord(diner))
                return DinerView(diner)
            }
        } catch let error as CanteenError where error.code == .duplicateResidentID || error.code == .duplicateCardNo {
            // A concurrent registration won the unique constraint: name the diner it created.
            guard error.existingDinerID == nil else { throw error }
            var named = error
            named.existingDinerID = try? await db.session { session in
                try session.query("SELECT id FROM diner WHERE resident_id = $1 OR card_no = $2",
                                  [valid.residentID.value, valid.cardNo]).first?.decode(0, as: Int.self)
            }
            throw named
        }
    }

    static func checkUnique(_ session: Session, residentID: String?, cardNo: String?, except id: Int?) throws {
        if let residentID, let row = try session.query("SELECT id FROM diner WHERE resident_id = $1 AND id IS DISTINCT FROM $2", [residentID, id]).first {
            throw CanteenError(.duplicateResidentID, "a diner with this resident ID is already registered",
                               existingDinerID: try row.decode(0))
        }
        if let cardNo, let row = try session.query("SELECT id FROM diner WHERE card_no = $1 AND id IS DISTINCT FROM $2", [cardNo, id]).first {
            throw CanteenError(.duplicateCardNo, "card \(cardNo) already belongs to another diner", existingDinerID: try row.decode(0))
        }
    }

    /// The only answer that carries the full resident ID (to admin and bureau, SPEC §3.4).
    public func get(_ id: Int, by actor: Principal) async throws -> DinerView {
        let today = clock.today()
        let clock = self.clock
        let diner = try await db.session { session in
            let diner = try Self.load(id, today: today, session, clock: clock)
            try Self.requireAccess(diner, actor, session)
            return diner
        }
        return DinerView(diner, showsResidentID: actor.seesFullResidentID)
    }

    /// Operators reach a diner by id only when its home site is one of theirs; a street office
    /// (SPEC §2.11) also when the diner ate at one of its sites.
    static func requireAccess(_ diner: Diner, _ actor: Principal, _ session: Session) throws {
        try requireAccess(dinerID: diner.id, homeSite: diner.homeSite, actor, session)
    }

    static func requireAccess(dinerID: Int, homeSite: String?, _ actor: Principal, _ session: Session) throws {
        guard actor.isScoped else { return }
        if let home = homeSite, actor.siteCodes.contains(home) { return }
        if !actor.streets.isEmpty, try !session.query("SELECT 1 FROM meal WHERE diner_id = $1 AND site_code = ANY ($2::text[]) AND status = 'valid' LIMIT 1",
                                                       [dinerID, TextArray(actor.siteCodes.sorted())]).isEmpty {
            return
        }
        throw CanteenError(.forbidden, "diner \(dinerID) does not belong to this token's sites")
    }

    public struct Filter: Sendable {
        public var query: String?
        public var community: String?
        public var homeSite: String?
        public init(query: String? = nil, community: String? = nil, homeSite: String? = nil) {
            self.query = query
            self.community = community
            self.homeSite = homeSite
        }
    }

    /// Diners in id order. `q` matches part of the name, or a whole card number or resident ID.
    public func list(_ filter: Filter = Filter(), page: PageRequest = .first, by actor: Principal) async throws -> Page<DinerView> {
        let today = clock.today()
        let clock = self.clock
        let ownSites = actor.ownSites.map(TextArray.init)
        let ateThere = !actor.streets.isEmpty  // a street office also sees the diners who ate at its sites
        let after = try page.afterID()
        let query = filter.query?.trimmingWhitespace()
        let pattern = query.flatMap { $0.isEmpty ? nil : "%" + $0.replacingOccurrences(of: "\\", with: "\\\\")
            .replacingOccurrences(of: "%", with: "\\%").replacingOccurrences(of: "_", with: "\\_") + "%" }
        let normalizedID = query.flatMap { try? ResidentID(parsing: $0, today: today).value }
        let diners = try await db.session { session in
            try session.query("""
                SELECT \(Self.columns) FROM diner d
                WHERE ($2::text IS NULL OR d.name LIKE $2 OR d.card_no = $3 OR d.resident_id = $4)
                  AND ($5::text IS NULL OR d.community = $5)
                  AND ($6::text IS NULL OR d.home_site = $6)
                  AND ($7::text[] IS NULL OR d.home_site = ANY ($7::text[])
                       OR ($10::boolean AND EXISTS (SELECT 1 FROM meal m WHERE m.diner_id = d.id AND m.site_code = ANY ($7::text[]) AND m.status = 'valid')))
                  AND ($8::bigint IS NULL OR d.id > $8)
                ORDER BY d.id
                LIMIT $9
                """, [today, pattern, query, normalizedID, filter.community, filter.homeSite, ownSites, after, page.limit + 1, ateThere])
                .rows.map { try Self.diner(from: $0, clock: clock) }
        }
        let views = diners.map { DinerView($0, showsResidentID: false) }
        return Page(fetched: views, request: page, key: { String($0.diner.id) })
    }

    public func update(_ id: Int, _ patch: DinerPatch, by actor: Principal) async throws -> DinerView {
        try actor.require(.admin, .operator)
        let today = clock.today()
        let clock = self.clock
        return try await db.transaction { session in
            let before = try Self.lockForChange(id, today: today, session, clock: clock, by: actor)
            let after = try patch.applied(to: before)
            if actor.isOperator, let home = after.homeSite { try actor.requireSite(home) }
            try Self.checkUnique(session, residentID: nil, cardNo: after.cardNo, except: id)
            if let home = after.homeSite, try session.query("SELECT 1 FROM site WHERE code = $1", [home]).isEmpty {
                throw CanteenError.validation([FieldError(field: "home_site", message: "site \(home) does not exist")])
            }
            try session.query("""
                UPDATE diner SET name = $2, phone = $3, address = $4, community = $5, home_site = $6, card_no = $7, updated_at = now()
                WHERE id = $1
                """, [id, after.name, after.phone, after.address, after.community, after.homeSite, after.cardNo])
            let changes = Audit.changes(from: DinerAuditRecord(before), to: DinerAuditRecord(after))
            if !changes.isEmpty {
                try Audit.record(session, actor: actor, action: "diner.update", entity: .diner, entityID: String(id), detail: changes)
            }
            return DinerView(after)
        }
    }

    /// Records a status from `effectiveOn` on. A second change on the same date replaces the first.
    public func setStatus(_ id: Int, status: String?, effectiveOn: String?, by actor: Principal) async throws -> DinerView {
        try actor.require(.admin, .operator)
        var v = Validation()
        let parsed = status.flatMap(DinerStatus.init(rawValue:))
        if parsed == nil { v.fail("status", "must be one of active, suspended, deceased, moved_out") }
        let date = SiteDraft.date(effectiveOn, "effective_on", required: true, &v)
        try v.check()
        guard let parsed, let date else { throw CanteenError.validation(v.errors) }
        let today = clock.today()
        let clock = self.clock
        return try await db.transaction { session in
            _ = try Self.lockForChange(id, today: today, session, clock: clock, by: actor)
            try session.query("""
                INSERT INTO diner_status (diner_id, effective_on, status, recorded_by) VALUES ($1, $2, $3, $4)
                ON CONFLICT (diner_id, effective_on) DO UPDATE SET status = excluded.status, recorded_at = now(), recorded_by = excluded.recorded_by
                """, [id, date, parsed.rawValue, actor.name])
            try Audit.record(session, actor: actor, action: "diner.status", entity: .diner, entityID: String(id),
                             detail: ["status": parsed.rawValue, "effective_on": date.description])
            return DinerView(try Self.load(id, today: today, session, clock: clock))
        }
    }

    /// One diner's status on each date is what `history` says: `(effective_on, status)` oldest first.
    public func statusHistory(_ id: Int, by actor: Principal) async throws -> [(LocalDate, DinerStatus)] {
        _ = try await get(id, by: actor)
        return try await db.session { session in
            try session.query("SELECT effective_on, status FROM diner_status WHERE diner_id = $1 ORDER BY effective_on", [id]).rows.map {
                (try $0.decode(0, as: LocalDate.self), try DinerStatus(stored: try $0.decode(1)))
            }
        }
    }

    /// Locks a diner's row for a change in this transaction and checks the actor may change it.
    static func lockForChange(_ id: Int, today: LocalDate, _ session: Session, clock: BusinessClock, by actor: Principal) throws -> Diner {
        try session.query("SELECT 1 FROM diner WHERE id = $1 FOR UPDATE", [id])
        let diner = try load(id, today: today, session, clock: clock)
        try requireAccess(diner, actor, session)
        return diner
    }

    static func load(_ id: Int, today: LocalDate, _ session: Session, clock: BusinessClock) throws -> Diner {
        guard let row = try session.query("SELECT \(columns) FROM diner d WHERE d.id = $2", [today, id]).first else {
            throw CanteenError.notFound("diner \(id)")
        }
        return try diner(from: row, clock: clock)
    }

    /// A diner from a row of `columns`, by column name.
    static func diner(from row: Row, clock: BusinessClock) throws -> Diner {
        Diner(
            id: try row.decode("id"),
            name: try row.decode("name"),
            residentID: try row.decode("resident_id"),
            sex: try Sex(stored: try row.decode("sex")),
            birthDate: try row.decode("birth_date"),
            phone: try row.decode("phone"),
            address: try row.decode("address"),
            community: try row.decode("community"),
            homeSite: try row.decode("home_site"),
            cardNo: try row.decode("card_no"),
            status: try DinerStatus(stored: try row.decode("status")),
            registeredAt: clock.timestamp(try row.decode("registered_at", as: Date.self)),
            categories: try periods(try row.decode("categories")))
    }

    /// Category periods from the `categories` column: `id:category:effective_on:ends_on`, comma-separated.
    static func periods(_ text: String?) throws -> [CategoryPeriod] {
        guard let text else { return [] }
        return try text.split(separator: ",").map(period)
    }

    private static func period(_ entry: Substring) throws -> CategoryPeriod {
        let parts = entry.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 4, let id = Int(parts[0]), let from = LocalDate(iso: parts[2]) else {
            throw PostgresError(kind: .decoding, serverMessage: "unreadable category period \(entry)", column: "categories")
        }
        return try storedPeriod(id: id, category: parts[1], effectiveOn: from, endsOn: parts[3].isEmpty ? nil : parts[3])
    }

    /// A period as stored, its end as text (NULL: open); an unknown category or an unreadable
    /// end fails loudly rather than reading as an open period.
    static func storedPeriod(id: Int, category: String, effectiveOn: LocalDate, endsOn text: String?) throws -> CategoryPeriod {
        var until: LocalDate?
        if let text {
            guard let date = LocalDate(iso: text) else {
                throw PostgresError(kind: .decoding, serverMessage: "unreadable end \(text) of category period \(id)", column: "ends_on")
            }
            until = date
        }
        return CategoryPeriod(id: id, category: try DinerCategory(stored: category), effectiveOn: effectiveOn, endsOn: until)
    }

    // MARK: categories (SPEC §2.12)

    /// Adds a category period; admin and bureau only (they come from civil-affairs lists).
    public func addCategory(_ id: Int, _ draft: CategoryPeriodDraft, by actor: Principal) async throws -> DinerView {
        try actor.require(.admin, .bureau)
        let today = clock.today()
        let clock = self.clock
        return try await db.transaction { session in
            let diner = try Self.lockForChange(id, today: today, session, clock: clock, by: actor)
            let period = try draft.validated(against: diner.categories)
            let periodID: Int = try session.query("""
                INSERT INTO diner_category (diner_id, category, effective_on, ends_on, recorded_by) VALUES ($1, $2, $3, $4, $5) RETURNING id
                """, [id, period.category.rawValue, period.from, period.until, actor.name]).one().decode("id")
            try Audit.record(session, actor: actor, action: "diner.category.add", entity: .diner, entityID: String(id),
                             detail: CategoryAuditRecord(CategoryPeriod(id: periodID, category: period.category, effectiveOn: period.from,
                                                                        endsOn: period.until)))
            return DinerView(try Self.load(id, today: today, session, clock: clock), showsResidentID: actor.seesFullResidentID)
        }
    }

    /// Ends an open category period on `endsOn` (its first day without the category).
    public func endCategory(_ id: Int, period periodID: Int, endsOn: String?, by actor: Principal) async throws -> DinerView {
        try actor.require(.admin, .bureau)
        let today = clock.today()
        let clock = self.clock
        return try await db.transaction { session in
            let diner = try Self.lockForChange(id, today: today, session, clock: clock, by: actor)
            guard let period = diner.categories.first(where: { $0.id == periodID }) else {
                throw CanteenError.notFound("category period \(periodID) of diner \(id)")
            }
            let ended = try period.ended(on: endsOn)
            try session.query("UPDATE diner_category SET ends_on = $2, ended_at = now(), ended_by = $3 WHERE id = $1",
                              [periodID, ended.endsOn, actor.name])
            try Audit.record(session, actor: actor, action: "diner.category.end", entity: .diner, entityID: String(id),
                             detail: CategoryAuditRecord(ended))
            return DinerView(try Self.load(id, today: today, session, clock: clock), showsResidentID: actor.seesFullResidentID)
        }
    }
}

/// A category period as the audit log records it (`diner.category.add` and `.end`).
struct CategoryAuditRecord: Encodable, Sendable {
    let periodID: Int
    let category: String
    let effectiveOn: String
    let endsOn: String?

    init(_ period: CategoryPeriod) {
        periodID = period.id
        category = period.category.rawValue
        effectiveOn = period.effectiveOn.description
        endsOn = period.endsOn?.description
    }

    enum CodingKeys: String, CodingKey {
        case category
        case periodID = "period_id", effectiveOn = "effective_on", endsOn = "ends_on"
    }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(periodID, forKey: .periodID)
        try c.encode(category, forKey: .category)
        try c.encode(effectiveOn, forKey: .effectiveOn)
        try c.encode(endsOn, forKey: .endsOn)
    }
}

/// A diner as the audit log records it (`diner.create`'s detail, and the fields `diner.update`
/// compares): never the full resident ID, only its masked form; an empty field is left out.
struct DinerAuditRecord: Encodable, Sendable {
    let id: Int
    let name: String
    let residentIDMasked: String
    let sex: String
    let birthDate: String
    let phone: String?
    let address: String?
    let community: String?
    let homeSite: String?
    let cardNo: String?
    let status: String
    let registeredAt: String

    init(_ diner: Diner) {
        id = diner.id
        name = diner.name
        residentIDMasked = diner.residentIDMasked
        sex = diner.sex.rawValue
        birthDate = diner.birthDate.description
        phone = diner.phone
        address = diner.address
        community = diner.community
        homeSite = diner.homeSite
        cardNo = diner.cardNo
        status = diner.status.rawValue
        registeredAt = diner.registeredAt
    }

    enum CodingKeys: String, CodingKey {
        case id, name, sex, phone, address, community, status
        case residentIDMasked = "resident_id_masked", birthDate = "birth_date", homeSite = "home_site"
        case cardNo = "card_no", registeredAt = "registered_at"
    }
}
