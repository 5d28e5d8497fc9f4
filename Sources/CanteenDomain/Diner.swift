/// Whether a diner may eat (and be subsidised) from a date on.
public enum DinerStatus: String, Sendable, Codable, CaseIterable {
    case active, suspended, deceased
    case movedOut = "moved_out"
}

/// An elderly person registered to eat at the canteens.
public struct Diner: Sendable, Equatable {
    public let id: Int
    public var name: String
    public var residentID: String
    public var sex: Sex
    public var birthDate: LocalDate
    public var phone: String?
    public var address: String?
    public var community: String?
    public var homeSite: String?
    public var cardNo: String?
    /// The status today.
    public var status: DinerStatus
    /// RFC 3339 with the service zone's offset.
    public var registeredAt: String
    /// Every category period (SPEC §2.12), oldest first.
    public var categories: [CategoryPeriod]

    public init(id: Int, name: String, residentID: String, sex: Sex, birthDate: LocalDate, phone: String?, address: String?,
                community: String?, homeSite: String?, cardNo: String?, status: DinerStatus, registeredAt: String,
                categories: [CategoryPeriod] = []) {
        self.id = id
        self.name = name
        self.residentID = residentID
        self.sex = sex
        self.birthDate = birthDate
        self.phone = phone
        self.address = address
        self.community = community
        self.homeSite = homeSite
        self.cardNo = cardNo
        self.status = status
        self.registeredAt = registeredAt
        self.categories = categories
    }

    public var residentIDMasked: String { ResidentID.mask(residentID) }
}

/// A diner as shown to a caller: the full resident ID only when `showsResidentID`.
public struct DinerView: Sendable, Equatable {
    public let diner: Diner
    public let showsResidentID: Bool

    public init(_ diner: Diner, showsResidentID: Bool = false) {
        self.diner = diner
        self.showsResidentID = showsResidentID
    }
}

public struct DinerDraft: Sendable {
    public var name: String?
    public var residentID: String?
    public var phone: String?
    public var address: String?
    public var community: String?
    public var homeSite: String?
    public var cardNo: String?

    public init(name: String?, residentID: String?, phone: String? = nil, address: String? = nil,
                community: String? = nil, homeSite: String? = nil, cardNo: String? = nil) {
        self.name = name
        self.residentID = residentID
        self.phone = phone
        self.address = address
        self.community = community
        self.homeSite = homeSite
        self.cardNo = cardNo
    }


    /// The checked fields of a new diner.
    public struct Valid: Sendable {
        public let name: String
        public let residentID: ResidentID
        public let phone: String?
        public let address: String?
        public let community: String?
        public let homeSite: String?
        public let cardNo: String?
    }

    public func validated(today: LocalDate) throws -> Valid {
        guard let raw = residentID else {
            throw CanteenError.invalidRequest("resident_id is required", field: "resident_id")
        }
        let id = try ResidentID(parsing: raw, today: today)
        var v = Validation()
        let name = v.text(name, "name", required: true, maxLength: TextLimits.name)
        let phone = SiteDraft.phone(phone, &v)
        let address = v.text(address, "address", required: false, maxLength: TextLimits.address)
        let community = v.text(community, "community", required: false, maxLength: TextLimits.community)
        let homeSite = DinerDraft.siteCode(homeSite, &v)
        let cardNo = DinerDraft.cardNumber(cardNo, &v)
        try v.check()
        guard let name else { throw CanteenError.validation(v.errors) }
        return Valid(name: name, residentID: id, phone: phone, address: address, community: community, homeSite: homeSite, cardNo: cardNo)
    }

    public static func siteCode(_ text: String?, _ v: inout Validation) -> String? {
        guard let code = text?.trimmingWhitespace(), !code.isEmpty else { return nil }
        guard Site.isValidCode(code) else {
            v.fail("home_site", "is not a site code")
            return nil
        }
        return code
    }

    /// Card numbers: 1–32 of A-Z a-z 0-9 and -.
    public static func cardNumber(_ text: String?, _ v: inout Validation) -> String? {
        guard let card = text?.trimmingWhitespace(), !card.isEmpty else { return nil }
        let ok = card.utf8.count <= 32 && card.unicodeScalars.allSatisfy { $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || $0 == "-") }
        if !ok {
            v.fail("card_no", "must be 1–32 of A-Z, a-z, 0-9 and -")
            return nil
        }
        return card
    }
}

/// A change to a diner: only the fields present change; `null` clears an optional one.
/// The resident ID cannot be changed (register the person again if it was wrong).
public struct DinerPatch: Sendable {
    public var name: String?
    public var phone: SitePatch.Field<String> = .unchanged
    public var address: SitePatch.Field<String> = .unchanged
    public var community: SitePatch.Field<String> = .unchanged
    public var homeSite: SitePatch.Field<String> = .unchanged
    public var cardNo: SitePatch.Field<String> = .unchanged

    public init() {}

    public func applied(to diner: Diner) throws -> Diner {
        func pick(_ field: SitePatch.Field<String>, _ current: String?) -> String? {
            switch field {
            case .unchanged: return current
            case .cleared: return nil
            case .set(let value): return value
            }
        }
        var v = Validation()
        var changed = diner
        if let name { changed.name = v.text(name, "name", required: true, maxLength: TextLimits.name) ?? diner.name }
        changed.phone = SiteDraft.phone(pick(phone, diner.phone), &v)
        changed.address = v.text(pick(address, diner.address), "address", required: false, maxLength: TextLimits.address)
        changed.community = v.text(pick(community, diner.community), "community", required: false, maxLength: TextLimits.community)
        changed.homeSite = DinerDraft.siteCode(pick(homeSite, diner.homeSite), &v)
        changed.cardNo = DinerDraft.cardNumber(pick(cardNo, diner.cardNo), &v)
        try v.check()
        return changed
    }
}
