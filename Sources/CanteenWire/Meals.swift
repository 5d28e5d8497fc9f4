import CanteenAPI
import CanteenDomain
import CanteenService

// Meals, batch results and quotes between the domain and the contract's wire types.

extension Components.Schemas.Meal {
    public init(_ meal: Meal, dinerName: String? = nil) {
        self.init(
            id: meal.id, dinerId: meal.dinerID, siteCode: meal.siteCode, servedOn: meal.servedOn.description,
            slot: .init(meal.slot), priceFen: meal.priceFen, delivery: meal.delivery, age: meal.age, bracket: meal.bracket,
            category: Nullable(meal.category.map(Components.Schemas.Category.init)),
            subsidyFen: meal.subsidyFen, funding: meal.funding.map(Components.Schemas.FundingShare.init),
            payableFen: meal.payableFen, status: .init(meal.status),
            claimId: Nullable(meal.claimID), createdAt: meal.createdAt, voidReason: Nullable(meal.voidReason),
            voidedBy: Nullable(meal.voidedBy), voidedAt: Nullable(meal.voidedAt), dinerName: dinerName)
    }
}

extension Components.Schemas.MealPage {
    public init(_ list: MealService.Listing) {
        self.init(items: list.page.items.map { Components.Schemas.Meal($0, dinerName: list.dinerNames[$0.dinerID]) },
                  nextCursor: Nullable(list.page.nextCursor),
                  summary: list.summary.map { .init(meals: $0.meals, subsidyFen: $0.subsidyFen, payableFen: $0.payableFen) })
    }
}

extension Components.Schemas.Meal.StatusPayload {
    init(_ status: MealStatus) {
        switch status {
        case .valid: self = .valid
        case .void: self = .void
        }
    }
}

extension Components.Schemas.BatchResult {
    public init(_ result: MealService.BatchResult) {
        self.init(clientRef: Nullable(result.clientRef), status: .init(result.status),
                  meal: Nullable(result.meal.map { Components.Schemas.Meal($0) }),
                  error: Nullable(result.error.map { Components.Schemas.Problem($0) }))
    }
}

extension Components.Schemas.BatchResult.StatusPayload {
    init(_ status: MealService.BatchResult.Status) {
        switch status {
        case .created: self = .created
        case .replayed: self = .replayed
        case .duplicate: self = .duplicate
        case .rejected: self = .rejected
        }
    }
}

extension Operations.PostV1MealsBatch.Output.Ok.Body.JsonPayload {
    public init(_ results: [MealService.BatchResult]) {
        self.init(results: results.map(Components.Schemas.BatchResult.init))
    }
}

extension Components.Schemas.Quote {
    public init(_ quote: QuoteService.Quote) {
        self.init(age: quote.age, bracket: quote.bracket, category: Nullable(quote.category.map(Components.Schemas.Category.init)),
                  funding: quote.funding.map(Components.Schemas.FundingShare.init),
                  subsidyFen: quote.subsidyFen, payableFen: quote.payableFen,
                  eligible: quote.eligible, reason: Nullable(quote.reason))
    }
}

// MARK: requests

extension MealDraft {
    /// A meal as the contract's body (or a batch item) carries it.
    public init(_ body: Components.Schemas.MealInput) {
        self.init(siteCode: body.siteCode, dinerID: body.dinerId, residentID: body.residentId, cardNo: body.cardNo,
                  slot: body.slot.rawValue, priceFen: body.priceFen, servedOn: body.servedOn, delivery: body.delivery,
                  clientRef: body.clientRef)
    }
}

extension Components.Schemas.MealImport {
    public init(_ report: MealImporter.Report) {
        self.init(created: report.created, replayed: report.replayed, duplicate: report.duplicate, rejected: report.rejected,
                  rows: report.rows.map { row in
                      .init(line: row.line, status: .init(rawValue: row.status.rawValue) ?? .rejected, mealId: Nullable(row.mealID),
                            error: Nullable(row.error.map(Components.Schemas.RowError.init)))
                  })
    }
}

extension Components.Schemas.RowError {
    /// A rejected row's error: the SPEC code and what is wrong with the row.
    public init(_ error: CanteenError) {
        self.init(code: error.code.rawValue, detail: error.message.rendered(in: Language.current))
    }
}
