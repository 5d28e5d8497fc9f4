import CanteenAPI
import CanteenDomain
import CanteenService
import CanteenWire

// `/v1/sites` and `/v1/policies`.
extension APIHandlers {
    func postV1Sites(_ input: Operations.PostV1Sites.Input) async throws -> Operations.PostV1Sites.Output {
        let body = switch input.body { case .json(let body): body }
        return .created(.init(body: .json(.init(try await services.sites.create(SiteDraft(body), by: try Caller.current())))))
    }

    func getV1Sites(_ input: Operations.GetV1Sites.Input) async throws -> Operations.GetV1Sites.Output {
        let filter = SiteService.Filter(street: input.query.street?.nonEmpty, status: input.query.status.flatMap { SiteStatus(rawValue: $0.rawValue) })
        let sites = try await services.sites.list(filter, page: try page(input.query.limit, input.query.cursor), by: try Caller.current())
        return .ok(.init(body: .json(.init(sites))))
    }

    func getSite(_ input: Operations.GetSite.Input) async throws -> Operations.GetSite.Output {
        .ok(.init(body: .json(.init(try await services.sites.get(input.path.code, by: try Caller.current())))))
    }

    func patchSite(_ input: Operations.PatchSite.Input) async throws -> Operations.PatchSite.Output {
        let body = switch input.body { case .json(let body): body }
        return .ok(.init(body: .json(.init(try await services.sites.update(input.path.code, try SitePatch(body), by: try Caller.current())))))
    }

    func getV1Policies(_ input: Operations.GetV1Policies.Input) async throws -> Operations.GetV1Policies.Output {
        _ = try page(input.query.limit, input.query.cursor)
        return .ok(.init(body: .json(.init(try await services.policies.list()))))
    }

    func getV1PoliciesCurrent(_ input: Operations.GetV1PoliciesCurrent.Input) async throws -> Operations.GetV1PoliciesCurrent.Output {
        var date: LocalDate?
        if let on = input.query.on?.nonEmpty {
            guard let parsed = LocalDate(iso: on) else { throw CanteenError(.invalidDate, "on must be a date YYYY-MM-DD") }
            date = parsed
        }
        return .ok(.init(body: .json(.init(try await services.policies.current(on: date)))))
    }

    func postV1Policies(_ input: Operations.PostV1Policies.Input) async throws -> Operations.PostV1Policies.Output {
        let body = switch input.body { case .json(let body): body }
        return .created(.init(body: .json(.init(try await services.policies.add(PolicyService.Draft(body), by: try Caller.current())))))
    }
}
