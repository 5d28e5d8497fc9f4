import CanteenDomain
import CanteenService
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

    func addRoutes(to group: RouterGroup<AppRequestContext>) {
        group.post("diners") { request, context in
            let draft = try await request.decodeJSON(DinerDraft.self, context: context)
            return JSONResponse(status: .created, value: try await services.diners.register(draft, by: try context.actor()))
        }
        group.get("diners") { request, context in
            let filter = DinerService.Filter(query: request.query("q"), community: request.query("community"), homeSite: request.query("home_site"))
            return JSONResponse(value: try await services.diners.list(filter, page: try request.page(), by: try context.actor()))
        }
        group.get("diners/lookup") { request, context in
            JSONResponse(value: try await services.diners.lookup(residentID: request.query("resident_id"), cardNo: request.query("card_no"),
                                                                 siteCode: request.query("site_code"), by: try context.actor()))
        }
        group.get("diners/:id") { _, context in
            JSONResponse(value: try await services.diners.get(try context.id(), by: try context.actor()))
        }
        group.patch("diners/:id") { request, context in
            let patch = try await request.decodeJSON(DinerPatch.self, context: context)
            return JSONResponse(value: try await services.diners.update(try context.id(), patch, by: try context.actor()))
        }
        group.post("diners/:id/status") { request, context in
            let change = try await request.decodeJSON(StatusChange.self, context: context)
            return JSONResponse(value: try await services.diners.setStatus(try context.id(), status: change.status,
                                                                          effectiveOn: change.effectiveOn, by: try context.actor()))
        }
    }
}
