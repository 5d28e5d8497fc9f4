import CanteenDomain
import Foundation
import Testing

@Suite("Dates and money")
struct CalendarTests {
    @Test(arguments: ["2024-02-29", "1900-01-01", "2026-11-22", "9999-12-31"])
    func validDatesRoundTrip(_ text: String) throws {
        let date = try #require(LocalDate(iso: text))
        #expect(date.description == text)
        #expect(LocalDate(daysSinceEpoch: date.daysSinceEpoch) == date)
    }

    @Test(arguments: ["2023-02-29", "2026-13-01", "2026-00-10", "2026-04-31", "26-11-22", "2026/11/22", "2026-11-22 ", "", "２０２６-11-22", "2026-1-22"])
    func invalidDatesAreRejected(_ text: String) {
        #expect(LocalDate(iso: text) == nil)
    }

    @Test func epochDaysAreConsecutive() throws {
        var date = try #require(LocalDate(year: 1899, month: 12, day: 25))
        for _ in 0..<100_000 {
            let next = date.adding(days: 1)
            #expect(next > date)
            #expect(next.daysSinceEpoch == date.daysSinceEpoch + 1)
            date = next
        }
        #expect(LocalDate(year: 1970, month: 1, day: 1)?.daysSinceEpoch == 0)
    }

    @Test func todayIsInTheGivenZoneNotUTC() throws {
        // 2026-11-21 17:30 UTC is already 2026-11-22 in Shanghai.
        let instant = Date(timeIntervalSince1970: 1_795_282_200)
        #expect(LocalDate.today(in: TimeZone(identifier: "Asia/Shanghai")!, now: instant).description == "2026-11-22")
        #expect(LocalDate.today(in: TimeZone(identifier: "UTC")!, now: instant).description == "2026-11-21")
    }

    @Test func months() throws {
        let month = try #require(YearMonth(iso: "2024-02"))
        #expect(month.lastDay.description == "2024-02-29")
        #expect(month.next.description == "2024-03")
        #expect(YearMonth(iso: "2024-12")?.next.description == "2025-01")
        #expect(YearMonth(iso: "2024-13") == nil)
        #expect(YearMonth(iso: "2024-1") == nil)
    }

    @Test func moneyIsShownInYuanOnlyForHumans() {
        #expect(Money(fen: 1200).description == "¥12.00")
        #expect(Money(fen: 5).description == "¥0.05")
        #expect(Money(fen: -200).description == "-¥2.00")
        #expect(Money(fen: 0).description == "¥0.00")
    }
}

@Suite("Clock arithmetic")
struct ClockArithmeticTests {
    @Test func todayMatchesFoundationsCalendarInManyZones() {
        for zone in ["Asia/Shanghai", "UTC", "America/New_York", "Pacific/Kiritimati", "Pacific/Pago_Pago", "Asia/Kathmandu"] {
            let timeZone = TimeZone(identifier: zone)!
            var calendar = Calendar(identifier: .gregorian)
            calendar.timeZone = timeZone
            for step in stride(from: -2_000_000_000, through: 2_000_000_000, by: 7_777_777) {
                let instant = Date(timeIntervalSince1970: TimeInterval(step))
                let c = calendar.dateComponents([.year, .month, .day], from: instant)
                #expect(LocalDate.today(in: timeZone, now: instant) == LocalDate(year: c.year!, month: c.month!, day: c.day!), "\(zone) \(step)")
            }
        }
    }
}
