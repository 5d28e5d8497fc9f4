import CanteenDomain
import Foundation
import PropertyBased
import Testing

/// Random and hostile input never crashes the parsers: it is accepted as valid or refused with the SPEC's code.
@Suite("Hostile input to the parsers")
struct HostileInputTests {
    static let today = LocalDate(year: 2026, month: 11, day: 22)!

    @Test func randomTextIsEitherAValidResidentIDOrInvalidResidentID() async {
        await propertyCheck(count: 3000, input: Gen.int(in: 0...0x10FFFF).array(of: 0...40)) { codes in
            let text = String(String.UnicodeScalarView(codes.compactMap(Unicode.Scalar.init)))
            do {
                let id = try ResidentID(parsing: text, today: Self.today)
                #expect(id.value.utf8.count == 18)
                #expect(ResidentID.completing(String(id.value.prefix(17))) == id.value)
            } catch let error as CanteenError {
                #expect(error.code == .invalidResidentID)
            } catch {
                Issue.record("unexpected \(error)")
            }
        }
    }

    @Test func digitStringsOfEveryLengthAreAcceptedExactlyWhenEveryRuleHolds() async {
        await propertyCheck(count: 3000, input: Gen.int(in: 0...9).array(of: 0...25), Gen.bool) { digits, lowerX in
            var text = digits.map(String.init).joined()
            if text.count == 17 { text += lowerX ? "x" : "X" }
            Self.expectParsedAsTheRulesSay(text)
        }
    }

    /// Numbers built near the rules' edges (province, birth date, century, check character,
    /// legacy form, surrounding spaces), so that valid and invalid ones both come up often.
    @Test func structuredNumbersAreAcceptedExactlyWhenEveryRuleHolds() async {
        await propertyCheck(count: 3000, input: Gen.int(in: 0...Int.max).array(of: 7)) { v in
            let province = v[0] % 100, year = 1880 + v[1] % 160, month = v[2] % 14, day = v[3] % 33, sequence = v[4] % 1000
            let body = String(format: "%02d1502%04d%02d%02d%03d", province, year, month, day, sequence)
            let check = Self.checkCharacter(Array(body))
            let text: String
            switch v[5] % 4 {
            case 0: text = body + String(check)
            case 1: text = body + String(check).lowercased()
            case 2: text = "  " + body + String(check) + " "
            default:
                let legacy = String(format: "%02d1502%02d%02d%02d%03d", province, year % 100, month, day, sequence)
                text = v[6] % 2 == 0 ? legacy : body + String(Array("0123456789X")[v[6] % 11])
            }
            Self.expectParsedAsTheRulesSay(text)
        }
    }

    static func expectParsedAsTheRulesSay(_ text: String) {
        let expected = Self.expectedNumber(text)
        do {
            let id = try ResidentID(parsing: text, today: Self.today)
            #expect(id.value == expected, "\(text)")
            let chars = Array(id.value)
            #expect(id.birthDate.description == "\(String(chars[6..<10]))-\(String(chars[10..<12]))-\(String(chars[12..<14]))", "\(text)")
            #expect(id.sex == (chars[16].wholeNumberValue! % 2 == 1 ? .male : .female), "\(text)")
        } catch let error as CanteenError {
            #expect(error.code == .invalidResidentID, "\(text)")
            #expect(expected == nil, "\(text) was refused: \(error.detail)")
        } catch {
            Issue.record("unexpected \(error)")
        }
    }

