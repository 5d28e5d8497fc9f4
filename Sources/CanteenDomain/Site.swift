/// How a canteen site is run.
public enum SiteKind: String, Sendable, Codable, CaseIterable {
    case communityCenter = "community_center"
    case enterprise
    case village
    case other

    public var chineseLabel: String {
        switch self {
        case .communityCenter: return "社区养老服务中心"
        case .enterprise: return "企业挂牌型"
        case .village: return "村级"
        case .other: return "其他"
        }
    }
}

/// Where a site stands on a given day.
public enum SiteStatus: String, Sendable, Codable, CaseIterable {
    case preparing, operating, closed
}

/// A canteen site (幸福食堂), named everywhere by its `code`.
public struct Site: Sendable, Equatable {
    public var code: String
    public var name: String
    public var kind: SiteKind
    public var street: String
    public var community: String?
    public var address: String?
    public var operatorName: String?
    public var phone: String?
    public var opensOn: LocalDate
    public var closesOn: LocalDate?
    public var slots: [Slot]
    public var defaultPriceFen: Int?

    public init(code: String, name: String, kind: SiteKind, street: String, community: String? = nil,
                address: String? = nil, operatorName: String? = nil, phone: String? = nil,
                opensOn: LocalDate, closesOn: LocalDate? = nil, slots: [Slot] = [.lunch], defaultPriceFen: Int? = nil) {
        self.code = code
        self.name = name
        self.kind = kind
        self.street = street
        self.community = community
        self.address = address
        self.operatorName = operatorName
        self.phone = phone
        self.opensOn = opensOn
        self.closesOn = closesOn
        self.slots = slots
        self.defaultPriceFen = defaultPriceFen
    }

    /// `preparing` before `opens_on`, `closed` on or after `closes_on`, else `operating`.
    public func status(on date: LocalDate) -> SiteStatus {
        if date < opensOn { return .preparing }
        if let closesOn, date >= closesOn { return .closed }
        return .operating
    }

    /// Whether a meal may be logged here on `date` for `slot`.
    public func serves(_ slot: Slot, on date: LocalDate) -> Bool {
        status(on: date) == .operating && slots.contains(slot)
    }

    /// 2–32 of `A-Z 0-9 -`.
    public static func isValidCode(_ code: String) -> Bool {
        (2...32).contains(code.utf8.count) && code.utf8.allSatisfy { b in
            (b >= UInt8(ascii: "A") && b <= UInt8(ascii: "Z")) || (b >= UInt8(ascii: "0") && b <= UInt8(ascii: "9")) || b == UInt8(ascii: "-")
        }
    }
}

/// A site as shown to users: the stored site plus its status today.
public struct SiteView: Sendable, Equatable {
    public let site: Site
    public let status: SiteStatus

    public init(site: Site, today: LocalDate) {
        self.site = site
        self.status = site.status(on: today)
    }
}
