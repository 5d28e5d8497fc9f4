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

extension Array where Element: RawRepresentable & Comparable, Element.RawValue == String {
    /// The cases of a comma-separated list as the database stores it (`array_to_string(…, ',')`),
    /// sorted; an empty text is none.
    public init(storedList text: String) throws {
        self = try text.split(separator: ",").map { try Element(stored: String($0)) }.sorted()
    }
}
