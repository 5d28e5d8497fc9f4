/// The languages the service speaks to people (SPEC §3): problems' titles and details, the CLI's
/// errors.
public enum Language: String, Sendable, CaseIterable {
    case en, zh

    /// The language of the request or command being served (set by the HTTP layer from
    /// `Accept-Language`, by the CLI from `LANG`/`LC_ALL`).
    @TaskLocal public static var current: Language = .en

    /// SPEC §3: the range with the highest q (the first on a tie) decides; `zh` or `zh-*` is
    /// Chinese, anything else English. A malformed entry is skipped.
    public static func preferred(acceptLanguage header: String?) -> Language {
        guard let header else { return .en }
        var best: (range: Substring, q: Double)?
        for entry in header.split(separator: ",") {
            let parts = entry.split(separator: ";").map { $0.trimmingCharacters(in: " \t") }
            guard let range = parts.first, !range.isEmpty else { continue }
            var q = 1.0
            for parameter in parts.dropFirst() where parameter.lowercased().hasPrefix("q=") {
                guard let value = Double(parameter.dropFirst(2)), (0...1).contains(value) else { q = -1; break }
                q = value
            }
            guard q > 0 else { continue }
            if best == nil || q > best!.q { best = (range, q) }
        }
        guard let range = best?.range.lowercased() else { return .en }
        return range == "zh" || range.hasPrefix("zh-") ? .zh : .en
    }

    /// The CLI's language: `LC_ALL`, else `LC_MESSAGES`, else `LANG` (`zh_CN.UTF-8` is Chinese).
    public static func fromEnvironment(_ environment: [String: String]) -> Language {
        let value = ["LC_ALL", "LC_MESSAGES", "LANG"].lazy.compactMap { environment[$0] }.first { !$0.isEmpty } ?? ""
        return value.lowercased().hasPrefix("zh") ? .zh : .en
    }
}

extension Substring {
    func trimmingCharacters(in set: String) -> Substring {
        var s = self[...]
        while let c = s.first, set.contains(c) { s = s.dropFirst() }
        while let c = s.last, set.contains(c) { s = s.dropLast() }
        return s
    }
}

/// A message for people: an English template (the interpolated values replaced by `%@`) and its
/// values, rendered in a language from that language's catalogue (`MessageCatalogue`). Written
/// as ordinary string interpolation, `"site \(code) does not exist"`, so the English text is
/// the key and the code reads as before.
public struct Message: Sendable, Equatable, Hashable, ExpressibleByStringInterpolation, CustomStringConvertible {
    public indirect enum Argument: Sendable, Equatable, Hashable {
        case text(String)
        case message(Message)
    }

    public let template: String
    public let arguments: [Argument]

    public init(template: String, arguments: [Argument] = []) {
        self.template = template
        self.arguments = arguments
    }

    /// A text that is not a message of the service's own (a database's or a library's words):
    /// shown as it is in every language.
    public init(verbatim text: String) {
        self.init(template: "%@", arguments: [.text(text)])
    }

    public init(stringLiteral value: String) {
        self.init(template: value.replacingOccurrences(of: "%", with: "%%"))
    }

    public init(stringInterpolation: StringInterpolation) {
        self.init(template: stringInterpolation.template, arguments: stringInterpolation.arguments)
    }

    public struct StringInterpolation: StringInterpolationProtocol {
        var template = ""
        var arguments: [Argument] = []

        public init(literalCapacity: Int, interpolationCount: Int) {
            template.reserveCapacity(literalCapacity + 2 * interpolationCount)
        }

        public mutating func appendLiteral(_ literal: String) {
            template += literal.replacingOccurrences(of: "%", with: "%%")
        }

        public mutating func appendInterpolation(_ message: Message) {
            template += "%@"
            arguments.append(.message(message))
        }

        public mutating func appendInterpolation<T>(_ value: T) {
            template += "%@"
            arguments.append(.text(String(describing: value)))
        }
    }

    /// In English.
    public var description: String { rendered(in: .en) }

    /// Two messages are equal when they say the same (in English), however they were written.
    public static func == (a: Message, b: Message) -> Bool { a.description == b.description }
    public func hash(into hasher: inout Hasher) { hasher.combine(description) }

    /// In `language`: its catalogue's template for this one (English when it has none), the
    /// values put in by position (`%@` the next, `%2$@` the second).
    public func rendered(in language: Language) -> String {
        let text = MessageCatalogue.template(for: template, in: language)
        var out = ""
        var next = 0
        var i = text.startIndex
        func value(_ index: Int) -> String {
            guard arguments.indices.contains(index) else { return "" }
            switch arguments[index] {
            case .text(let text): return text
            case .message(let message): return message.rendered(in: language)
            }
        }
        while i < text.endIndex {
            let c = text[i]
            guard c == "%", let after = text.index(i, offsetBy: 1, limitedBy: text.endIndex), after < text.endIndex else {
                out.append(c)
                i = text.index(after: i)
                continue
            }
            if text[after] == "%" {
                out.append("%")
                i = text.index(after: after)
            } else if text[after] == "@" {
                out += value(next)
                next += 1
                i = text.index(after: after)
            } else if let dollar = text[after...].firstIndex(of: "$"), let position = Int(text[after..<dollar]),
                      text.index(after: dollar) < text.endIndex, text[text.index(after: dollar)] == "@" {
                out += value(position - 1)
                i = text.index(dollar, offsetBy: 2)
            } else {
                out.append(c)
                i = after
            }
        }
        return out
    }
}
