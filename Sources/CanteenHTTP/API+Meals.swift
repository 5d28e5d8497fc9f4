import CanteenAPI
import CanteenDomain
import CanteenService
import CanteenWire

// `/v1/meals` and `/v1/subsidy-quote`.
extension APIHandlers {
    func postV1Meals(_ input: Operations.PostV1Meals.Input) async throws -> Operations.PostV1Meals.Output {
        let body = switch input.body { case .json(let body): body }
        let draft = MealDraft(body)
        let logged = try await services.meals.log(draft, idempotencyKey: input.headers.idempotencyKey, by: try Caller.current())
        if logged.replayed {
            return .ok(.init(headers: .init(idempotentReplayed: ._true), body: .json(.init(logged.meal))))
        }
        return .created(.init(body: .json(.init(logged.meal))))
    }

    func postV1MealsBatch(_ input: Operations.PostV1MealsBatch.Input) async throws -> Operations.PostV1MealsBatch.Output {
        let body = switch input.body { case .json(let body): body }
        let drafts = body.meals.map(MealDraft.init)
        return .ok(.init(body: .json(.init(try await services.meals.logBatch(drafts, by: try Caller.current())))))
    }

    func importMeals(_ input: Operations.ImportMeals.Input) async throws -> Operations.ImportMeals.Output {
        let csv = switch input.body { case .csv(let body): body }
        let report = try await services.importer.importCSV(try await ContractRoutes.data(csv), siteCode: input.query.siteCode, by: try Caller.current())
        return .ok(.init(body: .json(.init(report))))
    }

    func getV1Meals(_ input: Operations.GetV1Meals.Input) async throws -> Operations.GetV1Meals.Output {
        let query = input.query
        let filter = try MealService.Filter(parsing: query.siteCode?.nonEmpty, dinerID: query.dinerId, servedOn: query.servedOn, from: query.from?.nonEmpty,
                                            to: query.to?.nonEmpty, status: query.status?.rawValue)
        return .ok(.init(body: .json(.init(try await services.meals.list(filter, page: try page(query.limit, query.cursor), by: try Caller.current())))))
    }

    func getMeal(_ input: Operations.GetMeal.Input) async throws -> Operations.GetMeal.Output {
        .ok(.init(body: .json(.init(try await services.meals.get(try positiveID(input.path.id), by: try Caller.current())))))
    }

    func voidMeal(_ input: Operations.VoidMeal.Input) async throws -> Operations.VoidMeal.Output {
        let body = switch input.body { case .json(let body): body }
        return .ok(.init(body: .json(.init(try await services.meals.void(try positiveID(input.path.id), reason: body.reason, by: try Caller.current())))))
    }

    func getV1SubsidyQuote(_ input: Operations.GetV1SubsidyQuote.Input) async throws -> Operations.GetV1SubsidyQuote.Output {
        let query = input.query
        let quote = try await services.quotes.quote(dinerID: query.dinerId, residentID: query.residentId?.nonEmpty, cardNo: query.cardNo?.nonEmpty,
                                                    siteCode: query.siteCode?.nonEmpty, servedOn: query.servedOn?.nonEmpty,
                                                    slot: query.slot.rawValue, priceFen: query.priceFen, by: try Caller.current())
        return .ok(.init(body: .json(.init(quote))))
    }
}
