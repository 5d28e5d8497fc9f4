import CanteenAPI
import CanteenDomain

// A `CanteenError` as an RFC 9457 problem document (`application/problem+json`): what the API
// answers on failure, what a batch item carries, and what the CLI prints with `--json`. The
// HTTP status of each code lives here, with the wire, not in the domain.

extension Components.Schemas.Problem {
    /// In the language of the request or command (`Language.current`, SPEC §3): the title and
    /// the detail, and each field's message; the `code` words never change.
    public init(_ error: CanteenError, in language: Language = Language.current) {
        self.init(
            _type: "urn:canteen:problem:\(error.code.rawValue)", title: MessageCatalogue.title(error.code, in: language),
            status: Self.status(error.code), detail: error.message.rendered(in: language), code: .init(error.code),
            errors: error.errors.isEmpty ? nil : error.errors.map { .init(field: $0.field, message: $0.message.rendered(in: language)) },
            existingMealId: error.existingMealID, existingDinerId: error.existingDinerID)
    }

    public static func status(_ code: CanteenError.Code) -> Int {
        switch code {
        case .invalidRequest: 400
        case .unauthorized: 401
        case .forbidden: 403
        case .notFound: 404
        case .duplicateMeal, .duplicateResidentID, .duplicateCardNo, .duplicateSiteCode, .periodClosed, .invalidState: 409
        case .payloadTooLarge: 413
        case .invalidResidentID, .siteNotOperating, .dinerInactive, .invalidDate, .invalidPrice,
             .idempotencyMismatch, .validationFailed: 422
        case .tooManyRequests: 429
        case .internal: 500
        case .unavailable: 503
        }
    }

    /// The code's title in the language of the request (`Language.current`).
    public static func title(_ code: CanteenError.Code) -> String {
        MessageCatalogue.title(code, in: Language.current)
    }
}

extension Components.Schemas.Problem.CodePayload {
    /// The contract lists exactly the domain's codes (a test checks every one); a code it did
    /// not know would be the service's bug, answered as `internal`.
    init(_ code: CanteenError.Code) {
        self = Self(rawValue: code.rawValue) ?? ._internal
    }
}

extension CanteenError {
    /// What is wrong with a body, named by its path (`meals[2].slot`).
    public static func invalidBody(_ error: DecodingError) -> CanteenError {
        func path(_ keys: [any CodingKey]) -> String {
            keys.reduce(into: "") { path, key in
                if let index = key.intValue { path += "[\(index)]" } else { path += (path.isEmpty ? "" : ".") + key.stringValue }
            }
        }
        switch error {
        case .typeMismatch(_, let c):
            if c.codingPath.isEmpty { return .invalidRequest("the body must be a JSON object") }
            return .invalidRequest("\(path(c.codingPath)) has the wrong type", field: path(c.codingPath))
        case .valueNotFound(_, let c):
            return .invalidRequest("\(path(c.codingPath)) must not be null", field: path(c.codingPath))
        case .keyNotFound(let key, let c):
            return .invalidRequest("\(path(c.codingPath + [key])) is required", field: path(c.codingPath + [key]))
        case .dataCorrupted(let c):
            if c.codingPath.isEmpty { return .invalidRequest("the body is not valid JSON") }
            return .invalidRequest("\(path(c.codingPath)) is not valid", field: path(c.codingPath))
        @unknown default:
            return .invalidRequest("the body could not be read")
        }
    }
}
