/// A member of a PATCH body: absent (leave the value as it is), `null` (clear it) or a value.
/// The generated types cannot tell the first two apart (both decode as nil), so the contract's
/// `SitePatch` and `DinerPatch` schemas are these hand-written types (`typeOverrides`).
public enum PatchField<Value: Decodable & Hashable & Sendable>: Hashable, Sendable {
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

/// The body of `PATCH /v1/sites/{code}`. `code` is named so that a request to change it can be
/// refused (a site's code never changes) rather than silently ignored.
public struct SitePatchBody: Decodable, Hashable, Sendable {
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
}

/// The body of `PATCH /v1/diners/{id}`. The members a diner's record fixes (the resident ID and
/// what it encodes, and the status, which has its own route) are named so they can be refused.
public struct DinerPatchBody: Decodable, Hashable, Sendable {
    public var name: PatchField<String> = .absent
    public var phone: PatchField<String> = .absent
    public var address: PatchField<String> = .absent
    public var community: PatchField<String> = .absent
    public var homeSite: PatchField<String> = .absent
    public var cardNo: PatchField<String> = .absent
    /// Members present that cannot be changed this way: resident_id, birth_date, sex, status.
    public var fixed: [String] = []

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
}
