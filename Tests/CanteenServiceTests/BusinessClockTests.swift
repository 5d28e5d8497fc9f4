import CanteenService
import Foundation
import Testing

@Suite("Business clock")
struct BusinessClockTests {
    @Test func timestampsAreRFC3339WithTheZonesOffsetLikeFoundationWritesThem() {
        for zone in ["Asia/Shanghai", "UTC", "America/St_Johns", "Asia/Kathmandu", "Pacific/Pago_Pago"] {
            let clock = BusinessClock(timeZone: TimeZone(identifier: zone)!)
            let formatter = ISO8601DateFormatter()
            formatter.timeZone = clock.timeZone
            formatter.formatOptions = [.withInternetDateTime]
            for step in stride(from: 0, through: 2_000_000_000, by: 9_876_543) {
                let date = Date(timeIntervalSince1970: TimeInterval(step) + 0.75)
                let expected = formatter.string(from: date).replacingOccurrences(of: "Z", with: "+00:00")
                #expect(clock.timestamp(date) == expected, "\(zone) \(step)")
            }
        }
    }
}
