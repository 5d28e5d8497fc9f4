import CanteenDomain
import Testing

/// SPEC §2.12: a category holds from its first day up to the day before its end; periods of one
/// category never overlap; a period is ended once, after it starts.
@Suite("Diner categories")
struct DinerCategoryTests {
    static func day(_ text: String) -> LocalDate { LocalDate(iso: text)! }

    @Test func aPeriodHoldsFromItsFirstDayUpToTheDayBeforeItsEnd() {
        let period = CategoryPeriod(id: 1, category: .dibao, effectiveOn: Self.day("2026-03-01"), endsOn: Self.day("2026-04-01"))
        #expect(!period.holds(on: Self.day("2026-02-28")))
        #expect(period.holds(on: Self.day("2026-03-01")))
        #expect(period.holds(on: Self.day("2026-03-31")))
        #expect(!period.holds(on: Self.day("2026-04-01")))
        let open = CategoryPeriod(id: 2, category: .tekun, effectiveOn: Self.day("2026-03-01"), endsOn: nil)
        #expect(open.holds(on: Self.day("2099-12-31")))
    }

    @Test func todaysCategoriesAreListedOnceInTheSpecsOrder() {
        let periods = [
            CategoryPeriod(id: 1, category: .youfu, effectiveOn: Self.day("2020-01-01"), endsOn: nil),
            CategoryPeriod(id: 2, category: .dibao, effectiveOn: Self.day("2026-01-01"), endsOn: Self.day("2026-02-01")),
            CategoryPeriod(id: 3, category: .dibao, effectiveOn: Self.day("2026-03-01"), endsOn: nil),
            CategoryPeriod(id: 4, category: .lowIncome, effectiveOn: Self.day("2026-01-01"), endsOn: Self.day("2026-03-01")),
        ]
        #expect(periods.held(on: Self.day("2026-03-05")) == [.dibao, .youfu])
        #expect(periods.held(on: Self.day("2026-02-15")) == [.lowIncome, .youfu])
        #expect(periods.held(on: Self.day("2019-12-31")) == [])
    }

    @Test func aNewPeriodMayNotOverlapOneOfTheSameCategory() throws {
        let existing = [CategoryPeriod(id: 7, category: .dibao, effectiveOn: Self.day("2026-03-01"), endsOn: Self.day("2026-06-01"))]
        func check(_ category: String, _ from: String, _ until: String? = nil) throws {
            _ = try CategoryPeriodDraft(category: category, effectiveOn: from, endsOn: until).validated(against: existing)
        }
        // Touching is not overlapping: the end is the first day without the category.
        try check("dibao", "2026-06-01")
        try check("dibao", "2026-01-01", "2026-03-01")
        try check("tekun", "2026-04-01")
        for (from, until) in [("2026-05-31", nil), ("2026-01-01", "2026-03-02"), ("2026-04-01", "2026-04-02"), ("2025-01-01", nil)] as [(String, String?)] {
            #expect(throws: CanteenError.self, "\(from)–\(until ?? "open")") { try check("dibao", from, until) }
        }
    }

    @Test func badWordsAndDatesHaveTheirCodes() throws {
        func code(_ draft: CategoryPeriodDraft) -> CanteenError.Code? {
            do { _ = try draft.validated(against: []); return nil } catch let error as CanteenError { return error.code } catch { return nil }
        }
        #expect(code(CategoryPeriodDraft(category: "poor", effectiveOn: "2026-01-01")) == .invalidRequest)
        #expect(code(CategoryPeriodDraft(category: "DIBAO", effectiveOn: "2026-01-01")) == .invalidRequest)
        #expect(code(CategoryPeriodDraft(category: "dibao", effectiveOn: "2026-02-30")) == .validationFailed)
        #expect(code(CategoryPeriodDraft(category: "dibao", effectiveOn: "0512-07-04")) == .validationFailed)  // schemathesis found it: a 500 once
        #expect(code(CategoryPeriodDraft(category: "dibao", effectiveOn: "1900-01-01")) == nil)
        #expect(code(CategoryPeriodDraft(category: "dibao", effectiveOn: "2026-03-01", endsOn: "2026-03-01")) == .validationFailed)
        #expect(code(CategoryPeriodDraft(category: "dibao", effectiveOn: "2026-03-01", endsOn: "2026-03-02")) == nil)
    }

    @Test func aPeriodEndsOnceAfterItStarts() throws {
        let open = CategoryPeriod(id: 1, category: .disabled, effectiveOn: Self.day("2026-03-01"), endsOn: nil)
        let ended = try open.ended(on: "2026-03-02")
        #expect(ended.endsOn == Self.day("2026-03-02"))
        #expect(throws: CanteenError.self) { try open.ended(on: "2026-03-01") }
        do {
            _ = try ended.ended(on: "2026-05-01")
            Issue.record("ended twice")
        } catch let error as CanteenError {
            #expect(error.code == .invalidState)
        }
    }
}
