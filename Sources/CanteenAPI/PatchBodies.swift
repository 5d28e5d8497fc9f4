/// A member of a PATCH body: absent (leave the value as it is), `null` (clear it) or a value.
/// The generated types cannot tell the first two apart (both decode as nil), so the contract's
/// `SitePatch` and `DinerPatch` schemas are these hand-written types (`typeOverrides`).
public enum PatchField<Value: Codable & Hashable & Sendable>: Hashable, Sendable {
    case absent
    case null
    case value(Value)

    /// The value, or nil when absent or null.
    public var value: Value? {
        if case .value(let value) = self { value } else { nil }
    }
}

extension KeyedDecodingContainer {
    func patchField<Value>(_ key: Key) throws -> PatchField<Value> {
        guard contains(key) else { return .absent }
        return try decodeNil(forKey: key) ? .null : .value(decode(Value.self, forKey: key))
    }
}

extension KeyedEncodingContainer {
    mutating func encode<Value>(_ field: PatchField<Value>, forKey key: Key) throws {
        switch field {
        case .absent: break
        case .null: try encodeNil(forKey: key)
        case .value(let value): try encode(value, forKey: key)
        }
    }
}

/// The body of `PATCH /v1/sites/{code}`. `code` is named so that a request to change it can be
/// refused (a site's code never changes) rather than silently ignored.
public struct SitePatchBody: Codable, Hashable, Sendable {
    public var code: PatchField<String> = .absent
    public var name: PatchField<String> = .absent
    public var kind: PatchField<String> = .absent
    public var street: PatchField<String> = .absent
    public var community: PatchField<String> = .absent
    public var address: PatchField<String> = .absent
    public var `operator`: PatchField<String> = .absent
    public var phone: PatchField<String> = .absent
    public var opensOn: PatchField<String> = .absent
    public var closesOn: PatchField<String> = .absent
    public var slots: PatchField<[String]> = .absent
    public var defaultPriceFen: PatchField<Int> = .absent

    public init() {}

    enum CodingKeys: String, CodingKey {
        case code, name, kind, street, community, address, `operator`, phone, slots
        case opensOn = "opens_on"
        case closesOn = "closes_on"
        case defaultPriceFen = "default_price_fen"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        code = try c.patchField(.code)
        name = try c.patchField(.name)
        kind = try c.patchField(.kind)
        street = try c.patchField(.street)
        community = try c.patchField(.community)
        address = try c.patchField(.address)
        `operator` = try c.patchField(.operator)
        phone = try c.patchField(.phone)
        opensOn = try c.patchField(.opensOn)
        closesOn = try c.patchField(.closesOn)
        slots = try c.patchField(.slots)
        defaultPriceFen = try c.patchField(.defaultPriceFen)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(code, forKey: .code)
        try c.encode(name, forKey: .name)
        try c.encode(kind, forKey: .kind)
        try c.encode(street, forKey: .street)
        try c.encode(community, forKey: .community)
        try c.encode(address, forKey: .address)
        try c.encode(`operator`, forKey: .operator)
        try c.encode(phone, forKey: .phone)
        try c.encode(opensOn, forKey: .opensOn)
        try c.encode(closesOn, forKey: .closesOn)
        try c.encode(slots, forKey: .slots)
        try c.encode(defaultPriceFen, forKey: .defaultPriceFen)
    }
}

/// The body of `PATCH /v1/diners/{id}`. The members a diner's record fixes (the resident ID and
/// what it encodes, and the status, which has its own route) are named so they can be refused.
public struct DinerPatchBody: Codable, Hashable, Sendable {
    public var name: PatchField<String> = .absent
    public var phone: PatchField<String> = .absent
    public var address: PatchField<String> = .absent
    public var community: PatchField<String> = .absent
    public var homeSite: PatchField<String> = .absent
    public var cardNo: PatchField<String> = .absent
    /// Members present that cannot be changed this way, in the order `fixedMembers` lists them.
    public var fixed: [String] = []

    public static let fixedMembers = ["resident_id", "birth_date", "sex", "status"]

    public init() {}

    enum CodingKeys: String, CodingKey {
        case name, phone, address, community
        case homeSite = "home_site"
        case cardNo = "card_no"
        case residentID = "resident_id"
        case birthDate = "birth_date"
        case sex, status
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        name = try c.patchField(.name)
        phone = try c.patchField(.phone)
        address = try c.patchField(.address)
        community = try c.patchField(.community)
        homeSite = try c.patchField(.homeSite)
        cardNo = try c.patchField(.cardNo)
        fixed = [CodingKeys.residentID, .birthDate, .sex, .status].filter(c.contains).map(\.rawValue)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(name, forKey: .name)
        try c.encode(phone, forKey: .phone)
        try c.encode(address, forKey: .address)
        try c.encode(community, forKey: .community)
        try c.encode(homeSite, forKey: .homeSite)
        try c.encode(cardNo, forKey: .cardNo)
    }
}
