/// One age band of a subsidy policy, e.g. 70–79 years: 2 yuan a meal.
public struct SubsidyTier: Sendable, Equatable {
    public let label: String
    public let minAge: Int
    /// `nil`: no upper bound.
    public let maxAge: Int?
    public let subsidyFen: Int

    public init(label: String, minAge: Int, maxAge: Int?, subsidyFen: Int) {
        self.label = label
        self.minAge = minAge
        self.maxAge = maxAge
        self.subsidyFen = subsidyFen
    }

    public func covers(age: Int) -> Bool {
        age >= minAge && (maxAge.map { age <= $0 } ?? true)
    }
}

/// The subsidy rules in force from `effectiveFrom` until the next policy.
public struct SubsidyPolicy: Sendable, Equatable {
    public var id: Int?
    public let effectiveFrom: LocalDate
    public let tiers: [SubsidyTier]
    /// `nil`: no cap beyond one meal per slot.
    public let maxSubsidizedMealsPerDay: Int?

    public static let noTierBracket = "none"
    public static let maximumTiers = 10
    public static let maximumAge = 150

    public init(id: Int? = nil, effectiveFrom: LocalDate, tiers: [SubsidyTier], maxSubsidizedMealsPerDay: Int?) {
        self.id = id
        self.effectiveFrom = effectiveFrom
        self.tiers = tiers.sorted { $0.minAge < $1.minAge }
        self.maxSubsidizedMealsPerDay = maxSubsidizedMealsPerDay
    }

    /// The policy loaded by the migrations (SPEC §2.5).
    public static let standard = SubsidyPolicy(
        effectiveFrom: LocalDate(year: 2022, month: 9, day: 1)!,
        tiers: [
            SubsidyTier(label: "70-79", minAge: 70, maxAge: 79, subsidyFen: 200),
            SubsidyTier(label: "80+", minAge: 80, maxAge: nil, subsidyFen: 400),
        ],
        maxSubsidizedMealsPerDay: nil)

    public func tier(forAge age: Int) -> SubsidyTier? {
        tiers.first { $0.covers(age: age) }
    }

    /// Validates a policy as a user proposes it.
    public static func validated(effectiveFrom: String?, tiers: [SubsidyTier]?, maxSubsidizedMealsPerDay: Int?) throws -> SubsidyPolicy {
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
        }
        let sorted = tiers.sorted { $0.minAge < $1.minAge }
        for (a, b) in zip(sorted, sorted.dropFirst()) where a.maxAge.map({ $0 >= b.minAge }) ?? true {
            v.fail("tiers", "tiers \"\(a.label)\" and \"\(b.label)\" overlap")
        }
        if let cap = maxSubsidizedMealsPerDay, !(1...Slot.allCases.count).contains(cap) {
            v.fail("max_subsidized_meals_per_day", "must be null or 1–\(Slot.allCases.count)")
        }
        try v.check()
        guard let date else { throw CanteenError.validation(v.errors) }
        return SubsidyPolicy(effectiveFrom: date,
                             tiers: tiers.map { SubsidyTier(label: $0.label.trimmingWhitespace(), minAge: $0.minAge, maxAge: $0.maxAge, subsidyFen: $0.subsidyFen) },
                             maxSubsidizedMealsPerDay: maxSubsidizedMealsPerDay)
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
