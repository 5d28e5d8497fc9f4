import CanteenDomain
import Foundation
import Postgres

/// What an audit row is about.
public enum AuditEntity: String, Sendable, Codable, CaseIterable {
    case site, diner, policy, meal, claim, token
}

/// Writes audit rows, always inside the transaction of the change they describe.
enum Audit {
    static func record(_ session: Session, actor: Principal, action: String, entity: AuditEntity,
                       entityID: String, detail: some Encodable & Sendable) throws {
        try session.queryPrepared(
            "INSERT INTO audit_log (actor, action, entity, entity_id, detail) VALUES ($1, $2, $3, $4, $5::jsonb)",
            [actor.name, action, entity.rawValue, entityID, JSONParameter(detail)])
    }

    /// The fields that differ between two encodings of one object: `{field: {from, to}}`.
    static func changes<T: Encodable>(from before: T, to after: T) -> [String: Change] {
        let encoder = JSONCoding.encoder()
        let decoder = JSONCoding.decoder()
        guard let a = try? encoder.encode(before), let b = try? encoder.encode(after),
              let old = try? decoder.decode([String: JSONValue].self, from: a),
              let new = try? decoder.decode([String: JSONValue].self, from: b) else { return [:] }
        var changes: [String: Change] = [:]
        for key in Set(old.keys).union(new.keys) {
            let from = old[key] ?? .null
            let to = new[key] ?? .null
            if from != to { changes[key] = Change(from: from, to: to) }
        }
        return changes
    }

    struct Change: Encodable, Sendable {
        let from: JSONValue
        let to: JSONValue
    }
}

/// A JSON value, for audit details built from arbitrary encodings.
public enum JSONValue: Codable, Equatable, Sendable {
    case null
    case bool(Bool)
    case integer(Int)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    public init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        if c.decodeNil() { self = .null }
        else if let v = try? c.decode(Bool.self) { self = .bool(v) }
        else if let v = try? c.decode(Int.self) { self = .integer(v) }
        else if let v = try? c.decode(Double.self) { self = .number(v) }
        else if let v = try? c.decode(String.self) { self = .string(v) }
        else if let v = try? c.decode([JSONValue].self) { self = .array(v) }
        else { self = .object(try c.decode([String: JSONValue].self)) }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self {
        case .null: try c.encodeNil()
        case .bool(let v): try c.encode(v)
        case .integer(let v): try c.encode(v)
        case .number(let v): try c.encode(v)
        case .string(let v): try c.encode(v)
        case .array(let v): try c.encode(v)
        case .object(let v): try c.encode(v)
        }
    }
}
