import CanteenAPI
import CanteenDomain
import CanteenService

// Diners between the domain and the contract's wire types. The full resident ID is written only
// when the view allows it (SPEC §2.3); every answer carries the masked form.

extension Components.Schemas.Diner {
    public init(_ view: DinerView) {
        let diner = view.diner
        self.init(
            id: diner.id, name: diner.name, residentIdMasked: diner.residentIDMasked,
            residentId: view.showsResidentID ? diner.residentID : nil, sex: .init(diner.sex),
            birthDate: diner.birthDate.description, phone: Nullable(diner.phone), address: Nullable(diner.address),
            community: Nullable(diner.community), homeSite: Nullable(diner.homeSite), cardNo: Nullable(diner.cardNo),
            status: .init(diner.status), registeredAt: diner.registeredAt,
            categories: diner.categories.map(Components.Schemas.CategoryPeriod.init))
    }
}

extension Components.Schemas.CategoryPeriod {
    init(_ period: CategoryPeriod) {
        self.init(id: period.id, category: .init(period.category), effectiveOn: period.effectiveOn.description,
                  endsOn: Nullable(period.endsOn?.description))
    }
}

extension Components.Schemas.Category {
    public init(_ category: DinerCategory) {
        switch category {
        case .dibao: self = .dibao
        case .tekun: self = .tekun
        case .lowIncome: self = .lowIncome
        case .disabled: self = .disabled
        case .youfu: self = .youfu
        }
    }
}

extension Components.Schemas.DinerPage {
    public init(_ page: Page<DinerView>) {
        self.init(items: page.items.map(Components.Schemas.Diner.init), nextCursor: Nullable(page.nextCursor))
    }
}

extension Components.Schemas.DinerLookup {
    public init(_ lookup: DinerService.Lookup) {
        let today = lookup.today
        self.init(
            value1: .init(lookup.diner),
            value2: .init(today: .init(
                date: today.date.description, age: today.age, bracket: today.bracket,
                categories: lookup.diner.diner.categories.held(on: today.date).map(Components.Schemas.Category.init), status: .init(today.status),
                slots: today.slots.map {
                    .init(slot: .init($0.slot), subsidyFen: $0.subsidyFen, payableFen: Nullable($0.payableFen), alreadyServed: $0.alreadyServed,
                          mealId: Nullable($0.mealID))
                })))
    }
}

extension Components.Schemas.Diner.SexPayload {
    init(_ sex: Sex) {
        switch sex {
        case .male: self = .m
        case .female: self = .f
        }
    }
}

extension Components.Schemas.DinerStatus {
    init(_ status: DinerStatus) {
        switch status {
        case .active: self = .active
        case .suspended: self = .suspended
        case .deceased: self = .deceased
        case .movedOut: self = .movedOut
        }
    }
}

// MARK: requests

extension DinerDraft {
    public init(_ body: Components.Schemas.DinerInput) {
        self.init(name: body.name, residentID: body.residentId, phone: body.phone, address: body.address,
                  community: body.community, homeSite: body.homeSite, cardNo: body.cardNo)
    }
}

extension DinerPatch {
    /// A change as the contract's PATCH body carries it. What the resident ID fixes cannot be
    /// changed, and the status has its own route: naming them is refused.
    public init(_ body: DinerPatchBody) throws {
        if let fixed = body.fixed.first {
            let message: Message = fixed == "status" ? "change it with POST /v1/diners/{id}/status" : "cannot be changed; it comes from the resident ID number"
            throw CanteenError.validation([FieldError(field: fixed, message: message)])
        }
        self.init()
        name = body.name.value
        phone = SitePatch.field(body.phone)
        address = SitePatch.field(body.address)
        community = SitePatch.field(body.community)
        homeSite = SitePatch.field(body.homeSite)
        cardNo = SitePatch.field(body.cardNo)
    }
}

extension Components.Schemas.DinerImport {
    public init(_ report: DinerImporter.Report) {
        self.init(created: report.created, existing: report.existing, rejected: report.rejected, dryRun: report.dryRun,
                  rows: report.rows.map { row in
                      .init(line: row.line, status: .init(rawValue: row.status.rawValue) ?? .rejected, dinerId: Nullable(row.dinerID),
                            error: Nullable(row.error.map(Components.Schemas.RowError.init)))
                  })
    }
}
