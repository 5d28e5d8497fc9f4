import Foundation

/// The rows of one statement, copied out of libpq's result before it is cleared.
public struct QueryResult: Sendable {
    public let columns: [String]
    /// Row-major values, `columns.count` per row; `nil` is SQL NULL.
    let values: [String?]
    /// Rows affected, for INSERT/UPDATE/DELETE/COPY; 0 otherwise.
    public let affectedRows: Int

    init(columns: [String], values: [String?], affectedRows: Int) {
        self.columns = columns
        self.values = values
        self.affectedRows = affectedRows
    }

    public var count: Int { columns.isEmpty ? 0 : values.count / columns.count }
    public var isEmpty: Bool { count == 0 }
    public var rows: [Row] { (0..<count).map { Row(result: self, index: $0) } }
    public var first: Row? { isEmpty ? nil : Row(result: self, index: 0) }

    /// The first row of a statement that always answers one (an aggregate, `INSERT … RETURNING`
    /// of one row); a missing row is the database layer's failure, never a crash.
    public func one() throws -> Row {
        guard let row = first else { throw PostgresError(kind: .unexpected, serverMessage: "the statement answered no row") }
        return row
    }

    func columnIndex(_ name: String) -> Int? { columns.firstIndex(of: name) }
}

/// One row of a `QueryResult`.
public struct Row: Sendable {
    let result: QueryResult
    let index: Int

    public func raw(_ column: Int) -> String? {
        result.values[index * result.columns.count + column]
    }

    public func decode<T: PostgresDecodable>(_ column: Int, as type: T.Type = T.self) throws -> T {
        guard column >= 0, column < result.columns.count else {
            throw PostgresError(kind: .decoding, serverMessage: "no column \(column)", column: String(column))
        }
        do {
            return try T.decode(postgresText: raw(column))
        } catch let failure as DecodingFailure {
            throw PostgresError(kind: .decoding, serverMessage: failure.message, column: result.columns[column])
        }
    }

    public func decode<T: PostgresDecodable>(_ column: String, as type: T.Type = T.self) throws -> T {
        guard let i = result.columnIndex(column) else {
            throw PostgresError(kind: .decoding, serverMessage: "no such column", column: column)
        }
        return try decode(i, as: type)
    }

    /// Decodes a `json`/`jsonb` column.
    public func decodeJSON<T: Decodable>(_ column: String, as type: T.Type = T.self) throws -> T {
        let text: String = try decode(column)
        do {
            return try JSONDecoder().decode(T.self, from: Data(text.utf8))
        } catch {
            throw PostgresError(kind: .decoding, serverMessage: "invalid JSON for \(T.self)", column: column)
        }
    }
}
