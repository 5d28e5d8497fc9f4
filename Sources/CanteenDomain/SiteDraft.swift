/// The fields of a new site as a user sends them, before validation.
/// Dates and enums arrive as text so that a bad one is a field error, not a decoding failure.
public struct SiteDraft: Sendable {
    public var code: String?
    public var name: String?
    public var kind: String?
    public var street: String?
    public var community: String?
    public var address: String?
    public var operatorName: String?
    public var phone: String?
    public var opensOn: String?
    public var closesOn: String?
    public var slots: [String]?
    public var defaultPriceFen: Int?

    public init(code: String? = nil, name: String? = nil, kind: String? = nil, street: String? = nil,
                community: String? = nil, address: String? = nil, operatorName: String? = nil, phone: String? = nil,
                opensOn: String? = nil, closesOn: String? = nil, slots: [String]? = nil, defaultPriceFen: Int? = nil) {
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

    /// Checks every field and returns the site, or throws `validation_failed` naming each bad field.
    public func validated() throws -> Site {
        var v = Validation()
        let code = self.code?.trimmingWhitespace()
        if let code {
            if !Site.isValidCode(code) { v.fail("code", "must be 2–32 characters of A-Z, 0-9 and -") }
        } else {
            v.fail("code", "is required")
        }
        let name = v.text(name, "name", required: true, maxLength: TextLimits.name)
        let kind = SiteDraft.kind(self.kind, &v)
        let street = v.text(street, "street", required: true, maxLength: TextLimits.street)
        let community = v.text(community, "community", required: false, maxLength: TextLimits.community)
        let address = v.text(address, "address", required: false, maxLength: TextLimits.address)
        let operatorName = v.text(operatorName, "operator", required: false, maxLength: TextLimits.name)
        let phone = SiteDraft.phone(self.phone, &v)
        let opensOn = SiteDraft.date(self.opensOn, "opens_on", required: true, &v)
        let closesOn = SiteDraft.date(self.closesOn, "closes_on", required: false, &v)
        if let opensOn, let closesOn, closesOn < opensOn { v.fail("closes_on", "must not be before opens_on") }
        let slots = SiteDraft.slots(self.slots, &v)
        let price = v.price(defaultPriceFen, "default_price_fen")
        try v.check()
        guard let code, let name, let kind, let street, let opensOn, let slots else {
            throw CanteenError.validation(v.errors)
        }
        return Site(code: code, name: name, kind: kind, street: street, community: community, address: address,
                    operatorName: operatorName, phone: phone, opensOn: opensOn, closesOn: closesOn,
                    slots: slots, defaultPriceFen: price?.fen)
    }

    static func kind(_ text: String?, _ v: inout Validation) -> SiteKind? {
        guard let text else { v.fail("kind", "is required"); return nil }
        guard let kind = SiteKind(rawValue: text) else {
            v.fail("kind", "must be one of \(SiteKind.allCases.map(\.rawValue).joined(separator: ", "))")
            return nil
        }
        return kind
    }

    public static func date(_ text: String?, _ field: String, required: Bool, _ v: inout Validation) -> LocalDate? {
        guard let text else {
            if required { v.fail(field, "is required") }
            return nil
        }
        guard let date = LocalDate(iso: text) else {
            v.fail(field, "must be a date YYYY-MM-DD")
            return nil
        }
        return date
    }

    public static func phone(_ text: String?, _ v: inout Validation) -> String? {
        guard let phone = v.text(text, "phone", required: false, maxLength: TextLimits.phone) else { return nil }
        let allowed = phone.unicodeScalars.allSatisfy { ("0"..."9").contains($0) || "+- ()".unicodeScalars.contains($0) }
        if !allowed {
            v.fail("phone", "may contain only digits, spaces and + - ( )")
            return nil
        }
        return phone
    }

    static func slots(_ names: [String]?, _ v: inout Validation) -> [Slot]? {
        guard let names else { return [.lunch] }
        var slots: [Slot] = []
        for name in names {
            guard let slot = Slot(rawValue: name) else {
                v.fail("slots", "must contain only breakfast, lunch, dinner")
                return nil
            }
            if slots.contains(slot) {
                v.fail("slots", "must not repeat \(name)")
                return nil
            }
            slots.append(slot)
        }
        if slots.isEmpty {
            v.fail("slots", "must name at least one slot")
            return nil
        }
        return slots.sorted()
    }
}

/// A change to an existing site: only the fields present change. `closes_on: null` reopens a site.
public struct SitePatch: Sendable {
    public var name: String?
    public var kind: String?
    public var street: String?
    public var community: Field<String>
    public var address: Field<String>
    public var operatorName: Field<String>
    public var phone: Field<String>
    public var opensOn: String?
    public var closesOn: Field<String>
    public var slots: [String]?
    public var defaultPriceFen: Field<Int>

    /// A patch field: absent (leave it), `null` (clear it) or a value.
    public enum Field<Value: Sendable>: Sendable {
        case unchanged
        case cleared
        case set(Value)
    }

    public init(name: String? = nil, kind: String? = nil, street: String? = nil, community: Field<String> = .unchanged,
                address: Field<String> = .unchanged, operatorName: Field<String> = .unchanged, phone: Field<String> = .unchanged,
                opensOn: String? = nil, closesOn: Field<String> = .unchanged, slots: [String]? = nil,
                defaultPriceFen: Field<Int> = .unchanged) {
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

    /// Applies the patch to `site` and validates the result as a whole.
    public func applied(to site: Site) throws -> Site {
        func pick(_ field: Field<String>, _ current: String?) -> String? {
            switch field {
            case .unchanged: return current
            case .cleared: return nil
            case .set(let value): return value
            }
        }
        var draft = SiteDraft(
            code: site.code, name: name ?? site.name, kind: kind ?? site.kind.rawValue, street: street ?? site.street,
            community: pick(community, site.community), address: pick(address, site.address),
            operatorName: pick(operatorName, site.operatorName), phone: pick(phone, site.phone),
            opensOn: opensOn ?? site.opensOn.description, closesOn: pick(closesOn, site.closesOn?.description),
            slots: slots ?? site.slots.map(\.rawValue), defaultPriceFen: site.defaultPriceFen)
        switch defaultPriceFen {
        case .unchanged: break
        case .cleared: draft.defaultPriceFen = nil
        case .set(let fen): draft.defaultPriceFen = fen
        }
        return try draft.validated()
    }
}
