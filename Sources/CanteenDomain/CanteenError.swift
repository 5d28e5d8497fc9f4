/// One field's problem in a request: the field and what is wrong with it.
public struct FieldError: Sendable, Equatable {
    public let field: String
    public let message: Message
    public init(field: String, message: Message) {
        self.field = field
        self.message = message
    }
}

public struct CanteenError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Code: String, Sendable, Codable, CaseIterable {
        case invalidRequest = "invalid_request"
        case unauthorized
        case forbidden
        case notFound = "not_found"
        case duplicateMeal = "duplicate_meal"
        case duplicateResidentID = "duplicate_resident_id"
        case duplicateCardNo = "duplicate_card_no"
        case duplicateSiteCode = "duplicate_site_code"
        case periodClosed = "period_closed"
        case invalidState = "invalid_state"
        case payloadTooLarge = "payload_too_large"
        case invalidResidentID = "invalid_resident_id"
        case siteNotOperating = "site_not_operating"
        case dinerInactive = "diner_inactive"
        case invalidDate = "invalid_date"
        case invalidPrice = "invalid_price"
        case idempotencyMismatch = "idempotency_mismatch"
        case validationFailed = "validation_failed"
        case tooManyRequests = "too_many_requests"
        /// An unexpected failure of the service (a bug, or a database error nobody mapped):
        /// logged with its cause, never detailed to the client.
        case `internal`
        case unavailable
    }

    public let code: Code
    /// What went wrong, for a person (in English: `detail`; in any language: `message.rendered(in:)`).
    public let message: Message
    public var errors: [FieldError]
    public var existingMealID: Int?
    public var existingDinerID: Int?
    /// For `too_many_requests`: when to try again (the `Retry-After` header).
    public var retryAfterSeconds: Int?

    public init(_ code: Code, _ message: Message, errors: [FieldError] = [], existingMealID: Int? = nil, existingDinerID: Int? = nil) {
        self.code = code
        self.message = message
        self.errors = errors
        self.existingMealID = existingMealID
        self.existingDinerID = existingDinerID
    }

    /// In English.
    public var detail: String { message.description }

    public var description: String { "\(code.rawValue): \(detail)" }

    public static func notFound(_ what: Message) -> CanteenError {
        CanteenError(.notFound, "\(what) not found")
    }

    public static func validation(_ errors: [FieldError]) -> CanteenError {
        let parts = errors.map { error -> Message in "\(error.field): \(error.message)" }
        let joined = parts.dropFirst().reduce(parts.first ?? "") { all, next -> Message in "\(all); \(next)" }
        return CanteenError(.validationFailed, joined, errors: errors)
    }

    public static func invalidRequest(_ detail: Message, field: String? = nil) -> CanteenError {
        CanteenError(.invalidRequest, detail, errors: field.map { [FieldError(field: $0, message: detail)] } ?? [])
    }

    /// The answer to a failure the service did not expect; the cause goes to the log only.
    public static func internalFailure() -> CanteenError {
        CanteenError(.internal, "the service failed unexpectedly; the failure was logged")
    }

    public static func unavailable() -> CanteenError {
        CanteenError(.unavailable, "the database is unreachable; try again shortly")
    }
}
