import CanteenDomain
import CanteenService
import Hummingbird

/// `/v1/policies`: every authenticated caller may read them; adding one is the bureau's.
struct PolicyController {
    let services: CanteenServices

    var routes: RouteCollection<AuthenticatedContext> {
        let routes = RouteCollection(context: AuthenticatedContext.self)
        routes.get("policies") { request, _ in
            _ = try request.page()
            return JSONResponse(value: Page(items: try await services.policies.list(), nextCursor: nil))
        }
        routes.get("policies/current") { request, _ in
            var date: LocalDate?
            if let on = request.query("on") {
                guard let parsed = LocalDate(iso: on) else { throw CanteenError(.invalidDate, "on must be a date YYYY-MM-DD") }
                date = parsed
            }
            return JSONResponse(value: try await services.policies.current(on: date))
        }
        routes.post("policies") { request, context in
            let draft = try await request.decodeJSON(PolicyService.Draft.self, context: context)
            return JSONResponse(status: .created, value: try await services.policies.add(draft, by: context.principal))
        }
        return routes
    }
}
