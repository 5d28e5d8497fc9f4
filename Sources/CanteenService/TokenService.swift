import CanteenDomain
import Foundation
import Postgres
import Synchronization

/// API tokens (SPEC §2.11): 256 random bits shown once, stored as a SHA-256 hash, revocable.
public struct TokenService: Sendable {
    let db: Database
    /// Recently authenticated hashes, so the counter's hot path does not ask the database for
    /// every request. A revocation through this process empties it at once; one made by another
    /// process (the CLI) takes effect within `cacheLifetime`.
    let cache: PrincipalCache

    public static let cacheLifetime: Duration = .seconds(10)

    public init(db: Database) {
        self.db = db
        self.cache = PrincipalCache(lifetime: Self.cacheLifetime)
    }

    /// A token as the audit log records it: never the secret.
    public struct Token: Sendable, Encodable {
        public let id: Int
        public let name: String
        public let role: Role
        public let siteCodes: [String]
        /// A bureau token's streets (a street office); empty: every street.
        public let streets: [String]

        enum CodingKeys: String, CodingKey {
            case id, name, role, streets
            case siteCodes = "site_codes"
        }
    }

    /// A token as `GET /v1/tokens` lists it: never its secret or hash.
    public struct Listed: Sendable {
        public let token: Token
        public let createdAt: String
        /// When it last authenticated (to within the cache's lifetime).
        public let lastUsedAt: String?
        public let revokedAt: String?
    }

    /// A new token with its secret, shown once.
    public struct Issued: Sendable {
        public let token: Token
        public let secret: String
    }

    public struct Draft: Sendable {
        public var name: String?
        public var role: String?
        public var siteCodes: [String]?
        public var streets: [String]?

        public init(name: String?, role: String?, siteCodes: [String]?, streets: [String]? = nil) {
            self.name = name
            self.role = role
            self.siteCodes = siteCodes
            self.streets = streets
        }
    }

    public func create(_ draft: Draft, by actor: Principal) async throws -> Issued {
        try actor.require(.admin)
        var v = Validation()
        let name = v.text(draft.name, "name", required: true, maxLength: TextLimits.name)
        let role = draft.role.flatMap(Role.init(rawValue:))
        if role == nil { v.fail("role", "must be admin, bureau or operator") }
        let sites = Array(Set(draft.siteCodes ?? [])).sorted()
        if role == .operator && sites.isEmpty { v.fail("site_codes", "an operator token needs at least one site") }
        if role != nil && role != .operator && !sites.isEmpty { v.fail("site_codes", "only operator tokens name sites") }
        let streets = Array(Set((draft.streets ?? []).map { $0.trimmingWhitespace() })).sorted()
        if role != nil && role != .bureau && !streets.isEmpty { v.fail("streets", "only bureau tokens name streets") }
        if streets.contains(where: { $0.isEmpty || $0.storedLength > TextLimits.street || $0.utf8.contains(0) }) {
            v.fail("streets", "each street is 1–\(TextLimits.street) characters")
        }
        if streets.count > 50 { v.fail("streets", "at most 50 streets") }
        try v.check()
        guard let name, let role else { throw CanteenError.validation(v.errors) }
        let secret = Self.newSecret()
        let hash = Self.hash(secret)
        return try await db.transaction { session in
            for code in sites where try session.query("SELECT 1 FROM site WHERE code = $1", [code]).isEmpty {
                throw CanteenError.validation([FieldError(field: "site_codes", message: "site \(code) does not exist")])
            }
            let id: Int = try session.query("""
                INSERT INTO api_token (name, role, site_codes, streets, token_hash, created_by) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id
                """, [name, role.rawValue, TextArray(sites), TextArray(streets), hash, actor.name]).one().decode(0)
            let token = Token(id: id, name: name, role: role, siteCodes: sites, streets: streets)
            try Audit.record(session, actor: actor, action: "token.create", entity: .token, entityID: String(id), detail: token)
            return Issued(token: token, secret: secret)
        }
    }

