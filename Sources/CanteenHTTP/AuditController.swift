import CanteenAPI
import CanteenService
import CanteenWire
import Hummingbird

/// `/v1/audit`: the audit log, newest first.
struct AuditController {
    let services: CanteenServices

    var routes: RouteCollection<AuthenticatedContext> {
        let routes = RouteCollection(context: AuthenticatedContext.self)
        routes.get("audit") { request, context in
            JSONResponse(value: try Components.Schemas.AuditPage(try await services.audit.list(entity: request.query("entity"), entityID: request.query("entity_id"),
                                                              page: try request.page(), by: context.principal)))
        }
        return routes
    }
}
