import CanteenDomain
import Postgres

/// What a diner would get today (or on a date) without logging anything:
/// `GET /v1/subsidy-quote` and the `today` part of a diner look-up. The same rules as a
/// logged meal (`MealLedger.assess`), on the same facts (`MealStore.facts`).
public struct QuoteService: Sendable {
    let db: Database
    let clock: BusinessClock
    let store: MealStore

    init(db: Database, clock: BusinessClock, catalog: Catalog) {
        self.db = db
        self.clock = clock
        self.store = MealStore(catalog: catalog, clock: clock)
    }

    /// What a meal would be subsidised, and why not when it would not.
    public struct Quote: Sendable, Equatable {
        public let age: Int
        public let bracket: String
        public let category: DinerCategory?
        /// Who would pay `subsidyFen`.
        public let funding: [FundingShare]
        public let subsidyFen: Int
        public let payableFen: Int
        public let eligible: Bool
        public let reason: String?
    }

    /// A quote from an assessment: a refusal that depends on the day's facts (the diner
    /// inactive, the site not operating, the slot already served, the month closed) is an
    /// ineligible quote; a date no meal can have, or a diner that does not exist, is an error.
    static func quote(_ assessment: MealLedger.Assessment) throws -> Quote {
        var reason: String?
        switch assessment.refusal {
        case .error(let error)? where [.invalidDate, .notFound, .invalidPrice].contains(error.code):
            throw error
        case .error(let error)?: reason = error.code.rawValue
        case .duplicate?: reason = IneligibleReason.alreadyServed.rawValue
        case nil: break
        }
        guard let subsidy = assessment.subsidy, let price = assessment.priceFen else { throw CanteenError.internalFailure() }
        let amount = reason == nil ? subsidy.subsidyFen : 0
        return Quote(age: subsidy.age, bracket: subsidy.bracket, category: subsidy.category, funding: amount > 0 ? subsidy.funding : [],
                     subsidyFen: amount, payableFen: price - amount, eligible: amount > 0,
                     reason: amount > 0 ? nil : (reason ?? subsidy.reason?.rawValue ?? "no subsidy for this price"))
    }

    /// A quote for the diner named by exactly one of `dinerID`, `residentID`, `cardNo`. With
    /// `siteCode` the site's checks apply (not operating, month closed: ineligible) and the price
    /// defaults to the site's; without one the price is required.
    public func quote(dinerID: Int? = nil, residentID: String? = nil, cardNo: String? = nil, siteCode: String? = nil,
                      servedOn: String?, slot: String?, priceFen: Int?, by actor: Principal) async throws -> Quote {
        let today = clock.today()
        let reference: DinerReference
        switch (dinerID, residentID, cardNo) {
        case (let id?, nil, nil): reference = .id(id)
        case (nil, let raw?, nil): reference = .residentID(try ResidentID(parsing: raw, today: today).value)
        case (nil, nil, let card?): reference = .cardNo(card.trimmingWhitespace())
        default: throw CanteenError.invalidRequest("give exactly one of diner_id, resident_id, card_no", field: "diner_id")
        }
        guard let slotName = slot else { throw CanteenError.invalidRequest("slot is required", field: "slot") }
        guard let slot = Slot(rawValue: slotName) else {
            throw CanteenError.invalidRequest("slot must be breakfast, lunch or dinner", field: "slot")
        }
        if siteCode == nil && priceFen == nil {
            throw CanteenError.invalidRequest("price_fen is required without a site_code (with one it defaults to the site's price)", field: "price_fen")
        }
        if let priceFen, !(0...Money.maximumMealPrice.fen).contains(priceFen) {
            throw CanteenError(.invalidPrice, "price_fen must be 0–\(Money.maximumMealPrice.fen)")
        }
        let date = try MealDraft.servedOn(servedOn, today: today) ?? today
        let store = self.store
        if let siteCode { try actor.requireSite(siteCode) }
        let ledger = try await db.session { session in
            let ledger = try store.facts(for: [MealStore.Need(diner: reference, siteCode: siteCode, date: date)], session)
            guard let id = ledger.dinerIDs[reference], let diner = ledger.diners[id] else { throw CanteenError.notFound(reference.message) }
            // By id, an operator quotes only the diners it may read (GET /v1/diners/{id}): a quote
            // tells age, status and which slots were eaten. By card or resident ID it may quote any
            // diner, as it may look any up at the counter; a street office only those it may read.
            var byID = false
            if case .id = reference { byID = true }
            if byID || !actor.streets.isEmpty { try DinerService.requireAccess(dinerID: id, homeSite: diner.homeSite, actor, session) }
            return ledger
        }
        return try Self.quote(ledger.assess(diner: reference, siteCode: siteCode, slot: slot, priceFen: priceFen, servedOn: date, today: today))
    }

    /// `today: {age, bracket, slots: [{slot, subsidy_fen, payable_fen, already_served, meal_id}]}`
    /// of a diner look-up.
    public struct Today: Sendable {
        public struct SlotToday: Sendable {
            public let slot: Slot
            public let subsidyFen: Int
            /// At the site's default price; `nil` when the site has none (or no site is known).
            public let payableFen: Int?
            public let alreadyServed: Bool
            /// The meal already served in this slot today.
            public let mealID: Int?
        }

        public let date: LocalDate
        public let age: Int
        public let bracket: String
        public let status: DinerStatus
        public let slots: [SlotToday]
    }

    /// What the diner gets in each of `slots` today, eating them in that order, at `priceFen` (the
    /// site's default price). Without one the price is not known before the meal is chosen, so
    /// each slot shows the tier's full amount and no payable amount.
    static func today(_ ledger: MealLedger, dinerID: Int, on date: LocalDate, slots: [Slot], priceFen: Int? = nil) throws -> Today {
        guard let diner = ledger.diners[dinerID] else { throw CanteenError.notFound("diner \(dinerID)") }
        var ledger = ledger
        var entries: [Today.SlotToday] = []
        for slot in slots {
            let assessed = ledger.assess(diner: .id(dinerID), siteCode: nil, slot: slot, priceFen: priceFen ?? Money.maximumMealPrice.fen,
                                         servedOn: date, today: date)
            var served: MealRef?
            if case .duplicate(let meal)? = assessed.refusal { served = meal }
            let amount = assessed.refusal == nil && diner.status(on: date) == .active ? assessed.subsidy?.subsidyFen ?? 0 : 0
            if amount > 0 {
                // Later slots count this one against the daily cap, as if eaten first.
                ledger.addStoredMeal(id: 0, dinerID: dinerID, servedOn: date, slot: slot, subsidised: true, place: assessed.subsidyPlace)
            }
            var mealID: Int?
            if case .stored(let id)? = served { mealID = id }
            entries.append(Today.SlotToday(slot: slot, subsidyFen: amount, payableFen: priceFen.map { $0 - amount },
                                           alreadyServed: served != nil, mealID: mealID))
        }
        let years = age(bornOn: diner.birthDate, on: date)
        let bracket = ledger.policies.policy(on: date)?.tier(forAge: years, holding: diner.categories(on: date))?.label
            ?? SubsidyPolicy.noTierBracket
        return Today(date: date, age: years, bracket: bracket, status: diner.status(on: date), slots: entries)
    }
}
