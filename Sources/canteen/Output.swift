import ArgumentParser
import CanteenAPI
import CanteenWire
import CanteenDomain
import Foundation

/// Prints results as human tables or, with `--json`, as the API's JSON; prints errors once.
struct Output {
    let json: Bool

    /// Prints `value` as JSON when `--json` was given, else calls `human`.
    func show<T: Encodable>(_ value: T, human: () -> Void) throws {
        if json {
            let data = try JSONCoding.encoder().encode(value)
            FileHandle.standardOutput.write(data)
            FileHandle.standardOutput.write(Data("\n".utf8))
        } else {
            human()
        }
    }

    /// Writes a document (CSV, HTML, JSON) to `path`, or to standard output without one.
    func document(_ text: String, to path: String?) throws {
        guard let path else {
            FileHandle.standardOutput.write(Data(text.utf8))
            return
        }
        do {
            try text.write(toFile: path, atomically: true, encoding: .utf8)
        } catch {
            throw CanteenError.invalidRequest("cannot write \(path)")
        }
    }

    /// Reports an error on stderr and returns the exit code to end with.
    func fail(_ error: any Error) -> any Error {
        if error is ExitCode || error is CleanExit || error is ValidationError { return error }
        let canteenError = Output.canteenError(error)
        if json {
            let data = (try? JSONCoding.encoder().encode(Components.Schemas.Problem(canteenError))) ?? Data()
            FileHandle.standardError.write(data + Data("\n".utf8))
        } else {
            let language = Language.current
            var text = "error: \(canteenError.code.rawValue): \(canteenError.message.rendered(in: language))"
            if let id = canteenError.existingMealID { text += " " + Message("(existing meal \(id))").rendered(in: language) }
            if let id = canteenError.existingDinerID { text += " " + Message("(existing diner \(id))").rendered(in: language) }
            FileHandle.standardError.write(Data((text + "\n").utf8))
        }
        return ExitCode(canteenError.code == .unavailable ? 3 : 1)
    }

    static func canteenError(_ error: any Error) -> CanteenError {
        switch error {
        case let error as CanteenError: return error
        case is CancellationError: return CanteenError(.unavailable, "cancelled")
        // The services map every database failure; anything else reaching here is a bug, and the
        // person at the terminal is the one to report it, so it says what it was.
        default: return CanteenError(.internal, "unexpected failure: \(String(describing: error))")
        }
    }
}

/// A plain-text table that lines up Chinese (double-width) text.
struct TextTable {
    var headers: [String]
    var rows: [[String]] = []

    init(_ headers: String...) { self.headers = headers }

    mutating func add(_ cells: String...) { rows.append(cells) }

    func render() -> String {
        var widths = headers.map(TextTable.width)
        for row in rows {
            for (i, cell) in row.enumerated() where i < widths.count { widths[i] = max(widths[i], TextTable.width(cell)) }
        }
        func format(_ cells: [String]) -> String {
            cells.enumerated().map { i, cell in
                i == cells.count - 1 ? cell : cell + String(repeating: " ", count: widths[i] - TextTable.width(cell))
            }.joined(separator: "  ")
        }
        var lines = [format(headers), widths.map { String(repeating: "-", count: $0) }.joined(separator: "  ")]
        lines += rows.map(format)
        return lines.joined(separator: "\n")
    }

    /// Display columns: East Asian wide and full-width characters take two.
    static func width(_ text: String) -> Int {
        text.unicodeScalars.reduce(0) { sum, scalar in
            let v = scalar.value
            let wide = (0x1100...0x115F).contains(v) || (0x2E80...0xA4CF).contains(v) || (0xAC00...0xD7A3).contains(v)
                || (0xF900...0xFAFF).contains(v) || (0xFE30...0xFE4F).contains(v) || (0xFF00...0xFF60).contains(v)
                || (0xFFE0...0xFFE6).contains(v) || (0x20000...0x3FFFD).contains(v)
            return sum + (wide ? 2 : 1)
        }
    }
}

extension SitePatch.Field where Value == String {
    /// An edit command's option: absent leaves the field, an empty value clears it.
    init(option value: String?) {
        guard let value else { self = .unchanged; return }
        self = value.trimmingWhitespace().isEmpty ? .cleared : .set(value)
    }
}
