/// A meal the rules accepted, priced, and ready to be stored.
public struct PricedMeal: Sendable, Equatable {
    public let dinerID: Int
    public let siteCode: String
    public let servedOn: LocalDate
    public let slot: Slot
    public let priceFen: Int
    public let delivery: Bool
    public let age: Int
    public let bracket: String
    public let category: DinerCategory?
    public let subsidyFen: Int
    public let funding: [FundingShare]
    /// With a daily cap: the place (1...cap) this subsidised meal takes among the diner's day.
    public let subsidyPlace: Int?
    public let idempotencyKey: String?
    public let requestHash: String

    public var payableFen: Int { priceFen - subsidyFen }
}

/// A meal the decision points at: one already stored, or one decided earlier in the same group
/// (a batch, an import, a group of counter requests) whose id is known only once it is stored.
public enum MealRef: Sendable, Hashable {
    case stored(Int)
    case pending(Int)
}

/// What the rules decide for one requested meal.
public enum MealDecision: Sendable, Equatable {
    /// Store it.
    case create(PricedMeal)
    /// The same key with the same content: answer the meal it created.
    case replay(MealRef)
    /// The diner already has a valid meal in that slot that day (`duplicate_meal`).
    case duplicate(MealRef, slot: Slot, on: LocalDate)
    /// Every other refusal, with its SPEC code.
    case refuse(CanteenError)
}

/// What the database knows about a diner, as far as a meal's rules need it.
public struct DinerRecord: Sendable, Equatable {
    public let id: Int
    public let birthDate: LocalDate
    public let homeSite: String?
    /// `(effective_on, status)`, any order. A diner is `active` until the first change.
    public let statusHistory: [(LocalDate, DinerStatus)]
    /// Every category period (SPEC §2.12).
    public let categories: [CategoryPeriod]

    public init(id: Int, birthDate: LocalDate, homeSite: String?, statusHistory: [(LocalDate, DinerStatus)], categories: [CategoryPeriod] = []) {
        self.id = id
        self.birthDate = birthDate
        self.homeSite = homeSite
        self.statusHistory = statusHistory.sorted { $0.0 < $1.0 }
        self.categories = categories
    }

    /// The categories held on `date`.
    public func categories(on date: LocalDate) -> Set<DinerCategory> {
        Set(categories.filter { $0.holds(on: date) }.map(\.category))
    }

    /// The status with the latest `effective_on` on or before `date`; `active` before any.
    public func status(on date: LocalDate) -> DinerStatus {
        statusHistory.last { $0.0 <= date }?.1 ?? .active
    }

    public static func == (a: DinerRecord, b: DinerRecord) -> Bool {
        a.id == b.id && a.birthDate == b.birthDate && a.homeSite == b.homeSite
            && a.statusHistory.map(\.0) == b.statusHistory.map(\.0) && a.statusHistory.map(\.1) == b.statusHistory.map(\.1)
            && a.categories == b.categories
    }
}

/// One diner's valid meals on one day, as far as the rules need them.
public struct DinerDay: Sendable, Equatable {
    /// The valid meal in each slot.
    public var meals: [Slot: MealRef] = [:]
    /// How many of them have a subsidy (the daily cap counts them all, whenever logged).
    public var subsidisedMeals = 0
    /// The daily-cap places (`subsidy_seq`) they hold.
    public var places: Set<Int> = []

    public init() {}
}

/// A diner on a date.
public struct DinerDate: Sendable, Hashable {
    public let dinerID: Int
    public let date: LocalDate
    public init(_ dinerID: Int, _ date: LocalDate) {
        self.dinerID = dinerID
        self.date = date
    }
}

/// An idempotency key, scoped to its site (SPEC §2.8).
public struct SiteKey: Sendable, Hashable {
    public let siteCode: String
    public let key: String
    public init(_ siteCode: String, _ key: String) {
        self.siteCode = siteCode
        self.key = key
    }
}

/// A site's month.
public struct SiteMonth: Sendable, Hashable {
    public let siteCode: String
    public let month: YearMonth
    public init(_ siteCode: String, _ month: YearMonth) {
        self.siteCode = siteCode
        self.month = month
    }
}

