import CanteenAPI
import OpenAPIRuntime

// `/health`, `/ready` and the contract itself: no authentication.
extension APIHandlers {
    func getHealth(_ input: Operations.GetHealth.Input) async throws -> Operations.GetHealth.Output {
        .ok(.init(body: .json(.init(status: "ok"))))
    }

    func getReady(_ input: Operations.GetReady.Input) async throws -> Operations.GetReady.Output {
        if await services.db.isReachable() { return .ok(.init(body: .json(.init(status: "ready")))) }
        return .serviceUnavailable(.init(body: .json(.init(status: "unavailable"))))
    }

    /// The document's own bytes, embedded at build time.
    func getOpenapi_yaml(_ input: Operations.GetOpenapi_yaml.Input) async throws -> Operations.GetOpenapi_yaml.Output {
        .ok(.init(body: .yaml(HTTPBody(Contract.yaml))))
    }
}
