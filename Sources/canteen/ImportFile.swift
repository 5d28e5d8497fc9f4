import CanteenDomain
import Foundation

/// What the import commands share: reading the file, and writing its rejected rows next to it
/// (`FILE.csv` → `FILE.rejects.csv`) with their line number, error code and detail.
enum ImportFile {
    static func read(_ path: String) throws -> Data {
        do {
            return try Data(contentsOf: URL(fileURLWithPath: path), options: .alwaysMapped)
        } catch {
            throw CanteenError.invalidRequest("cannot read \(path)")
        }
    }

    /// One rejected row as the rejects file shows it.
    struct Rejected {
        let line: Int
        let code: String
        let detail: String
        let fields: [String]
    }

    /// Writes the rejects file, or removes a stale one when nothing was rejected; answers its path.
    static func writeRejects(_ rejected: [Rejected], header: [String], besides path: String) throws -> String? {
        let stem = path.lowercased().hasSuffix(".csv") ? String(path.dropLast(4)) : path
        let url = URL(fileURLWithPath: stem + ".rejects.csv")
        guard !rejected.isEmpty else {
            try? FileManager.default.removeItem(at: url)
            return nil
        }
        var text = CSV.byteOrderMark + CSV.line(["line", "error", "detail"] + header.map(CSV.Cell.text))
        for row in rejected {
            text += CSV.line([.count(row.line), .text(row.code), .text(row.detail)] + row.fields.map(CSV.Cell.text))
        }
        do {
            try text.write(to: url, atomically: true, encoding: .utf8)
        } catch {
            throw CanteenError.invalidRequest("cannot write \(url.path)")
        }
        return url.path
    }
}
