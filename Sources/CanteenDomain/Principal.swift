/// What a caller may do.
public enum Role: String, Sendable, Codable, CaseIterable {
    case admin, bureau, `operator`
}

/// Who is acting: a token's holder over HTTP, or `cli:<user>` on the command line.
/// Its name is what the audit log records as the actor.
public struct Principal: Sendable, Equatable {
    public let name: String
    public let role: Role
    /// For operators: the sites it may act for.
    public let siteCodes: Set<String>

    public init(name: String, role: Role, siteCodes: Set<String> = []) {
        self.name = name
        self.role = role
        self.siteCodes = siteCodes
    }

    /// The command line runs with the database's own credentials: full rights.
    public static func commandLine(user: String) -> Principal {
        Principal(name: "cli:\(user)", role: .admin)
    }

    public var isOperator: Bool { role == .operator }
    public var seesFullResidentID: Bool { role != .operator }

    /// Whether it may act for `siteCode` (operators: only their own sites).
    public func mayActFor(site siteCode: String) -> Bool {
        role != .operator || siteCodes.contains(siteCode)
    }

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
