/// Age on a date: completed years since the birth date. A birthday counts on the
/// day itself; someone born on 29 February turns a year older on 1 March in years
/// that are not leap years (28 February still sorts before 29 February).
public func age(bornOn birth: LocalDate, on date: LocalDate) -> Int {
    let years = date.year - birth.year
    return (date.month, date.day) < (birth.month, birth.day) ? years - 1 : years
}

/// Why a meal gets no subsidy.
public enum IneligibleReason: String, Sendable, Codable {
    case noPolicy = "no_policy"
    case noTier = "no_tier"
    case dailyCapReached = "daily_cap_reached"
    case dinerInactive = "diner_inactive"
    case alreadyServed = "already_served"

    public var explanation: String {
        switch self {
        case .noPolicy: return "no subsidy policy is in force on this date"
        case .noTier: return "no tier of the policy covers this age"
        case .dailyCapReached: return "the daily cap of subsidised meals is already reached"
        case .dinerInactive: return "the diner is not active on this date"
        case .alreadyServed: return "the diner already has a meal in this slot on this date"
        }
    }
}

/// What one meal costs the diner and the government (SPEC §2.4–2.5).
public struct MealSubsidy: Sendable, Equatable {
    public let age: Int
    public let bracket: String
    /// The category the tier pays for (SPEC §2.12); nil for a tier by age alone, or none.
    public let category: DinerCategory?
    public let subsidyFen: Int
    /// Who pays `subsidyFen` (SPEC §2.13): empty when it is 0.
    public let funding: [FundingShare]
    public let payableFen: Int
    public let reason: IneligibleReason?

    public var eligible: Bool { subsidyFen > 0 }

    public init(age: Int, bracket: String, category: DinerCategory? = nil, subsidyFen: Int, funding: [FundingShare] = [], payableFen: Int,
                reason: IneligibleReason?) {
        self.age = age
        self.bracket = bracket
        self.category = category
        self.funding = funding
        self.subsidyFen = subsidyFen
        self.payableFen = payableFen
        self.reason = reason
    }
}

/// The subsidy rule as a pure function of the policy, the birth date, the categories held, the
/// date, the price and how many subsidised meals the diner already had that day.
public enum SubsidyRule {
    public static func subsidy(policy: SubsidyPolicy?, birthDate: LocalDate, holding categories: Set<DinerCategory> = [],
                               servedOn: LocalDate, priceFen: Int, subsidisedEarlierThatDay: Int) -> MealSubsidy {
        let years = age(bornOn: birthDate, on: servedOn)
        guard let policy else {
            return MealSubsidy(age: years, bracket: SubsidyPolicy.noTierBracket, subsidyFen: 0, payableFen: priceFen, reason: .noPolicy)
        }
        guard let tier = policy.tier(forAge: years, holding: categories) else {
            return MealSubsidy(age: years, bracket: SubsidyPolicy.noTierBracket, subsidyFen: 0, payableFen: priceFen, reason: .noTier)
        }
        let category = tier.category(holding: categories)
        if let cap = policy.maxSubsidizedMealsPerDay, subsidisedEarlierThatDay >= cap {
            return MealSubsidy(age: years, bracket: tier.label, category: category, subsidyFen: 0, payableFen: priceFen, reason: .dailyCapReached)
        }
        let subsidy = min(tier.subsidyFen, max(priceFen, 0))
        return MealSubsidy(age: years, bracket: tier.label, category: category, subsidyFen: subsidy, funding: tier.funding(of: subsidy),
                           payableFen: priceFen - subsidy, reason: nil)
    }
}
