import CanteenAPI
import CanteenDomain
import CanteenService

// Sites between the domain and the contract's wire types: the one place this area's fields
// meet their wire names. The HTTP API and the CLI's `--json` both answer these types.

extension Components.Schemas.Site {
    public init(_ view: SiteView) {
        let site = view.site
        self.init(
            code: site.code, name: site.name, kind: .init(site.kind), street: site.street,
            community: Nullable(site.community), address: Nullable(site.address), _operator: Nullable(site.operatorName),
            phone: Nullable(site.phone), opensOn: site.opensOn.description, closesOn: Nullable(site.closesOn?.description),
            slots: site.slots.map(Components.Schemas.Slot.init), defaultPriceFen: Nullable(site.defaultPriceFen),
            status: .init(view.status))
    }
}

extension Components.Schemas.SitePage {
    public init(_ page: Page<SiteView>) {
        self.init(items: page.items.map(Components.Schemas.Site.init), nextCursor: Nullable(page.nextCursor))
    }
}

extension Components.Schemas.Site.KindPayload {
    init(_ kind: SiteKind) {
        switch kind {
        case .communityCenter: self = .communityCenter
        case .enterprise: self = .enterprise
        case .village: self = .village
        case .other: self = .other
        }
    }
}

extension Components.Schemas.Site.StatusPayload {
    init(_ status: SiteStatus) {
        switch status {
        case .preparing: self = .preparing
        case .operating: self = .operating
        case .closed: self = .closed
        }
    }
}

extension Components.Schemas.Slot {
    init(_ slot: Slot) {
        switch slot {
        case .breakfast: self = .breakfast
        case .lunch: self = .lunch
        case .dinner: self = .dinner
        }
    }
}

// MARK: requests

extension SiteDraft {
    /// A new site as the contract's body carries it; `validated()` checks what types cannot.
    public init(_ body: Components.Schemas.SiteInput) {
        self.init(code: body.code, name: body.name, kind: body.kind.rawValue, street: body.street, community: body.community,
                  address: body.address, operatorName: body._operator, phone: body.phone, opensOn: body.opensOn,
                  closesOn: body.closesOn, slots: body.slots?.map(\.rawValue), defaultPriceFen: body.defaultPriceFen)
    }
}

extension SitePatch {
    /// A change as the contract's PATCH body carries it. A site's code never changes: naming
    /// another one is refused. A member that cannot be cleared (`name`, `kind` …) sent as null
    /// stays as it is.
    public init(_ body: SitePatchBody) throws {
        if let code = body.code.value, !code.isEmpty {
            throw CanteenError.validation([FieldError(field: "code", message: "cannot be changed")])
        }
        self.init(name: body.name.value, kind: body.kind.value, street: body.street.value, community: Self.field(body.community),
                  address: Self.field(body.address), operatorName: Self.field(body.operator), phone: Self.field(body.phone),
                  opensOn: body.opensOn.value, closesOn: Self.field(body.closesOn), slots: body.slots.value,
                  defaultPriceFen: Self.field(body.defaultPriceFen))
    }

    static func field<Value>(_ field: PatchField<Value>) -> Field<Value> {
        switch field {
        case .absent: .unchanged
        case .null: .cleared
        case .value(let value): .set(value)
        }
    }
}
