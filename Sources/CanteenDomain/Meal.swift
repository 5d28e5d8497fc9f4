/// Whether a meal counts.
public enum MealStatus: String, Sendable, Codable, CaseIterable {
    case valid, void
}

/// A logged meal. Age, bracket and subsidy were computed once, when it was logged.
public struct Meal: Sendable, Equatable {
    public let id: Int
    public let dinerID: Int
    public let siteCode: String
    public let servedOn: LocalDate
    public let slot: Slot
    public let priceFen: Int
    public let delivery: Bool
    public let age: Int
    public let bracket: String
    /// The category its tier paid for (SPEC §2.12); nil for a tier by age alone, or none.
    public let category: DinerCategory?
    public let subsidyFen: Int
    /// Who pays the subsidy (SPEC §2.13): every funder of its tier, in the tier's order.
    public let funding: [FundingShare]
    public let payableFen: Int
    public let status: MealStatus
    public let claimID: Int?
    public let createdAt: String
    public let voidReason: String?
    public let voidedBy: String?
    public let voidedAt: String?

    public init(id: Int, dinerID: Int, siteCode: String, servedOn: LocalDate, slot: Slot, priceFen: Int, delivery: Bool,
                age: Int, bracket: String, category: DinerCategory? = nil, subsidyFen: Int, funding: [FundingShare] = [], payableFen: Int,
                status: MealStatus, claimID: Int?,
                createdAt: String, voidReason: String? = nil, voidedBy: String? = nil, voidedAt: String? = nil) {
        self.id = id
        self.dinerID = dinerID
        self.siteCode = siteCode
        self.servedOn = servedOn
        self.slot = slot
        self.priceFen = priceFen
        self.delivery = delivery
        self.age = age
        self.bracket = bracket
        self.category = category
        self.subsidyFen = subsidyFen
        self.funding = funding
        self.payableFen = payableFen
        self.status = status
        self.claimID = claimID
        self.createdAt = createdAt
        self.voidReason = voidReason
        self.voidedBy = voidedBy
        self.voidedAt = voidedAt
    }
}

/// How a request names the diner.
public enum DinerReference: Sendable, Hashable, CustomStringConvertible {
    case id(Int)
    case residentID(String)
    case cardNo(String)

    /// For idempotency fingerprints only (never logged).
    var canonical: String {
        switch self {
        case .id(let id): return "id:\(id)"
        case .residentID(let value): return "rid:\(value)"
        case .cardNo(let card): return "card:\(card)"
        }
    }

    public var description: String { message.description }

    /// The diner as a message names it.
    public var message: Message {
        switch self {
        case .id(let id): return "diner \(id)"
        case .residentID(let value): return "the diner with resident ID \(ResidentID.mask(value))"
        case .cardNo(let card): return "the diner with card \(card)"
        }
    }
}

/// A checked request to log one meal.
public struct MealRequest: Sendable, Equatable {
    public let siteCode: String
    public let diner: DinerReference
    public let slot: Slot
    /// `nil`: the site's default price.
    public let priceFen: Int?
    /// `nil`: today.
    public let servedOn: LocalDate?
    public let delivery: Bool
    public let idempotencyKey: String?

    public init(siteCode: String, diner: DinerReference, slot: Slot, priceFen: Int?, servedOn: LocalDate?, delivery: Bool, idempotencyKey: String?) {
        self.siteCode = siteCode
        self.diner = diner
        self.slot = slot
        self.priceFen = priceFen
        self.servedOn = servedOn
        self.delivery = delivery
        self.idempotencyKey = idempotencyKey
    }

    /// The content an idempotency key is bound to, as the client sent it (an omitted
    /// `served_on` stays omitted, so a retry after midnight still replays). It can hold a full
    /// resident ID: it is stored only as a hash (`MealService.requestHash`), never as it is.
    public var canonicalContent: String {
        [siteCode, diner.canonical, servedOn?.description ?? "", slot.rawValue,
         priceFen.map(String.init) ?? "", delivery ? "1" : "0"].joined(separator: "|")
    }
}

