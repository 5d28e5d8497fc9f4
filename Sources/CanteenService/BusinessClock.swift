import CanteenDomain
import Foundation

/// "Now" and "today" in the service's time zone (`CANTEEN_TZ`), not in UTC.
/// Tests pass a fixed `now` to pin the date.
public struct BusinessClock: Sendable {
    public let timeZone: TimeZone
    private let now: @Sendable () -> Date

    public init(timeZone: TimeZone, now: @escaping @Sendable () -> Date = { Date() }) {
        self.timeZone = timeZone
        self.now = now
    }

    public static let defaultTimeZoneIdentifier = "Asia/Shanghai"

    /// Reads `CANTEEN_TZ` (default `Asia/Shanghai`); an unknown zone is an error, not a silent UTC.
    public static func fromEnvironment(_ environment: [String: String] = ProcessInfo.processInfo.environment) throws -> BusinessClock {
        let identifier = environment["CANTEEN_TZ"].flatMap { $0.isEmpty ? nil : $0 } ?? defaultTimeZoneIdentifier
        guard let zone = TimeZone(identifier: identifier) else {
            throw CanteenError.invalidRequest("CANTEEN_TZ=\(identifier) is not a known time zone")
        }
        return BusinessClock(timeZone: zone)
    }

    public func currentDate() -> Date { now() }
    public func today() -> LocalDate { LocalDate.today(in: timeZone, now: now()) }

    /// RFC 3339 with the zone's offset, e.g. `2026-11-22T11:02:03+08:00` (built by hand:
    /// a formatter per call costs more than the query that produced the value).
    public func timestamp(_ date: Date) -> String {
        let offset = timeZone.secondsFromGMT(for: date)
        let local = Int(date.timeIntervalSince1970.rounded(.down)) + offset
        let days = local >= 0 ? local / 86_400 : (local - 86_399) / 86_400
        let seconds = local - days * 86_400
        func two(_ v: Int) -> String { v < 10 ? "0\(v)" : String(v) }
        let sign = offset < 0 ? "-" : "+"
        let magnitude = abs(offset)
        return "\(LocalDate(daysSinceEpoch: days))T\(two(seconds / 3600)):\(two(seconds / 60 % 60)):\(two(seconds % 60))"
            + "\(sign)\(two(magnitude / 3600)):\(two(magnitude / 60 % 60))"
    }
}
