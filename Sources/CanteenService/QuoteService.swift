import CanteenDomain
import Postgres

/// What a diner would get today (or on a date) without logging anything:
/// `GET /v1/subsidy-quote` and the `today` part of a diner look-up.
public struct QuoteService: Sendable {
    let db: Database
    let clock: BusinessClock

    public init(db: Database, clock: BusinessClock) {
        self.db = db
        self.clock = clock
    }

    /// `{age, bracket, subsidy_fen, payable_fen, eligible, reason}`.
    public struct Quote: Sendable, Encodable, Equatable {
        public let age: Int
        public let bracket: String
        public let subsidyFen: Int
        public let payableFen: Int
        public let eligible: Bool
        public let reason: String?

        enum CodingKeys: String, CodingKey {
            case age, bracket, eligible, reason
            case subsidyFen = "subsidy_fen"
            case payableFen = "payable_fen"
        }

        public func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(age, forKey: .age)
            try c.encode(bracket, forKey: .bracket)
            try c.encode(subsidyFen, forKey: .subsidyFen)
            try c.encode(payableFen, forKey: .payableFen)
            try c.encode(eligible, forKey: .eligible)
            try c.encode(reason, forKey: .reason)
        }
    }

    /// What the database knows about one diner on one date.
    struct DayFacts: Sendable {
        let homeSite: String?
        let birthDate: LocalDate
        let status: DinerStatus
        let servedSlots: Set<Slot>
        let subsidisedMeals: Int
        let book: PolicyBook
    }

    static func facts(dinerID: Int, on date: LocalDate, _ session: Session) throws -> DayFacts {
        guard let row = try session.query("""
            SELECT d.home_site, d.birth_date,
                   coalesce((SELECT status FROM diner_status WHERE diner_id = d.id AND effective_on <= $2
                             ORDER BY effective_on DESC LIMIT 1), 'active'),
                   coalesce((SELECT array_agg(slot) FROM meal WHERE diner_id = d.id AND served_on = $2 AND status = 'valid'), '{}'),
                   (SELECT count(*) FROM meal WHERE diner_id = d.id AND served_on = $2 AND status = 'valid' AND subsidy_fen > 0)
            FROM diner d WHERE d.id = $1
            """, [dinerID, date]).first else {
            throw CanteenError.notFound("diner \(dinerID)")
        }
        return DayFacts(
            homeSite: try row.decode(0),
            birthDate: try row.decode(1),
            status: DinerStatus(rawValue: try row.decode(2)) ?? .active,
            servedSlots: Set(try row.decode(3, as: TextArray.self).elements.compactMap(Slot.init(rawValue:))),
            subsidisedMeals: try row.decode(4),
            book: try PolicyService.loadAll(session))
    }

    static func quote(_ facts: DayFacts, on date: LocalDate, slot: Slot, priceFen: Int) -> Quote {
        let subsidy = SubsidyRule.subsidy(policy: facts.book.policy(on: date), birthDate: facts.birthDate, servedOn: date,
                                          priceFen: priceFen, subsidisedEarlierThatDay: facts.subsidisedMeals)
        var reason = subsidy.reason
        var amount = subsidy.subsidyFen
        if facts.status != .active {
            reason = .dinerInactive
            amount = 0
        } else if facts.servedSlots.contains(slot) {
            reason = .alreadyServed
            amount = 0
        }
        return Quote(age: subsidy.age, bracket: subsidy.bracket, subsidyFen: amount, payableFen: priceFen - amount,
                     eligible: amount > 0, reason: amount > 0 ? nil : (reason?.rawValue ?? "no subsidy for this price"))
    }

    public func quote(dinerID: Int?, servedOn: String?, slot: String?, priceFen: Int?, by actor: Principal) async throws -> Quote {
        guard let dinerID else { throw CanteenError.invalidRequest("diner_id is required", field: "diner_id") }
        guard let slotName = slot else { throw CanteenError.invalidRequest("slot is required", field: "slot") }
        guard let slot = Slot(rawValue: slotName) else {
            throw CanteenError.invalidRequest("slot must be breakfast, lunch or dinner", field: "slot")
        }
        guard let priceFen else { throw CanteenError.invalidRequest("price_fen is required", field: "price_fen") }
        guard (0...Money.maximumMealPrice.fen).contains(priceFen) else {
            throw CanteenError(.invalidPrice, "price_fen must be 0–\(Money.maximumMealPrice.fen)")
        }
        let today = clock.today()
        let date = try MealDraft.servedOn(servedOn, today: today) ?? today
        let facts = try await db.read { session in try Self.facts(dinerID: dinerID, on: date, session) }
        // By id, an operator quotes only the diners it may read (GET /v1/diners/{id}): a quote
        // tells age, status and which slots were eaten.
        try DinerService.requireAccess(dinerID: dinerID, homeSite: facts.homeSite, actor)
        guard date >= facts.birthDate else {
            throw CanteenError(.invalidDate, "served_on \(date) is before the diner's birth date",
                               errors: [FieldError(field: "served_on", message: "must not be before the birth date")])
        }
        return Self.quote(facts, on: date, slot: slot, priceFen: priceFen)
    }

    /// `today: {age, bracket, slots: [{slot, subsidy_fen, already_served}]}` of a diner look-up.
    public struct Today: Sendable, Encodable {
        public struct SlotToday: Sendable, Encodable {
            public let slot: Slot
            public let subsidyFen: Int
            public let alreadyServed: Bool

            enum CodingKeys: String, CodingKey {
                case slot
                case subsidyFen = "subsidy_fen"
                case alreadyServed = "already_served"
            }
        }

        public let date: LocalDate
        public let age: Int
        public let bracket: String
        public let status: DinerStatus
        public let slots: [SlotToday]
    }

    static func today(_ facts: DayFacts, on date: LocalDate, slots: [Slot]) -> Today {
        // The tier's full amount: the price is not known before the meal is chosen.
        let policy = facts.book.policy(on: date)
        let years = age(bornOn: facts.birthDate, on: date)
        let tier = policy?.tier(forAge: years)
        var remaining = policy?.maxSubsidizedMealsPerDay.map { max(0, $0 - facts.subsidisedMeals) } ?? Int.max
        var entries: [Today.SlotToday] = []
        for slot in slots {
            let served = facts.servedSlots.contains(slot)
            var amount = 0
            if !served, facts.status == .active, let tier, remaining > 0 {
                amount = tier.subsidyFen
                if amount > 0 { remaining -= 1 }
            }
            entries.append(Today.SlotToday(slot: slot, subsidyFen: amount, alreadyServed: served))
        }
        return Today(date: date, age: years, bracket: tier?.label ?? SubsidyPolicy.noTierBracket, status: facts.status, slots: entries)
    }
}
