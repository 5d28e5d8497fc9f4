import CanteenAPI
import CanteenDomain
import CanteenService
import CanteenWire
import Hummingbird

/// `/v1/claims`: build, read, export, and move through review.
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

    var routes: RouteCollection<AuthenticatedContext> {
        let routes = RouteCollection(context: AuthenticatedContext.self)
        routes.post("claims") { request, context in
            let body = try await request.decodeJSON(BuildRequest.self, context: context)
            let built = try await services.claims.build(siteCode: body.siteCode, month: body.month, by: context.principal)
            return JSONResponse(status: built.created ? .created : .ok, value: Components.Schemas.Claim(ClaimView(built.claim)))
        }
        routes.get("claims") { request, context in
            let filter = try ClaimService.Filter(parsing: request.query("month"), siteCode: request.query("site_code"), status: request.query("status"))
            return JSONResponse(value: Components.Schemas.ClaimPage(try await services.claims.list(filter, page: try request.page(), by: context.principal)))
        }
        routes.get("claims/:id") { _, context in
            JSONResponse(value: Components.Schemas.Claim(ClaimView(try await services.claims.get(try context.id(), by: context.principal))))
        }
        routes.get("claims/:id/export") { request, context -> Response in
            guard let format = ClaimDocument.Format(rawValue: request.query("format") ?? "json") else {
                throw CanteenError.invalidRequest("format must be csv, html or json", field: "format")
            }
            let claim = try await services.claims.get(try context.id(), by: context.principal)
            switch format {
            case .json: return try JSONResponse(value: Components.Schemas.Claim(ClaimView(claim))).response(from: request, context: context)
            case .csv: return try DocumentResponse(contentType: format.contentType, text: ClaimDocument.csv(claim)).response(from: request, context: context)
            case .html:
                let html = try ClaimDocument.html(claim, printedAt: services.clock.timestamp(services.clock.currentDate()))
                return try DocumentResponse(contentType: format.contentType, text: html).response(from: request, context: context)
            }
        }
        for action in ClaimAction.allCases {
            routes.post("claims/:id/\(action.rawValue)") { request, context in
                let body = try await request.decodeJSON(Reason.self, context: context, optional: true)
                let reason = action == .reject ? body.reason : body.overrideReason
                return JSONResponse(value: Components.Schemas.Claim(ClaimView(try await services.claims.transition(try context.id(), action, reason: reason,
                                                                                          by: context.principal))))
            }
        }
        return routes
    }
}
