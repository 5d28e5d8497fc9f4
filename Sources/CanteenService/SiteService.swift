import CanteenDomain
import Postgres

/// Canteen sites (SPEC §2.6): create, read, change, close.
public struct SiteService: Sendable {
    let db: Database
    let clock: BusinessClock

    public init(db: Database, clock: BusinessClock) {
        self.db = db
        self.clock = clock
    }

    static let columns = "code, name, kind, street, community, address, operator, phone, opens_on, closes_on, slots, default_price_fen"

    public func create(_ draft: SiteDraft, by actor: Principal) async throws -> SiteView {
        try actor.require(.admin, .bureau)
        let site = try draft.validated()
        try actor.requireStreet(site.street)  // a street office adds sites in its streets only
        let today = clock.today()
        return try await db.transaction { session in
            if try !session.query("SELECT 1 FROM site WHERE code = $1", [site.code]).isEmpty {
                throw CanteenError(.duplicateSiteCode, "a site with code \(site.code) already exists")
            }
            try session.query(
                "INSERT INTO site (\(Self.columns)) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
                Self.parameters(site))
            try Audit.record(session, actor: actor, action: "site.create", entity: .site, entityID: site.code, detail: SiteAuditRecord(site))
            return SiteView(site: site, today: today)
        }
    }

    public struct Filter: Sendable {
        public var street: String?
        public var status: SiteStatus?
        public init(street: String? = nil, status: SiteStatus? = nil) {
            self.street = street
            self.status = status
        }
    }

    /// Sites in code order. Operators see only their own sites.
    public func list(_ filter: Filter = Filter(), page: PageRequest = .first, by actor: Principal) async throws -> Page<SiteView> {
        let today = clock.today()
        let ownSites = actor.ownSites.map(TextArray.init)
        let rows = try await db.session { session in
            try session.query("""
                SELECT \(Self.columns) FROM site
                WHERE ($1::text IS NULL OR street = $1)
                  AND ($2::text IS NULL OR $2 = CASE WHEN opens_on > $3::date THEN 'preparing'
                                                      WHEN closes_on <= $3::date THEN 'closed'
                                                      ELSE 'operating' END)
                  AND ($4::text IS NULL OR code > $4)
                  AND ($5::text[] IS NULL OR code = ANY ($5::text[]))
                ORDER BY code
                LIMIT $6
                """, [filter.street, filter.status?.rawValue, today, page.after, ownSites, page.limit + 1])
        }
        let views = try rows.rows.map { SiteView(site: try Self.site(from: $0), today: today) }
        return Page(fetched: views, request: page, key: { $0.site.code })
    }

    public func get(_ code: String, by actor: Principal) async throws -> SiteView {
        try actor.requireSite(code)
        let today = clock.today()
        let site = try await db.session { session in try Self.load(code, session) }
        return SiteView(site: site, today: today)
    }

    public func update(_ code: String, _ patch: SitePatch, by actor: Principal) async throws -> SiteView {
        try actor.require(.admin, .bureau)
        let today = clock.today()
        return try await db.transaction { session in
            let before = try Self.load(code, session, forUpdate: true)
            try actor.requireSite(code)
            try actor.requireStreet(before.street)
            let after = try patch.applied(to: before)
            try actor.requireStreet(after.street)
            try session.query("""
                UPDATE site SET name = $2, kind = $3, street = $4, community = $5, address = $6, operator = $7,
                    phone = $8, opens_on = $9, closes_on = $10, slots = $11, default_price_fen = $12, updated_at = now()
                WHERE code = $1
                """, Self.parameters(after))
            let changes = Audit.changes(from: SiteAuditRecord(before), to: SiteAuditRecord(after))
            if !changes.isEmpty {
                try Audit.record(session, actor: actor, action: "site.update", entity: .site, entityID: code, detail: changes)
            }
            return SiteView(site: after, today: today)
        }
    }

    /// Closes a site from `date` on: no meals can be logged there on or after it.
    public func close(_ code: String, on date: LocalDate, by actor: Principal) async throws -> SiteView {
        try await update(code, SitePatch(closesOn: .set(date.description)), by: actor)
    }

    static func load(_ code: String, _ session: Session, forUpdate: Bool = false) throws -> Site {
        let sql = "SELECT \(columns) FROM site WHERE code = $1" + (forUpdate ? " FOR UPDATE" : "")
        guard let row = try session.query(sql, [code]).first else {
            throw CanteenError.notFound("site \(code)")
        }
        return try site(from: row)
    }

    static func parameters(_ site: Site) -> [any PostgresEncodable] {
        [site.code, site.name, site.kind.rawValue, site.street, site.community, site.address, site.operatorName,
         site.phone, site.opensOn, site.closesOn, TextArray(site.slots.map(\.rawValue)), site.defaultPriceFen]
    }

    /// A site from a row of `columns`, by column name.
    static func site(from row: Row) throws -> Site {
        Site(
            code: try row.decode("code"),
            name: try row.decode("name"),
            kind: try SiteKind(stored: try row.decode("kind")),
            street: try row.decode("street"),
            community: try row.decode("community"),
            address: try row.decode("address"),
            operatorName: try row.decode("operator"),
            phone: try row.decode("phone"),
            opensOn: try row.decode("opens_on"),
            closesOn: try row.decode("closes_on"),
            slots: try row.decode("slots", as: TextArray.self).elements.map { try Slot(stored: $0) },
            defaultPriceFen: try row.decode("default_price_fen"))
    }
}

/// A site as the audit log records it (`site.create`'s detail, and the fields `site.update`
/// compares): the stored facts under their column names; an empty field is left out.
struct SiteAuditRecord: Encodable, Sendable {
    let code: String
    let name: String
    let kind: String
    let street: String
    let community: String?
    let address: String?
    let operatorName: String?
    let phone: String?
    let opensOn: String
    let closesOn: String?
    let slots: [String]
    let defaultPriceFen: Int?

    init(_ site: Site) {
        code = site.code
        name = site.name
        kind = site.kind.rawValue
        street = site.street
        community = site.community
        address = site.address
        operatorName = site.operatorName
        phone = site.phone
        opensOn = site.opensOn.description
        closesOn = site.closesOn?.description
        slots = site.slots.map(\.rawValue)
        defaultPriceFen = site.defaultPriceFen
    }

    enum CodingKeys: String, CodingKey {
        case code, name, kind, street, community, address, phone, slots
        case operatorName = "operator", opensOn = "opens_on", closesOn = "closes_on", defaultPriceFen = "default_price_fen"
    }
}
