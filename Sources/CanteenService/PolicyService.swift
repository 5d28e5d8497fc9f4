import CanteenDomain
import Postgres

/// Subsidy policies (SPEC §2.5): effective-dated, added, never edited.
public struct PolicyService: Sendable {
    let db: Database
    let clock: BusinessClock

    public init(db: Database, clock: BusinessClock) {
        self.db = db
        self.clock = clock
    }

    /// A policy as a user proposes it.
    public struct Draft: Sendable {
        public var effectiveFrom: String?
        public var tiers: [SubsidyTier]?
        public var maxSubsidizedMealsPerDay: Int?
        public var operatingFenPerDinerDay: Int?

        public init(effectiveFrom: String?, tiers: [SubsidyTier]?, maxSubsidizedMealsPerDay: Int?, operatingFenPerDinerDay: Int? = nil) {
            self.effectiveFrom = effectiveFrom
            self.tiers = tiers
            self.maxSubsidizedMealsPerDay = maxSubsidizedMealsPerDay
            self.operatingFenPerDinerDay = operatingFenPerDinerDay
        }
    }

    public func add(_ draft: Draft, by actor: Principal) async throws -> SubsidyPolicy {
        try actor.require(.admin, .bureau)
        guard actor.streets.isEmpty else {
            throw CanteenError(.forbidden, "a street office's token may not add policies: they hold for the whole city")
        }
        let policy = try SubsidyPolicy.validated(
            effectiveFrom: draft.effectiveFrom, tiers: draft.tiers, maxSubsidizedMealsPerDay: draft.maxSubsidizedMealsPerDay,
            operatingFenPerDinerDay: draft.operatingFenPerDinerDay)
        return try await db.transaction { session in
            if try !session.query("SELECT 1 FROM subsidy_policy WHERE effective_from = $1", [policy.effectiveFrom]).isEmpty {
                throw CanteenError.validation([FieldError(field: "effective_from", message: "a policy already starts on \(policy.effectiveFrom)")])
            }
            let id: Int = try session.query(
                """
                INSERT INTO subsidy_policy (effective_from, max_subsidized_meals_per_day, operating_fen_per_diner_day)
                VALUES ($1, $2, $3) RETURNING id
                """, [policy.effectiveFrom, policy.maxSubsidizedMealsPerDay, policy.operatingFenPerDinerDay]).one().decode(0)
            for (position, tier) in policy.tiers.enumerated() {
                try session.query("""
                    INSERT INTO subsidy_tier (policy_id, label, min_age, max_age, subsidy_fen, categories, position, funders, shares)
                    VALUES ($1, $2, $3, $4, $5, $6::text[], $7, $8::text[], $9::integer[])
                    """, [id, tier.label, tier.minAge, tier.maxAge, tier.subsidyFen, tier.categories.map { TextArray($0.map(\.rawValue)) },
                          position, tier.funders.map { TextArray($0.map(\.funder.rawValue)) }, tier.funders.map { IntArray($0.map(\.shareFen)) }])
            }
            var stored = policy
            stored.id = id
            try Audit.record(session, actor: actor, action: "policy.create", entity: .policy, entityID: String(id), detail: PolicyAuditRecord(stored))
            return stored
        }
    }

    /// Every policy, oldest first.
    public func list() async throws -> [SubsidyPolicy] {
        try await db.session { session in try Self.loadAll(session).policies }
    }

    /// The policy in force on `date` (default today); `not_found` before the first policy.
    public func current(on date: LocalDate? = nil) async throws -> SubsidyPolicy {
        let date = date ?? clock.today()
        let book = try await db.session { session in try Self.loadAll(session) }
        guard let policy = book.policy(on: date) else {
            throw CanteenError(.notFound, "no subsidy policy is in force on \(date)")
        }
        return policy
    }

