/// An RFC 9457 problem document (`application/problem+json`): what the API
/// answers on failure and what the CLI prints with `--json`.
public struct Problem: Encodable, Sendable, Equatable {
    public let type: String
    public let title: String
    public let status: Int
    public let detail: String
    public let code: String
    public let errors: [FieldError]?
    public let existingMealID: Int?
    public let existingDinerID: Int?

    public init(_ error: CanteenError) {
        self.code = error.code.rawValue
        self.type = "urn:canteen:problem:\(error.code.rawValue)"
        self.title = Problem.title(error.code)
        self.status = Problem.status(error.code)
        self.detail = error.detail
        self.errors = error.errors.isEmpty ? nil : error.errors
        self.existingMealID = error.existingMealID
        self.existingDinerID = error.existingDinerID
    }

    enum CodingKeys: String, CodingKey {
        case type, title, status, detail, code, errors
        case existingMealID = "existing_meal_id"
        case existingDinerID = "existing_diner_id"
    }

    public static func status(_ code: CanteenError.Code) -> Int {
        switch code {
        case .invalidRequest: return 400
        case .unauthorized: return 401
        case .forbidden: return 403
        case .notFound: return 404
        case .duplicateMeal, .duplicateResidentID, .duplicateCardNo, .duplicateSiteCode, .periodClosed, .invalidState: return 409
        case .payloadTooLarge: return 413
        case .invalidResidentID, .siteNotOperating, .dinerInactive, .invalidDate, .invalidPrice,
             .idempotencyMismatch, .validationFailed: return 422
        case .tooManyRequests: return 429
        case .internal: return 500
        case .unavailable: return 503
        }
    }

    public static func title(_ code: CanteenError.Code) -> String {
        switch code {
        case .invalidRequest: return "Invalid request"
        case .unauthorized: return "Unauthorized"
        case .forbidden: return "Forbidden"
        case .notFound: return "Not found"
        case .duplicateMeal: return "Meal already logged"
        case .duplicateResidentID: return "Resident ID already registered"
        case .duplicateCardNo: return "Card number already registered"
        case .duplicateSiteCode: return "Site code already exists"
        case .periodClosed: return "Period closed"
        case .invalidState: return "Invalid state"
        case .payloadTooLarge: return "Payload too large"
        case .invalidResidentID: return "Invalid resident ID number"
        case .siteNotOperating: return "Site not operating"
        case .dinerInactive: return "Diner not active"
        case .invalidDate: return "Invalid date"
        case .invalidPrice: return "Invalid price"
        case .idempotencyMismatch: return "Idempotency key reused with different content"
        case .validationFailed: return "Validation failed"
        case .tooManyRequests: return "Too many requests"
        case .internal: return "Internal error"
        case .unavailable: return "Service unavailable"
        }
    }
}