/// A meal as a user sends it, before validation (the body of `POST /v1/meals`, an item of a batch).
public struct MealDraft: Sendable {
    public var siteCode: String?
    public var dinerID: Int?
    public var residentID: String?
    public var cardNo: String?
    public var slot: String?
    public var priceFen: Int?
    public var servedOn: String?
    public var delivery: Bool?
    public var clientRef: String?

    public init(siteCode: String?, dinerID: Int? = nil, residentID: String? = nil, cardNo: String? = nil, slot: String?,
                priceFen: Int?, servedOn: String? = nil, delivery: Bool? = nil, clientRef: String? = nil) {
        self.siteCode = siteCode
        self.dinerID = dinerID
        self.residentID = residentID
        self.cardNo = cardNo
        self.slot = slot
        self.priceFen = priceFen
        self.servedOn = servedOn
        self.delivery = delivery
        self.clientRef = clientRef
    }

    public static let maximumKeyLength = 100

    /// Checks the request's own content (what needs no database), with the SPEC's error codes.
    public func validated(today: LocalDate, idempotencyKey: String?) throws -> MealRequest {
        guard let site = siteCode?.trimmingWhitespace(), !site.isEmpty else {
            throw CanteenError.invalidRequest("site_code is required", field: "site_code")
        }
        let named = [dinerID != nil, residentID != nil, cardNo != nil].filter { $0 }.count
        guard named == 1 else {
            throw CanteenError.invalidRequest("name the diner by exactly one of diner_id, resident_id, card_no", field: "diner_id")
        }
        let diner: DinerReference
        if let dinerID {
            guard dinerID > 0 else { throw CanteenError.invalidRequest("diner_id must be a positive integer", field: "diner_id") }
            diner = .id(dinerID)
        } else if let residentID {
            diner = .residentID(try ResidentID(parsing: residentID, today: today).value)
        } else {
            var v = Validation()
            guard let card = DinerDraft.cardNumber(cardNo, &v) else {
                throw CanteenError.invalidRequest("card_no must be 1–32 of A-Z, a-z, 0-9 and -", field: "card_no")
            }
            diner = .cardNo(card)
        }
        guard let slotName = slot else { throw CanteenError.invalidRequest("slot is required", field: "slot") }
        guard let slot = Slot(rawValue: slotName) else {
            throw CanteenError.invalidRequest("slot must be breakfast, lunch or dinner", field: "slot")
        }
        if let priceFen, !(0...Money.maximumMealPrice.fen).contains(priceFen) {
            throw CanteenError(.invalidPrice, "price_fen must be 0–\(Money.maximumMealPrice.fen)",
                               errors: [FieldError(field: "price_fen", message: "must be 0–\(Money.maximumMealPrice.fen)")])
        }
        let servedOn = try Self.servedOn(self.servedOn, today: today)
        let key = try Self.key(idempotencyKey)
        return MealRequest(siteCode: site, diner: diner, slot: slot, priceFen: priceFen, servedOn: servedOn,
                           delivery: delivery ?? false, idempotencyKey: key)
    }

    /// `served_on` as sent: `nil` when omitted (today); a malformed or future date is `invalid_date`.
    public static func servedOn(_ text: String?, today: LocalDate) throws -> LocalDate? {
        guard let text else { return nil }
        guard let date = LocalDate(iso: text) else {
            throw CanteenError(.invalidDate, "served_on must be a date YYYY-MM-DD",
                               errors: [FieldError(field: "served_on", message: "must be a date YYYY-MM-DD")])
        }
        guard date <= today else {
            throw CanteenError(.invalidDate, "served_on \(date) is in the future (today is \(today))",
                               errors: [FieldError(field: "served_on", message: "must not be in the future")])
        }
        return date
    }

    /// Idempotency keys and client refs: 1–100 printable ASCII characters.
    public static func key(_ text: String?) throws -> String? {
        guard let text else { return nil }
        guard !text.isEmpty, text.utf8.count <= maximumKeyLength,
              text.unicodeScalars.allSatisfy({ $0.value >= 0x21 && $0.value <= 0x7E }) else {
            throw CanteenError.invalidRequest("an idempotency key must be 1–\(maximumKeyLength) printable ASCII characters", field: "client_ref")
        }
        return text
    }
}