/// The facts a group of meals is decided on — sites, policies, the diners it names, their days,
/// the keys already used, the closed months — and the one place where a meal is decided
/// (SPEC §2.4–2.8). The quote, a meal at the counter, a batch item and an imported row all go
/// through `assess`; `decide` also records the meal in the facts, so the next meal of the same
/// group sees it (a batch's items and an import's rows count in their order).
public struct MealLedger: Sendable {
    public var sites: [String: Site]
    public var policies: PolicyBook
    public var diners: [Int: DinerRecord] = [:]
    /// How requests name diners: by id, resident ID or card.
    public var dinerIDs: [DinerReference: Int] = [:]
    public var days: [DinerDate: DinerDay] = [:]
    /// Keys already used, with the hash of the request that used them first.
    public var keys: [SiteKey: (meal: MealRef, requestHash: String)] = [:]
    public var closedMonths: Set<SiteMonth> = []

    public init(sites: [String: Site], policies: PolicyBook) {
        self.sites = sites
        self.policies = policies
    }

    /// Room for the facts and decisions of about `meals` meals (an import's rows).
    public mutating func reserveCapacity(meals: Int) {
        days.reserveCapacity(meals)
        keys.reserveCapacity(meals)
    }

    /// Adds a diner and the references that name it.
    public mutating func add(_ diner: DinerRecord, residentID: String?, cardNo: String?) {
        diners[diner.id] = diner
        dinerIDs[.id(diner.id)] = diner.id
        if let residentID { dinerIDs[.residentID(residentID)] = diner.id }
        if let cardNo { dinerIDs[.cardNo(cardNo)] = diner.id }
    }

    /// Adds a valid meal already stored.
    public mutating func addStoredMeal(id: Int, dinerID: Int, servedOn: LocalDate, slot: Slot, subsidised: Bool, place: Int?) {
        record(.stored(id), DinerDate(dinerID, servedOn), slot: slot, subsidised: subsidised, place: place)
    }

    private mutating func record(_ meal: MealRef, _ day: DinerDate, slot: Slot, subsidised: Bool, place: Int?) {
        var entry = days[day] ?? DinerDay()
        entry.meals[slot] = meal
        if subsidised { entry.subsidisedMeals += 1 }
        if let place { entry.places.insert(place) }
        days[day] = entry
    }

    /// What a meal would be: the diner it names, its price and subsidy (when they can be known),
    /// and the first rule it breaks, in the SPEC's order. Logs nothing.
    public struct Assessment: Sendable, Equatable {
        public let dinerID: Int?
        public let servedOn: LocalDate
        public let priceFen: Int?
        public let subsidy: MealSubsidy?
        public let subsidyPlace: Int?
        public let refusal: Refusal?
    }

    public enum Refusal: Sendable, Equatable {
        case duplicate(MealRef)
        case error(CanteenError)
    }

