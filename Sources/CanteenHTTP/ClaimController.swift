import CanteenDomain
import CanteenService
import Foundation
import Hummingbird

/// `/v1/claims`, `/v1/reports`, `/v1/tokens`, `/v1/audit`.
struct ClaimController {
    let services: CanteenServices

    struct BuildRequest: Decodable {
        let siteCode: String?
        let month: String?

        enum CodingKeys: String, CodingKey {
            case month
            case siteCode = "site_code"
        }
    }

    struct Reason: Decodable {
        let reason: String?
        let overrideReason: String?

        enum CodingKeys: String, CodingKey {
            case reason
            case overrideReason = "override_reason"
        }
    }

    func addRoutes(to group: RouterGroup<AppRequestContext>) {
        group.post("claims") { request, context in
            let body = try await request.decodeJSON(BuildRequest.self, context: context)
            let built = try await services.claims.build(siteCode: body.siteCode, month: body.month, by: try context.actor())
            return JSONResponse(status: built.created ? .created : .ok, value: ClaimView(built.claim))
        }
        group.get("claims") { request, context in
            let filter = try ClaimService.Filter(parsing: request.query("month"), siteCode: request.query("site_code"), status: request.query("status"))
            return JSONResponse(value: try await services.claims.list(filter, page: try request.page(), by: try context.actor()))
        }
        group.get("claims/:id") { _, context in
            JSONResponse(value: ClaimView(try await services.claims.get(try context.id(), by: try context.actor())))
        }
        group.get("claims/:id/export") { request, context -> Response in
            guard let format = ClaimDocument.Format(rawValue: request.query("format") ?? "json") else {
                throw CanteenError.invalidRequest("format must be csv, html or json", field: "format")
            }
            let claim = try await services.claims.get(try context.id(), by: try context.actor())
            switch format {
            case .json: return try JSONResponse(value: ClaimView(claim)).response(from: request, context: context)
            case .csv: return try DocumentResponse(contentType: format.contentType, text: ClaimDocument.csv(claim)).response(from: request, context: context)
            case .html:
                let html = try ClaimDocument.html(claim, printedAt: services.clock.timestamp(services.clock.currentDate()))
                return try DocumentResponse(contentType: format.contentType, text: html).response(from: request, context: context)
            }
        }
        for action in ClaimAction.allCases {
            group.post("claims/:id/\(action.rawValue)") { request, context in
                let body = try await request.decodeJSON(Reason.self, context: context, optional: true)
                let reason = action == .reject ? body.reason : body.overrideReason
                return JSONResponse(value: ClaimView(try await services.claims.transition(try context.id(), action, reason: reason,
                                                                                          by: try context.actor())))
            }
        }

        group.get("reports/monthly") { request, context -> Response in
            let report = try await services.reports.monthly(month: request.query("month"), street: request.query("street"), by: try context.actor())
            switch request.query("format") {
            case nil, "json": return try JSONResponse(value: report).response(from: request, context: context)
            case "csv": return try DocumentResponse(contentType: "text/csv; charset=utf-8", text: ReportDocument.csv(report)).response(from: request, context: context)
            case "html":
                let html = try ReportDocument.html(report, printedAt: services.clock.timestamp(services.clock.currentDate()))
                return try DocumentResponse(contentType: "text/html; charset=utf-8", text: html).response(from: request, context: context)
            default: throw CanteenError.invalidRequest("format must be json, csv or html", field: "format")
            }
        }

        group.post("tokens") { request, context in
            let draft = try await request.decodeJSON(TokenService.Draft.self, context: context)
            return JSONResponse(status: .created, value: try await services.tokens.create(draft, by: try context.actor()))
        }
        group.delete("tokens/:id") { _, context -> Response in
            try await services.tokens.revoke(try context.id(), by: try context.actor())
            return Response(status: .noContent)
        }
        group.get("audit") { request, context in
            JSONResponse(value: try await services.audit.list(entity: request.query("entity"), entityID: request.query("entity_id"),
                                                              page: try request.page(), by: try context.actor()))
        }
    }
}
