import CanteenAPI
import CanteenDomain
import CanteenWire
import Foundation
import Testing

@Suite("Problem documents")
/// The wire form of every error, from `CanteenWire`.
struct ProblemTests {
    @Test(arguments: CanteenError.Code.allCases)
    func everyCodeHasAStatusAndTitle(_ code: CanteenError.Code) throws {
        let problem = Components.Schemas.Problem(CanteenError(code, "detail"))
        #expect(problem.code.rawValue == code.rawValue)
        #expect(problem._type == "urn:canteen:problem:\(code.rawValue)")
        #expect((400...599).contains(problem.status))
        #expect(!problem.title.isEmpty)
    }

    @Test func statusesMatchTheSpec() {
        let expected: [CanteenError.Code: Int] = [
            .invalidRequest: 400, .unauthorized: 401, .forbidden: 403, .notFound: 404,
            .duplicateMeal: 409, .duplicateResidentID: 409, .duplicateCardNo: 409, .duplicateSiteCode: 409,
            .periodClosed: 409, .invalidState: 409, .payloadTooLarge: 413, .invalidResidentID: 422,
            .siteNotOperating: 422, .dinerInactive: 422, .invalidDate: 422, .invalidPrice: 422,
            .idempotencyMismatch: 422, .validationFailed: 422, .unavailable: 503,
        ]
        for (code, status) in expected { #expect(Components.Schemas.Problem.status(code) == status, "\(code)") }
    }

    @Test func extraMembersAppearOnlyWhenSet() throws {
        var error = CanteenError(.duplicateMeal, "already logged")
        error.existingMealID = 42
        let json = String(decoding: try JSONCoding.encoder().encode(Components.Schemas.Problem(error)), as: UTF8.self)
        #expect(json.contains(#""existing_meal_id":42"#))
        #expect(!json.contains("existing_diner_id"))
        #expect(!json.contains("errors"))
    }
}
