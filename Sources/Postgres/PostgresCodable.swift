import Foundation

/// A value that can be sent as a text-format statement parameter. `nil` is SQL NULL.
public protocol PostgresEncodable: Sendable {
    var postgresText: String? { get }
}

/// A value that can be read from a text-format result column. `nil` is SQL NULL.
public protocol PostgresDecodable {
    static func decode(postgresText: String?) throws -> Self
}

public typealias PostgresCodable = PostgresEncodable & PostgresDecodable

struct DecodingFailure: Error {
    let message: String
}

private func required(_ text: String?, _ type: String) throws -> String {
    guard let text else { throw DecodingFailure(message: "NULL where \(type) was expected") }
    return text
}

extension Optional: PostgresEncodable where Wrapped: PostgresEncodable {
    public var postgresText: String? { self?.postgresText }
}

extension Optional: PostgresDecodable where Wrapped: PostgresDecodable {
    public static func decode(postgresText: String?) throws -> Self {
        guard let postgresText else { return nil }
        return try Wrapped.decode(postgresText: postgresText)
    }
}

extension String: PostgresCodable {
    public var postgresText: String? { self }
    public static func decode(postgresText: String?) throws -> String { try required(postgresText, "text") }
}

extension Int: PostgresCodable {
    public var postgresText: String? { String(self) }
    public static func decode(postgresText: String?) throws -> Int {
        guard let value = Int(try required(postgresText, "integer")) else {
            throw DecodingFailure(message: "not an integer")
        }
        return value
    }
}

extension Int64: PostgresCodable {
    public var postgresText: String? { String(self) }
    public static func decode(postgresText: String?) throws -> Int64 {
        guard let value = Int64(try required(postgresText, "bigint")) else {
            throw DecodingFailure(message: "not a bigint")
        }
        return value
    }
}

extension Int32: PostgresCodable {
    public var postgresText: String? { String(self) }
    public static func decode(postgresText: String?) throws -> Int32 {
        guard let value = Int32(try required(postgresText, "integer")) else {
            throw DecodingFailure(message: "not an integer")
        }
        return value
    }
}

extension Bool: PostgresCodable {
    public var postgresText: String? { self ? "t" : "f" }
    public static func decode(postgresText: String?) throws -> Bool {
        switch try required(postgresText, "boolean") {
        case "t", "true": return true
        case "f", "false": return false
        default: throw DecodingFailure(message: "not a boolean")
        }
    }
}

extension Double: PostgresCodable {
    public var postgresText: String? { String(self) }
    public static func decode(postgresText: String?) throws -> Double {
        guard let value = Double(try required(postgresText, "double precision")) else {
            throw DecodingFailure(message: "not a number")
        }
        return value
    }
}

/// A `timestamptz`. Sent and read in ISO 8601; the connection runs with `DateStyle = ISO`.
extension Date: PostgresCodable {
    public var postgresText: String? {
        // Microsecond precision, always UTC: unambiguous whatever the session time zone.
        let micros = (timeIntervalSince1970 * 1_000_000).rounded()
        let seconds = Int64((micros / 1_000_000).rounded(.down))
        let fraction = Int64(micros) - seconds * 1_000_000
        var utc = Calendar(identifier: .gregorian)
        utc.timeZone = TimeZone(identifier: "UTC")!
        let c = utc.dateComponents([.year, .month, .day, .hour, .minute, .second], from: Date(timeIntervalSince1970: TimeInterval(seconds)))
        return String(format: "%04d-%02d-%02d %02d:%02d:%02d.%06lld+00",
                      c.year!, c.month!, c.day!, c.hour!, c.minute!, c.second!, fraction)
    }

    public static func decode(postgresText: String?) throws -> Date {
        let text = try required(postgresText, "timestamptz")
        guard let date = PostgresTimestamp.parse(text) else {
            throw DecodingFailure(message: "not a timestamptz")
        }
        return date
    }
}

