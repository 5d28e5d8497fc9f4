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

    @Test func digitStringsOfEveryLengthNeverCrash() async {
        await propertyCheck(count: 3000, input: Gen.int(in: 0...9).array(of: 0...25), Gen.bool) { digits, lowerX in
            var text = digits.map(String.init).joined()
            if text.count == 17 { text += lowerX ? "x" : "X" }
            _ = try? ResidentID(parsing: text, today: Self.today)
        }
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

    @Test func datesAndMonthsFromRandomTextNeverCrash() async {
        await propertyCheck(count: 2000, input: Gen.int(in: 32...126).array(of: 0...12)) { codes in
            let text = String(decoding: codes.map(UInt8.init), as: UTF8.self)
            if let date = LocalDate(iso: text) { #expect(date.description == text) }
            if let month = YearMonth(iso: text) { #expect(month.description == text) }
        }
    }
}
