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

    /// RFC 3339 with the zone's offset, e.g. `2026-11-22T11:02:03+08:00`.
    public func timestamp(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.timeZone = timeZone
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.string(from: date)
    }
}
