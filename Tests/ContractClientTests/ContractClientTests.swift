import CanteenDomain
import CanteenHTTP
import CanteenService
import Foundation
import HTTPTypes
import HummingbirdTesting
import OpenAPIAsyncHTTPClient
import OpenAPIRuntime
import Testing
import TestSupport

/// A client generated from `openapi.yaml` itself drives a live server through a meal's life:
/// whatever the server answers must decode as the contract says, status by status.
@Suite("A client generated from the contract")
struct ContractClientTests {
    /// Sends the bearer token on every request.
    struct Bearer: ClientMiddleware {
        let token: String

        func intercept(_ request: HTTPRequest, body: HTTPBody?, baseURL: URL, operationID: String,
                       next: (HTTPRequest, HTTPBody?, URL) async throws -> (HTTPResponse, HTTPBody?)) async throws -> (HTTPResponse, HTTPBody?) {
            var request = request
            request.headerFields[.authorization] = "Bearer \(token)"
            return try await next(request, body, baseURL)
        }
    }

    @Test func registersLogsReplaysVoidsAndBuildsAClaim() async throws {
        try await TestDatabase.withServices { services in
            try await Fixtures.site(services, "LY-01")
            let token = try await services.tokens.create(TokenService.Draft(name: "clerk", role: "admin", siteCodes: []), by: .testAdmin).secret
            let app = buildApplication(services: services, configuration: ServerConfiguration(host: "127.0.0.1", port: 0))
            try await app.test(.live) { live in
                let port = try #require(live.port)
                let client = Client(serverURL: try #require(URL(string: "http://127.0.0.1:\(port)")),
                                    transport: AsyncHTTPClientTransport(), middlewares: [Bearer(token: token)])
                let residentID = Fixtures.residentID(born: LocalDate(iso: "1940-05-01")!, serial: 7)

                let registered = try await client.postV1Diners(body: .json(.init(name: "王大爷", residentId: residentID, cardNo: "CARD-7")))
                let diner = try registered.created.body.json
                #expect(diner.name == "王大爷")
                #expect(diner.residentId == nil)
                #expect(diner.residentIdMasked == String(residentID.prefix(6)) + "********" + String(residentID.suffix(4)))
                #expect(diner.birthDate == "1940-05-01")
                let shown = try await client.getDiner(path: .init(id: diner.id))
                #expect(try shown.ok.body.json.residentId == residentID)

                let meal = Components.Schemas.MealInput(siteCode: "LY-01", dinerId: diner.id, slot: .lunch, priceFen: 1000, servedOn: "2026-10-12")
                let logged = try await client.postV1Meals(headers: .init(idempotencyKey: "tap-1"), body: .json(meal))
                let created = try logged.created.body.json
                #expect(created.subsidyFen == 400)
                #expect(created.payableFen == 600)
                #expect(created.status == .valid)

                let replayed = try await client.postV1Meals(headers: .init(idempotencyKey: "tap-1"), body: .json(meal))
                let replay = try replayed.ok
                #expect(replay.headers.idempotentReplayed == ._true)
                #expect(try replay.body.json.id == created.id)

                let voided = try await client.voidMeal(path: .init(id: created.id), body: .json(.init(reason: "打错了")))
                #expect(try voided.ok.body.json.status == .void)

                let again = try await client.postV1Meals(headers: .init(idempotencyKey: "tap-2"), body: .json(meal))
                #expect(try again.created.body.json.id != created.id)

                let claim = try await client.postV1Claims(body: .json(.init(siteCode: "LY-01", month: "2026-10")))
                let built = try claim.created.body.json
                #expect(built.siteCode == "LY-01")
                #expect(built.meals == 1)
                #expect(built.status == .draft)
                #expect(built.subsidyFen == 400)
            }
        }
    }
}
