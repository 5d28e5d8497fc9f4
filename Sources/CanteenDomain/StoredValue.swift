/// A value read back from the database that this version does not know: the data is newer
/// than the code, or was edited by hand. Never defaulted to a known case.
public struct UnknownStoredValue: Error, Sendable, CustomStringConvertible {
    public let type: String
    public let value: String

    public var description: String { "unknown \(type) \"\(value)\" in the database" }
}

extension RawRepresentable where RawValue == String {
    /// The case stored as `raw`; throws `UnknownStoredValue` for any other text.
    public init(stored raw: String) throws {
        guard let value = Self(rawValue: raw) else { throw UnknownStoredValue(type: "\(Self.self)", value: raw) }
        self = value
    }
}
