import CanteenAPI
import CanteenService
import CanteenWire

// `/v1/tokens` and `/v1/audit`.
extension APIHandlers {
    func postV1Tokens(_ input: Operations.PostV1Tokens.Input) async throws -> Operations.PostV1Tokens.Output {
        let body = switch input.body { case .json(let body): body }
        let draft = TokenService.Draft(body)
        return .created(.init(body: .json(.init(try await services.tokens.create(draft, by: try Caller.current())))))
    }

    func getV1Tokens(_ input: Operations.GetV1Tokens.Input) async throws -> Operations.GetV1Tokens.Output {
        let page = try await services.tokens.list(page: try page(input.query.limit, input.query.cursor), clock: services.clock, by: try Caller.current())
        return .ok(.init(body: .json(.init(page))))
    }

    func deleteV1TokensId(_ input: Operations.DeleteV1TokensId.Input) async throws -> Operations.DeleteV1TokensId.Output {
        try await services.tokens.revoke(try positiveID(input.path.id), by: try Caller.current())
        return .noContent(.init())
    }

    func getV1Audit(_ input: Operations.GetV1Audit.Input) async throws -> Operations.GetV1Audit.Output {
        let query = input.query
        let entries = try await services.audit.list(entity: query.entity?.rawValue, entityID: query.entityId?.nonEmpty,
                                                    page: try page(query.limit, query.cursor), by: try Caller.current())
        return .ok(.init(body: .json(try .init(entries))))
    }
}
