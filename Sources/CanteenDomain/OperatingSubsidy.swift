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

        public static func + (a: Earned, b: Earned) -> Earned {
            Earned(dinerDays: a.dinerDays + b.dinerDays, fen: a.fen + b.fen)
        }
    }

    /// Per date of `month`, the rate of the policy in force then; dates whose policy pays none
    /// are left out. A claim keeps the rates it was built with (a frozen claim's are final).
    public static func rates(in month: YearMonth, policies: PolicyBook) -> [LocalDate: Int] {
        var rates: [LocalDate: Int] = [:]
        for offset in 0..<month.lastDay.day {
            let date = month.firstDay.adding(days: offset)
            if let rate = policies.policy(on: date)?.operatingFenPerDinerDay { rates[date] = rate }
        }
        return rates
    }

    /// What a site earns for `dinerDays` (per date, how many diners had a valid subsidised meal
    /// there), each date at its rate; dates without a rate earn nothing and are not counted.
    public static func earned(dinerDays: [LocalDate: Int], rates: [LocalDate: Int]) -> Earned {
        var earned = Earned.none
        for (date, diners) in dinerDays where diners > 0 {
            guard let rate = rates[date] else { continue }
            earned.dinerDays += diners
            earned.fen += diners * rate
        }
        return earned
    }

    /// A month's claim: its valid diner-days at its rates, plus the days it once counted whose
    /// claw-back another frozen claim already carries (`takenBackElsewhere`: how many, and what
    /// they took back). A claim rebuilt after a rejection thus pays a day again exactly when the
    /// deduction is made elsewhere, as the meals' subsidies are (SPEC §2.9), never twice or never.
    public static func claimed(dinerDays: [LocalDate: Int], rates: [LocalDate: Int], takenBackElsewhere: Earned) -> Earned {
        earned(dinerDays: dinerDays, rates: rates) + takenBackElsewhere
    }

    /// The operating part of the adjustment for a subsidised meal voided after its month was
    /// claimed: the day's rate in that claim (`rate`), negated, when the void leaves the diner no
    /// other valid subsidised meal at the site that day (the claim had counted the day); else 0.
    public static func clawBack(subsidisedMealsLeft: Int, rate: Int?) -> Int {
        guard subsidisedMealsLeft == 0, let rate else { return 0 }
        return -rate
    }
}