/// Parses PostgreSQL's ISO output for `timestamptz`: `2026-11-22 10:58:24.123456+08`
/// (offset may also be `+05:30` or `+05:30:15`).
enum PostgresTimestamp {
    static func parse(_ text: String) -> Date? {
        let bytes = Array(text.utf8)
        var i = 0
        func number(_ count: Int) -> Int? {
            guard i + count <= bytes.count else { return nil }
            var value = 0
            for b in bytes[i..<(i + count)] {
                guard b >= 48, b <= 57 else { return nil }
                value = value * 10 + Int(b - 48)
            }
            i += count
            return value
        }
        func expect(_ c: UInt8) -> Bool {
            guard i < bytes.count, bytes[i] == c else { return false }
            i += 1
            return true
        }
        guard let year = number(4), expect(45), let month = number(2), expect(45), let day = number(2),
              expect(32), let hour = number(2), expect(58), let minute = number(2), expect(58),
              let second = number(2) else { return nil }
        var fraction = 0.0
        if i < bytes.count, bytes[i] == 46 {
            i += 1
            var scale = 0.1
            while i < bytes.count, bytes[i] >= 48, bytes[i] <= 57 {
                fraction += Double(bytes[i] - 48) * scale
                scale /= 10
                i += 1
            }
        }
        guard i < bytes.count, bytes[i] == 43 || bytes[i] == 45 else { return nil }
        let sign = bytes[i] == 45 ? -1 : 1
        i += 1
        guard let offsetHours = number(2) else { return nil }
        var offsetSeconds = offsetHours * 3600
        if expect(58), let m = number(2) { offsetSeconds += m * 60 }
        if expect(58), let s = number(2) { offsetSeconds += s }
        guard i == bytes.count else { return nil }
        let days = daysFromCivil(year: year, month: month, day: day)
        let local = Double(days * 86_400 + hour * 3600 + minute * 60 + second) + fraction
        return Date(timeIntervalSince1970: local - Double(sign * offsetSeconds))
    }

    /// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
    static func daysFromCivil(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = (month + 9) % 12
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }
}

/// A JSON value sent as text (for `json`/`jsonb` parameters) from an `Encodable`.
public struct JSONParameter<Value: Encodable & Sendable>: PostgresEncodable {
    public let value: Value
    public init(_ value: Value) { self.value = value }
    public var postgresText: String? {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        guard let data = try? encoder.encode(value) else { return nil }
        return String(decoding: data, as: UTF8.self)
    }
}

/// An array of integers, sent as a PostgreSQL array literal (`bigint[]`, `integer[]`).
public struct IntArray: PostgresEncodable, Equatable {
    public var elements: [Int]
    public init(_ elements: [Int]) { self.elements = elements }

    public var postgresText: String? {
        "{" + elements.map(String.init).joined(separator: ",") + "}"
    }
}

/// An array of text values, sent as a PostgreSQL array literal (`text[]`).
public struct TextArray: PostgresCodable, Equatable {
    public var elements: [String]
    public init(_ elements: [String]) { self.elements = elements }

    public var postgresText: String? {
        // Bytes, not Characters: an import sends arrays of hundreds of thousands of values.
        var out: [UInt8] = [UInt8(ascii: "{")]
        out.reserveCapacity(elements.reduce(2) { $0 + $1.utf8.count + 3 })
        for (i, element) in elements.enumerated() {
            if i > 0 { out.append(UInt8(ascii: ",")) }
            out.append(UInt8(ascii: "\""))
            for byte in element.utf8 {
                if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") { out.append(UInt8(ascii: "\\")) }
                out.append(byte)
            }
            out.append(UInt8(ascii: "\""))
        }
        out.append(UInt8(ascii: "}"))
        return String(decoding: out, as: UTF8.self)
    }

    public static func decode(postgresText: String?) throws -> TextArray {
        let text = try required(postgresText, "text[]")
        guard text.first == "{", text.last == "}" else { throw DecodingFailure(message: "not an array") }
        var elements: [String] = []
        var current = ""
        var inQuotes = false
        var escaped = false
        var sawAny = false
        for ch in text.dropFirst().dropLast() {
            sawAny = true
            if escaped { current.append(ch); escaped = false; continue }
            switch ch {
            case "\\" where inQuotes: escaped = true
            case "\"": inQuotes.toggle()
            case "," where !inQuotes: elements.append(current); current = ""
            default: current.append(ch)
            }
        }
        if sawAny { elements.append(current) }
        return TextArray(elements)
    }
}
