import CanteenAPI
import CanteenDomain
import CanteenService
import CanteenWire
import Hummingbird

/// `/v1/meals` and `/v1/subsidy-quote`.
struct MealController {
    let services: CanteenServices

    struct Batch: Decodable {
        let meals: [MealDraft]
    }

    struct Void: Decodable {
        let reason: String?
    }

    var routes: RouteCollection<AuthenticatedContext> {
        let routes = RouteCollection(context: AuthenticatedContext.self)
        routes.post("meals") { request, context in
            let draft = try await request.decodeJSON(MealDraft.self, context: context)
            let key = request.headers[.init("Idempotency-Key")!]
            let logged = try await services.meals.log(draft, idempotencyKey: key, by: context.principal)
            if logged.replayed {
                return JSONResponse(status: .ok, value: Components.Schemas.Meal(logged.meal), headers: [.init("Idempotent-Replayed")!: "true"])
            }
            return JSONResponse(status: .created, value: Components.Schemas.Meal(logged.meal))
        }
        routes.post("meals/batch") { request, context in
            let batch = try await request.decodeJSON(Batch.self, context: context)
            return JSONResponse(value: Operations.PostV1MealsBatch.Output.Ok.Body.JsonPayload(try await services.meals.logBatch(batch.meals, by: context.principal)))
        }
        routes.get("meals") { request, context in
            let filter = try MealService.Filter(parsing: request.query("site_code"), dinerID: try request.queryInt("diner_id"),
                                                from: request.query("from"), to: request.query("to"), status: request.query("status"))
            return JSONResponse(value: Components.Schemas.MealPage(try await services.meals.list(filter, page: try request.page(), by: context.principal)))
        }
        routes.get("meals/:id") { _, context in
            JSONResponse(value: Components.Schemas.Meal(try await services.meals.get(try context.id(), by: context.principal)))
        }
        routes.post("meals/:id/void") { request, context in
            let body = try await request.decodeJSON(Void.self, context: context)
            return JSONResponse(value: Components.Schemas.Meal(try await services.meals.void(try context.id(), reason: body.reason, by: context.principal)))
        }
        routes.get("subsidy-quote") { request, context in
            JSONResponse(value: Components.Schemas.Quote(try await services.quotes.quote(dinerID: try request.queryInt("diner_id"), servedOn: request.query("served_on"),
                                                                slot: request.query("slot"), priceFen: try request.queryInt("price_fen"),
                                                                by: context.principal)))
        }
        return routes
    }
}
