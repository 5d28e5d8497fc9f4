import CanteenHTTP
import CanteenService
import Foundation
import HTTPTypes
import HummingbirdTesting
import Testing
import TestSupport

/// SPEC §3.4: a quote names its diner as the counter does (card, resident ID or id) and, at a
/// site, takes the site's price and checks.
@Suite("Quotes by card, resident ID and site")
struct QuoteHTTPTests {
    @Test func aQuoteAtTheCounterByCardOrResidentID() async throws {
        try await TestDatabase.withServices { services in
            let w = try await APITests.world(services)
            let d1 = try await services.diners.get(w.diner1, by: .testAdmin).diner
            let d2 = try await services.diners.get(w.diner2, by: .testAdmin).diner
            try await services.db.transaction { session in
                try session.query("INSERT INTO claim (site_code, month, status) VALUES ('LY-01', '2026-09-01', 'submitted')")
            }
            try await buildApplication(services: services).test(.router) { client in
                func quote(_ query: String, _ token: String) async throws -> (HTTPResponse.Status, [String: Any], String) {
                    let answer = try await APITests.request(client, .get, "/v1/subsidy-quote?\(query)", token: token)
                    return (answer.0, answer.1, answer.3)
                }
                // By card at the site: the site's price (1000), diner1 is 81 on 2026-11-20.
                let card = try await quote("card_no=C-1&site_code=LY-01&slot=lunch&served_on=2026-11-20", w.op1)
                #expect(card.0 == .ok, "\(card.2)")
                #expect(card.1["subsidy_fen"] as? Int == 400 && card.1["payable_fen"] as? Int == 600 && card.1["eligible"] as? Bool == true)
                // By resident ID (lower-case x allowed), another site's diner: any diner, as a look-up.
                let byID = try await quote("resident_id=\(d2.residentID.lowercased())&site_code=LY-01&slot=lunch&served_on=2026-11-20&price_fen=800", w.op1)
                #expect(byID.0 == .ok && byID.1["payable_fen"] as? Int == 400, "\(byID.2)")
                // By id, another site's diner is not the operator's to read.
                #expect(try await quote("diner_id=\(w.diner2)&slot=lunch&price_fen=800", w.op1).0 == .forbidden)
                #expect(try await quote("diner_id=\(d1.id)&slot=lunch&price_fen=800", w.op1).0 == .ok)

                // The day's facts at the site: ineligible, with the reason.
                let before = try await quote("card_no=C-1&site_code=LY-01&slot=lunch&served_on=2022-08-01", w.op1)
                #expect(before.0 == .ok && before.1["eligible"] as? Bool == false && before.1["reason"] as? String == "site_not_operating", "\(before.2)")
                let closed = try await quote("card_no=C-1&site_code=LY-01&slot=lunch&served_on=2026-09-10", w.op1)
                #expect(closed.1["eligible"] as? Bool == false && closed.1["reason"] as? String == "period_closed", "\(closed.2)")
                // Without the site, September is quoted as any day (no site, no claim to close it).
                #expect(try await quote("card_no=C-1&slot=lunch&served_on=2026-09-10&price_fen=1000", w.op1).1["eligible"] as? Bool == true)

                // What is refused.
                #expect(try await quote("card_no=C-1&slot=lunch", w.op1).0 == .badRequest)  // no site, no price
                #expect(try await quote("card_no=C-1&diner_id=\(d1.id)&slot=lunch&price_fen=1", w.op1).0 == .badRequest)
                #expect(try await quote("slot=lunch&price_fen=1", w.op1).0 == .badRequest)
                #expect(try await quote("card_no=NOPE&site_code=LY-01&slot=lunch", w.op1).0 == .notFound)
                #expect(try await quote("resident_id=123&site_code=LY-01&slot=lunch", w.op1).0 == .unprocessableContent)
                #expect(try await quote("card_no=C-1&site_code=NOPE&slot=lunch", w.admin).0 == .notFound)
                #expect(try await quote("card_no=C-1&site_code=LY-02&slot=lunch", w.op1).0 == .forbidden)
                #expect(try await quote("card_no=C-1&site_code=LY-01&slot=lunch&served_on=2099-01-01", w.op1).0 == .unprocessableContent)
            }
        }
    }
}
