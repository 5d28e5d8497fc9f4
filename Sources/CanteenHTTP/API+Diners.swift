import CanteenAPI
import CanteenDomain
import CanteenService
import CanteenWire

// `/v1/diners`.
extension APIHandlers {
    func postV1Diners(_ input: Operations.PostV1Diners.Input) async throws -> Operations.PostV1Diners.Output {
        let body = switch input.body { case .json(let body): body }
        return .created(.init(body: .json(.init(try await services.diners.register(DinerDraft(body), by: try Caller.current())))))
    }

    func getV1Diners(_ input: Operations.GetV1Diners.Input) async throws -> Operations.GetV1Diners.Output {
        let query = input.query
        let filter = DinerService.Filter(query: query.q?.nonEmpty, community: query.community?.nonEmpty, homeSite: query.homeSite?.nonEmpty)
        return .ok(.init(body: .json(.init(try await services.diners.list(filter, page: try page(query.limit, query.cursor), by: try Caller.current())))))
    }

    func importDiners(_ input: Operations.ImportDiners.Input) async throws -> Operations.ImportDiners.Output {
        let csv = switch input.body { case .csv(let body): body }
        let dryRun = input.query.dryRun.map { $0 == ._true || $0 == ._1 } ?? false
        let report = try await services.dinerImporter.importCSV(try await ContractRoutes.data(csv), homeSite: input.query.homeSite?.nonEmpty,
                                                                dryRun: dryRun, by: try Caller.current())
        return .ok(.init(body: .json(.init(report))))
    }

    func getV1DinersLookup(_ input: Operations.GetV1DinersLookup.Input) async throws -> Operations.GetV1DinersLookup.Output {
        let query = input.query
        let lookup = try await services.diners.lookup(residentID: query.residentId?.nonEmpty, cardNo: query.cardNo?.nonEmpty,
                                                      siteCode: query.siteCode?.nonEmpty, by: try Caller.current())
        return .ok(.init(body: .json(.init(lookup))))
    }

    func getDiner(_ input: Operations.GetDiner.Input) async throws -> Operations.GetDiner.Output {
        .ok(.init(body: .json(.init(try await services.diners.get(try positiveID(input.path.id), by: try Caller.current())))))
    }

    func patchDiner(_ input: Operations.PatchDiner.Input) async throws -> Operations.PatchDiner.Output {
        let body = switch input.body { case .json(let body): body }
        let patch = try DinerPatch(body)
        return .ok(.init(body: .json(.init(try await services.diners.update(try positiveID(input.path.id), patch, by: try Caller.current())))))
    }

    func setDinerStatus(_ input: Operations.SetDinerStatus.Input) async throws -> Operations.SetDinerStatus.Output {
        let body = switch input.body { case .json(let body): body }
        let diner = try await services.diners.setStatus(try positiveID(input.path.id), status: body.status.rawValue, effectiveOn: body.effectiveOn,
                                                        by: try Caller.current())
        return .ok(.init(body: .json(.init(diner))))
    }

    func addDinerCategory(_ input: Operations.AddDinerCategory.Input) async throws -> Operations.AddDinerCategory.Output {
        let body = switch input.body { case .json(let body): body }
        let draft = CategoryPeriodDraft(category: body.category.rawValue, effectiveOn: body.effectiveOn, endsOn: body.endsOn)
        return .created(.init(body: .json(.init(try await services.diners.addCategory(try positiveID(input.path.id), draft, by: try Caller.current())))))
    }

    func endDinerCategory(_ input: Operations.EndDinerCategory.Input) async throws -> Operations.EndDinerCategory.Output {
        let body = switch input.body { case .json(let body): body }
        let diner = try await services.diners.endCategory(try positiveID(input.path.id), period: try positiveID(input.path.periodId, "period_id"),
                                                          endsOn: body.endsOn, by: try Caller.current())
        return .ok(.init(body: .json(.init(diner))))
    }
}