    static func loadAll(_ session: Session) throws -> PolicyBook {
        let rows = try session.query("""
            SELECT p.id, p.effective_from, p.max_subsidized_meals_per_day, p.operating_fen_per_diner_day,
                   t.label, t.min_age, t.max_age, t.subsidy_fen, array_to_string(t.categories, ',') AS categories,
                   array_to_string(t.funders, ',') AS funders, array_to_string(t.shares, ',') AS shares
            FROM subsidy_policy p JOIN subsidy_tier t ON t.policy_id = p.id
            ORDER BY p.effective_from, t.position
            """)
        var policies: [SubsidyPolicy] = []
        var current: (id: Int, from: LocalDate, cap: Int?, operating: Int?, tiers: [SubsidyTier])?
        func policy(_ c: (id: Int, from: LocalDate, cap: Int?, operating: Int?, tiers: [SubsidyTier])) -> SubsidyPolicy {
            SubsidyPolicy(id: c.id, effectiveFrom: c.from, tiers: c.tiers, maxSubsidizedMealsPerDay: c.cap, operatingFenPerDinerDay: c.operating)
        }
        for row in rows.rows {
            let id: Int = try row.decode("id")
            if current?.id != id {
                if let c = current { policies.append(policy(c)) }
                current = (id, try row.decode("effective_from"), try row.decode("max_subsidized_meals_per_day"),
                           try row.decode("operating_fen_per_diner_day"), [])
            }
            let categories = try row.decode("categories", as: String?.self).map { text in
                try text.split(separator: ",").map { try DinerCategory(stored: String($0)) }
            }
            var funders: [FundingShare]?
            if let names = try row.decode("funders", as: String?.self), let shares = try row.decode("shares", as: String?.self) {
                funders = try zip(names.split(separator: ","), shares.split(separator: ",")).map { name, share in
                    guard let fen = Int(share) else { throw PostgresError(kind: .decoding, serverMessage: "share \(share)", column: "shares") }
                    return FundingShare(try Funder(stored: String(name)), fen)
                }
            }
            current?.tiers.append(SubsidyTier(label: try row.decode("label"), minAge: try row.decode("min_age"), maxAge: try row.decode("max_age"),
                                              subsidyFen: try row.decode("subsidy_fen"), categories: categories, funders: funders))
        }
        if let c = current { policies.append(policy(c)) }
        return PolicyBook(policies)
    }
}

/// A policy as the audit log records it (`policy.create`'s detail), under its column names.
struct PolicyAuditRecord: Encodable, Sendable {
    struct Tier: Encodable, Sendable {
        let label: String
        let minAge: Int
        let maxAge: Int?
        let subsidyFen: Int
        let categories: [String]?
        let funders: [[String: Int]]?

        enum CodingKeys: String, CodingKey {
            case label, categories, funders
            case minAge = "min_age"
            case maxAge = "max_age"
            case subsidyFen = "subsidy_fen"
        }

        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(label, forKey: .label)
            try c.encode(minAge, forKey: .minAge)
            try c.encode(maxAge, forKey: .maxAge)
            try c.encode(subsidyFen, forKey: .subsidyFen)
            try c.encodeIfPresent(categories, forKey: .categories)
            try c.encodeIfPresent(funders, forKey: .funders)
        }
    }

    let id: Int?
    let effectiveFrom: String
    let tiers: [Tier]
    let maxSubsidizedMealsPerDay: Int?
    let operatingFenPerDinerDay: Int?

    init(_ policy: SubsidyPolicy) {
        id = policy.id
        effectiveFrom = policy.effectiveFrom.description
        tiers = policy.tiers.map { Tier(label: $0.label, minAge: $0.minAge, maxAge: $0.maxAge, subsidyFen: $0.subsidyFen,
                                        categories: $0.categories?.map(\.rawValue),
                                        funders: $0.funders?.map { [$0.funder.rawValue: $0.shareFen] }) }
        maxSubsidizedMealsPerDay = policy.maxSubsidizedMealsPerDay
        operatingFenPerDinerDay = policy.operatingFenPerDinerDay
    }

    enum CodingKeys: String, CodingKey {
        case id, tiers
        case effectiveFrom = "effective_from"
        case maxSubsidizedMealsPerDay = "max_subsidized_meals_per_day"
        case operatingFenPerDinerDay = "operating_fen_per_diner_day"
    }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encodeIfPresent(id, forKey: .id)
        try c.encode(effectiveFrom, forKey: .effectiveFrom)
        try c.encode(tiers, forKey: .tiers)
        try c.encode(maxSubsidizedMealsPerDay, forKey: .maxSubsidizedMealsPerDay)
        try c.encode(operatingFenPerDinerDay, forKey: .operatingFenPerDinerDay)
    }
}
