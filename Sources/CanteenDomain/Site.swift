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

extension Site: Codable {
    enum CodingKeys: String, CodingKey {
        case code, name, kind, street, community, address, phone, slots
        case operatorName = "operator"
        case opensOn = "opens_on"
        case closesOn = "closes_on"
        case defaultPriceFen = "default_price_fen"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            code: try c.decode(String.self, forKey: .code),
            name: try c.decode(String.self, forKey: .name),
            kind: try c.decode(SiteKind.self, forKey: .kind),
            street: try c.decode(String.self, forKey: .street),
            community: try c.decodeIfPresent(String.self, forKey: .community),
            address: try c.decodeIfPresent(String.self, forKey: .address),
            operatorName: try c.decodeIfPresent(String.self, forKey: .operatorName),
            phone: try c.decodeIfPresent(String.self, forKey: .phone),
            opensOn: try c.decode(LocalDate.self, forKey: .opensOn),
            closesOn: try c.decodeIfPresent(LocalDate.self, forKey: .closesOn),
            slots: try c.decodeIfPresent([Slot].self, forKey: .slots) ?? [.lunch],
            defaultPriceFen: try c.decodeIfPresent(Int.self, forKey: .defaultPriceFen))
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(code, forKey: .code)
        try c.encode(name, forKey: .name)
        try c.encode(kind, forKey: .kind)
        try c.encode(street, forKey: .street)
        try c.encode(community, forKey: .community)
        try c.encode(address, forKey: .address)
        try c.encode(operatorName, forKey: .operatorName)
        try c.encode(phone, forKey: .phone)
        try c.encode(opensOn, forKey: .opensOn)
        try c.encode(closesOn, forKey: .closesOn)
        try c.encode(slots, forKey: .slots)
        try c.encode(defaultPriceFen, forKey: .defaultPriceFen)
    }
}

/// A site as shown to users: the stored site plus its status today.
public struct SiteView: Sendable, Encodable, Equatable {
    public let site: Site
    public let status: SiteStatus

    public init(site: Site, today: LocalDate) {
        self.site = site
        self.status = site.status(on: today)
    }

    enum CodingKeys: String, CodingKey { case status }

    public func encode(to encoder: any Encoder) throws {
        try site.encode(to: encoder)
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(status, forKey: .status)
    }
}
