import CanteenAPI
import CanteenService
import CanteenWire
import Hummingbird

/// `/v1/tokens`: issue and revoke API tokens.
struct TokenController {
    let services: CanteenServices

    var routes: RouteCollection<AuthenticatedContext> {
        let routes = RouteCollection(context: AuthenticatedContext.self)
        routes.post("tokens") { request, context in
            let draft = try await request.decodeJSON(TokenService.Draft.self, context: context)
            return JSONResponse(status: .created, value: Operations.PostV1Tokens.Output.Created.Body.JsonPayload(
                try await services.tokens.create(draft, by: context.principal)))
        }
        routes.delete("tokens/:id") { _, context -> Response in
            try await services.tokens.revoke(try context.id(), by: context.principal)
            return Response(status: .noContent)
        }
        return routes
    }
}
