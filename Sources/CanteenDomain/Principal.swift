/// What a caller may do.
public enum Role: String, Sendable, Codable, CaseIterable {
    case admin, bureau, `operator`
}

/// Who is acting: a token's holder over HTTP, or `cli:<user>` on the command line.
/// Its name is what the audit log records as the actor.
public struct Principal: Sendable, Equatable {
    public let name: String
    public let role: Role
    /// For operators: the sites it may act for. For a bureau token limited to `streets`: the
    /// sites of those streets (resolved when the token is authenticated).
    public let siteCodes: Set<String>
    /// A bureau token of a street office (街道办): the streets it is limited to; empty: all.
    public let streets: Set<String>

    public init(name: String, role: Role, siteCodes: Set<String> = [], streets: Set<String> = []) {
        self.name = name
        self.role = role
        self.siteCodes = siteCodes
        self.streets = role == .bureau ? streets : []
    }

    /// The command line runs with the database's own credentials: full rights.
    public static func commandLine(user: String) -> Principal {
        Principal(name: "cli:\(user)", role: .admin)
    }

    public var isOperator: Bool { role == .operator }
    public var seesFullResidentID: Bool { role != .operator }
    /// Limited to some sites: an operator, or a bureau token limited to streets.
    public var isScoped: Bool { role == .operator || !streets.isEmpty }

    /// Whether it may act for `siteCode` (operators and street offices: only their own sites).
    public func mayActFor(site siteCode: String) -> Bool {
        !isScoped || siteCodes.contains(siteCode)
    }

    /// Whether it may see and act on `street` (a street office: only its own).
    public func mayActFor(street: String) -> Bool {
        streets.isEmpty || streets.contains(street)
    }

    public func requireStreet(_ street: String) throws {
        guard mayActFor(street: street) else {
            throw CanteenError(.forbidden, "this token may not act for street \(street)")
        }
    }

    /// The sites a list must be limited to, or nil for every site.
    public var ownSites: [String]? { isScoped ? siteCodes.sorted() : nil }

    public func require(_ allowed: Role...) throws {
        guard allowed.contains(role) else {
            throw CanteenError(.forbidden, "the \(role.rawValue) role may not do this")
        }
    }

    public func requireSite(_ siteCode: String) throws {
        guard mayActFor(site: siteCode) else {
            throw CanteenError(.forbidden, "this token may not act for site \(siteCode)")
        }
    }
}
