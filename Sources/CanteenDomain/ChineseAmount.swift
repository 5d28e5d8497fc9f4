/// Amounts in Chinese capital numerals (大写金额) as written on financial documents:
/// `36000` fen → 叁佰陆拾元整, `100500` → 壹仟零伍元整, `350` → 叁元伍角, `305` → 叁元零伍分.
public enum ChineseAmount {
    static let digits = Array("零壹贰叁肆伍陆柒捌玖")
    static let smallUnits = ["仟", "佰", "拾", ""]
    static let sectionUnits = ["", "万", "亿", "万亿"]

    /// Writes `fen` (negative amounts get 负). Amounts up to 10^16 yuan.
    public static func capital(fen: Int) -> String {
        if fen < 0 { return "负" + capital(fen: -fen) }
        let yuan = fen / 100
        let jiao = (fen / 10) % 10
        let cents = fen % 10
        var text = ""
        if yuan > 0 { text = integer(yuan) + "元" }
        if jiao == 0 && cents == 0 {
            return (yuan == 0 ? "零元" : text) + "整"
        }
        if jiao > 0 {
            text += String(digits[jiao]) + "角"
        } else if yuan > 0 {
            text += "零"  // 叁元零伍分
        }
        if cents > 0 { text += String(digits[cents]) + "分" }
        return text
    }

    /// 1 ≤ n < 10^16: four-digit sections with 万, 亿, 万亿; one 零 for any run of zeros inside.
    static func integer(_ n: Int) -> String {
        var sections: [Int] = []
        var rest = n
        while rest > 0 {
            sections.append(rest % 10_000)
            rest /= 10_000
        }
        var text = ""
        var zeroPending = false
        for index in stride(from: sections.count - 1, through: 0, by: -1) {
            let value = sections[index]
            if value == 0 {
                if !text.isEmpty { zeroPending = true }
                continue
            }
            if !text.isEmpty && (zeroPending || value < 1000) { text += "零" }
            zeroPending = false
            text += section(value) + sectionUnits[index]
        }
        return text
    }

    /// 1 ≤ n ≤ 9999 without its leading zeros.
    static func section(_ n: Int) -> String {
        let values = [n / 1000, (n / 100) % 10, (n / 10) % 10, n % 10]
        var text = ""
        var zeroPending = false
        for (value, unit) in zip(values, smallUnits) {
            if value == 0 {
                if !text.isEmpty { zeroPending = true }
                continue
            }
            if zeroPending { text += "零" }
            zeroPending = false
            text += String(digits[value]) + unit
        }
        return text
    }
}
