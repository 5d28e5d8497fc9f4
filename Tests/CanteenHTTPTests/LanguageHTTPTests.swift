import CanteenHTTP
import CanteenService
import Foundation
import HTTPTypes
import HummingbirdTesting
import Testing
import TestSupport

/// SPEC §3: problems speak Chinese when `Accept-Language` prefers it, English otherwise; the
/// `code` words never change.
@Suite("Problems in the client's language")
struct LanguageHTTPTests {
    @Test func chineseWhenTheClientPrefersIt() async throws {
        try await TestDatabase.withServices { services in
            let w = try await APITests.world(services)
            try await buildApplication(services: services).test(.router) { client in
                func get(_ uri: String, _ language: String?, body: String? = nil) async throws -> (HTTPResponse.Status, [String: Any]) {
                    var headers: HTTPFields = [:]
                    if let language { headers[.acceptLanguage] = language }
                    let answer = try await APITests.request(client, body == nil ? .get : .post, uri, token: w.op1, body: body, headers: headers)
                    return (answer.0, answer.1)
                }
                let zh = try await get("/v1/meals/999999", "zh-CN,zh;q=0.9,en;q=0.8")
                #expect(zh.0 == .notFound && zh.1["code"] as? String == "not_found")
                #expect(zh.1["title"] as? String == "未找到" && zh.1["detail"] as? String == "未找到餐次 999999", "\(zh.1)")
                let en = try await get("/v1/meals/999999", "en-US,zh;q=0.5")
                #expect(en.1["title"] as? String == "Not found" && en.1["detail"] as? String == "meal 999999 not found")
                #expect(try await get("/v1/meals/999999", nil).1["detail"] as? String == "meal 999999 not found")

                // A field's message, a refused meal in a batch, an unknown parameter: all in Chinese.
                let invalid = try await get("/v1/diners", "zh", body: #"{"name": "", "resident_id": "371502194503151234"}"#)
                #expect(invalid.1["title"] as? String == "身份证号无效" || invalid.1["title"] as? String == "校验未通过", "\(invalid.1)")
                let batch = try await get("/v1/meals/batch", "zh", body: #"{"meals": [{"site_code": "LY-02", "diner_id": \#(w.diner1), "slot": "lunch", "price_fen": 1000}]}"#)
                let item = try #require((batch.1["results"] as? [[String: Any]])?.first?["error"] as? [String: Any], "\(batch.1)")
                #expect(item["code"] as? String == "forbidden" && item["detail"] as? String == "此令牌无权操作食堂 LY-02", "\(item)")
                let unknown = try await get("/v1/meals?colour=red", "zh")
                #expect(unknown.1["detail"] as? String == "此路径不认识查询参数 colour", "\(unknown.1)")
                let noName = try await get("/v1/diners", "zh", body: #"{"resident_id": "\#(Fixtures.residentID(born: .init(iso: "1950-01-01")!, serial: 9))"}"#)
                #expect((noName.1["errors"] as? [[String: Any]])?.first?["message"] as? String == "name 必填", "\(noName.1)")
            }
        }
    }
}
