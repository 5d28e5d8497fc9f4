/// One tier of a subsidy policy: an age band, e.g. 70–79 years: 2 yuan a meal, and optionally
/// categories (SPEC §2.5): then it holds only for a diner holding one of them that day.
public struct SubsidyTier: Sendable, Equatable {
    public let label: String
    public let minAge: Int
    /// `nil`: no upper bound.
    public let maxAge: Int?
    public let subsidyFen: Int
    /// `nil`: the tier holds by age alone.
    public let categories: [DinerCategory]?
    /// How the subsidy is split (SPEC §2.13); `nil`: wholly by the city.
    public let funders: [FundingShare]?

    public init(label: String, minAge: Int, maxAge: Int?, subsidyFen: Int, categories: [DinerCategory]? = nil, funders: [FundingShare]? = nil) {
        self.label = label
        self.minAge = minAge
        self.maxAge = maxAge
        self.subsidyFen = subsidyFen
        self.categories = categories
        self.funders = funders
    }

    public func covers(age: Int) -> Bool {
        age >= minAge && (maxAge.map { age <= $0 } ?? true)
    }

    /// Whether the tier holds a meal of someone of `age` who holds `held` that day.
    public func holds(age: Int, holding held: Set<DinerCategory>) -> Bool {
        covers(age: age) && (categories.map { $0.contains(where: held.contains) } ?? true)
    }

    /// The category this tier pays for to someone holding `held`: the first of its own they hold.
    public func category(holding held: Set<DinerCategory>) -> DinerCategory? {
        categories?.first(where: held.contains)
    }
}

/// The subsidy rules in force from `effectiveFrom` until the next policy.
public struct SubsidyPolicy: Sendable, Equatable {
    public var id: Int?
    public let effectiveFrom: LocalDate
    public let tiers: [SubsidyTier]
    /// `nil`: no cap beyond one meal per slot.
    public let maxSubsidizedMealsPerDay: Int?
    /// What the canteen earns for every diner-day with a subsidised meal (SPEC §2.14); `nil`: nothing.
    public let operatingFenPerDinerDay: Int?

    public static let noTierBracket = "none"
    public static let maximumTiers = 10
    public static let maximumAge = 150

    public init(id: Int? = nil, effectiveFrom: LocalDate, tiers: [SubsidyTier], maxSubsidizedMealsPerDay: Int?,
                operatingFenPerDinerDay: Int? = nil) {
        self.id = id
        self.effectiveFrom = effectiveFrom
        self.tiers = tiers
        self.maxSubsidizedMealsPerDay = maxSubsidizedMealsPerDay
        self.operatingFenPerDinerDay = operatingFenPerDinerDay
    }

    /// The policy loaded by the migrations (SPEC §2.5).
    public static let standard = SubsidyPolicy(
        effectiveFrom: LocalDate(year: 2022, month: 9, day: 1)!,
        tiers: [
            SubsidyTier(label: "70-79", minAge: 70, maxAge: 79, subsidyFen: 200),
            SubsidyTier(label: "80+", minAge: 80, maxAge: nil, subsidyFen: 400),
        ],
        maxSubsidizedMealsPerDay: nil)

    /// The tier that applies: of those that hold, the largest subsidy, on a tie the first listed
    /// (SPEC §2.5: a diner never gets two tiers' subsidies for one meal).
    public func tier(forAge age: Int, holding held: Set<DinerCategory> = []) -> SubsidyTier? {
        var best: SubsidyTier?
        for tier in tiers where tier.holds(age: age, holding: held) {
            if tier.subsidyFen > best?.subsidyFen ?? -1 { best = tier }
        }
        return best
    }

