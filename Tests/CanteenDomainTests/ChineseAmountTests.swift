import CanteenDomain
import PropertyBased
import Testing

@Suite("Chinese capital numerals for amounts")
struct ChineseAmountTests {
    @Test(arguments: [
        (36_000, "叁佰陆拾元整"), (100_500, "壹仟零伍元整"), (350, "叁元伍角"), (305, "叁元零伍分"), (0, "零元整"),
        (5, "伍分"), (50, "伍角"), (55, "伍角伍分"), (1_000, "壹拾元整"), (1_500, "壹拾伍元整"), (100_000_000, "壹佰万元整"),
        (1_000_100, "壹万零壹元整"), (10_010_000, "壹拾万零壹佰元整"), (1_000_000_000_000, "壹佰亿元整"),
        (1_680_32, "壹仟陆佰捌拾元叁角贰分"), (10_000_000_000_00, "壹佰亿元整"), (1_000_000_00, "壹佰万元整"),
        (100_000_001_00, "壹亿零壹元整"), (-200, "负贰元整"), (1_234_567_89, "壹佰贰拾叁万肆仟伍佰陆拾柒元捌角玖分"),
        (20_000_000_00, "贰仟万元整"), (20_000_100_00, "贰仟万零壹佰元整"),
    ])
    func knownAmounts(_ fen: Int, _ expected: String) {
        #expect(ChineseAmount.capital(fen: fen) == expected)
    }

    /// Reads a capital amount back into fen, independently of the writer.
    static func parse(_ text: String) -> Int? {
        let digits: [Character: Int] = ["零": 0, "壹": 1, "贰": 2, "叁": 3, "肆": 4, "伍": 5, "陆": 6, "柒": 7, "捌": 8, "玖": 9]
        let small: [Character: Int] = ["拾": 10, "佰": 100, "仟": 1000]
        var sign = 1
        var body = Substring(text)
        if body.hasPrefix("负") { sign = -1; body = body.dropFirst() }
        var total = 0, section = 0, digit = 0, fen = 0
        var lastWasDigit = false
        for ch in body {
            if let d = digits[ch] { digit = d; lastWasDigit = true; continue }
            if let unit = small[ch] { section += digit * unit; digit = 0; lastWasDigit = false; continue }
            switch ch {
            case "万": total += (section + digit) * 10_000; section = 0; digit = 0
            case "亿":
                total = (total + section + digit) * 100_000_000; section = 0; digit = 0
            case "元": total += section + digit; section = 0; digit = 0
            case "角": fen += digit * 10; digit = 0
            case "分": fen += digit; digit = 0
            case "整": break
            default: return nil
            }
            lastWasDigit = false
        }
        _ = lastWasDigit
        return sign * (total * 100 + fen)
    }

    @Test func everyAmountReadsBackToTheSameFen() async {
        await propertyCheck(count: 2000, input: Gen.int(in: 0...9_999_999_999_999)) { fen in
            let text = ChineseAmount.capital(fen: fen)
            #expect(Self.parse(text) == fen, "\(fen) → \(text)")
            #expect(!text.contains("零零"))
            #expect(!text.hasPrefix("零") || fen == 0)
        }
    }

    @Test func zerosInsideLargeAmountsAreWrittenOnce() async {
        await propertyCheck(count: 500, input: Gen.int(in: 0...9).array(of: 1...14)) { digits in
            let fen = digits.reduce(0) { $0 * 10 + $1 }
            let text = ChineseAmount.capital(fen: fen)
            #expect(Self.parse(text) == fen, "\(fen) → \(text)")
            #expect(!text.contains("零零"))
            #expect(!text.contains("零元") || fen < 100)
            #expect(!text.contains("零万") && !text.contains("零亿"))
        }
    }
}
