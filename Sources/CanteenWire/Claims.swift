import CanteenAPI
import CanteenDomain
import CanteenService

// Claims between the domain and the contract's wire types. A claim in a list carries its
// totals and checks; one read by id also its brackets, lines and adjustments.

extension Components.Schemas.Claim {
    public init(_ view: ClaimView) {
        let claim = view.claim
        self.init(
            id: claim.id, siteCode: claim.siteCode, siteName: claim.siteName, street: claim.street, month: claim.month.description,
            status: .init(claim.status), meals: claim.meals, diners: claim.diners, subsidyFen: claim.subsidyFen,
            operatingDinerDays: claim.operating.dinerDays, operatingSubsidyFen: claim.operating.fen,
            adjustmentFen: claim.adjustmentFen, totalFen: claim.totalFen, funders: claim.funders.map(Components.Schemas.FunderTotal.init),
            brackets: view.detailed ? claim.brackets.map(Components.Schemas.Bracket.init) : nil,
            lines: view.detailed ? claim.lines.map(LinesPayloadPayload.init) : nil,
            adjustments: view.detailed ? claim.adjustments.map(AdjustmentsPayloadPayload.init) : nil,
            checks: claim.checks.map(ChecksPayloadPayload.init),
            rejectReason: Nullable(claim.rejectReason), overrideReason: Nullable(claim.overrideReason), builtAt: claim.builtAt,
            submittedAt: Nullable(claim.submittedAt), approvedAt: Nullable(claim.approvedAt), rejectedAt: Nullable(claim.rejectedAt),
            paidAt: Nullable(claim.paidAt), approvalComment: Nullable(claim.approvalComment),
            paymentReference: Nullable(claim.paymentReference), paidOn: Nullable(claim.paidOn?.description),
            events: claim.events.map(EventsPayloadPayload.init))
    }
}

extension Components.Schemas.Claim.EventsPayloadPayload {
    init(_ event: ClaimEvent) {
        self.init(at: event.at, actor: event.actor, action: .init(rawValue: event.action.rawValue) ?? .build,
                  reason: Nullable(event.reason), comment: Nullable(event.comment), reference: Nullable(event.reference),
                  paidOn: Nullable(event.paidOn?.description))
    }
}

extension Components.Schemas.ClaimPage {
    public init(_ page: Page<ClaimView>) {
        self.init(items: page.items.map(Components.Schemas.Claim.init), nextCursor: Nullable(page.nextCursor))
    }
}

extension Components.Schemas.Claim.LinesPayloadPayload {
    init(_ line: ClaimLine) {
        self.init(dinerId: line.dinerID, name: line.name, residentIdMasked: line.residentIDMasked, bracket: line.bracket,
                  meals: line.meals, subsidyFen: line.subsidyFen)
    }
}

extension Components.Schemas.Claim.AdjustmentsPayloadPayload {
    init(_ adjustment: ClaimAdjustment) {
        self.init(mealId: adjustment.mealID, dinerId: adjustment.dinerID, servedOn: adjustment.servedOn.description,
                  subsidyFen: adjustment.subsidyFen, operatingFen: adjustment.operatingFen,
                  funding: adjustment.funding.map(Components.Schemas.FundingShare.init), reason: adjustment.reason)
    }
}

extension Components.Schemas.Claim.ChecksPayloadPayload {
    init(_ check: ClaimCheck) {
        self.init(code: check.code, severity: .init(check.severity), count: check.count, detail: check.detail)
    }
}

extension Components.Schemas.Claim.ChecksPayloadPayload.SeverityPayload {
    init(_ severity: ClaimCheck.Severity) {
        switch severity {
        case .blocking: self = .blocking
        case .warning: self = .warning
        }
    }
}

extension Components.Schemas.Bracket {
    init(_ bracket: ClaimBracket) {
        self.init(bracket: bracket.bracket, meals: bracket.meals, diners: bracket.diners, subsidyFen: bracket.subsidyFen)
    }
}

extension Components.Schemas.ClaimStatus {
    init(_ status: ClaimStatus) {
        switch status {
        case .draft: self = .draft
        case .submitted: self = .submitted
        case .approved: self = .approved
        case .rejected: self = .rejected
        case .paid: self = .paid
        }
    }
}
