import CanteenAPI
import CanteenDomain
import CanteenService
import OpenAPIRuntime

// API tokens and the audit log as the contract's wire types.

extension Operations.PostV1Tokens.Output.Created.Body.JsonPayload {
    public init(_ issued: TokenService.Issued) {
        self.init(id: issued.token.id, name: issued.token.name, role: .init(issued.token.role), siteCodes: issued.token.siteCodes,
                  streets: issued.token.streets, token: issued.secret)
    }
}

extension Operations.PostV1Tokens.Output.Created.Body.JsonPayload.RolePayload {
    init(_ role: Role) {
        switch role {
        case .admin: self = .admin
        case .bureau: self = .bureau
        case .operator: self = ._operator
        }
    }
}

extension Components.Schemas.AuditPage {
    public init(_ page: Page<AuditService.Entry>) throws {
        self.init(items: try page.items.map(ItemsPayloadPayload.init), nextCursor: Nullable(page.nextCursor))
    }
}

extension Components.Schemas.AuditPage.ItemsPayloadPayload {
    init(_ entry: AuditService.Entry) throws {
        // The detail is any JSON the service recorded; the generated container holds it as such.
        self.init(id: entry.id, at: entry.at, actor: entry.actor, action: entry.action, entity: .init(entry.entity),
                  entityId: entry.entityID, detail: try OpenAPIValueContainer(unvalidatedValue: entry.detail.untyped))
    }
}

extension JSONValue {
    /// The value as the plain Swift values `OpenAPIValueContainer` holds (no second JSON pass).
    var untyped: (any Sendable)? {
        switch self {
        case .null: nil
        case .bool(let value): value
        case .integer(let value): value
        case .number(let value): value
        case .string(let value): value
        case .array(let values): values.map(\.untyped)
        case .object(let members): members.mapValues(\.untyped)
        }
    }
}

extension Components.Schemas.AuditPage.ItemsPayloadPayload.EntityPayload {
    init(_ entity: AuditEntity) {
        switch entity {
        case .site: self = .site
        case .diner: self = .diner
        case .policy: self = .policy
        case .meal: self = .meal
        case .claim: self = .claim
        case .token: self = .token
        }
    }
}

// MARK: requests

extension TokenService.Draft {
    public init(_ body: Operations.PostV1Tokens.Input.Body.JsonPayload) {
        self.init(name: body.name, role: body.role.rawValue, siteCodes: body.siteCodes, streets: body.streets)
    }
}

extension Operations.GetV1Tokens.Output.Ok.Body.JsonPayload {
    public init(_ page: Page<TokenService.Listed>) {
        self.init(items: page.items.map { listed in
            .init(id: listed.token.id, name: listed.token.name, role: .init(rawValue: listed.token.role.rawValue) ?? .admin,
                  siteCodes: listed.token.siteCodes, streets: listed.token.streets, createdAt: listed.createdAt,
                  lastUsedAt: Nullable(listed.lastUsedAt), revokedAt: Nullable(listed.revokedAt))
        }, nextCursor: Nullable(page.nextCursor))
    }
}
