import CanteenAPI
import CanteenDomain
import CanteenService
import CanteenWire
import Hummingbird

/// `/v1/diners`.
struct DinerController {
    let services: CanteenServices

    struct StatusChange: Decodable {
        let status: String?
        let effectiveOn: String?

        enum CodingKeys: String, CodingKey {
            case status
            case effectiveOn = "effective_on"
        }
    }

    var routes: RouteCollection<AuthenticatedContext> {
        let routes = RouteCollection(context: AuthenticatedContext.self)
        routes.post("diners") { request, context in
            let draft = try await request.decodeJSON(DinerDraft.self, context: context)
            return JSONResponse(status: .created, value: Components.Schemas.Diner(try await services.diners.register(draft, by: context.principal)))
        }
        routes.get("diners") { request, context in
            let filter = DinerService.Filter(query: request.query("q"), community: request.query("community"), homeSite: request.query("home_site"))
            return JSONResponse(value: Components.Schemas.DinerPage(try await services.diners.list(filter, page: try request.page(), by: context.principal)))
        }
        routes.get("diners/lookup") { request, context in
            JSONResponse(value: Components.Schemas.DinerLookup(try await services.diners.lookup(
                residentID: request.query("resident_id"), cardNo: request.query("card_no"), siteCode: request.query("site_code"), by: context.principal)))
        }
        routes.get("diners/:id") { _, context in
            JSONResponse(value: Components.Schemas.Diner(try await services.diners.get(try context.id(), by: context.principal)))
        }
        routes.patch("diners/:id") { request, context in
            let patch = try await request.decodeJSON(DinerPatch.self, context: context)
            return JSONResponse(value: Components.Schemas.Diner(try await services.diners.update(try context.id(), patch, by: context.principal)))
        }
        routes.post("diners/:id/status") { request, context in
            let change = try await request.decodeJSON(StatusChange.self, context: context)
            return JSONResponse(value: Components.Schemas.Diner(try await services.diners.setStatus(
                try context.id(), status: change.status, effectiveOn: change.effectiveOn, by: context.principal)))
        }
        return routes
    }
}
