import CanteenDomain
import Postgres

extension LocalDate: PostgresCodable {
    public var postgresText: String? { description }

    public static func decode(postgresText: String?) throws -> LocalDate {
        guard let text = postgresText, let date = LocalDate(iso: text) else {
            throw PostgresError(kind: .decoding, serverMessage: "not a date YYYY-MM-DD")
        }
        return date
    }
}

extension Slot: PostgresEncodable {
    public var postgresText: String? { rawValue }
}
