/// One failing field of a request, for `validation_failed` and `invalid_request`.
public struct FieldError: Sendable, Codable, Equatable {
    public let field: String
    public let message: String
    public init(field: String, message: String) {
        self.field = field
        self.message = message
    }
}

/// Every failure a user can meet, with the error code of SPEC §3.
/// The HTTP layer maps it once to a problem document, the CLI once to a message.
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
    public let detail: String
    public var errors: [FieldError]
    public var existingMealID: Int?
    public var existingDinerID: Int?
    /// For `too_many_requests`: when to try again (the `Retry-After` header).
    public var retryAfterSeconds: Int?

    public init(_ code: Code, _ detail: String, errors: [FieldError] = [], existingMealID: Int? = nil, existingDinerID: Int? = nil) {
        self.code = code
        self.detail = detail
        self.errors = errors
        self.existingMealID = existingMealID
        self.existingDinerID = existingDinerID
    }

    public var description: String { "\(code.rawValue): \(detail)" }

    public static func notFound(_ what: String) -> CanteenError {
        CanteenError(.notFound, "\(what) not found")
    }

    public static func validation(_ errors: [FieldError]) -> CanteenError {
        let detail = errors.map { "\($0.field): \($0.message)" }.joined(separator: "; ")
        return CanteenError(.validationFailed, detail, errors: errors)
    }

    public static func invalidRequest(_ detail: String, field: String? = nil) -> CanteenError {
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
