import CanteenAPI
import CanteenWire
import CanteenDomain
import CanteenService
import Hummingbird

/// `/v1/sites`.
struct SiteController {
    let services: CanteenServices

    var routes: RouteCollection<AuthenticatedContext> {
        let routes = RouteCollection(context: AuthenticatedContext.self)
        routes.post("sites") { request, context in
            let draft = try await request.decodeJSON(SiteDraft.self, context: context)
            return JSONResponse(status: .created, value: Components.Schemas.Site(try await services.sites.create(draft, by: context.principal)))
        }
        routes.get("sites") { request, context in
            var filter = SiteService.Filter(street: request.query("street"))
            if let status = request.query("status") {
                guard let parsed = SiteStatus(rawValue: status) else {
                    throw CanteenError.invalidRequest("status must be preparing, operating or closed", field: "status")
                }
                filter.status = parsed
            }
            return JSONResponse(value: Components.Schemas.SitePage(try await services.sites.list(filter, page: try request.page(), by: context.principal)))
        }
        routes.get("sites/:code") { _, context in
            JSONResponse(value: Components.Schemas.Site(try await services.sites.get(try context.text("code"), by: context.principal)))
        }
        routes.patch("sites/:code") { request, context in
            let patch = try await request.decodeJSON(SitePatch.self, context: context)
            return JSONResponse(value: Components.Schemas.Site(try await services.sites.update(try context.text("code"), patch, by: context.principal)))
        }
        return routes
    }
}
