import CanteenDomain
import Testing

@Suite("CSV")
struct CSVTests {
    @Test func parsesQuotesLineBreaksBOMAndKeepsLineNumbers() {
        let text = "\u{FEFF}a,b,c\r\n1,\"x, \"\"y\"\"\",3\r\n\r\n2,\"multi\nline\",4\n5,,\n\"last\",z,\"\""
        let records = CSV.records(text)
        #expect(records.map(\.line) == [1, 2, 4, 6, 7])
        #expect(records[0].fields == ["a", "b", "c"])
        #expect(records[1].fields == ["1", "x, \"y\"", "3"])
        #expect(records[2].fields == ["2", "multi\nline", "4"])
        #expect(records[3].fields == ["5", "", ""])
        #expect(records[4].fields == ["last", "z", ""])
    }

    @Test func writesFieldsThatRoundTrip() {
        let fields = ["plain", "with,comma", "with \"quote\"", "line\nbreak", " padded ", "幸福食堂", ""]
        let line = CSV.line(fields.map(CSV.Cell.text))
        #expect(line.hasSuffix("\r\n"))
        #expect(CSV.records(line).first?.fields == fields)
    }

    @Test func invalidUTF8IsReplacedNotFatal() {
        let bytes: [UInt8] = Array("a,b\n".utf8) + [0xFF, 0xFE, 0x2C, 0x41, 0x0A]
        var records: [CSV.Record] = []
        bytes.withUnsafeBufferPointer { CSV.parse($0) { records.append($0) } }
        #expect(records.map(\.line) == [1, 2])
        #expect(records[0].fields == ["a", "b"])
        // Each invalid byte becomes U+FFFD; the valid field beside them is kept as it is.
        #expect(records[1].fields == ["\u{FFFD}\u{FFFD}", "A"])
    }
}
