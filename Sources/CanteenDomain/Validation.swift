/// Collects field errors so one response can name every bad field at once.
public struct Validation: Sendable {
    public private(set) var errors: [FieldError] = []

    public init() {}

    public mutating func fail(_ field: String, _ message: Message) {
        errors.append(FieldError(field: field, message: message))
    }

    /// Checks a free-text field: trimmed, required or optional, at most `maxLength` characters, no control characters.
    public mutating func text(_ value: String?, _ field: String, required: Bool, maxLength: Int) -> String? {
        guard let raw = value else {
            if required { fail(field, "is required") }
            return nil
        }
        let trimmed = raw.trimmingWhitespace()
        if trimmed.isEmpty {
            if required { fail(field, "must not be empty") }
            return nil
        }
        if trimmed.storedLength > maxLength {
            fail(field, "must be at most \(maxLength) characters")
            return nil
        }
        if trimmed.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) {
            fail(field, "must not contain control characters")
            return nil
        }
        return trimmed
    }

    public mutating func price(_ fen: Int?, _ field: String) -> Money? {
        guard let fen else { return nil }
        guard (0...Money.maximumMealPrice.fen).contains(fen) else {
            fail(field, "must be 0–\(Money.maximumMealPrice.fen) fen")
            return nil
        }
        return Money(fen: fen)
    }

    /// Throws `validation_failed` when anything failed.
    public func check() throws {
        if !errors.isEmpty { throw CanteenError.validation(errors) }
    }
}

public enum TextLimits {
    public static let name = 64
    public static let street = 64
    public static let community = 64
    public static let address = 200
    public static let phone = 32
    public static let reason = 500
    public static let label = 16
    /// A payment voucher number.
    public static let paymentReference = 64
}

extension String {
    /// The length a limit counts: Unicode scalars, as PostgreSQL's `length()` counts a UTF-8
    /// text's characters, so a value the service accepts is one the database's CHECK accepts
    /// (a family emoji is one grapheme but seven scalars).
    public var storedLength: Int { unicodeScalars.count }

    /// Trims spaces, tabs, new lines and the full-width space U+3000.
    public func trimmingWhitespace() -> String {
        // Most fields (a CSV's millions) start and end with a visible ASCII character: no work.
        if let first = utf8.first, let last = utf8.last, first > 0x20, first < 0x7F, last > 0x20, last < 0x7F { return self }
        let scalars = unicodeScalars
        let isSpace: (Unicode.Scalar) -> Bool = { $0.properties.isWhitespace }
        guard let start = scalars.firstIndex(where: { !isSpace($0) }),
              let end = scalars.lastIndex(where: { !isSpace($0) }) else { return "" }
        return String(scalars[start...end])
    }
}
