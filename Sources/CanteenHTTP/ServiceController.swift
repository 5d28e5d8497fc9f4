import CanteenAPI
import CanteenService
import Hummingbird

/// `/health`, `/ready` and the contract itself: no authentication.
struct ServiceController {
    let services: CanteenServices

    struct Status: ResponseEncodable {
        let status: String
    }

    var routes: RouteCollection<AppRequestContext> {
        let routes = RouteCollection(context: AppRequestContext.self)
        routes.get("health") { _, _ in Status(status: "ok") }
        routes.get("ready") { _, _ -> EditedResponse<Status> in
            if await services.db.isReachable() {
                return EditedResponse(status: .ok, response: Status(status: "ready"))
            }
            return EditedResponse(status: .serviceUnavailable, response: Status(status: "unavailable"))
        }
        routes.get("openapi.yaml") { _, _ in
            DocumentResponse(contentType: "application/yaml; charset=utf-8", text: Contract.yaml)
        }
        return routes
    }
}
