import CanteenDomain
import CanteenService
import Foundation
import Testing
import TestSupport

/// SPEC §2.8: a key is bound to everything the request said. Changing any one field under the
/// same key is `idempotency_mismatch` — at the counter, in a batch and in an import — and never
/// replays the first meal.
@Suite("Idempotency keys bind the whole request")
struct IdempotencyTests {
    static let first = MealDraft(siteCode: "LY-01", cardNo: "C-1", slot: "lunch", priceFen: 1000, servedOn: "2026-11-20", delivery: false)

    /// The first request with one field changed.
    static let variants: [(String, MealDraft)] = {
        var out: [(String, MealDraft)] = []
        var d = first; d.cardNo = "C-2"; out.append(("diner", d))
        d = first; d.cardNo = nil; d.dinerID = 1; out.append(("diner named another way", d))
        d = first; d.slot = "dinner"; out.append(("slot", d))
        d = first; d.priceFen = 999; out.append(("price", d))
        d = first; d.priceFen = nil; out.append(("price omitted", d))
        d = first; d.servedOn = "2026-11-19"; out.append(("served_on", d))
        d = first; d.servedOn = nil; out.append(("served_on omitted", d))
        d = first; d.delivery = true; out.append(("delivery", d))
        return out
    }()

    @Test func anyChangedFieldUnderTheSameKeyIsAMismatch() async throws {
        try await TestDatabase.withServices { services in
            try await Fixtures.site(services, "LY-01")
            try await Fixtures.diner(services, born: "1945-03-15", serial: 1, card: "C-1")
            try await Fixtures.diner(services, born: "1940-03-15", serial: 2, card: "C-2")
            let logged = try await services.meals.log(Self.first, idempotencyKey: "k", by: .testAdmin)
            #expect(try await services.meals.log(Self.first, idempotencyKey: "k", by: .testAdmin).replayed)
            for (field, variant) in Self.variants {
                do {
                    let answer = try await services.meals.log(variant, idempotencyKey: "k", by: .testAdmin)
                    Issue.record("\(field) changed, yet \(answer.replayed ? "replayed" : "created") meal \(answer.meal.id)")
                } catch let error as CanteenError {
                    #expect(error.code == .idempotencyMismatch, "\(field)")
                }
            }
            // The same in a batch: the first item replays, every variant is a mismatch.
            let results = try await services.meals.logBatch([Self.first] + Self.variants.map(\.1), keys: "k", by: .testAdmin)
            #expect(results.first?.status == .replayed)
            #expect(results.first?.meal?.id == logged.meal.id)
            for (result, (field, _)) in zip(results.dropFirst(), Self.variants) {
                #expect(result.error?.code.rawValue == "idempotency_mismatch", "\(field)")
            }
            let meals = try await services.db.session { try $0.query("SELECT count(*) FROM meal").first!.decode(0, as: Int.self) }
            #expect(meals == 1)
        }
    }

    @Test func anImportRowWithAUsedClientRefAndOtherContentIsAMismatch() async throws {
        try await TestDatabase.withServices { services in
            try await Fixtures.site(services, "LY-01")
            try await Fixtures.diner(services, born: "1945-03-15", serial: 1, card: "C-1")
            let csv = "card_no,served_on,slot,price_fen,client_ref\nC-1,2026-11-20,lunch,1000,r1\n"
            #expect(try await services.importer.importCSV(Data(csv.utf8), siteCode: "LY-01", by: .testAdmin).created == 1)
            for changed in ["C-1,2026-11-20,lunch,999,r1", "C-1,2026-11-19,lunch,1000,r1", "C-1,2026-11-20,dinner,1000,r1"] {
                let report = try await services.importer.importCSV(Data("card_no,served_on,slot,price_fen,client_ref\n\(changed)\n".utf8),
                                                                  siteCode: "LY-01", by: .testAdmin)
                #expect(report.rejects.map(\.code) == ["idempotency_mismatch"], "\(changed)")
            }
            #expect(try await services.importer.importCSV(Data(csv.utf8), siteCode: "LY-01", by: .testAdmin).replayed == 1)
        }
    }
}

extension MealService {
    /// Every draft with the same `client_ref`.
    func logBatch(_ drafts: [MealDraft], keys: String, by actor: Principal) async throws -> [BatchResult] {
        try await logBatch(drafts.map { var d = $0; d.clientRef = keys; return d }, by: actor)
    }
}
