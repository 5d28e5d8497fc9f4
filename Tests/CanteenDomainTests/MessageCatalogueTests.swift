import CanteenDomain
import Foundation
import Testing

/// SPEC §3: every problem's title and detail in Chinese when the client prefers it, in English
/// otherwise. The English text is the code's own; the Chinese catalogue must know every message.
@Suite("Messages in English and Chinese")
struct MessageCatalogueTests {
    @Test(arguments: [
        ("zh-CN,zh;q=0.9,en;q=0.8", Language.zh), ("zh", .zh), ("ZH-tw", .zh), ("en-US,en;q=0.9", .en), (nil, .en), ("", .en),
        ("en;q=0.5, zh;q=0.8", .zh), ("zh;q=0.5, en;q=0.5", .zh), ("en, zh", .en), ("zh;q=0, en", .en), ("*", .en),
        ("zhx", .en), ("zh;q=abc, en", .en), ("fr;q=0.9, zh-Hans;q=0.9", .en),
    ] as [(String?, Language)])
    func theHighestRangeDecides(header: String?, expected: Language) {
        #expect(Language.preferred(acceptLanguage: header) == expected)
    }

    @Test func theCLIFollowsLANG() {
        #expect(Language.fromEnvironment(["LANG": "zh_CN.UTF-8"]) == .zh)
        #expect(Language.fromEnvironment(["LANG": "zh_CN.UTF-8", "LC_ALL": "en_US.UTF-8"]) == .en)
        #expect(Language.fromEnvironment(["LC_ALL": "", "LANG": "zh_TW"]) == .zh)
        #expect(Language.fromEnvironment([:]) == .en)
    }

    @Test func aMessageRendersItsValuesInEitherLanguage() {
        let site = "LY-01"
        let error = CanteenError.notFound("site \(site)")
        #expect(error.detail == "site LY-01 not found")
        #expect(error.message.rendered(in: .zh) == "未找到食堂 LY-01")
        let percent: Message = "100% of \(site)"
        #expect(percent.description == "100% of LY-01")
        let validation = CanteenError.validation([FieldError(field: "name", message: "is required")])
        #expect(validation.message.rendered(in: .zh) == "name：必填")
    }

    /// Every message the sources write (`CanteenError(.code, "…")`, `fail(field, "…")`, …) has
    /// its Chinese: the test reads the templates out of the code as the compiler builds them.
    @Test func everyMessageOfTheServiceHasItsChinese() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        var missing: Set<String> = []
        var found = 0
        for module in ["CanteenDomain", "CanteenService", "CanteenHTTP", "CanteenWire", "canteen"] {
            let folder = root.appendingPathComponent("Sources/\(module)")
            let files = FileManager.default.enumerator(at: folder, includingPropertiesForKeys: nil)?.compactMap { $0 as? URL } ?? []
            for file in files where file.pathExtension == "swift" && !file.path.contains("/Documents/") {
                for template in MessageSources.templates(in: try String(contentsOf: file, encoding: .utf8)) {
                    found += 1
                    // A text already in Chinese (a label for officials) is no English message.
                    if template.unicodeScalars.contains(where: { $0.value >= 0x4E00 && $0.value <= 0x9FFF }) { continue }
                    if !MessageCatalogue.knows(template, in: .zh) { missing.insert(template) }
                }
            }
        }
        #expect(found > 150)
        #expect(missing.isEmpty, "no Chinese for:\n\(missing.sorted().joined(separator: "\n"))")
    }

    @Test func everyCodeHasATitleInBothLanguages() {
        for code in CanteenError.Code.allCases {
            #expect(MessageCatalogue.title(code, in: .en) != code.rawValue)
            #expect(MessageCatalogue.title(code, in: .zh).unicodeScalars.contains { $0.value >= 0x4E00 })
        }
    }
}

/// Reads message templates out of Swift source: string literals in the places a `Message` is
/// written, interpolations as `%@`, as `Message.StringInterpolation` builds them.
enum MessageSources {
    static let openers = [
        #"CanteenError\(\.[A-Za-z]+,\s*""#, #"CanteenError\.(invalidRequest|notFound)\(""#, #"\bfail\("[^"]*",\s*""#,
        #"FieldError\(field:\s*[^,()]+,\s*message:\s*""#, #":\s*Message\s*=\s*(if [^{]*\{\s*)?""#, #"\bMessage\(""#,
        #"-> Message in ""#, #"Self\.invalid\(""#, #"Self\.invalid\("[^"]*",\s*""#,
        #"[\s(]\.(invalidRequest|notFound)\(""#, #"\brefused\(CanteenError\(\.[A-Za-z]+,\s*""#, #"invalidRequest\([a-z.]+ \? ""#, #"invalidRequest\([a-z.]+ \? "[^"]*" : ""#,
    ]

    static func templates(in source: String) -> [String] {
        let scalars = Array(source.unicodeScalars)
        var out: [String] = []
        for pattern in openers {
            guard let regex = try? NSRegularExpression(pattern: pattern) else { continue }
            let text = source as NSString
            for match in regex.matches(in: source, range: NSRange(location: 0, length: text.length)) {
                // The literal starts after the match's last character, a quote.
                let prefix = text.substring(to: match.range.location + match.range.length)
                let start = prefix.unicodeScalars.count
                guard start <= scalars.count, scalars[start - 1] == "\"" else { continue }
                if let template = literal(scalars, from: start) { out.append(template) }
            }
        }
        return out
    }

    /// The template of the literal whose content starts at `start` (after its opening quote).
    static func literal(_ s: [Unicode.Scalar], from start: Int) -> String? {
        var out = ""
        var i = start
        while i < s.count {
            let c = s[i]
            if c == "\"" { return out }
            if c == "\n" { return nil }
            if c == "\\", i + 1 < s.count {
                let next = s[i + 1]
                if next == "(" {
                    i = skipInterpolation(s, from: i + 2)
                    out += "%@"
                    continue
                }
                switch next {
                case "n": out += "\n"
                case "t": out += "\t"
                default: out.unicodeScalars.append(next)
                }
                i += 2
                continue
            }
            if c == "%" { out += "%%" } else { out.unicodeScalars.append(c) }
            i += 1
        }
        return nil
    }

    /// The index after the `)` closing an interpolation whose content starts at `start`.
    static func skipInterpolation(_ s: [Unicode.Scalar], from start: Int) -> Int {
        var depth = 1
        var i = start
        while i < s.count, depth > 0 {
            switch s[i] {
            case "(": depth += 1
            case ")": depth -= 1
            case "\"":
                i += 1
                while i < s.count, s[i] != "\"" { i += s[i] == "\\" ? 2 : 1 }
            default: break
            }
            i += 1
        }
        return i
    }
}
