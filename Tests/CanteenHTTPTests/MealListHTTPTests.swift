import CanteenHTTP
import CanteenService
import Foundation
import HummingbirdTesting
import Testing
import TestSupport

/// SPEC §3.4: the counter's day as `GET /v1/meals` shows it: each item with its diner's name, and
/// with `site_code` and `served_on` a summary of that day.
@Suite("The meal list over HTTP")
struct MealListHTTPTests {
    @Test func itemsCarryTheDinersNameAndOneSitesDayIsSummedUp() async throws {
        try await TestDatabase.withServices { services in
            let w = try await APITests.world(services)
            let third = try await Fixtures.diner(services, born: "1952-02-02", serial: 3, name: "张某某").diner.id
            try await buildApplication(services: services).test(.router) { client in
                var voided = 0
                for (diner, slot, price) in [(w.diner1, "lunch", 1000), (w.diner1, "dinner", 300), (third, "lunch", 1000)] {
                    let meal = try await APITests.request(client, .post, "/v1/meals", token: w.op1,
                                                          body: #"{"site_code": "LY-01", "diner_id": \#(diner), "slot": "\#(slot)", "price_fen": \#(price), "served_on": "2026-11-20"}"#)
                    #expect(meal.0 == .created, "\(meal.3)")
                    voided = try #require(meal.1["id"] as? Int)
                }
                // The last one (张, 72: 2 yuan) is voided: the day no longer counts it.
                #expect(try await APITests.request(client, .post, "/v1/meals/\(voided)/void", token: w.op1, body: #"{"reason": "刷错卡"}"#).0 == .ok)
                _ = try await APITests.request(client, .post, "/v1/meals", token: w.op1,
                                               body: #"{"site_code": "LY-01", "diner_id": \#(third), "slot": "lunch", "price_fen": 1000, "served_on": "2026-11-21"}"#)

                // One item a page: the summary is the whole day's, whatever the page holds.
                let day = try await APITests.request(client, .get, "/v1/meals?site_code=LY-01&served_on=2026-11-20&limit=1", token: w.op1)
                #expect(day.0 == .ok, "\(day.3)")
                let items = try #require(day.1["items"] as? [[String: Any]])
                #expect(items.count == 1 && items[0]["diner_name"] as? String == "测试老人")
                let summary = try #require(day.1["summary"] as? [String: Any], "\(day.3)")
                // 81-year-old diner1: 4 yuan at 10 yuan, 3 yuan at 3 yuan (capped).
                #expect(summary["meals"] as? Int == 2 && summary["subsidy_fen"] as? Int == 700 && summary["payable_fen"] as? Int == 600)
                let all = try await APITests.request(client, .get, "/v1/meals?site_code=LY-01", token: w.op1)
                #expect(all.1["summary"] == nil, "\(all.3)")
                #expect((all.1["items"] as? [[String: Any]])?.compactMap { $0["diner_name"] as? String }.contains("张某某") == true)
                // Another site's day is not the operator's to read.
                let other = try await APITests.request(client, .get, "/v1/meals?site_code=LY-02&served_on=2026-11-20", token: w.op1)
                #expect(other.0 == .forbidden, "\(other.3)")
            }
        }
    }
}
