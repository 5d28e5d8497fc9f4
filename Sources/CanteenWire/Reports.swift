import CanteenAPI
import CanteenDomain
import CanteenService

// The monthly report across canteens (SPEC §2.10) as the contract's wire type.

extension Components.Schemas.MonthlyReport {
    public init(_ report: ReportService.MonthlyReport) {
        self.init(
            month: report.month.description, street: Nullable(report.street),
            sites: report.sites.map {
                .init(siteCode: $0.siteCode, name: $0.name, street: $0.street, meals: $0.meals, subsidizedMeals: $0.subsidizedMeals,
                      diners: $0.diners, subsidyFen: $0.subsidyFen, operatingSubsidyFen: $0.operatingSubsidyFen,
                      funders: $0.funders.map(Components.Schemas.FunderTotal.init), claimStatus: Nullable($0.claimStatus.map(Components.Schemas.ClaimStatus.init)))
            },
            brackets: report.brackets.map(Components.Schemas.Bracket.init),
            funders: report.funders.map(Components.Schemas.FunderTotal.init),
            days: report.days.map { .init(date: $0.date.description, meals: $0.meals) },
            totals: .init(meals: report.totals.meals, subsidizedMeals: report.totals.subsidizedMeals, diners: report.totals.diners,
                          subsidyFen: report.totals.subsidyFen, operatingSubsidyFen: report.totals.operatingSubsidyFen))
    }
}
