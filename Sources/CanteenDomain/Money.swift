/// An amount of money in integer fen (1 yuan = 100 fen). Never floating point.
public struct Money: Hashable, Comparable, Sendable, CustomStringConvertible, Codable {
    public let fen: Int

    public init(fen: Int) { self.fen = fen }

    public static let zero = Money(fen: 0)
    /// The highest meal price the system accepts, 1000 yuan.
    public static let maximumMealPrice = Money(fen: 100_000)

    /// `¥12.00`, `-¥2.00`: for human output only.
    public var description: String {
        let sign = fen < 0 ? "-" : ""
        let magnitude = fen.magnitude
        let cents = magnitude % 100
        return "\(sign)¥\(magnitude / 100).\(cents < 10 ? "0" : "")\(cents)"
    }

    public static func < (a: Money, b: Money) -> Bool { a.fen < b.fen }
    public static func + (a: Money, b: Money) -> Money { Money(fen: a.fen + b.fen) }
    public static func - (a: Money, b: Money) -> Money { Money(fen: a.fen - b.fen) }
    public static prefix func - (a: Money) -> Money { Money(fen: -a.fen) }

    public init(from decoder: any Decoder) throws {
        fen = try decoder.singleValueContainer().decode(Int.self)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(fen)
    }
}
