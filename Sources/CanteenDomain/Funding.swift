/// SPEC §2.13: who pays a subsidy (补贴资金来源), in the SPEC's order.
public enum Funder: String, Sendable, CaseIterable, Comparable {
    case city
    case district
    case street

    /// How a document for officials names it.
    public var chineseName: String {
        switch self {
        case .city: "市级"
        case .district: "区县级"
        case .street: "街道、乡镇级"
        }
    }

    public static func < (a: Self, b: Self) -> Bool { a.rank < b.rank }

    private var rank: Int { Self.allCases.firstIndex(of: self) ?? 0 }
}

/// One funder's part of a subsidy.
public struct FundingShare: Sendable, Equatable, Hashable {
    public let funder: Funder
    public let shareFen: Int

    public init(_ funder: Funder, _ shareFen: Int) {
        self.funder = funder
        self.shareFen = shareFen
    }
}

extension SubsidyTier {
    /// Who pays this tier: its funders, or wholly the city.
    public var payers: [FundingShare] { funders ?? [FundingShare(.city, subsidyFen)] }

    /// The funding of a meal this tier subsidises `subsidyFen` (at most the tier's amount): every
    /// funder of the tier in its order, zeros included; when the price cuts the subsidy, the cut
    /// comes from the last funder backwards (SPEC §2.13). Nothing when the subsidy is 0.
    public func funding(of subsidyFen: Int) -> [FundingShare] {
        guard subsidyFen > 0 else { return [] }
        var cut = max(0, self.subsidyFen - subsidyFen)
        var shares = payers
        for index in shares.indices.reversed() where cut > 0 {
            let taken = min(cut, shares[index].shareFen)
            shares[index] = FundingShare(shares[index].funder, shares[index].shareFen - taken)
            cut -= taken
        }
        return shares
    }
}

extension FundingShare {
    /// What each funder pays in all of `shares`: every funder whose total is not zero (negative
    /// totals included), in the SPEC's order city, district, street (SPEC §2.13).
    public static func totals(_ shares: some Sequence<FundingShare>) -> [FundingShare] {
        var sums: [Funder: Int] = [:]
        for share in shares { sums[share.funder, default: 0] += share.shareFen }
        return Funder.allCases.compactMap { funder in sums[funder].flatMap { $0 == 0 ? nil : FundingShare(funder, $0) } }
    }

    /// The same share taken back (an adjustment carries its meal's funding negated).
    public var negated: FundingShare { FundingShare(funder, -shareFen) }
}
