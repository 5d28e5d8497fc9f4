import CanteenAPI
import CanteenDomain
import CanteenService

// Subsidy policies between the domain and the contract's wire types.

extension Components.Schemas.Policy {
    public init(_ policy: SubsidyPolicy) {
        self.init(id: policy.id, effectiveFrom: policy.effectiveFrom.description, tiers: policy.tiers.map(Components.Schemas.Tier.init),
                  maxSubsidizedMealsPerDay: Nullable(policy.maxSubsidizedMealsPerDay),
                  operatingFenPerDinerDay: Nullable(policy.operatingFenPerDinerDay))
    }
}

extension Components.Schemas.PolicyPage {
    public init(_ policies: [SubsidyPolicy]) {
        self.init(items: policies.map(Components.Schemas.Policy.init), nextCursor: Nullable(nil))
    }
}

extension Components.Schemas.Tier {
    init(_ tier: SubsidyTier) {
        self.init(label: tier.label, minAge: tier.minAge, maxAge: Nullable(tier.maxAge), subsidyFen: tier.subsidyFen,
                  categories: tier.categories?.map(Components.Schemas.Category.init),
                  funders: tier.funders?.map(Components.Schemas.FundingShare.init))
    }
}

// MARK: requests

extension PolicyService.Draft {
    public init(_ body: Components.Schemas.PolicyInput) {
        self.init(effectiveFrom: body.effectiveFrom,
                  tiers: body.tiers.map { tier in
                      SubsidyTier(label: tier.label, minAge: tier.minAge, maxAge: tier.maxAge?.value, subsidyFen: tier.subsidyFen,
                                  categories: tier.categories?.map(DinerCategory.init),
                                  funders: tier.funders?.map { FundingShare(Funder($0.funder), $0.shareFen) })
                  },
                  maxSubsidizedMealsPerDay: body.maxSubsidizedMealsPerDay,
                  operatingFenPerDinerDay: body.operatingFenPerDinerDay)
    }
}

extension DinerCategory {
    init(_ category: Components.Schemas.Category) {
        switch category {
        case .dibao: self = .dibao
        case .tekun: self = .tekun
        case .lowIncome: self = .lowIncome
        case .disabled: self = .disabled
        case .youfu: self = .youfu
        }
    }
}

extension Components.Schemas.FundingShare {
    public init(_ share: FundingShare) {
        self.init(funder: .init(share.funder), shareFen: share.shareFen)
    }
}

extension Components.Schemas.FunderTotal {
    public init(_ total: FundingShare) {
        self.init(funder: .init(total.funder), subsidyFen: total.shareFen)
    }
}

extension Components.Schemas.Funder {
    init(_ funder: Funder) {
        switch funder {
        case .city: self = .city
        case .district: self = .district
        case .street: self = .street
        }
    }
}

extension Funder {
    init(_ funder: Components.Schemas.Funder) {
        switch funder {
        case .city: self = .city
        case .district: self = .district
        case .street: self = .street
        }
    }
}
