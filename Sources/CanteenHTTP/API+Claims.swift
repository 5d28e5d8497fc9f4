import CanteenAPI
import CanteenDomain
import CanteenService
import CanteenWire
import OpenAPIRuntime

// `/v1/claims` (build, read, export, review) and `/v1/reports/monthly`.
extension APIHandlers {
    func postV1Claims(_ input: Operations.PostV1Claims.Input) async throws -> Operations.PostV1Claims.Output {
        let body = switch input.body { case .json(let body): body }
        let built = try await services.claims.build(siteCode: body.siteCode, month: body.month, by: try Caller.current())
        let claim = Components.Schemas.Claim(ClaimView(built.claim))
        return built.created ? .created(.init(body: .json(claim))) : .ok(.init(body: .json(claim)))
    }

    func getV1Claims(_ input: Operations.GetV1Claims.Input) async throws -> Operations.GetV1Claims.Output {
        let query = input.query
        let filter = try ClaimService.Filter(parsing: query.month?.nonEmpty, siteCode: query.siteCode?.nonEmpty, status: query.status?.rawValue)
        return .ok(.init(body: .json(.init(try await services.claims.list(filter, page: try page(query.limit, query.cursor), by: try Caller.current())))))
    }

    func getClaim(_ input: Operations.GetClaim.Input) async throws -> Operations.GetClaim.Output {
        .ok(.init(body: .json(.init(ClaimView(try await services.claims.get(try positiveID(input.path.id), by: try Caller.current()))))))
    }

    func exportClaim(_ input: Operations.ExportClaim.Input) async throws -> Operations.ExportClaim.Output {
        let claim = try await services.claims.get(try positiveID(input.path.id), by: try Caller.current())
        switch input.query.format ?? .json {
        case .json: return .ok(.init(body: .json(.init(ClaimView(claim)))))
        case .csv: return .ok(.init(body: .csv(HTTPBody(ClaimDocument.csv(claim)))))
        case .html:
            let html = try ClaimDocument.html(claim, printedAt: services.clock.timestamp(services.clock.currentDate()))
            return .ok(.init(body: .html(HTTPBody(html))))
        }
    }

    func submitClaim(_ input: Operations.SubmitClaim.Input) async throws -> Operations.SubmitClaim.Output {
        let reason = input.body.map { switch $0 { case .json(let body): body.overrideReason } } ?? nil
        return .ok(.init(body: .json(.init(ClaimView(try await transition(input.path.id, .submit, reason: reason))))))
    }

    func approveClaim(_ input: Operations.ApproveClaim.Input) async throws -> Operations.ApproveClaim.Output {
        let comment = input.body.map { switch $0 { case .json(let body): body.comment } } ?? nil
        return .ok(.init(body: .json(.init(ClaimView(try await transition(input.path.id, .approve, ClaimService.Note(comment: comment)))))))
    }

    func payClaim(_ input: Operations.PayClaim.Input) async throws -> Operations.PayClaim.Output {
        let body = input.body.map { switch $0 { case .json(let body): body } }
        let note = ClaimService.Note(reference: body?.reference, paidOn: body?.paidOn)
        return .ok(.init(body: .json(.init(ClaimView(try await transition(input.path.id, .pay, note))))))
    }

    func rejectClaim(_ input: Operations.RejectClaim.Input) async throws -> Operations.RejectClaim.Output {
        let body = switch input.body { case .json(let body): body }
        let reason = body.reason
        return .ok(.init(body: .json(.init(ClaimView(try await transition(input.path.id, .reject, reason: reason))))))
    }

    private func transition(_ id: Int, _ action: ClaimAction, reason: String? = nil) async throws -> Claim {
        try await transition(id, action, ClaimService.Note(reason: reason))
    }

    private func transition(_ id: Int, _ action: ClaimAction, _ note: ClaimService.Note) async throws -> Claim {
        try await services.claims.transition(try positiveID(id), action, note, by: try Caller.current())
    }

    func getV1ReportsMonthly(_ input: Operations.GetV1ReportsMonthly.Input) async throws -> Operations.GetV1ReportsMonthly.Output {
        let report = try await services.reports.monthly(month: input.query.month, street: input.query.street?.nonEmpty, by: try Caller.current())
        switch input.query.format ?? .json {
        case .json: return .ok(.init(body: .json(.init(report))))
        case .csv: return .ok(.init(body: .csv(HTTPBody(ReportDocument.csv(report)))))
        case .html:
            let html = try ReportDocument.html(report, printedAt: services.clock.timestamp(services.clock.currentDate()))
            return .ok(.init(body: .html(HTTPBody(html))))
        }
    }
}
