import CanteenDomain
import Postgres

/// A meal's funding as `meal` stores it (sql/0013): the funders of its tier in order (`funders`,
/// comma-separated) and a share column per funder, NULL for one that is not the tier's. A meal
/// has funders exactly when it has a subsidy (CHECKs in sql/0014, sql/0015).
struct FundingColumns: Sendable, Equatable {
    var funders: String?
    var city: Int?
    var district: Int?
    var street: Int?

    init(_ funding: [FundingShare]) {
        funders = funding.isEmpty ? nil : funding.map(\.funder.rawValue).joined(separator: ",")
        for share in funding {
            switch share.funder {
            case .city: city = share.shareFen
            case .district: district = share.shareFen
            case .street: street = share.shareFen
            }
        }
    }

    init(_ row: Row) throws {
        funders = try row.decode("funders")
        city = try row.decode("city_fen")
        district = try row.decode("district_fen")
        street = try row.decode("street_fen")
    }

    func funding() throws -> [FundingShare] {
        guard let funders else { return [] }
        return try funders.split(separator: ",").map { name in
            let funder = try Funder(stored: String(name))
            let share: Int? = switch funder {
            case .city: city
            case .district: district
            case .street: street
            }
            guard let share else { throw PostgresError(kind: .decoding, serverMessage: "no share for funder \(funder.rawValue)", column: "funders") }
            return FundingShare(funder, share)
        }
    }
}