    public func revoke(_ id: Int, by actor: Principal) async throws {
        try actor.require(.admin)
        try await db.transaction { session in
            let revoked = try session.execute("UPDATE api_token SET revoked_at = now() WHERE id = $1 AND revoked_at IS NULL", [id])
            if revoked == 0 {
                guard try !session.query("SELECT 1 FROM api_token WHERE id = $1", [id]).isEmpty else {
                    throw CanteenError.notFound("token \(id)")
                }
                return  // already revoked: revoking again changes nothing
            }
            try Audit.record(session, actor: actor, action: "token.revoke", entity: .token, entityID: String(id), detail: ["revoked": true])
        }
        cache.removeAll()
    }

    /// The principal a bearer token stands for, or `unauthorized`.
    public func authenticate(_ secret: String) async throws -> Principal {
        guard secret.utf8.count <= 200, !secret.isEmpty else { throw CanteenError(.unauthorized, "unknown token") }
        let hash = Self.hash(secret)
        if let cached = cache.principal(for: hash) { return cached }
        // A street office's sites are those of its streets now: its principal is never cached,
        // so a site added to (or moved out of) its street counts at once. Bureau calls are few.
        let row = try await db.session { session in
            // `last_used_at` moves at most once per cache lifetime: no row lock for every request.
            try session.queryPrepared("""
                WITH t AS (SELECT id, name, role, site_codes, streets, last_used_at FROM api_token WHERE token_hash = $1 AND revoked_at IS NULL),
                used AS (
                    UPDATE api_token a SET last_used_at = now() FROM t
                    WHERE a.id = t.id AND (t.last_used_at IS NULL OR t.last_used_at < now() - interval '10 seconds')
                )
                SELECT name, role, site_codes, streets,
                       CASE WHEN streets = '{}' THEN '{}' ELSE ARRAY(SELECT code FROM site WHERE street = ANY (t.streets)) END AS street_sites
                FROM t
                """, [hash]).first
        }
        guard let row, let role = Role(rawValue: try row.decode("role")) else {
            throw CanteenError(.unauthorized, "unknown or revoked token")
        }
        let streets = Set(try row.decode("streets", as: TextArray.self).elements)
        let sites = try row.decode(streets.isEmpty ? "site_codes" : "street_sites", as: TextArray.self).elements
        let principal = Principal(name: try row.decode("name"), role: role, siteCodes: Set(sites), streets: streets)
        if streets.isEmpty { cache.store(principal, for: hash) }
        return principal
    }

    /// Every token, newest first (admin).
    public func list(page: PageRequest = .first, clock: BusinessClock, by actor: Principal) async throws -> Page<Listed> {
        try actor.require(.admin)
        let before = try page.afterID()
        let tokens = try await db.session { session in
            try session.query("""
                SELECT id, name, role, site_codes, streets, created_at, last_used_at, revoked_at FROM api_token
                WHERE ($1::bigint IS NULL OR id < $1) ORDER BY id DESC LIMIT $2
                """, [before, page.limit + 1]).rows.map { row in
                Listed(token: Token(id: try row.decode("id"), name: try row.decode("name"), role: try Role(stored: try row.decode("role")),
                                    siteCodes: try row.decode("site_codes", as: TextArray.self).elements,
                                    streets: try row.decode("streets", as: TextArray.self).elements),
                       createdAt: clock.timestamp(try row.decode("created_at")),
                       lastUsedAt: try row.decode("last_used_at", as: Date?.self).map(clock.timestamp),
                       revokedAt: try row.decode("revoked_at", as: Date?.self).map(clock.timestamp))
            }
        }
        return Page(fetched: tokens, request: page, key: { String($0.token.id) })
    }

    /// 256 random bits from the system's CSPRNG, base64url, with a recognisable prefix.
    static func newSecret() -> String {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<32).map { _ in UInt8.random(in: 0...255, using: &generator) }
        return "cnt_" + Data(bytes).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }

    /// Lookup is by an index on the hash; the secret itself never reaches the database.
    static func hash(_ secret: String) -> String {
        SHA256Hex.of(Data(secret.utf8))
    }
}

/// Principals by token hash, each kept for a short lifetime.
final class PrincipalCache: Sendable {
    private struct Entry {
        let principal: Principal
        let expires: ContinuousClock.Instant
    }

