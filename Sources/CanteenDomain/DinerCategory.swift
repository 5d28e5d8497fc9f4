/// SPEC §2.12: a hardship category (困难类别) a diner may hold, besides their age. The cases are
/// in the SPEC's order, which is also the order a look-up lists today's categories in.
public enum DinerCategory: String, Sendable, CaseIterable, Comparable {
    case dibao
    case tekun
    case lowIncome = "low_income"
    case disabled
    case youfu

    /// How a document for officials names it.
    public var chineseName: String {
        switch self {
        case .dibao: "低保对象"
        case .tekun: "特困人员"
        case .lowIncome: "低收入老年人"
        case .disabled: "失能、半失能"
        case .youfu: "优抚对象"
        }
    }

    public static func < (a: Self, b: Self) -> Bool {
        a.rank < b.rank
    }

    private var rank: Int { Self.allCases.firstIndex(of: self) ?? 0 }
}

/// A diner holds `category` from `effectiveOn` up to the day before `endsOn` (nil: still open).
public struct CategoryPeriod: Sendable, Equatable {
    public let id: Int
    public let category: DinerCategory
    public let effectiveOn: LocalDate
    public var endsOn: LocalDate?

    public init(id: Int, category: DinerCategory, effectiveOn: LocalDate, endsOn: LocalDate?) {
        self.id = id
        self.category = category
        self.effectiveOn = effectiveOn
        self.endsOn = endsOn
    }

    public func holds(on date: LocalDate) -> Bool {
        effectiveOn <= date && endsOn.map { date < $0 } ?? true
    }

    /// Whether the two share a day (only periods of one category may not).
    public func overlaps(from start: LocalDate, until end: LocalDate?) -> Bool {
        (endsOn.map { start < $0 } ?? true) && (end.map { effectiveOn < $0 } ?? true)
    }
}

extension [CategoryPeriod] {
    /// The categories held on `date`, each once, in the SPEC's order.
    public func held(on date: LocalDate) -> [DinerCategory] {
        Set(filter { $0.holds(on: date) }.map(\.category)).sorted()
    }
}

/// A new period as a user asks for it, before validation.
public struct CategoryPeriodDraft: Sendable {
    public var category: String?
    public var effectiveOn: String?
    public var endsOn: String?

    public init(category: String?, effectiveOn: String?, endsOn: String? = nil) {
        self.category = category
        self.effectiveOn = effectiveOn
        self.endsOn = endsOn
    }

    /// No record of a category goes back further than the oldest birth date a resident ID holds.
    public static let earliest = LocalDate(year: 1900, month: 1, day: 1)!

    /// The period's category and dates; a word that is no category is `invalid_request` (SPEC
    /// §2.12), bad dates are `validation_failed`, and so is a period that overlaps one of
    /// `existing` of the same category.
    public func validated(against existing: [CategoryPeriod]) throws -> (category: DinerCategory, from: LocalDate, until: LocalDate?) {
        guard let word = category else { throw CanteenError.invalidRequest("category is required", field: "category") }
        guard let category = DinerCategory(rawValue: word) else {
            throw CanteenError.invalidRequest("category must be one of \(DinerCategory.allCases.map(\.rawValue).joined(separator: ", "))",
                                              field: "category")
        }
        var v = Validation()
        let from = SiteDraft.date(effectiveOn, "effective_on", required: true, &v)
        let until = SiteDraft.date(endsOn, "ends_on", required: false, &v)
        if let from, from < Self.earliest { v.fail("effective_on", "must be on or after \(Self.earliest)") }
        if let from, let until, until <= from { v.fail("ends_on", "must be after effective_on") }
        try v.check()
        guard let from else { throw CanteenError.validation(v.errors) }
        if let clash = existing.first(where: { $0.category == category && $0.overlaps(from: from, until: until) }) {
            let message: Message = if let end = clash.endsOn {
                "overlaps the diner's \(category.rawValue) period \(clash.id) from \(clash.effectiveOn) to \(end)"
            } else {
                "overlaps the diner's open \(category.rawValue) period \(clash.id) from \(clash.effectiveOn)"
            }
            throw CanteenError.validation([FieldError(field: "effective_on", message: message)])
        }
        return (category, from, until)
    }
}

extension CategoryPeriod {
    /// The period ended on `text` (the first day it no longer holds). A period is ended once
    /// (`invalid_state`); the end must come after its start (`validation_failed`).
    public func ended(on text: String?) throws -> CategoryPeriod {
        if let endsOn { throw CanteenError(.invalidState, "period \(id) already ended on \(endsOn)") }
        var v = Validation()
        let date = SiteDraft.date(text, "ends_on", required: true, &v)
        if let date, date <= effectiveOn { v.fail("ends_on", "must be after effective_on (\(effectiveOn))") }
        try v.check()
        guard let date else { throw CanteenError.validation(v.errors) }
        var ended = self
        ended.endsOn = date
        return ended
    }
}