    /// `siteCode == nil` (a quote without a site) skips the site's checks; then the price is required.
    public func assess(diner reference: DinerReference, siteCode: String?, slot: Slot, priceFen requestedPrice: Int?,
                       servedOn requestedDate: LocalDate?, today: LocalDate) -> Assessment {
        let servedOn = requestedDate ?? today
        func refused(_ error: CanteenError, dinerID: Int? = nil, price: Int? = nil) -> Assessment {
            Assessment(dinerID: dinerID, servedOn: servedOn, priceFen: price, subsidy: nil, subsidyPlace: nil, refusal: .error(error))
        }
        guard servedOn <= today else {
            return refused(CanteenError(.invalidDate, "served_on \(servedOn) is in the future (today is \(today))",
                                        errors: [FieldError(field: "served_on", message: "must not be in the future")]))
        }
        var site: Site?
        if let siteCode {
            guard let found = sites[siteCode] else { return refused(.notFound("site \(siteCode)")) }
            site = found
        }
        guard let price = requestedPrice ?? site?.defaultPriceFen else {
            return refused(CanteenError(.invalidPrice, "price_fen is required: the site has no default price",
                                        errors: [FieldError(field: "price_fen", message: "is required")]))
        }
        guard (0...Money.maximumMealPrice.fen).contains(price) else {
            return refused(CanteenError(.invalidPrice, "price_fen must be 0–\(Money.maximumMealPrice.fen)",
                                        errors: [FieldError(field: "price_fen", message: "must be 0–\(Money.maximumMealPrice.fen)")]))
        }
        guard let dinerID = dinerIDs[reference], let diner = diners[dinerID] else {
            return refused(.notFound(reference.message), price: price)
        }
        guard servedOn >= diner.birthDate else {
            return refused(CanteenError(.invalidDate, "served_on \(servedOn) is before the diner's birth date",
                                        errors: [FieldError(field: "served_on", message: "must not be before the birth date")]),
                           dinerID: dinerID, price: price)
        }
        let day = days[DinerDate(dinerID, servedOn)] ?? DinerDay()
        var subsidy = SubsidyRule.subsidy(policy: policies.policy(on: servedOn), birthDate: diner.birthDate,
                                          holding: diner.categories(on: servedOn), servedOn: servedOn,
                                          priceFen: price, subsidisedEarlierThatDay: day.subsidisedMeals)
        var place: Int?
        if subsidy.subsidyFen > 0, let cap = policies.policy(on: servedOn)?.maxSubsidizedMealsPerDay {
            place = (1...cap).first { !day.places.contains($0) }
            if place == nil {
                subsidy = MealSubsidy(age: subsidy.age, bracket: subsidy.bracket, category: subsidy.category, subsidyFen: 0, payableFen: price,
                                      reason: .dailyCapReached)
            }
        }
        var refusal: Refusal?
        if let site, site.status(on: servedOn) != .operating {
            refusal = .error(CanteenError(.siteNotOperating, "the site does not operate on \(servedOn)"))
        } else if let site, !site.slots.contains(slot) {
            refusal = .error(CanteenError(.siteNotOperating, "the site does not serve \(slot.rawValue)"))
        } else if diner.status(on: servedOn) != .active {
            refusal = .error(CanteenError(.dinerInactive, "the diner is not active on \(servedOn)"))
        } else if let siteCode, closedMonths.contains(SiteMonth(siteCode, servedOn.yearMonth)) {
            refusal = .error(CanteenError(.periodClosed, "the claim for \(siteCode) \(servedOn.yearMonth) is already submitted"))
        } else if let existing = day.meals[slot] {
            refusal = .duplicate(existing)
        }
        return Assessment(dinerID: dinerID, servedOn: servedOn, priceFen: price, subsidy: subsidy, subsidyPlace: place, refusal: refusal)
    }

    /// Decides one requested meal (the `index`-th of its group) and records an accepted one in the
    /// facts. A key already used answers the meal it created, or `idempotency_mismatch`.
    public mutating func decide(_ request: MealRequest, requestHash: String, today: LocalDate, index: Int) -> MealDecision {
        let key = request.idempotencyKey.map { SiteKey(request.siteCode, $0) }
        if let key, let used = keys[key] {
            guard used.requestHash == requestHash else {
                return .refuse(CanteenError(.idempotencyMismatch, "this key was used for a different meal"))
            }
            return .replay(used.meal)
        }
        let assessed = assess(diner: request.diner, siteCode: request.siteCode, slot: request.slot, priceFen: request.priceFen,
                              servedOn: request.servedOn, today: today)
        switch assessed.refusal {
        case .error(let error)?: return .refuse(error)
        case .duplicate(let existing)?: return .duplicate(existing, slot: request.slot, on: assessed.servedOn)
        case nil: break
        }
        guard let dinerID = assessed.dinerID, let price = assessed.priceFen, let subsidy = assessed.subsidy else {
            return .refuse(.internalFailure())  // assess always prices a meal it does not refuse
        }
        let meal = PricedMeal(dinerID: dinerID, siteCode: request.siteCode, servedOn: assessed.servedOn, slot: request.slot,
                              priceFen: price, delivery: request.delivery, age: subsidy.age, bracket: subsidy.bracket, category: subsidy.category,
                              subsidyFen: subsidy.subsidyFen, funding: subsidy.funding, subsidyPlace: assessed.subsidyPlace,
                              idempotencyKey: request.idempotencyKey, requestHash: requestHash)
        record(.pending(index), DinerDate(dinerID, assessed.servedOn), slot: request.slot, subsidised: meal.subsidyFen > 0,
               place: meal.subsidyPlace)
        if let key { keys[key] = (.pending(index), requestHash) }
        return .create(meal)
    }
}
