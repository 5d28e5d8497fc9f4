import CanteenDomain
import CanteenService

/// Builders for test data that goes through the real services.
public enum Fixtures {
    /// A valid fictional resident ID born on `birth` (Shandong, Liaocheng), made unique by `serial`.
    public static func residentID(born birth: LocalDate, serial: Int, female: Bool = false) -> String {
        var sequence = (serial % 500) * 2 + (female ? 0 : 1)
        sequence = sequence % 1000
        let area = 371_500 + (serial / 500) % 100
        let digits = String(format: "%06d%04d%02d%02d%03d", area, birth.year, birth.month, birth.day, sequence)
        return ResidentID.completing(digits)!
    }

    @discardableResult
    public static func site(_ services: CanteenServices, _ code: String, opensOn: String = "2022-09-01", closesOn: String? = nil,
                            slots: [String] = ["breakfast", "lunch", "dinner"], price: Int? = 1000) async throws -> SiteView {
        try await services.sites.create(SiteDraft(code: code, name: "\(code)幸福食堂", kind: "community_center", street: "柳园街道",
                                                  opensOn: opensOn, closesOn: closesOn, slots: slots, defaultPriceFen: price),
                                        by: .testAdmin)
    }

    @discardableResult
    public static func diner(_ services: CanteenServices, born: String, serial: Int, card: String? = nil, home: String? = nil,
                             name: String = "测试老人") async throws -> DinerView {
        try await services.diners.register(
            DinerDraft(name: name, residentID: residentID(born: LocalDate(iso: born)!, serial: serial), homeSite: home, cardNo: card),
            by: .testAdmin)
    }

    public static func meal(site: String, diner: Int, slot: String = "lunch", on date: String? = nil, price: Int? = 1000,
                            key: String? = nil) -> MealDraft {
        MealDraft(siteCode: site, dinerID: diner, slot: slot, priceFen: price, servedOn: date, clientRef: key)
    }
}
