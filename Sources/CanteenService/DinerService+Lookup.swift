import CanteenDomain
import Postgres

extension DinerService {
    /// A diner found by resident ID or card number, with what they would get today.
    public struct Lookup: Sendable {
        public let diner: DinerView
        public let today: QuoteService.Today
    }

    /// Any operator may look up any diner (the subsidy follows the person); the slots and the
    /// price are those of `siteCode`, else the diner's home site, else all three slots and no price.
    public func lookup(residentID: String?, cardNo: String?, siteCode: String? = nil, by actor: Principal) async throws -> Lookup {
        let today = clock.today()
        let clock = self.clock
        let key: (column: String, value: String)
        switch (residentID, cardNo) {
        case (let raw?, nil):
            key = ("resident_id", try ResidentID(parsing: raw, today: today).value)
        case (nil, let card?):
            key = ("card_no", card.trimmingWhitespace())
        default:
            throw CanteenError.invalidRequest("give exactly one of resident_id, card_no", field: "resident_id")
        }
        let store = self.store
        return try await db.session { session in
            let column = key.column == "resident_id" ? "d.resident_id" : "d.card_no"
            guard let row = try session.query("SELECT \(Self.columns) FROM diner d WHERE \(column) = $2", [today, key.value]).first else {
                throw CanteenError.notFound("diner")
            }
            let diner = try Self.diner(from: row, clock: clock)
            // An operator looks up any diner at the counter; a street office only those it may read.
            if !actor.streets.isEmpty { try Self.requireAccess(diner, actor, session) }
            var slots = Slot.allCases
            var price: Int?
            if let code = siteCode ?? diner.homeSite,
               let siteRow = try session.query("SELECT slots, default_price_fen FROM site WHERE code = $1", [code]).first {
                slots = try siteRow.decode(0, as: TextArray.self).elements.compactMap(Slot.init(rawValue:))
                price = try siteRow.decode(1)
            }
            let ledger = try store.facts(for: [MealStore.Need(diner: .id(diner.id), siteCode: nil, date: today)], session)
            return Lookup(diner: DinerView(diner),
                          today: try QuoteService.today(ledger, dinerID: diner.id, on: today, slots: slots, priceFen: price))
        }
    }
}
