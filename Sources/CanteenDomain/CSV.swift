/// RFC 4180 CSV: a reader that keeps line numbers (for rejects files) and a writer with correct quoting.
public enum CSV {
    /// One record and the line of the file it starts on (1-based, the header is line 1).
    public struct Record: Sendable {
        public let line: Int
        public let fields: [String]
        /// Where the record lies in the parsed bytes (to re-read it later without keeping every field).
        public let bytes: Range<Int>
    }

    /// Parses `bytes` (UTF-8; a leading BOM is skipped; CRLF or LF line ends; quoted
    /// fields may hold commas, quotes and line breaks). Invalid UTF-8 is replaced, not fatal.
    /// Blank lines are skipped.
    public static func parse(_ bytes: UnsafeBufferPointer<UInt8>, _ body: (Record) throws -> Void) rethrows {
        var i = 0
        let n = bytes.count
        if n >= 3, bytes[0] == 0xEF, bytes[1] == 0xBB, bytes[2] == 0xBF { i = 3 }
        var line = 1
        var fields: [String] = []
        var field: [UInt8] = []
        var recordLine = 1
        var recordStart = i
        var inQuotes = false
        var fieldWasQuoted = false
        func endField() {
            fields.append(String(decoding: field, as: UTF8.self))
            field.removeAll(keepingCapacity: true)
            fieldWasQuoted = false
        }
        while i < n {
            let b = bytes[i]
            if inQuotes {
                if b == UInt8(ascii: "\"") {
                    if i + 1 < n, bytes[i + 1] == UInt8(ascii: "\"") {
                        field.append(b)
                        i += 2
                        continue
                    }
                    inQuotes = false
                } else {
                    if b == UInt8(ascii: "\n") { line += 1 }
                    field.append(b)
                }
                i += 1
                continue
            }
            switch b {
            case UInt8(ascii: ","):
                endField()
            case UInt8(ascii: "\""):
                if field.isEmpty && !fieldWasQuoted {
                    inQuotes = true
                    fieldWasQuoted = true
                } else {
                    field.append(b)  // a stray quote inside an unquoted field is kept as text
                }
            case UInt8(ascii: "\r"):
                break
            case UInt8(ascii: "\n"):
                endField()
                if !(fields.count == 1 && fields[0].isEmpty) {
                    try body(Record(line: recordLine, fields: fields, bytes: recordStart..<i))
                }
                fields.removeAll(keepingCapacity: true)
                line += 1
                recordLine = line
                recordStart = i + 1
            default:
                field.append(b)
            }
            i += 1
        }
        if !field.isEmpty || !fields.isEmpty || fieldWasQuoted {
            endField()
            if !(fields.count == 1 && fields[0].isEmpty) {
                try body(Record(line: recordLine, fields: fields, bytes: recordStart..<n))
            }
        }
    }

    /// Parses a whole string (tests, small files).
    public static func records(_ text: String) -> [Record] {
        var out: [Record] = []
        var copy = text
        copy.withUTF8 { parse($0) { out.append($0) } }
        return out
    }

    /// A cell of a CSV file this service writes for a spreadsheet: text shown as it was typed,
    /// or a figure the spreadsheet may compute with.
    public enum Cell: Sendable, Equatable, ExpressibleByStringLiteral {
        case text(String)
        /// A plain decimal figure such as `12`, `-4.00`; anything else is written as text.
        case number(String)

        public init(stringLiteral value: String) { self = .text(value) }

        public static func count(_ value: Int) -> Cell { .number(String(value)) }

        /// What goes into the file: a figure stays a figure (a negative adjustment is still a
        /// number in a spreadsheet); text is made formula-safe.
        var written: String {
            switch self {
            case .number(let figure) where CSV.isPlainFigure(figure): return figure
            case .number(let text), .text(let text): return CSV.formulaSafe(text)
            }
        }
    }

    /// One CSV line (CRLF-terminated) with every text cell formula-safe and quoted where it needs it.
    public static func line(_ cells: [Cell]) -> String {
        cells.map { quote($0.written) }.joined(separator: ",") + "\r\n"
    }

    /// Text that a spreadsheet would run as a formula — it begins with `=`, `+`, `-`, `@`, a tab
    /// or a carriage return — gets a leading `'`, so it is shown, never run (SPEC §2.9).
    public static func formulaSafe(_ text: String) -> String {
        guard let first = text.unicodeScalars.first, formulaStarters.contains(first) else { return text }
        return "'" + text
    }

    static let formulaStarters: Set<Unicode.Scalar> = ["=", "+", "-", "@", "\t", "\r"]

    /// `-?digits(.digits)?`: a figure no spreadsheet reads as a formula.
    static func isPlainFigure(_ text: String) -> Bool {
        var bytes = Substring(text).utf8[...]
        if bytes.first == UInt8(ascii: "-") { bytes = bytes.dropFirst() }
        let parts = bytes.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false)
        guard !bytes.isEmpty, parts.count <= 2 else { return false }
        return parts.allSatisfy { part in !part.isEmpty && part.allSatisfy { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") } }
    }

    public static func quote(_ field: String) -> String {
        let needs = field.contains { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" } || field.hasPrefix(" ") || field.hasSuffix(" ")
        guard needs else { return field }
        return "\"" + field.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    /// The byte-order mark that makes Excel read UTF-8.
    public static let byteOrderMark = "\u{FEFF}"
}