    /// SPEC §2.3 written out a second time, independently of `ResidentID`: the 18-character
    /// number `text` stands for, or nil when some rule fails.
    static func expectedNumber(_ text: String) -> String? {
        var chars = Array(text.trimmingCharacters(in: .whitespaces))
        let isDigit: (Character) -> Bool = { $0.isASCII && $0.isNumber }
        if chars.count == 15 {
            guard chars.allSatisfy(isDigit) else { return nil }
            chars.insert(contentsOf: ["1", "9"], at: 6)
            chars.append(checkCharacter(chars))
        }
        guard chars.count == 18, chars.prefix(17).allSatisfy(isDigit) else { return nil }
        if chars[17] == "x" { chars[17] = "X" }
        func number(_ range: Range<Int>) -> Int { Int(String(chars[range]))! }
        let provinces = [11...15, 21...23, 31...37, 41...46, 50...54, 61...65, 71...71, 81...82, 91...91]
        guard provinces.contains(where: { $0.contains(number(0..<2)) }) else { return nil }
        let (y, m, d) = (number(6..<10), number(10..<12), number(12..<14))
        let leap = y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)
        let days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
        guard (1...12).contains(m), (1...days[m - 1]).contains(d) else { return nil }
        guard (y, m, d) >= (1900, 1, 1), (y, m, d) <= (today.year, today.month, today.day) else { return nil }
        guard chars[17] == checkCharacter(chars) else { return nil }
        return String(chars)
    }

    static func checkCharacter(_ chars: [Character]) -> Character {
        let weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
        let sum = zip(chars.prefix(17), weights).reduce(0) { $0 + $1.0.wholeNumberValue! * $1.1 }
        return Array("10X98765432")[sum % 11]
    }

    @Test func randomBytesParseAsCSVWithoutCrashing() async {
        await propertyCheck(count: 2000, input: Gen.int(in: 0...255).array(of: 0...400)) { values in
            let bytes = values.map(UInt8.init)
            var lines = 0
            bytes.withUnsafeBufferPointer { buffer in
                CSV.parse(buffer) { record in
                    lines = max(lines, record.line)
                    #expect(record.bytes.lowerBound >= 0 && record.bytes.upperBound <= bytes.count)
                }
            }
            #expect(lines <= bytes.filter { $0 == 10 }.count + 1)
        }
    }

    @Test func datesAndMonthsFromRandomTextParseExactlyWhenWellFormed() async {
        await propertyCheck(count: 2000, input: Gen.int(in: 32...126).array(of: 0...12)) { codes in
            let text = String(decoding: codes.map(UInt8.init), as: UTF8.self)
            Self.expectDatesParsedAsTheCalendarSays(text)
        }
    }

    /// Well-formed text around the calendar's edges: most of these are dates or months.
    @Test func datesAndMonthsNearTheCalendarsEdgesParseExactlyWhenReal() async {
        await propertyCheck(count: 3000, input: Gen.int(in: 0...10_000), Gen.int(in: 0...13), Gen.int(in: 0...32)) { y, m, d in
            Self.expectDatesParsedAsTheCalendarSays(String(format: "%04d-%02d-%02d", y, m, d))
            Self.expectDatesParsedAsTheCalendarSays(String(format: "%04d-%02d", y, m))
        }
    }

    static func expectDatesParsedAsTheCalendarSays(_ text: String) {
        let bytes = Array(text.utf8)
        func digits(_ range: Range<Int>) -> Int? {
            guard bytes.count >= range.upperBound, bytes[range].allSatisfy({ (48...57).contains($0) }) else { return nil }
            return Int(String(decoding: bytes[range], as: UTF8.self))
        }
        var date: (Int, Int, Int)?
        if bytes.count == 10, bytes[4] == 45, bytes[7] == 45, let y = digits(0..<4), let m = digits(5..<7), let d = digits(8..<10) {
            let leap = y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)
            let days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
            if y >= 1, (1...12).contains(m), (1...days[m - 1]).contains(d) { date = (y, m, d) }
        }
        var month: (Int, Int)?
        if bytes.count == 7, bytes[4] == 45, let y = digits(0..<4), let m = digits(5..<7), y >= 1, (1...12).contains(m) {
            month = (y, m)
        }
        let parsed = LocalDate(iso: text)
        #expect(parsed.map { [$0.year, $0.month, $0.day] } == date.map { [$0.0, $0.1, $0.2] }, "\(text)")
        if let parsed { #expect(parsed.description == text) }
        let parsedMonth = YearMonth(iso: text)
        #expect(parsedMonth.map { [$0.year, $0.month] } == month.map { [$0.0, $0.1] }, "\(text)")
        if let parsedMonth { #expect(parsedMonth.description == text) }
    }
}
