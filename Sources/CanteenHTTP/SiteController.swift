import CanteenDomain
import CanteenService
import Hummingbird

/// `/v1/sites` and `/v1/policies`.
struct SiteController {
    let services: CanteenServices

    func addRoutes(to group: RouterGroup<AppRequestContext>) {
        group.post("sites") { request, context in
            let draft = try await request.decodeJSON(SiteDraft.self, context: context)
            return JSONResponse(status: .created, value: try await services.sites.create(draft, by: try context.actor()))
        }
        group.get("sites") { request, context in
            var filter = SiteService.Filter(street: request.query("street"))
            if let status = request.query("status") {
                guard let parsed = SiteStatus(rawValue: status) else {
                    throw CanteenError.invalidRequest("status must be preparing, operating or closed", field: "status")
                }
                filter.status = parsed
            }
            return JSONResponse(value: try await services.sites.list(filter, page: try request.page(), by: try context.actor()))
        }
        group.get("sites/:code") { _, context in
            JSONResponse(value: try await services.sites.get(try context.text("code"), by: try context.actor()))
        }
        group.patch("sites/:code") { request, context in
            let patch = try await request.decodeJSON(SitePatch.self, context: context)
            return JSONResponse(value: try await services.sites.update(try context.text("code"), patch, by: try context.actor()))
        }

        group.get("policies") { request, context in
            _ = try context.actor()
            _ = try request.page()
            return JSONResponse(value: Page(items: try await services.policies.list(), nextCursor: nil))
        }
        group.get("policies/current") { request, context in
            _ = try context.actor()
            var date: LocalDate?
            if let on = request.query("on") {
                guard let parsed = LocalDate(iso: on) else { throw CanteenError(.invalidDate, "on must be a date YYYY-MM-DD") }
                date = parsed
            }
            return JSONResponse(value: try await services.policies.current(on: date))
        }
        group.post("policies") { request, context in
            let draft = try await request.decodeJSON(PolicyService.Draft.self, context: context)
            return JSONResponse(status: .created, value: try await services.policies.add(draft, by: try context.actor()))
        }
    }
}
