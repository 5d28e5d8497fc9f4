/// SPEC §2.14: what a canteen earns for serving (运营补贴), besides the meals' subsidies. A
/// policy may pay `operating_fen_per_diner_day` for every diner and date with at least one
/// valid subsidised meal at the site: a diner-day counts once however many meals it holds.
public enum OperatingSubsidy {
    /// Diner-days and what they earn.
    public struct Earned: Sendable, Equatable {
        public var dinerDays: Int
        public var fen: Int

        public init(dinerDays: Int, fen: Int) {
            self.dinerDays = dinerDays
            self.fen = fen
        }

        public static let none = Earned(dinerDays: 0, fen: 0)
    }

    /// The rate on `date`: that of the policy in force then; `nil` when it pays none.
    public static func rate(on date: LocalDate, policies: PolicyBook) -> Int? {
        policies.policy(on: date)?.operatingFenPerDinerDay
    }

    /// What a site earns for `dinerDays` (per date, how many diners had a valid subsidised meal
    /// there), each date at its own policy's rate. Dates under a policy without an operating
    /// subsidy earn nothing and are not counted.
    public static func earned(dinerDays: [LocalDate: Int], policies: PolicyBook) -> Earned {
        var earned = Earned.none
        for (date, diners) in dinerDays where diners > 0 {
            guard let rate = rate(on: date, policies: policies) else { continue }
            earned.dinerDays += diners
            earned.fen += diners * rate
        }
        return earned
    }

    /// The operating part of the adjustment for a subsidised meal voided after its month was
    /// claimed: the day's amount, negated, when the void leaves the diner no other valid
    /// subsidised meal at the site that day (the claim had counted the day); otherwise 0.
    public static func clawBack(subsidisedMealsLeft: Int, on date: LocalDate, policies: PolicyBook) -> Int {
        guard subsidisedMealsLeft == 0, let rate = rate(on: date, policies: policies) else { return 0 }
        return -rate
    }

    /// Whether any date of `month` falls under a policy with an operating subsidy (when none
    /// does, a claim or report need not count diner-days at all).
    public static func paid(in month: YearMonth, policies: PolicyBook) -> Bool {
        (0..<month.lastDay.day).contains { rate(on: month.firstDay.adding(days: $0), policies: policies) != nil }
    }
}
