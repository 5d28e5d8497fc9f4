import Foundation

/// A calendar date with no time and no zone: a business date such as `served_on`.
/// Kept as three integers so that no time zone can ever shift it.
public struct LocalDate: Hashable, Comparable, Sendable, CustomStringConvertible {
    public let year: Int
    public let month: Int
    public let day: Int

    /// Only real dates (1…9999) are representable.
    public init?(year: Int, month: Int, day: Int) {
        guard (1...9999).contains(year), (1...12).contains(month),
              day >= 1, day <= LocalDate.daysIn(month: month, year: year) else { return nil }
        self.year = year
        self.month = month
        self.day = day
    }

    /// Parses exactly `YYYY-MM-DD`.
    public init?(iso text: String) {
        let bytes = Array(text.utf8)
        guard bytes.count == 10, bytes[4] == UInt8(ascii: "-"), bytes[7] == UInt8(ascii: "-"),
              let y = Self.digits(bytes[0..<4]), let m = Self.digits(bytes[5..<7]), let d = Self.digits(bytes[8..<10])
        else { return nil }
        self.init(year: y, month: m, day: d)
    }

    /// Parses `YYYYMMDD` (as inside resident ID numbers).
    public init?(compact bytes: ArraySlice<UInt8>) {
        guard bytes.count == 8,
              let y = Self.digits(bytes.prefix(4)), let m = Self.digits(bytes.dropFirst(4).prefix(2)), let d = Self.digits(bytes.suffix(2))
        else { return nil }
        self.init(year: y, month: m, day: d)
    }

    static func digits(_ bytes: ArraySlice<UInt8>) -> Int? {
        var value = 0
        for b in bytes {
            guard b >= UInt8(ascii: "0"), b <= UInt8(ascii: "9") else { return nil }
            value = value * 10 + Int(b - UInt8(ascii: "0"))
        }
        return value
    }

    /// `YYYY-MM-DD`, built by hand: `String(format:)` is far too slow for bulk imports.
    public var description: String {
        var bytes = [UInt8](repeating: UInt8(ascii: "-"), count: 10)
        LocalDate.put(year, width: 4, into: &bytes, at: 0)
        LocalDate.put(month, width: 2, into: &bytes, at: 5)
        LocalDate.put(day, width: 2, into: &bytes, at: 8)
        return String(decoding: bytes, as: UTF8.self)
    }

    static func put(_ value: Int, width: Int, into bytes: inout [UInt8], at offset: Int) {
        var v = value
        for i in stride(from: offset + width - 1, through: offset, by: -1) {
            bytes[i] = UInt8(ascii: "0") + UInt8(v % 10)
            v /= 10
        }
    }

    public static func < (a: LocalDate, b: LocalDate) -> Bool {
        (a.year, a.month, a.day) < (b.year, b.month, b.day)
    }

    public static func isLeap(_ year: Int) -> Bool {
        (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
    }

    public static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: return isLeap(year) ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    /// Days since 1970-01-01 (negative before).
    public var daysSinceEpoch: Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = (month + 9) % 12
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    public init(daysSinceEpoch days: Int) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        self.year = yoe + era * 400 + (m <= 2 ? 1 : 0)
        self.month = m
        self.day = d
    }

    public func adding(days: Int) -> LocalDate {
        LocalDate(daysSinceEpoch: daysSinceEpoch + days)
    }

    public var yearMonth: YearMonth { YearMonth(uncheckedYear: year, month: month) }

    /// Today's date in `timeZone` (not in UTC). Plain arithmetic on the zone's offset at that
    /// instant: no Calendar is built on the hot path.
    public static func today(in timeZone: TimeZone, now: Date = Date()) -> LocalDate {
        let local = Int((now.timeIntervalSince1970).rounded(.down)) + timeZone.secondsFromGMT(for: now)
        return LocalDate(daysSinceEpoch: local >= 0 ? local / 86_400 : (local - 86_399) / 86_400)
    }

    init(uncheckedYear year: Int, month: Int, day: Int) {
        self.year = year
        self.month = month
        self.day = day
    }
}

extension LocalDate: Codable {
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        guard let date = LocalDate(iso: text) else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "expected a date YYYY-MM-DD")
        }
        self = date
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}

/// A calendar month, `YYYY-MM`.
public struct YearMonth: Hashable, Comparable, Sendable, CustomStringConvertible, Codable {
    public let year: Int
    public let month: Int

    public init?(year: Int, month: Int) {
        guard (1...9999).contains(year), (1...12).contains(month) else { return nil }
        self.year = year
        self.month = month
    }

    init(uncheckedYear year: Int, month: Int) {
        self.year = year
        self.month = month
    }

    /// Parses exactly `YYYY-MM`.
    public init?(iso text: String) {
        let bytes = Array(text.utf8)
        guard bytes.count == 7, bytes[4] == UInt8(ascii: "-"),
              let y = LocalDate.digits(bytes[0..<4]), let m = LocalDate.digits(bytes[5..<7]) else { return nil }
        self.init(year: y, month: m)
    }

    public var description: String {
        var bytes = [UInt8](repeating: UInt8(ascii: "-"), count: 7)
        LocalDate.put(year, width: 4, into: &bytes, at: 0)
        LocalDate.put(month, width: 2, into: &bytes, at: 5)
        return String(decoding: bytes, as: UTF8.self)
    }
    public var firstDay: LocalDate { LocalDate(uncheckedYear: year, month: month, day: 1) }
    public var lastDay: LocalDate { LocalDate(uncheckedYear: year, month: month, day: LocalDate.daysIn(month: month, year: year)) }
    public var next: YearMonth { month == 12 ? YearMonth(uncheckedYear: year + 1, month: 1) : YearMonth(uncheckedYear: year, month: month + 1) }
    public func contains(_ date: LocalDate) -> Bool { date.year == year && date.month == month }

    public static func < (a: YearMonth, b: YearMonth) -> Bool { (a.year, a.month) < (b.year, b.month) }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        guard let value = YearMonth(iso: try container.decode(String.self)) else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "expected a month YYYY-MM")
        }
        self = value
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}

extension LocalDate {
    /// As a form for officials prints a date: 2026年12月1日.
    public var chinese: String { "\(year)年\(month)月\(day)日" }

    /// An RFC 3339 timestamp of the service (`2026-12-01T14:05:09+08:00`) as a form prints it:
    /// 2026年12月1日 14:05. Any other text is printed as it is.
    public static func chineseTimestamp(_ timestamp: String) -> String {
        guard timestamp.count >= 16, let date = LocalDate(iso: String(timestamp.prefix(10))) else { return timestamp }
        let time = timestamp.dropFirst(11).prefix(5)
        return "\(date.chinese) \(time)"
    }
}
