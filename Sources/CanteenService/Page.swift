import CanteenDomain
import Foundation

/// `limit` and `cursor` of a list request (SPEC §3: default 50, at most 500).
public struct PageRequest: Sendable {
    public static let defaultLimit = 50
    public static let maximumLimit = 500

    public let limit: Int
    /// The opaque cursor, decoded: the sort key of the last item already seen.
    public let after: String?

    public init(limit: Int? = nil, cursor: String? = nil) throws {
        let limit = limit ?? Self.defaultLimit
        guard (1...Self.maximumLimit).contains(limit) else {
            throw CanteenError.invalidRequest("limit must be 1–\(Self.maximumLimit)", field: "limit")
        }
        self.limit = limit
        if let cursor, !cursor.isEmpty {
            guard let key = Self.decodeCursor(cursor) else {
                throw CanteenError.invalidRequest("cursor is not one this service issued", field: "cursor")
            }
            self.after = key
        } else {
            self.after = nil
        }
    }

    private init(uncheckedLimit limit: Int) {
        self.limit = limit
        self.after = nil
    }

    /// The first page at the default size.
    public static let first = PageRequest(uncheckedLimit: defaultLimit)

    /// Everything, for internal callers such as exports (still bounded by the table's size).
    public static let all = PageRequest(uncheckedLimit: Int.max - 1)

    /// The cursor of a list ordered by integer id.
    func afterID() throws -> Int? {
        try after.map { key in
            guard let id = Int(key) else { throw CanteenError.invalidRequest("cursor is not one this service issued", field: "cursor") }
            return id
        }
    }

    static func encodeCursor(_ key: String) -> String {
        Data(("c1:" + key).utf8).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    static func decodeCursor(_ cursor: String) -> String? {
        var base64 = cursor.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while base64.count % 4 != 0 { base64 += "=" }
        guard let data = Data(base64Encoded: base64), let text = String(data: data, encoding: .utf8),
              text.hasPrefix("c1:") else { return nil }
        return String(text.dropFirst(3))
    }
}

/// One page of a list: `{"items": [...], "next_cursor": string|null}`.
public struct Page<Item: Sendable>: Sendable {
    public let items: [Item]
    public let nextCursor: String?

    public init(items: [Item], nextCursor: String?) {
        self.items = items
        self.nextCursor = nextCursor
    }

    /// Builds a page from up to `limit + 1` fetched items: the extra one only says there is more.
    init(fetched: [Item], request: PageRequest, key: (Item) -> String) {
        if fetched.count > request.limit {
            let items = Array(fetched.prefix(request.limit))
            self.init(items: items, nextCursor: items.last.map { PageRequest.encodeCursor(key($0)) })
        } else {
            self.init(items: fetched, nextCursor: nil)
        }
    }
}

/// The list shape of SPEC §3, for the areas whose wire types are not yet generated from the contract.
extension Page: Encodable where Item: Encodable {
    enum CodingKeys: String, CodingKey {
        case items
        case nextCursor = "next_cursor"
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(items, forKey: .items)
        try c.encode(nextCursor, forKey: .nextCursor)
    }
}
