import CanteenHTTP
import CanteenService
import Foundation
import HummingbirdTesting
import Testing
import TestSupport

/// SPEC §2.9: a claim keeps its history through rebuilds; approve takes a comment, pay a voucher
/// number and date; the form prints them.
@Suite("A claim's events over HTTP")
struct ClaimEventsHTTPTests {
    @Test func aRejectionSurvivesTheRebuildAndThePaymentIsPrinted() async throws {
        try await TestDatabase.withServices { services in
            let w = try await APITests.world(services)
            _ = try await services.meals.log(Fixtures.meal(site: "LY-01", diner: w.diner1, on: "2026-10-12"), by: .testAdmin)
            try await buildApplication(services: services).test(.router) { client in
                let built = try await APITests.request(client, .post, "/v1/claims", token: w.op1, body: #"{"site_code": "LY-01", "month": "2026-10"}"#)
                let id = try #require(built.1["id"] as? Int, "\(built.3)")
                #expect((built.1["events"] as? [[String: Any]])?.map { $0["action"] as? String } == ["build"])
                _ = try await APITests.request(client, .post, "/v1/claims/\(id)/submit", token: w.op1)
                _ = try await APITests.request(client, .post, "/v1/claims/\(id)/reject", token: w.bureau, body: #"{"reason": "缺少签字"}"#)
                let rebuilt = try await APITests.request(client, .post, "/v1/claims", token: w.op1, body: #"{"site_code": "LY-01", "month": "2026-10"}"#)
                #expect(rebuilt.1["reject_reason"] is NSNull && rebuilt.1["rejected_at"] is NSNull, "\(rebuilt.3)")
                let events = try #require(rebuilt.1["events"] as? [[String: Any]])
                #expect(events.map { $0["action"] as? String } == ["build", "submit", "reject", "rebuild"])
                #expect(events[2]["reason"] as? String == "缺少签字" && events[2]["actor"] as? String == "bureau")
                #expect(events[0]["comment"] is NSNull && events[0]["reference"] is NSNull)

                _ = try await APITests.request(client, .post, "/v1/claims/\(id)/submit", token: w.op1)
                let approved = try await APITests.request(client, .post, "/v1/claims/\(id)/approve", token: w.bureau, body: #"{"comment": "同意"}"#)
                #expect(approved.0 == .ok && approved.1["approval_comment"] as? String == "同意", "\(approved.3)")
                let late = try await APITests.request(client, .post, "/v1/claims/\(id)/pay", token: w.bureau, body: #"{"paid_on": "2027-01-01"}"#)
                #expect(late.0 == .unprocessableContent, "\(late.3)")
                let paid = try await APITests.request(client, .post, "/v1/claims/\(id)/pay", token: w.bureau,
                                                      body: #"{"reference": "PZ-118", "paid_on": "2026-11-20"}"#)
                #expect(paid.0 == .ok, "\(paid.3)")
                #expect(paid.1["payment_reference"] as? String == "PZ-118" && paid.1["paid_on"] as? String == "2026-11-20")
                let last = try #require((paid.1["events"] as? [[String: Any]])?.last)
                #expect(last["action"] as? String == "pay" && last["reference"] as? String == "PZ-118")

                // Lists carry the events too; the form prints the payment, the comment and the history.
                let list = try await APITests.request(client, .get, "/v1/claims?site_code=LY-01", token: w.bureau)
                #expect(((list.1["items"] as? [[String: Any]])?.first?["events"] as? [Any])?.count == 7, "\(list.3)")
                let form = try await APITests.request(client, .get, "/v1/claims/\(id)/export?format=html", token: w.bureau)
                for text in ["支付凭证号：PZ-118", "拨付日期：2026年11月20日", "民政局审批意见：同意", "退回 bureau（理由：缺少签字）", "打印时间：2026年11月22日 12:00"] {
                    #expect(form.3.contains(text), "\(text)")
                }
            }
        }
    }
}
