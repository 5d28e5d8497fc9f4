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