    private let lifetime: Duration
    private let entries = Mutex<[String: Entry]>([:])

    init(lifetime: Duration) {
        self.lifetime = lifetime
    }

    func principal(for hash: String) -> Principal? {
        entries.withLock { entries in
            guard let entry = entries[hash] else { return nil }
            guard entry.expires > .now else {
                entries[hash] = nil
                return nil
            }
            return entry.principal
        }
    }

    func store(_ principal: Principal, for hash: String) {
        entries.withLock { entries in
            if entries.count >= 10_000 { entries.removeAll() }  // bounded: unknown hashes are never stored
            entries[hash] = Entry(principal: principal, expires: .now.advanced(by: lifetime))
        }
    }

    func removeAll() {
        entries.withLock { $0.removeAll() }
    }
}

/// The audit log, read by admin and bureau.
public struct AuditService: Sendable {
    let db: Database
    let clock: BusinessClock

    public init(db: Database, clock: BusinessClock) {
        self.db = db
        self.clock = clock
    }

    /// One audited change, newest last.
    public struct Entry: Sendable {
        public let id: Int
        public let at: String
        public let actor: String
        public let action: String
        public let entity: AuditEntity
        public let entityID: String
        public let detail: JSONValue
    }

    public func list(entity: String?, entityID: String?, page: PageRequest = .first, by actor: Principal) async throws -> Page<Entry> {
        try actor.require(.admin, .bureau)
        if let entity, AuditEntity(rawValue: entity) == nil {
            throw CanteenError.invalidRequest("entity must be one of \(AuditEntity.allCases.map(\.rawValue).joined(separator: ", "))", field: "entity")
        }
        let after = try page.afterID()
        let clock = self.clock
        // A street office sees the audit rows of its sites, and of the meals, claims and diners it
        // may read; not those of policies or tokens, which belong to no street.
        let ownSites: TextArray? = actor.streets.isEmpty ? nil : TextArray(actor.siteCodes.sorted())
        let entries = try await db.session { session in
            try session.query("""
                SELECT id, at, actor, action, entity, entity_id, detail::text FROM audit_log a
                WHERE ($1::text IS NULL OR entity = $1) AND ($2::text IS NULL OR entity_id = $2) AND ($3::bigint IS NULL OR id > $3)
                  AND ($5::text[] IS NULL OR CASE a.entity
                      WHEN 'site' THEN a.entity_id = ANY ($5::text[])
                      WHEN 'meal' THEN a.entity_id = ANY ($5::text[]) OR EXISTS (
                          SELECT 1 FROM meal m WHERE m.id = \(Self.numericID) AND m.site_code = ANY ($5::text[]))
                      WHEN 'claim' THEN EXISTS (SELECT 1 FROM claim c WHERE c.id = \(Self.numericID) AND c.site_code = ANY ($5::text[]))
                      WHEN 'diner' THEN EXISTS (
                          SELECT 1 FROM diner d WHERE d.id = \(Self.numericID) AND (d.home_site = ANY ($5::text[])
                              OR EXISTS (SELECT 1 FROM meal m WHERE m.diner_id = d.id AND m.site_code = ANY ($5::text[]) AND m.status = 'valid')))
                      ELSE false END)
                ORDER BY id LIMIT $4
                """, [entity, entityID, after, page.limit + 1, ownSites]).rows.map { row in
                Entry(id: try row.decode(0), at: clock.timestamp(try row.decode(1, as: Date.self)), actor: try row.decode(2),
                      action: try row.decode(3), entity: try AuditEntity(stored: try row.decode(4)), entityID: try row.decode(5),
                      detail: (try? JSONCoding.decoder().decode(JSONValue.self, from: Data(try row.decode(6, as: String.self).utf8))) ?? .null)
            }
        }
        return Page(fetched: entries, request: page, key: { String($0.id) })
    }

    /// An audit row's entity id as a row id (null when it is not one: a meal import's is a site code).
    static let numericID = "CASE WHEN a.entity_id ~ '^[0-9]{1,18}$' THEN a.entity_id::bigint END"
}