    /// Validates a policy as a user proposes it.
    public static func validated(effectiveFrom: String?, tiers: [SubsidyTier]?, maxSubsidizedMealsPerDay: Int?,
                                 operatingFenPerDinerDay: Int? = nil) throws -> SubsidyPolicy {
        var v = Validation()
        let date = SiteDraft.date(effectiveFrom, "effective_from", required: true, &v)
        let tiers = tiers ?? []
        if tiers.isEmpty { v.fail("tiers", "must list at least one tier") }
        if tiers.count > maximumTiers { v.fail("tiers", "must list at most \(maximumTiers) tiers") }
        var labels = Set<String>()
        for (i, tier) in tiers.enumerated() {
            let field = "tiers[\(i)]"
            let label = tier.label.trimmingWhitespace()
            if label.isEmpty || label.storedLength > TextLimits.label {
                v.fail("\(field).label", "must be 1–\(TextLimits.label) characters")
            } else if label == noTierBracket {
                v.fail("\(field).label", "\"none\" is reserved for ages no tier covers")
            } else if !labels.insert(label).inserted {
                v.fail("\(field).label", "repeats another tier's label")
            }
            if !(0...maximumAge).contains(tier.minAge) { v.fail("\(field).min_age", "must be 0–\(maximumAge)") }
            if let max = tier.maxAge, max < tier.minAge || max > maximumAge {
                v.fail("\(field).max_age", "must be null or from min_age to \(maximumAge)")
            }
            if !(0...Money.maximumMealPrice.fen).contains(tier.subsidyFen) {
                v.fail("\(field).subsidy_fen", "must be 0–\(Money.maximumMealPrice.fen)")
            }
            if let categories = tier.categories {
                if categories.isEmpty { v.fail("\(field).categories", "must name at least one category, or be left out") }
                if Set(categories).count != categories.count { v.fail("\(field).categories", "must not repeat a category") }
            }
            if let funders = tier.funders {
                if funders.isEmpty { v.fail("\(field).funders", "must name at least one funder, or be left out (the city pays all)") }
                if Set(funders.map(\.funder)).count != funders.count { v.fail("\(field).funders", "must name each funder at most once") }
                let inRange = funders.allSatisfy { (0...Money.maximumMealPrice.fen).contains($0.shareFen) }
                if !inRange { v.fail("\(field).funders", "shares must be 0–\(Money.maximumMealPrice.fen)") }
                // Summed only once each share is bounded: a hostile share must not overflow.
                if inRange, !funders.isEmpty, funders.map(\.shareFen).reduce(0, +) != tier.subsidyFen {
                    v.fail("\(field).funders", "shares must add up to subsidy_fen (\(tier.subsidyFen))")
                }
            }
        }
        // Tiers by age alone must not overlap, nor may two with the same set of categories.
        let groups = Dictionary(grouping: tiers) { $0.categories.map { Set($0) } ?? [] }
        for group in groups.values {
            let sorted = group.sorted { $0.minAge < $1.minAge }
            for (a, b) in zip(sorted, sorted.dropFirst()) where a.maxAge.map({ $0 >= b.minAge }) ?? true {
                v.fail("tiers", "tiers \"\(a.label)\" and \"\(b.label)\" overlap")
            }
        }
        if let cap = maxSubsidizedMealsPerDay, !(1...Slot.allCases.count).contains(cap) {
            v.fail("max_subsidized_meals_per_day", "must be null or 1–\(Slot.allCases.count)")
        }
        if let operating = operatingFenPerDinerDay, !(0...Money.maximumMealPrice.fen).contains(operating) {
            v.fail("operating_fen_per_diner_day", "must be null or 0–\(Money.maximumMealPrice.fen)")
        }
        try v.check()
        guard let date else { throw CanteenError.validation(v.errors) }
        return SubsidyPolicy(effectiveFrom: date,
                             tiers: tiers.map { SubsidyTier(label: $0.label.trimmingWhitespace(), minAge: $0.minAge, maxAge: $0.maxAge,
                                                            subsidyFen: $0.subsidyFen, categories: $0.categories, funders: $0.funders) },
                             maxSubsidizedMealsPerDay: maxSubsidizedMealsPerDay, operatingFenPerDinerDay: operatingFenPerDinerDay)
    }
}

/// Every policy, so the one in force on any date can be found without I/O.
public struct PolicyBook: Sendable, Equatable {
    public let policies: [SubsidyPolicy]

    public init(_ policies: [SubsidyPolicy]) {
        self.policies = policies.sorted { $0.effectiveFrom < $1.effectiveFrom }
    }

    /// The policy with the latest `effective_from` on or before `date`; `nil` before the first.
    public func policy(on date: LocalDate) -> SubsidyPolicy? {
        policies.last { $0.effectiveFrom <= date }
    }
}
